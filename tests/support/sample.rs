//! Sample party inputs shared by tests and benches (benches include this file by path).
#![allow(dead_code)]
use party_tui::core::*;

/// Track `n` as the demo player reports it: "Song n" by "Band", three minutes.
pub fn track(n: u64) -> Track {
    Track {
        id: Some(format!("t{n}")),
        title: format!("Song {n}"),
        artist: "Band".into(),
        album: "Album".into(),
        duration_ms: Some(180_000),
        ..Track::default()
    }
}

/// The player starts track `n`.
pub fn play(n: u64) -> Input {
    Input::Player(PlayerUpdate {
        source: Source::Demo,
        player: "Demo".into(),
        state: TransportState::Playing,
        track: Some(track(n)),
        position_ms: Some(0),
    })
}

/// A guest's vote from the vote page.
pub fn vote(who: &str, action: Action) -> Input {
    press(Voter::guest(who), Origin::Phone, action)
}

pub fn press(voter: Voter, origin: Origin, action: Action) -> Input {
    Input::Press(Press {
        voter,
        origin,
        kind: PressKind::Vote(action),
        battery: None,
    })
}

/// The `i`-th input of a busy evening: a new track every `per_track` inputs, otherwise one of
/// `guests` guests liking (two in three) or voting to skip.
pub fn evening(i: u64, per_track: u64, guests: u64) -> Input {
    if i.is_multiple_of(per_track) {
        return play(i / per_track);
    }
    let guest = (i * 7919) % guests;
    let action = if guest.is_multiple_of(3) {
        Action::Skip
    } else {
        Action::Like
    };
    vote(&format!("g{guest:03}"), action)
}
