//! Lays out the panels. Pure: a snapshot, the view state and `now` in, a frame out.
//!
//! 80x24 shows every panel compactly; taller and wider terminals give the log (and the
//! sparkline) the extra room. Tiny terminals get a one-line hint instead of squashed panels.
use super::{UiState, help, log, notice, now_playing, party, qr, requests, status, votes};
use crate::core::{Snapshot, Timestamp};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::{Paragraph, Wrap};

/// Below this the panels would be unreadable borders.
pub(crate) const MIN_WIDTH: u16 = 40;
pub(crate) const MIN_HEIGHT: u16 = 12;
/// Wide terminals give the side panels more columns.
const WIDE: u16 = 110;
/// The side panels drop out below this width so the log stays readable.
const SIDE_PANEL_MIN_WIDTH: u16 = 70;
/// Now-playing and votes: four lines inside their borders.
const TOP_HEIGHT: u16 = 6;

pub fn draw(frame: &mut Frame, snap: &Snapshot, ui: &UiState, now: Timestamp) {
    let area = frame.area();
    if area.is_empty() {
        return;
    }
    // An attached view that lost the party shows its last moment, not a running countdown.
    let now = if crate::dashboard::attach::is_disconnected(snap) {
        snap.at
    } else {
        now
    };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let hint =
            Paragraph::new("party-tui: enlarge the terminal (q quits)").wrap(Wrap { trim: true });
        frame.render_widget(hint, area);
        return;
    }
    let wide = area.width >= WIDE;
    let [top, middle, footer] = Layout::vertical([
        Constraint::Length(TOP_HEIGHT),
        Constraint::Min(0),
        Constraint::Length(status::height(&snap.health, ui, area.width)),
    ])
    .areas(area);

    let votes_width = if wide { 40 } else { 30 };
    let [playing_area, votes_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(votes_width)]).areas(top);
    now_playing::render(frame, playing_area, snap, now);
    votes::render(frame, votes_area, &snap.votes, now);

    if middle.width >= SIDE_PANEL_MIN_WIDTH {
        // Very wide screens give the side panels a third, so they stop looking squeezed.
        let side_width = if wide { (middle.width / 3).max(46) } else { 32 };
        let [log_area, side] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(side_width)]).areas(middle);
        log::render(frame, log_area, &snap.log, ui.zone);
        // Guests' requests take the foot of the side column while there are any.
        let [side, asks] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(requests::height(snap)),
        ])
        .areas(side);
        party::render(frame, side, snap, now);
        requests::render(frame, asks, snap);
    } else {
        log::render(frame, middle, &snap.log, ui.zone);
    }
    status::render(frame, footer, &snap.health, ui, now);
    notice::render(frame, footer, snap, now);

    if ui.qr {
        qr::render(
            frame,
            area,
            ui.vote_url.as_deref(),
            ui.party_code.as_deref(),
        );
    }
    if ui.host_link.is_some() {
        super::host::render(frame, area, ui.host_link.as_deref());
    }
    if ui.help {
        help::render(frame, area);
    }
}

/// `s` cut to `width` columns with an ellipsis, padded with spaces to exactly `width`.
/// Counts chars, not display width: names and titles are overwhelmingly single-width.
pub(crate) fn fit(s: &str, width: usize) -> String {
    let count = s.chars().count();
    if count <= width {
        format!("{s:<width$}")
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_pads_and_truncates() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abc", 1), "…");
    }
}
