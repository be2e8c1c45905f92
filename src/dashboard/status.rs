//! The footer: where guests vote (always whole), what is wrong (each problem on its own lines,
//! wrapped so its fix is readable; rotating when more than fit), and the key hints.
use super::UiState;
use crate::core::{HealthLevel, SourceHealth, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub(crate) const KEY_HINTS: &str =
    "s skip · k keep · r reset · p pause · +/- threshold · v vote QR · ? help · q quit";
/// For terminals too narrow for the full hints: the keys that lead to the rest.
pub(crate) const SHORT_KEY_HINTS: &str = "? keys · v vote QR · q quit";
/// At most this many lines for problems; more problems take turns.
pub(crate) const MAX_PROBLEM_LINES: u16 = 3;
/// How long each problem shows when they take turns.
pub(crate) const ROTATE_MS: i64 = 5_000;

/// The footer's height for this health and width: address, problems, keys.
pub(crate) fn height(health: &[SourceHealth], ui: &UiState, width: u16) -> u16 {
    let notice = u16::from(ui.notice.is_some());
    2 + notice + problem_lines(health, width, Timestamp(0)).len().max(1) as u16
}

pub(crate) fn render(
    frame: &mut Frame,
    area: Rect,
    health: &[SourceHealth],
    ui: &UiState,
    now: Timestamp,
) {
    let [address_area, problems_area, keys_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(address_line(ui)), address_area);
    let lines = problem_lines(health, area.width, now);
    let mut body = if lines.is_empty() {
        vec![ok_line(health)]
    } else {
        lines
    };
    if let Some(n) = &ui.notice {
        let style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
        body.insert(0, Line::styled(n.clone(), style));
    }
    frame.render_widget(Paragraph::new(body), problems_area);
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

/// The vote address first, so a narrow screen cuts the extras, never the address.
pub(crate) fn address_line(ui: &UiState) -> Line<'static> {
    let Some(url) = &ui.vote_url else {
        return Line::styled(
            "Vote page not running (why: below)",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        );
    };
    let mut spans = vec![
        Span::raw("Vote: "),
        Span::styled(url.clone(), Style::new().add_modifier(Modifier::BOLD)),
    ];
    if let Some(code) = &ui.party_code {
        spans.push(Span::raw(" · code "));
        spans.push(Span::styled(
            code.clone(),
            Style::new().add_modifier(Modifier::BOLD),
        ));
    }
    if ui.host.is_some() {
        spans.push(Span::raw(" · h host phone"));
    }
    Line::from(spans)
}

fn problems(health: &[SourceHealth]) -> Vec<&SourceHealth> {
    health
        .iter()
        .filter(|h| h.level != HealthLevel::Ok)
        .collect()
}

/// Each problem as wrapped lines; all of them when they fit, else one at a time (by `now`).
pub(crate) fn problem_lines(
    health: &[SourceHealth],
    width: u16,
    now: Timestamp,
) -> Vec<Line<'static>> {
    let problems = problems(health);
    let width = usize::from(width.max(10));
    let wrapped: Vec<Vec<String>> = problems.iter().map(|h| wrap(&text(h), width)).collect();
    let total: usize = wrapped.iter().map(Vec::len).sum();
    let max = usize::from(MAX_PROBLEM_LINES);
    let styled = |(h, lines): (&SourceHealth, Vec<String>)| {
        lines
            .into_iter()
            .map(|l| Line::styled(l, level_style(h.level)))
            .collect::<Vec<_>>()
    };
    if total <= max {
        return problems.into_iter().zip(wrapped).flat_map(styled).collect();
    }
    let n = problems.len();
    let i = (now.0.div_euclid(ROTATE_MS) as usize) % n;
    let h = problems[i];
    let mut lines = wrap(&format!("({}/{n}) {}", i + 1, text(h)), width);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            *last = super::draw::fit(last, width);
            last.pop();
            last.push('…');
        }
    }
    styled((h, lines))
}

fn text(h: &SourceHealth) -> String {
    if h.detail.is_empty() {
        format!("{} {}", h.name, level_word(h.level))
    } else {
        format!("{} {}: {}", h.name, level_word(h.level), h.detail)
    }
}

/// Greedy word wrap; words longer than the line are cut across lines.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let cur_len = cur.chars().count();
            let sep = usize::from(cur_len > 0);
            if cur_len + sep + word.len() <= width {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                break;
            }
            if cur_len > 0 {
                lines.push(std::mem::take(&mut cur));
                continue;
            }
            let rest = word.split_off(width.min(word.len()));
            lines.push(word.into_iter().collect());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Everything that is fine, in one line (the names only: details are for problems).
fn ok_line(health: &[SourceHealth]) -> Line<'static> {
    if health.is_empty() {
        return Line::styled(
            "no adapter has reported yet",
            Style::new().fg(Color::DarkGray),
        );
    }
    let names: Vec<String> = health.iter().map(|h| format!("{} ok", h.name)).collect();
    Line::styled(names.join(" · "), level_style(HealthLevel::Ok))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, level: HealthLevel, detail: &str) -> SourceHealth {
        SourceHealth {
            name: name.into(),
            level,
            detail: detail.into(),
        }
    }

    fn texts(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_long_problem_wraps_whole_and_ok_sources_stay_out() {
        let health = [
            h("demo", HealthLevel::Ok, "playing"),
            h(
                "spotify",
                HealthLevel::Error,
                "not logged in: run party-tui spotify login on the Pi",
            ),
        ];
        let lines = texts(&problem_lines(&health, 30, Timestamp(0)));
        assert_eq!(
            lines,
            [
                "spotify ERROR: not logged in:",
                "run party-tui spotify login on",
                "the Pi"
            ]
        );
        let ui = UiState::default();
        assert_eq!(height(&health, &ui, 30), 5);
        assert_eq!(height(&health[..1], &ui, 30), 3);
    }

    #[test]
    fn too_many_problems_take_turns() {
        let health = [
            h(
                "http",
                HealthLevel::Error,
                "cannot listen on 0.0.0.0:8080: address in use; retrying",
            ),
            h("dash", HealthLevel::Warn, "no packets for 5 min"),
            h(
                "export",
                HealthLevel::Warn,
                "events API unreachable: connection refused",
            ),
        ];
        let first = texts(&problem_lines(&health, 40, Timestamp(0)));
        assert!(first[0].starts_with("(1/3) http ERROR"), "{first:?}");
        let second = texts(&problem_lines(&health, 40, Timestamp(ROTATE_MS)));
        assert!(second[0].starts_with("(2/3) dash warn"), "{second:?}");
        let third = texts(&problem_lines(&health, 40, Timestamp(2 * ROTATE_MS + 1)));
        assert!(third[0].starts_with("(3/3) export"), "{third:?}");
        for lines in [first, second, third] {
            assert!(lines.len() <= MAX_PROBLEM_LINES as usize);
            assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        }
    }

    #[test]
    fn wrap_cuts_words_longer_than_a_line() {
        assert_eq!(wrap("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(wrap("", 3), Vec::<String>::new());
    }
}
