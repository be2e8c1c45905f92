//! The key help overlay: every key and what it does, over a cleared, centred box.
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

/// Every key the dashboard handles, as (key, meaning). keys.rs is the authority; keep in step.
pub const KEYS: &[(&str, &str)] = &[
    ("s", "skip this track now (overrides keep)"),
    ("k", "keep this track / release the keep"),
    ("r", "reset this track's votes"),
    ("p", "pause / resume voting"),
    ("+ / -", "raise / lower the skip threshold"),
    ("v", "show / hide the vote page's QR code"),
    ("?", "show / hide this help"),
    ("Esc", "close this help or the QR code"),
    ("q, Ctrl-C", "quit"),
];

const KEY_COLUMN: usize = 10;

pub fn lines() -> Vec<Line<'static>> {
    KEYS.iter()
        .map(|(key, meaning)| Line::from(format!("{key:<KEY_COLUMN$} {meaning}")))
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect) {
    let lines = lines();
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let height = lines.len() as u16 + 2;
    // Shrinks to the screen on small terminals; the Paragraph clips what does not fit.
    let popup = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(" Keys (Esc closes) ");
    let inner = block.inner(popup).inner(ratatui::layout::Margin::new(1, 0));
    frame.render_widget(block, popup);
    frame.render_widget(Paragraph::new(lines), inner);
}
