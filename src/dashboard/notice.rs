//! A hook's banner (`do = "notice"`): while it lasts it takes the key-hints line, the one line
//! every layout has and the host reads last.
use crate::core::{Snapshot, Timestamp};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// `footer` is the status area; the banner goes on its last line.
pub(crate) fn render(frame: &mut Frame, footer: Rect, snap: &Snapshot, now: Timestamp) {
    let Some(n) = snap.notice.as_ref().filter(|n| n.until > now) else {
        return;
    };
    if footer.height == 0 {
        return;
    }
    let line = Rect {
        y: footer.y + footer.height - 1,
        height: 1,
        ..footer
    };
    let style = Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    let text = format!(" {} · {} ", n.text, n.by);
    frame.render_widget(Paragraph::new(Line::styled(text, style)).style(style), line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Notice;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn shown(snap: &Snapshot, now: i64) -> String {
        let mut t = Terminal::new(TestBackend::new(40, 2)).unwrap();
        t.draw(|f| render(f, f.area(), snap, Timestamp::from_millis(now)))
            .unwrap();
        let buf = t.backend().buffer();
        (0..40).map(|x| buf[(x, 1)].symbol().to_string()).collect()
    }

    #[test]
    fn the_banner_shows_until_its_time_is_up() {
        let snap = Snapshot {
            notice: Some(Notice {
                text: "Cake in the kitchen".into(),
                by: "cl-favourite".into(),
                until: Timestamp::from_millis(10_000),
            }),
            ..Snapshot::default()
        };
        assert!(shown(&snap, 9_000).contains("Cake in the kitchen · cl-favourite"));
        assert_eq!(shown(&snap, 10_000).trim(), "");
    }
}
