//! The button log, newest first: when, who, what, and what came of it.
use super::Zone;
use super::draw::fit;
use crate::core::{Action, ClickKind, Effect, HostCommand, LogEntry, PressResult, Timestamp};
use chrono::{Local, TimeZone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Columns for the voter (button names, "guest ab12cd").
const WHO_WIDTH: usize = 12;
/// Columns for what was pressed ("skip (double)").
const WHAT_WIDTH: usize = 13;
/// Below this inner width the time drops its seconds, so outcomes ("voting paused") fit whole.
const SECONDS_MIN_WIDTH: u16 = 50;

pub(crate) fn render(frame: &mut Frame, area: Rect, log: &[LogEntry], zone: Zone) {
    let block = Block::bordered().title(" Log (newest first) ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = if log.is_empty() {
        vec![Line::styled(
            "no presses yet",
            Style::new().fg(Color::DarkGray),
        )]
    } else {
        // Only what fits; the snapshot already holds the newest first.
        let seconds = inner.width >= SECONDS_MIN_WIDTH;
        log.iter()
            .take(inner.height as usize)
            .map(|e| line_with(e, zone, seconds))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

fn line_with(entry: &LogEntry, zone: Zone, seconds: bool) -> Line<'static> {
    let (who, spans) = describe(&entry.effect);
    let mut time = clock_time(entry.at, zone);
    if !seconds {
        time.truncate(5);
    }
    let mut out = vec![
        Span::styled(time, Style::new().fg(Color::DarkGray)),
        Span::raw(" "),
        Span::raw(fit(&who, WHO_WIDTH)),
        Span::raw(" "),
    ];
    out.extend(spans);
    Line::from(out)
}

/// "21:14:03" in the given zone; "--:--:--" for a time chrono cannot represent.
pub(crate) fn clock_time(at: Timestamp, zone: Zone) -> String {
    let ms = at.as_millis();
    let formatted = match zone {
        Zone::Local => Local
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%H:%M:%S").to_string()),
        Zone::Fixed(offset) => offset
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.format("%H:%M:%S").to_string()),
    };
    formatted.unwrap_or_else(|| "--:--:--".into())
}

/// Who did it, and the rest of the line.
fn describe(effect: &Effect) -> (String, Vec<Span<'static>>) {
    let plain = |s: String| vec![Span::raw(s)];
    match effect {
        Effect::Press {
            voter,
            click,
            action,
            result,
            ..
        } => {
            let what = fit(&press_text(*action, *click), WHAT_WIDTH);
            let outcome = Span::styled(result.label(), outcome_style(*result));
            (voter.to_string(), vec![Span::raw(what + " "), outcome])
        }
        Effect::Play {
            player,
            state,
            track,
            new_track,
            ..
        } => {
            let text = match track {
                Some(t) if *new_track => format!("▶ {} — {}", t.title, t.artist),
                Some(t) => format!("{}: {}", state.label(), t.title),
                None => state.label().to_string(),
            };
            (player.clone(), plain(text))
        }
        Effect::TrackFinished {
            title,
            likes,
            skips,
            ..
        } => (
            "party".into(),
            plain(format!("done {title} (♥ {likes}, {skips} skip)")),
        ),
        Effect::SkipDecided {
            title,
            skips,
            needed,
            by_host,
            ..
        } => {
            let (who, why) = if *by_host {
                ("host", "by host".to_string())
            } else {
                ("party", format!("{skips}/{needed}"))
            };
            let text = format!("SKIP {title} ({why})");
            let style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
            (who.into(), vec![Span::styled(text, style)])
        }
        Effect::WindowResult {
            window,
            skips,
            needed,
            ..
        } => (
            "party".into(),
            plain(format!("window {} ({skips}/{needed})", window.label())),
        ),
        Effect::Host { command, by } => (by.label(), plain(host_text(command))),
        Effect::SkipFailed { reason, .. } => (
            "player".into(),
            vec![Span::styled(
                format!("skip failed: {reason}"),
                Style::new().fg(Color::Red),
            )],
        ),
        Effect::TriggerFired {
            trigger,
            step,
            hook,
            ..
        } => {
            let why = match (step, hook) {
                (Some(n), _) => format!(" (step {n})"),
                (None, Some(h)) => format!(" (hook {h})"),
                (None, None) => String::new(),
            };
            ("trigger".into(), plain(format!("{trigger} fired{why}")))
        }
        Effect::Notice { hook, text, .. } => (
            format!("hook {hook}"),
            vec![Span::styled(
                text.clone(),
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            )],
        ),
        Effect::TriggerFailed { trigger, reason } => (
            "trigger".into(),
            vec![Span::styled(
                format!("{trigger} failed: {reason}"),
                Style::new().fg(Color::Red),
            )],
        ),
        Effect::Request(ev) => ("request".into(), plain(ev.plain())),
        Effect::RulesChanged { changes } => (
            "rules".into(),
            plain(format!("changed: {}", changes.join("; "))),
        ),
    }
}

fn press_text(action: Option<Action>, click: Option<ClickKind>) -> String {
    let click_name = |c: ClickKind| match c {
        ClickKind::Single => "single",
        ClickKind::Double => "double",
        ClickKind::Long => "long",
    };
    match (action, click) {
        (Some(a), Some(c)) => format!("{} ({})", a.label(), click_name(c)),
        (Some(a), None) => a.label().to_string(),
        (None, Some(c)) => format!("{} click", click_name(c)),
        (None, None) => "press".into(),
    }
}

fn outcome_style(result: PressResult) -> Style {
    match result {
        PressResult::Counted => Style::new().fg(Color::Green),
        PressResult::Protected | PressResult::VotingPaused => Style::new().fg(Color::Yellow),
        _ => Style::new().fg(Color::DarkGray),
    }
}

pub(crate) fn host_text(command: &HostCommand) -> String {
    command.plain()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_follow_the_given_offset() {
        // 2024-06-01 21:14:03 UTC
        let at = Timestamp::from_millis(1_717_276_443_000);
        assert_eq!(clock_time(at, Zone::utc()), "21:14:03");
        let cest = Zone::Fixed(chrono::FixedOffset::east_opt(2 * 3600).unwrap());
        assert_eq!(clock_time(at, cest), "23:14:03");
        assert_eq!(clock_time(Timestamp(i64::MAX), Zone::utc()), "--:--:--");
    }
}
