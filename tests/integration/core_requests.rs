//! Table tests of every song-request rule, and replay equality with requests open.
use crate::support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal, replay};
use std::time::Duration;

const T0: i64 = 1_700_000_000_000;

fn at(mins: f64) -> Timestamp {
    Timestamp(T0 + (mins * 60_000.0) as i64)
}

fn song(n: u32) -> RequestedTrack {
    RequestedTrack {
        uri: format!("spotify:track:{n:0>22}"),
        title: format!("Wish {n}"),
        artist: "Band".into(),
        album: "Album".into(),
        duration_ms: Some(200_000),
        image: None,
    }
}

fn ask(guest: &str, n: u32) -> Input {
    Input::Request(RequestInput::Ask {
        voter: Voter::guest(guest),
        track: song(n),
    })
}

/// The player starts playing `track` (Sonos shows a Spotify track by its x-sonos-spotify URI).
fn playing(id: &str, title: &str) -> Input {
    Input::Player(PlayerUpdate {
        source: Source::Sonos,
        player: "Living Room".into(),
        state: TransportState::Playing,
        track: Some(Track {
            id: Some(id.into()),
            title: title.into(),
            artist: "Band".into(),
            ..Track::default()
        }),
        position_ms: Some(0),
    })
}

fn rules(r: RequestRules) -> Rules {
    Rules {
        requests: r,
        ..Rules::default()
    }
}

fn events(fx: &[Effect]) -> Vec<RequestEvent> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn refusal(fx: &[Effect]) -> Option<String> {
    events(fx).into_iter().find_map(|e| match e {
        RequestEvent::Refused { reason, .. } => Some(reason),
        _ => None,
    })
}

fn status_of(p: &Party, guest: &str) -> (RequestStatus, Option<String>) {
    let snap = p.snapshot(at(1000.0));
    let r = snap
        .requests
        .iter()
        .rev()
        .find(|r| r.voter == Voter::guest(guest))
        .expect("guest has a request");
    (r.status, r.reason.clone())
}

#[test]
fn an_admitted_request_is_queued_then_played_and_its_guest_told() {
    let mut p = Party::new("p", Rules::default());
    let fx = p.apply(&ask("ann", 1), at(0.0));
    assert_eq!(
        events(&fx),
        vec![RequestEvent::Queue {
            id: 1,
            track: song(1)
        }]
    );
    assert_eq!(status_of(&p, "ann").0.contract(), "queued");
    let fx = p.apply(&Input::Request(RequestInput::Queued { id: 1 }), at(0.1));
    assert!(matches!(
        events(&fx)[..],
        [RequestEvent::Queued { id: 1, .. }]
    ));
    assert_eq!(status_of(&p, "ann").0, RequestStatus::Queued);
    // Sonos plays it: the 22-character id in the URI matches, whatever the case of the escape.
    let sonos_uri = format!(
        "x-sonos-spotify:spotify%3Atrack%3A{:0>22}?sid=9&flags=8224&sn=7",
        1
    );
    let fx = p.apply(&playing(&sonos_uri, "Wish 1"), at(3.0));
    assert_eq!(
        events(&fx),
        vec![RequestEvent::Playing {
            id: 1,
            voter: Voter::guest("ann"),
            title: "Wish 1".into(),
            artist: "Band".into()
        }]
    );
    assert_eq!(status_of(&p, "ann").0.contract(), "playing");
    // Likes on a requested track credit its requester; one a guest takes back by voting skip
    // (in the window, a few seconds in) is taken back from the requester too.
    p.apply(&support::sample::vote("dan", Action::Like), at(3.01));
    p.apply(&support::sample::vote("dan", Action::Skip), at(3.02));
    p.apply(&support::sample::vote("bob", Action::Like), at(3.5));
    p.apply(&support::sample::vote("cid", Action::Like), at(3.6));
    p.apply(&support::sample::vote("cid", Action::Like), at(3.7)); // duplicate: not counted
    let fx = p.apply(&playing("t2", "Other"), at(7.0));
    assert!(events(&fx).contains(&RequestEvent::Played {
        id: 1,
        voter: Voter::guest("ann"),
        title: "Wish 1".into(),
        likes: 2
    }));
    assert_eq!(status_of(&p, "ann").0.contract(), "played");
}

#[test]
fn a_relinked_track_matches_by_title_and_artist_and_other_tracks_do_not_match() {
    let mut p = Party::new("p", Rules::default());
    p.apply(&ask("ann", 1), at(0.0));
    let fx = p.apply(
        &playing("spotify:track:AAAAAAAAAAAAAAAAAAAAAA", "Wish 2"),
        at(1.0),
    );
    assert!(events(&fx).is_empty());
    let fx = p.apply(
        &playing("spotify:track:BBBBBBBBBBBBBBBBBBBBBB", "wish 1"),
        at(2.0),
    );
    assert!(matches!(
        events(&fx)[..],
        [RequestEvent::Playing { id: 1, .. }]
    ));
}

#[test]
fn each_rule_refuses_in_the_guests_words() {
    let base = RequestRules::default();
    // (rules, earlier inputs, the ask, words the refusal contains)
    let table: Vec<(RequestRules, Vec<Input>, Input, &str)> = vec![
        (
            RequestRules {
                enabled: false,
                ..base.clone()
            },
            vec![],
            ask("ann", 1),
            "off tonight",
        ),
        (
            base.clone(),
            vec![ask("ann", 1)],
            ask("ann", 2),
            "one at a time",
        ),
        (
            RequestRules {
                open_per_guest: 2,
                ..base.clone()
            },
            vec![ask("ann", 1), ask("ann", 2)],
            ask("ann", 3),
            "2 songs waiting",
        ),
        (
            RequestRules {
                queue_length: 2,
                ..base.clone()
            },
            vec![ask("ann", 1), ask("bob", 2)],
            ask("cid", 3),
            "queue is full",
        ),
        (
            base.clone(),
            vec![ask("ann", 1)],
            ask("bob", 1),
            "last 60 minutes",
        ),
        (
            RequestRules {
                repeat: Duration::ZERO,
                ..base.clone()
            },
            vec![ask("ann", 1)],
            ask("bob", 1),
            "had its turn tonight",
        ),
    ];
    for (i, (r, before, input, words)) in table.into_iter().enumerate() {
        let mut p = Party::new("p", rules(r));
        for b in &before {
            p.apply(b, at(0.0));
        }
        let fx = p.apply(&input, at(1.0));
        let reason = refusal(&fx).unwrap_or_else(|| panic!("case {i}: not refused: {fx:?}"));
        assert!(reason.contains(words), "case {i}: {reason}");
        // The refusal is what that guest now sees.
        let Input::Request(RequestInput::Ask { voter, .. }) = &input else {
            unreachable!()
        };
        let guest = voter.0.strip_prefix("guest:").unwrap();
        assert_eq!(status_of(&p, guest), (RequestStatus::Refused, Some(reason)));
    }
}

#[test]
fn a_track_played_recently_cannot_be_requested_but_can_after_the_repeat_time() {
    let mut p = Party::new("p", Rules::default());
    p.apply(&playing(&song(5).uri, "Wish 5"), at(0.0));
    assert!(refusal(&p.apply(&ask("ann", 5), at(59.0))).is_some());
    assert!(refusal(&p.apply(&ask("ann", 5), at(61.0))).is_none());
}

#[test]
fn host_approval_holds_requests_until_the_host_decides() {
    let mut p = Party::new(
        "p",
        rules(RequestRules {
            approval: Approval::Host,
            ..RequestRules::default()
        }),
    );
    let fx = p.apply(&ask("ann", 1), at(0.0));
    assert!(matches!(
        events(&fx)[..],
        [RequestEvent::Pending { id: 1, .. }]
    ));
    assert_eq!(status_of(&p, "ann").0.contract(), "pending");
    p.apply(&ask("bob", 2), at(0.1));
    let fx = p.apply(&Input::host(HostCommand::ApproveRequest(1)), at(1.0));
    assert_eq!(
        events(&fx),
        vec![RequestEvent::Queue {
            id: 1,
            track: song(1)
        }]
    );
    let fx = p.apply(
        &Input::host_by(HostCommand::RejectRequest(2), CommandSource::HostPage),
        at(1.0),
    );
    assert_eq!(
        events(&fx),
        vec![RequestEvent::Rejected {
            id: 2,
            title: "Wish 2".into(),
            by: CommandSource::HostPage
        }]
    );
    let (status, reason) = status_of(&p, "bob");
    assert_eq!(status.contract(), "refused");
    assert!(reason.unwrap().contains("host said no"));
    // Deciding twice, or on an unknown id, changes nothing.
    let fx = p.apply(&Input::host(HostCommand::ApproveRequest(2)), at(1.5));
    assert!(events(&fx).is_empty());
    let fx = p.apply(&Input::host(HostCommand::ApproveRequest(99)), at(1.5));
    assert!(events(&fx).is_empty());
    // A rejected track can be asked for again.
    assert!(refusal(&p.apply(&ask("bob", 2), at(2.0))).is_none());
}

#[test]
fn a_failed_queue_says_why_and_frees_the_guest() {
    let mut p = Party::new("p", Rules::default());
    p.apply(&ask("ann", 1), at(0.0));
    let why = "No Spotify device is playing: start playback, then ask again.";
    let fx = p.apply(
        &Input::Request(RequestInput::Failed {
            id: 1,
            reason: why.into(),
        }),
        at(0.1),
    );
    assert!(
        matches!(&events(&fx)[..], [RequestEvent::Failed { id: 1, reason, .. }] if reason == why)
    );
    assert_eq!(
        status_of(&p, "ann"),
        (RequestStatus::Failed, Some(why.into()))
    );
    // A late "queued" for a failed request changes nothing; the guest may ask again.
    assert!(events(&p.apply(&Input::Request(RequestInput::Queued { id: 1 }), at(0.2))).is_empty());
    assert!(refusal(&p.apply(&ask("ann", 1), at(0.3))).is_none());
}

#[test]
fn requests_that_never_play_expire_at_their_deadline() {
    let mut p = Party::new(
        "p",
        rules(RequestRules {
            expire: Duration::from_secs(30 * 60),
            ..RequestRules::default()
        }),
    );
    assert_eq!(p.next_deadline(), None);
    p.apply(&ask("ann", 1), at(0.0));
    p.apply(&ask("bob", 2), at(10.0));
    assert_eq!(p.next_deadline(), Some(at(30.0)));
    assert!(events(&p.apply(&Input::Tick, at(29.9))).is_empty());
    let fx = p.apply(&Input::Tick, at(30.0));
    assert_eq!(
        events(&fx),
        vec![RequestEvent::Expired {
            id: 1,
            title: "Wish 1".into()
        }]
    );
    assert_eq!(p.next_deadline(), Some(at(40.0)));
    let (status, reason) = status_of(&p, "ann");
    assert_eq!(status.contract(), "expired");
    assert!(reason.unwrap().contains("30 minutes"));
}

#[test]
fn a_request_played_trigger_fires_when_a_request_starts() {
    let mut p = Party::new(
        "p",
        Rules {
            triggers: vec![TriggerRule {
                name: "tell-everyone".into(),
                when: TriggerCondition::RequestPlayed,
            }],
            ..Rules::default()
        },
    );
    p.apply(&ask("ann", 1), at(0.0));
    let fx = p.apply(&playing(&song(1).uri, "Wish 1"), at(1.0));
    let requester = fx.iter().find_map(|e| match e {
        Effect::TriggerFired {
            trigger, requester, ..
        } if trigger == "tell-everyone" => Some(requester.clone()),
        _ => None,
    });
    // `{requester}` names who asked, as the dashboard does (never the whole guest id).
    assert_eq!(
        requester,
        Some(Some(Voter::guest("ann").to_string())),
        "{fx:?}"
    );
}

#[test]
fn a_restart_with_requests_open_replays_to_the_same_party() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let r = rules(RequestRules {
        approval: Approval::Host,
        open_per_guest: 2,
        ..RequestRules::default()
    });
    let inputs = vec![
        support::sample::play(1),
        ask("ann", 1),
        ask("bob", 2),
        ask("ann", 3),
        Input::host(HostCommand::ApproveRequest(1)),
        Input::Request(RequestInput::Queued { id: 1 }),
        Input::host(HostCommand::RejectRequest(2)),
        ask("cid", 1),
        playing(&song(1).uri, "Wish 1"),
        support::sample::vote("bob", Action::Like),
        Input::host(HostCommand::ApproveRequest(3)),
        Input::Request(RequestInput::Failed {
            id: 3,
            reason: "no device".into(),
        }),
        ask("dan", 4),
    ];
    let (mut journal, _) = Journal::open(&path).unwrap();
    let mut before = Party::new("p", r.clone());
    let entries: Vec<Entry> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| Entry {
            seq: i as u64,
            at: at(i as f64),
            effects: before.apply(input, at(i as f64)),
            input: input.clone(),
        })
        .collect();
    journal.append_batch(&entries).unwrap();
    drop(journal);
    let mut after = Party::new("p", r);
    replay(&mut after, &path).unwrap();
    assert_eq!(after, before);
    assert_eq!(after.snapshot(at(20.0)), before.snapshot(at(20.0)));
    // Still open after the restart: dan's request waits for the host.
    let open: Vec<_> = after
        .snapshot(at(20.0))
        .requests
        .into_iter()
        .filter(|r| r.status.is_open())
        .map(|r| r.id)
        .collect();
    assert_eq!(open, vec![5]);
}
