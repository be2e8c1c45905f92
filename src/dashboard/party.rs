//! The evening so far: most-liked tracks, likes per minute, and the buttons in the room.
use super::draw::fit;
use crate::core::Snapshot;
use crate::core::Timestamp;
use crate::core::snapshot::{ButtonStatus, SPARKLINE_MINUTES};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, RenderDirection, Sparkline};

/// At most this many top tracks are shown (the snapshot carries five).
const TOP_TRACKS: u16 = 5;
/// Battery share under which a button's level is shown in red.
const LOW_BATTERY: f32 = 0.2;
/// Columns for a button's name in the buttons list.
const BUTTON_NAME_WIDTH: usize = 10;

pub(crate) fn render(frame: &mut Frame, area: Rect, snap: &Snapshot, now: Timestamp) {
    let top_height = TOP_TRACKS.min(snap.top_tracks.len().max(1) as u16) + 2;
    // Tall terminals get a taller sparkline; 80x24 keeps two bar rows.
    let spark_height = if area.height >= 24 { 8 } else { 4 };
    let [top, spark, buttons] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(spark_height),
        Constraint::Min(0),
    ])
    .areas(area);
    render_top_tracks(frame, top, snap);
    render_sparkline(frame, spark, snap);
    render_buttons(frame, buttons, &snap.buttons, now);
}

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn render_top_tracks(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let block = Block::bordered().title(" Top tracks ");
    let lines: Vec<Line> = if snap.top_tracks.is_empty() {
        vec![Line::styled("no likes yet", dim())]
    } else {
        snap.top_tracks
            .iter()
            .take(TOP_TRACKS as usize)
            .map(|t| Line::from(format!("{:>3} ♥ {} — {}", t.likes, t.title, t.artist)))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn render_sparkline(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    let title = if area.width >= 40 {
        format!(
            " Likes/min · last {SPARKLINE_MINUTES} min · {} total ",
            snap.totals.likes
        )
    } else {
        format!(" Likes/min · {} total ", snap.totals.likes)
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Newest minute at the right edge, like a scrolling chart; a narrow panel drops the oldest.
    let data = &snap.likes_per_minute;
    let shown = &data[data.len().saturating_sub(inner.width as usize)..];
    let max = shown.iter().copied().max().unwrap_or(0).max(1);
    let spark = Sparkline::default()
        .data(shown.iter().rev())
        .direction(RenderDirection::RightToLeft)
        .max(max)
        .style(Style::new().fg(Color::Green));
    frame.render_widget(spark, inner);
}

fn render_buttons(frame: &mut Frame, area: Rect, buttons: &[ButtonStatus], now: Timestamp) {
    let block = Block::bordered().title(" Buttons ");
    let lines: Vec<Line> = if buttons.is_empty() {
        vec![Line::styled("no buttons seen yet", dim())]
    } else {
        buttons.iter().map(|b| button_line(b, now)).collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn button_line(b: &ButtonStatus, now: Timestamp) -> Line<'static> {
    let seen = b.last_seen.map_or("never".to_string(), |t| ago(now, t));
    let mut spans = vec![
        Span::raw(fit(&b.name, BUTTON_NAME_WIDTH)),
        Span::raw(format!(" {seen:>5} {:>4}×", b.presses)),
    ];
    if let Some(level) = b.battery {
        let style = if level < LOW_BATTERY {
            Style::new().fg(Color::Red)
        } else {
            Style::new()
        };
        let pct = (level.clamp(0.0, 1.0) * 100.0).round() as u32;
        spans.push(Span::styled(format!(" bat {pct}%"), style));
    }
    Line::from(spans)
}

/// "12s", "5m", "3h", "2d" ago: last-seen times only need to tell fresh from stale.
pub(crate) fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = now.since(then).as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h", secs / 3600),
        _ => format!("{}d", secs / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::ago;
    use crate::core::Timestamp;

    #[test]
    fn ages_pick_a_unit() {
        let now = Timestamp::from_millis(100_000_000);
        assert_eq!(ago(now, now), "0s");
        assert_eq!(ago(now, Timestamp(now.0 - 59_000)), "59s");
        assert_eq!(ago(now, Timestamp(now.0 - 300_000)), "5m");
        assert_eq!(ago(now, Timestamp(now.0 - 7_200_000)), "2h");
        assert_eq!(ago(now, Timestamp(0)), "1d");
        // A clock behind the button's report must not underflow.
        assert_eq!(ago(Timestamp(0), now), "0s");
    }
}
