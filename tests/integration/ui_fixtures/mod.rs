//! Hand-built snapshots for the dashboard tests: fixed times, every kind of log entry.
use party_tui::core::snapshot::{ButtonStatus, Totals, TrackTally};
use party_tui::core::*;
use std::time::Duration;

/// 2024-06-01 21:14:03 UTC.
pub const NOW: Timestamp = Timestamp::from_millis(1_717_276_443_000);

pub fn ago(secs: u64) -> Timestamp {
    NOW - Duration::from_secs(secs)
}

pub fn track(title: &str, artist: &str, album: &str, secs: u64) -> Track {
    Track {
        id: Some(format!("demo:{title}")),
        title: title.into(),
        artist: artist.into(),
        album: album.into(),
        duration_ms: Some(secs * 1000),
        ..Track::default()
    }
}

pub fn press(
    at: u64,
    voter: Voter,
    action: Action,
    click: Option<ClickKind>,
    result: PressResult,
) -> LogEntry {
    LogEntry {
        at: ago(at),
        effect: Effect::Press {
            voter,
            origin: Origin::Dash,
            click,
            action: Some(action),
            result,
            track: Some("demo:Dancing Queen".into()),
            likes: 4,
            skips: 2,
            battery: None,
        },
    }
}

pub fn tally(title: &str, artist: &str, likes: u32) -> TrackTally {
    TrackTally {
        key: format!("demo:{title}"),
        title: title.into(),
        artist: artist.into(),
        likes,
        skips: 0,
        result: Some(TrackResult::Played),
    }
}

/// A track 83 s into 3:51, votes under way, a busy log, and every panel filled.
pub fn mid_party() -> Snapshot {
    let current = track("Dancing Queen", "ABBA", "Arrival", 231);
    let previous = track(
        "Never Gonna Give You Up",
        "Rick Astley",
        "Whenever You Need Somebody",
        213,
    );
    let log = vec![
        press(
            2,
            Voter::button("kitchen"),
            Action::Skip,
            Some(ClickKind::Double),
            PressResult::Counted,
        ),
        press(
            5,
            Voter::guest("a1b2c3d4e5"),
            Action::Like,
            None,
            PressResult::Counted,
        ),
        press(
            9,
            Voter::button("sofa"),
            Action::Skip,
            None,
            PressResult::Duplicate,
        ),
        LogEntry {
            at: ago(20),
            effect: Effect::Host {
                command: HostCommand::SetThreshold(Threshold::Count(3)),
                by: Default::default(),
            },
        },
        LogEntry {
            at: ago(30),
            effect: Effect::trigger_fired("disco-lights", Some(current.clone()), 3, 0),
        },
        LogEntry {
            at: ago(83),
            effect: Effect::Play {
                source: Source::Demo,
                player: "Demo".into(),
                state: TransportState::Playing,
                track: Some(current.clone()),
                new_track: true,
            },
        },
        LogEntry {
            at: ago(84),
            effect: Effect::SkipDecided {
                track: "demo:Never".into(),
                title: previous.title.clone(),
                likes: 0,
                skips: 3,
                needed: 3,
                by_host: false,
            },
        },
        LogEntry {
            at: ago(84),
            effect: Effect::WindowResult {
                track: "demo:Never".into(),
                window: WindowState::Won,
                likes: 0,
                skips: 3,
                needed: 3,
            },
        },
        LogEntry {
            at: ago(90),
            effect: Effect::TriggerFailed {
                trigger: "webhook".into(),
                reason: "connection refused".into(),
            },
        },
        press(95, Voter::host(), Action::Skip, None, PressResult::Counted),
        LogEntry {
            at: ago(200),
            effect: Effect::Play {
                source: Source::Demo,
                player: "Demo".into(),
                state: TransportState::Playing,
                track: Some(previous),
                new_track: true,
            },
        },
    ];
    // Older, quieter presses: enough that a taller terminal has more log lines to show.
    let mut log = log;
    for i in 0..30 {
        let guest = Voter::guest(&format!("{:06x}", 0xab0000 + i * 977));
        log.push(press(
            210 + i * 40,
            guest,
            Action::Like,
            None,
            PressResult::Counted,
        ));
    }
    let mut likes_per_minute = vec![0; 30];
    for (i, v) in [1, 3, 2, 0, 5, 8, 4, 2, 6, 9, 3, 1].iter().enumerate() {
        likes_per_minute[18 + i] = *v;
    }
    Snapshot {
        at: NOW,
        party: "2024-06-01".into(),
        now_playing: Some(NowPlaying {
            track: current,
            state: TransportState::Playing,
            source: Source::Demo,
            player: "Demo".into(),
            position_ms: 80_000,
            position_at: ago(3),
        }),
        votes: Votes {
            likes: 4,
            skips: 2,
            needed: 3,
            threshold: Threshold::Count(3),
            window: Some(WindowState::Open),
            window_closes_at: Some(NOW + Duration::from_millis(22_500)),
            window_secs: 45,
            keep: None,
            paused: false,
            ..Votes::default()
        },
        log,
        top_tracks: vec![
            tally("September", "Earth, Wind & Fire", 9),
            tally("Dancing Queen", "ABBA", 4),
            tally("Le Freak", "Chic", 2),
        ],
        likes_per_minute,
        totals: Totals {
            tracks: 7,
            likes: 44,
            skip_votes: 12,
            skips_fired: 2,
            presses: 61,
        },
        buttons: vec![
            ButtonStatus {
                name: "kitchen".into(),
                last_seen: Some(ago(2)),
                presses: 23,
                battery: None,
            },
            ButtonStatus {
                name: "sofa".into(),
                last_seen: Some(ago(540)),
                presses: 9,
                battery: Some(0.12),
            },
            ButtonStatus {
                name: "balcony-door".into(),
                last_seen: None,
                presses: 0,
                battery: Some(0.8),
            },
        ],
        health: vec![
            SourceHealth {
                name: "demo".into(),
                level: HealthLevel::Ok,
                detail: String::new(),
            },
            SourceHealth {
                name: "dash".into(),
                level: HealthLevel::Warn,
                detail: "no packets for 5 min".into(),
            },
            SourceHealth {
                name: "webhook".into(),
                level: HealthLevel::Error,
                detail: "connection refused".into(),
            },
        ],
        notice: None,
        requests: Vec::new(),
    }
}

/// Kept by a protected artist with voting paused and a share threshold.
pub fn kept_and_paused() -> Snapshot {
    let mut snap = mid_party();
    snap.votes.keep = Some(KeepReason::ProtectedArtist("ABBA".into()));
    snap.votes.paused = true;
    snap.votes.threshold = Threshold::Percent(40);
    snap.votes.skip_margin = Some(2);
    snap
}

pub fn nothing_playing() -> Snapshot {
    Snapshot {
        at: NOW,
        party: "2024-06-01".into(),
        ..Snapshot::default()
    }
}
