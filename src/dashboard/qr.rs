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
pub(crate) fn lines(text: &str) -> Option<Vec<Line<'static>>> {
    lines_at(text, qrcode::EcLevel::M)
}

/// The code at a chosen error correction level (L keeps a long link small).
pub(crate) fn lines_at(text: &str, ec: qrcode::EcLevel) -> Option<Vec<Line<'static>>> {
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

/// The code at double size (two columns and one line per module) for big screens.
pub(crate) fn big_lines(text: &str) -> Option<Vec<Line<'static>>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET;
    let dark = |x: usize, y: usize| {
        (QUIET..width + QUIET).contains(&x)
            && (QUIET..width + QUIET).contains(&y)
            && colors[(y - QUIET) * width + (x - QUIET)] == Module::Dark
    };
    Some(
        (0..size)
            .map(|y| {
                Line::from(
                    (0..size)
                        .map(|x| {
                            let c = if dark(x, y) {
                                Color::Black
                            } else {
                                Color::White
                            };
                            Span::styled("  ", Style::new().bg(c))
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect(),
    )
}

/// The biggest rendering of the code that fits `room` (columns, lines), if any does.
pub(crate) fn fitting(text: &str, cols: usize, rows: usize) -> Option<Vec<Line<'static>>> {
    let fits = |l: &Vec<Line>| l.len() <= rows && l.first().is_some_and(|f| f.width() <= cols);
    big_lines(text)
        .filter(fits)
        .or_else(|| lines(text).filter(fits))
}

pub(crate) fn render(frame: &mut Frame, area: Rect, url: Option<&str>, code: Option<&str>) {
    let code_word = code;
    let Some(url) = url else {
        let body = vec![
            Line::from("The vote page is not running: the reason is under \"Vote page\""),
            Line::from("at the bottom of the screen. Esc or v closes.").centered(),
        ];
        super::help::overlay(frame, area, " Vote page ", body, 0, true);
        return;
    };
    // The words always show; the code takes what room is left (border: 2 lines, 2 columns).
    let mut words = vec![Line::from(url.to_string()).centered()];
    if let Some(code) = code {
        words.push(Line::from(format!("party code: {code}")).centered());
    }
    words.push(Line::from("Esc or v closes").centered());
    let rows = usize::from(area.height.saturating_sub(2)).saturating_sub(words.len());
    let cols = usize::from(area.width.saturating_sub(2));
    if fitting(url, cols, rows).is_none() {
        // A small screen: the code and its address alone, without a border, if that fits.
        let tight = lines_at(url, qrcode::EcLevel::L).filter(|l| {
            l.len() < usize::from(area.height) && l[0].width() <= usize::from(area.width)
        });
        if let Some(mut code) = tight {
            code.push(Line::from(match code_word {
                Some(c) => format!("{url}  code: {c}"),
                None => url.to_string(),
            }));
            frame.render_widget(ratatui::widgets::Clear, area);
            frame.render_widget(ratatui::widgets::Paragraph::new(code).centered(), area);
            return;
        }
    }
    let mut body = match fitting(url, cols, rows) {
        Some(code) => code,
        None if rows > 0 => vec![Line::from("(enlarge the terminal to scan the code)").centered()],
        None => Vec::new(),
    };
    body.extend(words);
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
