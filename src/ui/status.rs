//! The footer: each adapter's health, coloured by level, and the key hints.
use crate::core::{HealthLevel, SourceHealth};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const KEY_HINTS: &str = "s skip · k keep · r reset · p pause · +/- threshold · ? help · q quit";
/// For terminals too narrow for the full hints: the two keys that lead to the rest.
pub const SHORT_KEY_HINTS: &str = "? keys · q quit";

pub fn render(frame: &mut Frame, area: Rect, health: &[SourceHealth]) {
    let [health_area, keys_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    frame.render_widget(Paragraph::new(health_line(health)), health_area);
    let hints = if keys_area.width as usize >= KEY_HINTS.chars().count() {
        KEY_HINTS
    } else {
        SHORT_KEY_HINTS
    };
    frame.render_widget(
        Paragraph::new(Line::styled(hints, Style::new().fg(Color::DarkGray))),
        keys_area,
    );
}

pub fn health_line(health: &[SourceHealth]) -> Line<'static> {
    if health.is_empty() {
        return Line::styled(
            "no adapter has reported yet",
            Style::new().fg(Color::DarkGray),
        );
    }
    let mut spans = Vec::new();
    for (i, h) in health.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(Span::styled(
            format!("{} {}", h.name, level_word(h.level)),
            level_style(h.level),
        ));
        if !h.detail.is_empty() {
            spans.push(Span::raw(format!(": {}", h.detail)));
        }
    }
    Line::from(spans)
}

/// The level in words too, so it reads without colour.
fn level_word(level: HealthLevel) -> &'static str {
    match level {
        HealthLevel::Ok => "ok",
        HealthLevel::Warn => "warn",
        HealthLevel::Error => "ERROR",
    }
}

fn level_style(level: HealthLevel) -> Style {
    match level {
        HealthLevel::Ok => Style::new().fg(Color::Green),
        HealthLevel::Warn => Style::new().fg(Color::Yellow),
        HealthLevel::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}
