//! The Requests panel: guests' song requests waiting or playing, who asked, where each stands;
//! with approval by the host, `a` approves and `x` rejects the oldest pending one.
use super::draw::fit;
use crate::core::{RequestInfo, RequestStatus, Snapshot};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// At most this many requests are listed (the panel's height follows).
pub(crate) const MAX_SHOWN: usize = 6;
/// Columns for the status word.
const STATUS_WIDTH: usize = 8;

/// Requests the host cares about now: waiting for the host or the player, and playing.
pub(crate) fn visible(snap: &Snapshot) -> Vec<&RequestInfo> {
    snap.requests
        .iter()
        .filter(|r| r.status.is_open() || r.status == RequestStatus::Playing)
        .collect()
}

/// The request `a` / `x` decide: the oldest one waiting for the host.
pub(crate) fn oldest_pending(snap: &Snapshot) -> Option<&RequestInfo> {
    snap.requests
        .iter()
        .filter(|r| r.status == RequestStatus::Pending)
        .min_by_key(|r| r.id)
}

/// Rows the panel needs, borders included; 0 when there is nothing to show.
pub(crate) fn height(snap: &Snapshot) -> u16 {
    match visible(snap).len() {
        0 => 0,
        n => n.min(MAX_SHOWN) as u16 + 2,
    }
}

pub(crate) fn lines(snap: &Snapshot, width: usize) -> Vec<Line<'static>> {
    visible(snap)
        .into_iter()
        .take(MAX_SHOWN)
        .map(|r| {
            let (word, style) = match r.status {
                RequestStatus::Pending => ("pending", Style::new().fg(Color::Yellow)),
                RequestStatus::Playing => (
                    "playing",
                    Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
                ),
                other => (other.contract(), Style::new()),
            };
            let who = format!(" ({})", r.voter);
            let head = format!("#{} ", r.id);
            let room = width.saturating_sub(head.len() + STATUS_WIDTH + 1 + who.chars().count());
            Line::from(vec![
                Span::raw(head),
                Span::styled(fit(word, STATUS_WIDTH), style),
                Span::raw(" "),
                Span::raw(fit(
                    &format!("{} — {}", r.track.title, r.track.artist),
                    room,
                )),
                Span::styled(who, Style::new().fg(Color::DarkGray)),
            ])
        })
        .collect()
}

pub(crate) fn render(frame: &mut Frame, area: Rect, snap: &Snapshot) {
    if area.is_empty() {
        return;
    }
    let title = if oldest_pending(snap).is_some() {
        " Requests (a approve · x reject) "
    } else {
        " Requests "
    };
    let inner = area.width.saturating_sub(2) as usize;
    let panel = Paragraph::new(lines(snap, inner)).block(Block::bordered().title(title));
    frame.render_widget(panel, area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{RequestedTrack, Timestamp, Voter};

    fn req(id: u64, status: RequestStatus) -> RequestInfo {
        RequestInfo {
            id,
            voter: Voter::guest("abcdef0123"),
            track: RequestedTrack {
                uri: format!("demo:{id}"),
                title: format!("Wish {id}"),
                artist: "Band".into(),
                ..Default::default()
            },
            status,
            reason: None,
            asked_at: Timestamp(0),
            likes: 0,
        }
    }

    #[test]
    fn shows_waiting_and_playing_with_who_asked_and_picks_the_oldest_pending() {
        let snap = Snapshot {
            requests: vec![
                req(1, RequestStatus::Played),
                req(2, RequestStatus::Playing),
                req(3, RequestStatus::Pending),
                req(4, RequestStatus::Pending),
                req(5, RequestStatus::Refused),
            ],
            ..Snapshot::default()
        };
        assert_eq!(oldest_pending(&snap).unwrap().id, 3);
        assert_eq!(height(&snap), 5);
        let text: Vec<String> = lines(&snap, 50)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text.len(), 3);
        assert!(text[0].starts_with("#2 playing  Wish 2 — Band"), "{text:?}");
        assert!(text[0].ends_with("(guest abcdef)"), "{text:?}");
        assert!(text[1].starts_with("#3 pending  Wish 3"), "{text:?}");
        assert_eq!(height(&Snapshot::default()), 0);
        // A zero-size area must not panic.
        let backend = ratatui::backend::TestBackend::new(10, 3);
        let mut term = ratatui::Terminal::new(backend).unwrap();
        term.draw(|f| render(f, Rect::default(), &snap)).unwrap();
    }
}
