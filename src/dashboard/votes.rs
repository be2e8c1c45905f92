//! The jury: likes, skip votes against what is needed, the vote window and its countdown,
//! and whether the track is kept or voting is paused.
use crate::core::{KeepReason, Threshold, Timestamp, Votes, WindowState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub(crate) fn render(frame: &mut Frame, area: Rect, votes: &Votes, now: Timestamp) {
    let block = Block::bordered().title(" Votes ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    frame.render_widget(Paragraph::new(lines(votes, now)), inner);
}

pub(crate) fn lines(votes: &Votes, now: Timestamp) -> Vec<Line<'static>> {
    let skips_style = if votes.needed > 0 && votes.skips >= votes.needed {
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    // "needed" is 0 while nothing plays; "0/0" would read as a skip about to fire.
    let skips = if votes.needed > 0 {
        format!("skips {}/{}", votes.skips, votes.needed)
    } else {
        format!("skips {}", votes.skips)
    };
    let tally = Line::from(vec![
        Span::raw(format!(
            "♥ {} {} · ",
            votes.likes,
            if votes.likes == 1 { "like" } else { "likes" }
        )),
        Span::styled(skips, skips_style),
    ]);
    let mut threshold = match votes.threshold {
        Threshold::Count(n) => format!("threshold {n}"),
        Threshold::Percent(p) => format!("threshold {p}% = {}", votes.needed),
    };
    if let Some(m) = votes.skip_margin {
        threshold.push_str(&format!(" · margin {m}"));
    }
    let mut badges = Vec::new();
    if let Some(keep) = &votes.keep {
        badges.push(badge(&keep_text(keep), Color::Yellow));
    }
    if votes.paused {
        if !badges.is_empty() {
            badges.push(Span::raw(" "));
        }
        badges.push(badge("PAUSED", Color::Magenta));
    }
    vec![
        tally,
        Line::from(threshold),
        Line::from(window_text(votes, now)),
        Line::from(badges),
    ]
}

fn badge(text: &str, colour: Color) -> Span<'static> {
    // Reversed keeps the badge visible on monochrome consoles too.
    Span::styled(
        format!(" {text} "),
        Style::new()
            .fg(colour)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD),
    )
}

fn keep_text(keep: &KeepReason) -> String {
    match keep {
        KeepReason::Host => "KEEP host".into(),
        KeepReason::Voter(name) => format!("KEEP {name}"),
        KeepReason::ProtectedArtist(a) => format!("PROTECTED {a}"),
        KeepReason::ProtectedTrack(t) => format!("PROTECTED {t}"),
    }
}

fn window_text(votes: &Votes, now: Timestamp) -> String {
    match (votes.window, votes.window_closes_at) {
        (None, _) => "no track, no window".into(),
        // No countdown beside PAUSED: while paused no vote counts, whatever the clock says.
        (Some(WindowState::Open), _) if votes.paused => "paused: no votes count".into(),
        (Some(WindowState::Open), Some(closes)) => {
            // Rounded up, so "0 s left" never shows while the window is still open.
            let secs = now.until(closes).as_millis().div_ceil(1000);
            format!("window open · {secs} s left")
        }
        (Some(WindowState::Open), None) => "window open (whole track)".into(),
        (Some(WindowState::Won), _) => "window won: skipping".into(),
        (Some(WindowState::Closed), _) => "window closed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_countdown_while_paused_and_one_like_is_singular() {
        let mut votes = Votes {
            window: Some(WindowState::Open),
            window_closes_at: Some(Timestamp::from_millis(10_001)),
            paused: true,
            likes: 1,
            ..Votes::default()
        };
        assert_eq!(window_text(&votes, Timestamp(0)), "paused: no votes count");
        assert!(
            lines(&votes, Timestamp(0))[0]
                .to_string()
                .starts_with("♥ 1 like · ")
        );
        votes.likes = 2;
        assert!(
            lines(&votes, Timestamp(0))[0]
                .to_string()
                .starts_with("♥ 2 likes · ")
        );
    }

    #[test]
    fn countdown_rounds_up() {
        let votes = Votes {
            window: Some(WindowState::Open),
            window_closes_at: Some(Timestamp::from_millis(10_001)),
            ..Votes::default()
        };
        assert_eq!(window_text(&votes, Timestamp(0)), "window open · 11 s left");
        assert_eq!(
            window_text(&votes, Timestamp(20_000)),
            "window open · 0 s left"
        );
    }
}
