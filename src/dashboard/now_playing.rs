//! The current track: title, artist and album, where it plays, and how far along it is.
use crate::core::{NowPlaying, Snapshot, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph};

pub(crate) fn render(frame: &mut Frame, area: Rect, snap: &Snapshot, now: Timestamp) {
    let title = if snap.party.is_empty() {
        " Now playing ".to_string()
    } else {
        format!(" Now playing · {} ", snap.party)
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(np) = &snap.now_playing else {
        let idle = Paragraph::new(vec![
            Line::from("Nothing playing"),
            Line::styled(
                "votes open when the player reports a track",
                Style::new().fg(Color::DarkGray),
            ),
        ]);
        frame.render_widget(idle, inner);
        return;
    };
    let [text_area, gauge_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    frame.render_widget(Paragraph::new(describe(np)), text_area);
    render_progress(frame, gauge_area, np, now);
}

fn describe(np: &NowPlaying) -> Vec<Line<'static>> {
    let t = &np.track;
    let mut by = t.artist.clone();
    if !t.album.is_empty() {
        if !by.is_empty() {
            by.push_str(" · ");
        }
        by.push_str(&t.album);
    }
    let title = if t.title.is_empty() {
        "(untitled)"
    } else {
        &t.title
    };
    vec![
        Line::styled(title.to_string(), Style::new().add_modifier(Modifier::BOLD)),
        Line::from(by),
        Line::from(vec![
            Span::raw(format!("{} · {} · ", np.source.label(), np.player)),
            Span::styled(np.state.label(), Style::new().fg(Color::Cyan)),
        ]),
    ]
}

fn render_progress(frame: &mut Frame, area: Rect, np: &NowPlaying, now: Timestamp) {
    let pos = np.position_at(now);
    match np.track.duration_ms {
        Some(total) if total > 0 => {
            // Clamped: LineGauge panics on a ratio outside 0..=1.
            let ratio = (pos as f64 / total as f64).clamp(0.0, 1.0);
            let gauge = LineGauge::default()
                .ratio(ratio)
                .label(format!("{} / {}", mmss(pos), mmss(total)))
                // Block elements are in the Linux console font; heavy box lines are not.
                .filled_symbol("█")
                .unfilled_symbol("░")
                .filled_style(Style::new().fg(Color::Cyan));
            frame.render_widget(gauge, area);
        }
        // Streams and radio have no length: show the elapsed time only.
        _ => frame.render_widget(Paragraph::new(format!("{} · live", mmss(pos))), area),
    }
}

/// 3:07 → "03:07"; past an hour "1:02:03" (long mixes and podcasts).
pub(crate) fn mmss(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::mmss;

    #[test]
    fn times_read_as_minutes_and_seconds() {
        assert_eq!(mmss(0), "00:00");
        assert_eq!(mmss(83_999), "01:23");
        assert_eq!(mmss(3_723_000), "1:02:03");
    }
}
