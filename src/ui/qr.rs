//! The vote page's QR code, big enough to scan from across the room (`v`).
use qrcode::{Color as Module, QrCode};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

/// Light modules around the code; scanners need at least this much quiet zone.
const QUIET: usize = 2;

/// The code as lines of half blocks: each character holds two module rows (upper = fg,
/// lower = bg), in explicit black and white so it scans on dark and light terminals alike.
pub fn lines(text: &str) -> Option<Vec<Line<'static>>> {
    lines_at(text, qrcode::EcLevel::M)
}

/// The code at a chosen error correction level (L keeps a long link small).
pub fn lines_at(text: &str, ec: qrcode::EcLevel) -> Option<Vec<Line<'static>>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), ec).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let dark = |x: usize, y: usize| {
        x >= QUIET
            && y >= QUIET
            && x < width + QUIET
            && y < width + QUIET
            && colors[(y - QUIET) * width + (x - QUIET)] == Module::Dark
    };
    let paint = |d: bool| if d { Color::Black } else { Color::White };
    Some(
        (0..size)
            .step_by(2)
            .map(|y| {
                let spans: Vec<Span> = (0..size)
                    .map(|x| {
                        let style = Style::new().fg(paint(dark(x, y))).bg(paint(dark(x, y + 1)));
                        Span::styled("▀", style)
                    })
                    .collect();
                Line::from(spans)
            })
            .collect(),
    )
}

pub fn render(frame: &mut Frame, area: Rect, url: Option<&str>) {
    let mut body = match url.and_then(|u| lines(u).map(|l| (u, l))) {
        Some((u, mut code)) => {
            code.push(Line::from(u.to_string()).centered());
            code
        }
        None => vec![Line::from(
            "The vote page is not running (see the status line).",
        )],
    };
    body.push(Line::from("Esc or v closes").centered());
    super::help::overlay(frame, area, " Vote page ", body, 0, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lan_url_fits_an_80x24_screen() {
        let lines = lines("http://192.168.178.20:8080/").unwrap();
        let width = lines[0].width();
        // A QR code is 17 + 4·version modules wide, plus the quiet zone; two rows per line.
        let modules = width - 2 * QUIET;
        assert_eq!((modules - 17) % 4, 0, "{modules} modules");
        assert_eq!(lines.len(), width.div_ceil(2));
        // With the URL, the hint and the border it must fit the smallest supported screen.
        assert!(
            lines.len() + 4 <= 24 && width + 2 <= 80,
            "{width}x{}",
            lines.len()
        );
    }
}
