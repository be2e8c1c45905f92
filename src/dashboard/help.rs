//! The key help overlay: every key and what it does, over a cleared, centred box.
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

/// Every key the dashboard handles, as (key, meaning). keys.rs is the authority; keep in step.
pub(crate) const KEYS: &[(&str, &str)] = &[
    ("s", "skip this track now (overrides keep)"),
    ("k", "keep this track / release the keep"),
    ("r", "reset this track's skip votes (likes stay)"),
    ("p", "pause / resume voting"),
    ("+ / -", "raise / lower the skip threshold"),
    ("a / x", "approve / reject the oldest song request"),
    ("v", "show / hide the vote page's QR code"),
    ("h", "sign in your phone as host (QR, one use)"),
    ("x", "(with h open) sign out every host phone"),
    ("?", "show / hide this help"),
    ("Esc", "close this help or the QR code"),
    ("q, Ctrl-C", "quit"),
];

const KEY_COLUMN: usize = 10;

pub(crate) fn lines() -> Vec<Line<'static>> {
    KEYS.iter()
        .map(|(key, meaning)| Line::from(format!("{key:<KEY_COLUMN$} {meaning}")))
        .collect()
}

pub(crate) fn render(frame: &mut Frame, area: Rect) {
    overlay(frame, area, " Keys (Esc closes) ", lines(), 1, false);
}

/// A bordered box over a cleared, centred area, sized to `lines` plus `pad` columns each side;
/// shrinks to the screen on small terminals (the paragraph clips what does not fit).
pub(crate) fn overlay(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    pad: u16,
    centered: bool,
) {
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 2 + 2 * pad;
    let height = lines.len() as u16 + 2;
    let popup = area.centered(
        Constraint::Length(width.min(area.width)),
        Constraint::Length(height.min(area.height)),
    );
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(title.to_string());
    let inner = block
        .inner(popup)
        .inner(ratatui::layout::Margin::new(pad, 0));
    frame.render_widget(block, popup);
    let body = Paragraph::new(lines);
    frame.render_widget(if centered { body.centered() } else { body }, inner);
}
