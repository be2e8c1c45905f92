//! One stance per voter per track (a later skip replaces the like and vice versa, counted
//! once), and what the host's reset means: the skip vote starts over, the likes stay.
use crate::support;

use party_tui::core::*;
use support::sample::vote;

const T0: i64 = 1_700_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1000.0) as i64)
}

fn party() -> Party {
    let mut p = Party::new("test", Rules::default());
    p.apply(&support::sample::play(1), at(0.0));
    p
}

fn counts(p: &Party, secs: f64) -> (u32, u32, u64, u64) {
    let s = p.snapshot(at(secs));
    (
        s.votes.likes,
        s.votes.skips,
        s.totals.likes,
        s.totals.skip_votes,
    )
}

#[test]
fn a_later_skip_replaces_the_like_and_a_later_like_the_skip() {
    let mut p = party();
    p.apply(&vote("a", Action::Like), at(1.0));
    p.apply(&vote("b", Action::Like), at(1.5));
    assert_eq!(counts(&p, 2.0), (2, 0, 2, 0));
    // a changes their mind: one skip vote, one like left, counted once everywhere.
    p.apply(&vote("a", Action::Skip), at(2.0));
    assert_eq!(counts(&p, 2.0), (1, 1, 1, 1));
    let s = p.snapshot(at(2.0));
    assert_eq!(s.votes.skipped_by.to_vec(), vec![Voter::guest("a")]);
    assert_eq!(s.votes.liked_by.to_vec(), vec![Voter::guest("b")]);
    assert_eq!(s.likes_per_minute.iter().sum::<u64>(), 1);
    // …and back: the like replaces the skip vote.
    p.apply(&vote("a", Action::Like), at(3.0));
    assert_eq!(counts(&p, 3.0), (2, 0, 2, 0));
    // The same stance twice is still a duplicate.
    let fx = p.apply(&vote("a", Action::Like), at(4.0));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Press {
            result: PressResult::Duplicate,
            ..
        }
    )));
    assert_eq!(counts(&p, 4.0), (2, 0, 2, 0));
}

#[test]
fn a_skip_after_the_window_closed_leaves_the_like_alone() {
    let mut p = party();
    p.apply(&vote("a", Action::Like), at(1.0));
    // The default window is 45 s.
    p.apply(&Input::Tick, at(50.0));
    p.apply(&vote("a", Action::Skip), at(51.0));
    assert_eq!(counts(&p, 51.0), (1, 0, 1, 0));
}

#[test]
fn reset_clears_the_skip_votes_only() {
    let mut p = party();
    for (i, who) in ["a", "b", "c"].into_iter().enumerate() {
        p.apply(&vote(who, Action::Like), at(1.0 + i as f64));
    }
    p.apply(&vote("d", Action::Skip), at(5.0));
    p.apply(&vote("e", Action::Skip), at(6.0));
    let fx = p.apply(&Input::host(HostCommand::ResetVotes), at(7.0));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Host {
            command: HostCommand::ResetVotes,
            ..
        }
    )));
    assert_eq!(counts(&p, 7.0), (3, 0, 3, 2));
    // The tally the report reads keeps the likes too.
    let s = p.snapshot(at(7.0));
    assert_eq!(s.top_tracks[0].likes, 3);
    assert_eq!(s.top_tracks[0].skips, 0);
    // The skip voters may vote again.
    p.apply(&vote("d", Action::Skip), at(8.0));
    assert_eq!(p.snapshot(at(8.0)).votes.skips, 1);
    assert_eq!(HostCommand::ResetVotes.plain(), "reset skip votes");
}
