//! The past is fixed: a party stopped and started again under other rules (config.toml edited
//! in between), from a checkpoint or from the start, is the party that stopped — its requests,
//! skips, fired triggers and log — and only then do the new rules apply.
//!
//! Each run does what a start does (`open_party`, then `Input::Rules` first when the configured
//! rules differ from the journaled ones, as `app::run` sends it), applies random inputs in
//! random batches, and sometimes saves a checkpoint as the party loop does.
use super::{Entry, Journal, Position, checkpoint, open_party};
use crate::core::{
    Action, Approval, ButtonActions, ButtonRule, ClickKind, HostCommand, Input, Origin, Party,
    PlayerUpdate, Press, PressKind, RequestInput, RequestedTrack, Rules, Source, Threshold,
    Timestamp, Track, TransportState, TriggerCondition, TriggerRule, Voter,
};
use proptest::prelude::*;
use std::path::Path;
use std::time::Duration;

fn rules(threshold: u32, approval: bool, track_start: bool, likes: bool, window: u64) -> Rules {
    let mut triggers = Vec::new();
    if track_start {
        triggers.push(TriggerRule {
            name: "ntfy".into(),
            when: TriggerCondition::TrackStart,
        });
    }
    if likes {
        triggers.push(TriggerRule {
            name: "party-lights".into(),
            when: TriggerCondition::LikesAtLeast(2),
        });
    }
    let mut r = Rules {
        skip_threshold: Threshold::Count(threshold),
        vote_window: Duration::from_secs(window),
        buttons: vec![ButtonRule {
            name: "door".into(),
            actions: if approval {
                ButtonActions::Always(Action::Skip)
            } else {
                ButtonActions::Always(Action::Like)
            },
            debounce: None,
        }],
        triggers,
        ..Rules::default()
    };
    r.requests.approval = if approval {
        Approval::Host
    } else {
        Approval::Auto
    };
    r.requests.repeat = Duration::from_secs(60 * window);
    r
}

fn any_rules() -> impl Strategy<Value = Rules> {
    (
        1..4u32,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(0u64), Just(30), Just(90)],
    )
        .prop_map(|(t, a, s, l, w)| rules(t, a, s, l, w))
}

fn track(n: u8) -> Track {
    Track {
        id: Some(format!("spotify:track:{:0>22}", n)),
        title: format!("Song {n}"),
        artist: format!("Band {}", n % 3),
        duration_ms: Some(180_000),
        ..Track::default()
    }
}

fn any_input() -> impl Strategy<Value = Input> {
    let vote = |voter: Voter, a: Action| {
        Input::Press(Press {
            voter,
            origin: Origin::Phone,
            kind: PressKind::Vote(a),
            battery: None,
        })
    };
    prop_oneof![
        1 => (0..5u8, any::<bool>()).prop_map(|(n, paused)| Input::Player(PlayerUpdate {
            source: Source::Spotify,
            player: "Kitchen".into(),
            state: if paused {
                TransportState::Paused
            } else {
                TransportState::Playing
            },
            track: Some(track(n)),
            position_ms: Some(1_000),
        })),
        3 => (0..6u8, any::<bool>()).prop_map(move |(g, like)| vote(
            Voter::guest(&format!("{g:0>32}")),
            if like { Action::Like } else { Action::Skip }
        )),
        1 => Just(Input::Press(Press {
            voter: Voter::button("door"),
            origin: Origin::WebButton,
            kind: PressKind::Click(ClickKind::Single),
            battery: Some(0.5),
        })),
        1 => (0..6u8, 0..5u8).prop_map(|(g, n)| Input::Request(RequestInput::Ask {
            voter: Voter::guest(&format!("{g:0>32}")),
            track: RequestedTrack {
                uri: track(n).id.unwrap(),
                title: track(n).title,
                artist: track(n).artist,
                ..RequestedTrack::default()
            },
        })),
        1 => (0..4u64).prop_map(|id| Input::Request(RequestInput::Queued { id })),
        1 => (0..4u64, any::<bool>()).prop_map(|(id, yes)| Input::host(if yes {
            HostCommand::ApproveRequest(id)
        } else {
            HostCommand::RejectRequest(id)
        })),
        1 => Just(Input::host(HostCommand::SkipNow)),
        1 => Just(Input::Tick),
    ]
}

/// One run: the rules configured, the inputs (each after a pause of some seconds), in batches
/// of this many, and after which batch (if any) a checkpoint is saved.
#[derive(Debug, Clone)]
struct Run {
    rules: Rules,
    inputs: Vec<(Input, u16)>,
    batch: usize,
    checkpoint_after: Option<usize>,
}

fn any_run() -> impl Strategy<Value = Run> {
    (
        any_rules(),
        prop::collection::vec((any_input(), 0..200u16), 0..40),
        1..5usize,
        prop::option::of(0..12usize),
    )
        .prop_map(|(rules, inputs, batch, checkpoint_after)| Run {
            rules,
            inputs,
            batch,
            checkpoint_after,
        })
}

/// Starts the party as `app::run` does and returns it, its journal and where the journal is.
fn start(path: &Path, rules: &Rules, now: &mut Timestamp) -> (Party, Journal, Position) {
    let opened = open_party(path, || Party::new("p", rules.clone())).expect("opens");
    let mut party = opened.party;
    let mut journal = opened.journal;
    let mut at = Position {
        len: journal.durable_len(),
        lines: opened.recovery.lines,
        entries: opened.recovery.entries,
        last_seq: journal.next_seq().checked_sub(1),
        last_at: opened.replayed.last_at,
    };
    *now = (*now).max(opened.replayed.last_at.unwrap_or_default());
    if party.needs_rules(rules) {
        let input = Input::Rules(Box::new(rules.clone()));
        append(&mut party, &mut journal, &mut at, vec![input], *now);
    }
    (party, journal, at)
}

fn append(
    party: &mut Party,
    journal: &mut Journal,
    at: &mut Position,
    inputs: Vec<Input>,
    now: Timestamp,
) {
    let entries: Vec<Entry> = inputs
        .into_iter()
        .filter_map(|input| {
            let effects = party.apply(&input, now);
            // The loop does not journal a tick that changed nothing.
            if matches!(input, Input::Tick) && effects.is_empty() {
                return None;
            }
            Some((journal.next_seq(), input, effects))
        })
        .enumerate()
        .map(|(i, (seq, input, effects))| Entry {
            seq: seq + i as u64,
            at: now,
            input,
            effects,
        })
        .collect();
    journal.append_batch(&entries).expect("appends");
    at.len = journal.durable_len();
    at.lines += entries.len() as u64;
    at.entries += entries.len() as u64;
    if let Some(last) = entries.last() {
        at.last_seq = Some(last.seq);
        at.last_at = Some(last.at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_restart_under_other_rules_gives_back_the_party_that_stopped(
        runs in prop::collection::vec(any_run(), 2..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let mut now = Timestamp(1_800_000_000_000);
        let mut stopped: Option<Party> = None;
        for run in runs {
            // Before the new rules are journaled: the party as replay gives it back.
            let opened = open_party(&path, || Party::new("p", run.rules.clone())).unwrap();
            if let Some(stopped) = &stopped {
                prop_assert_eq!(&opened.party, stopped, "from checkpoint or start");
                // And the same again without the checkpoint: the whole journal replayed.
                checkpoint::remove(&path).unwrap();
                let full = open_party(&path, || Party::new("p", run.rules.clone())).unwrap();
                prop_assert_eq!(&full.party, stopped, "from the start");
            }
            drop(opened);
            let (mut party, mut journal, mut at) = start(&path, &run.rules, &mut now);
            for (n, chunk) in run.inputs.chunks(run.batch).enumerate() {
                let mut inputs = Vec::new();
                for (input, pause) in chunk {
                    now = now + Duration::from_secs(u64::from(*pause));
                    inputs.push(input.clone());
                }
                // One `at` per batch keeps this simple; the loop stamps each input.
                append(&mut party, &mut journal, &mut at, inputs, now);
                if run.checkpoint_after == Some(n) {
                    checkpoint::save(&path, at, &party, &[]).unwrap();
                }
            }
            stopped = Some(party);
        }
    }
}

#[test]
fn a_request_played_under_auto_approval_stays_played_when_the_host_now_approves() {
    // The evening: two requests played under "auto", then approval switched to
    // "host" and back; neither comes back as pending, a rejected one never as queued.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut now = Timestamp(1_800_000_000_000);
    let auto = rules(3, false, false, false, 30);
    let host = rules(3, true, true, false, 30);
    let ask = |g: &str, n: u8| {
        Input::Request(RequestInput::Ask {
            voter: Voter::guest(g),
            track: RequestedTrack {
                uri: track(n).id.unwrap(),
                title: track(n).title,
                ..RequestedTrack::default()
            },
        })
    };
    let play = |n: u8| {
        Input::Player(PlayerUpdate {
            source: Source::Spotify,
            player: "Kitchen".into(),
            state: TransportState::Playing,
            track: Some(track(n)),
            position_ms: Some(0),
        })
    };
    let (mut party, mut journal, mut at) = start(&path, &auto, &mut now);
    let first = vec![
        ask("a", 1),
        ask("b", 2),
        Input::Request(RequestInput::Queued { id: 1 }),
    ];
    append(&mut party, &mut journal, &mut at, first, now);
    for n in [1, 2, 3] {
        now = now + Duration::from_secs(200);
        append(&mut party, &mut journal, &mut at, vec![play(n)], now);
    }
    let statuses = |p: &Party| {
        p.requests
            .list()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>()
    };
    let before = statuses(&party);
    drop(journal);

    let (party, journal, _) = start(&path, &host, &mut now);
    assert_eq!(
        statuses(&party),
        before,
        "played stays played under host approval"
    );
    let starts = |p: &Party| {
        p.log
            .iter()
            .filter(|l| matches!(&l.effect, crate::core::Effect::TriggerFired { .. }))
            .count()
    };
    assert_eq!(
        starts(&party),
        0,
        "no phantom track-start triggers for past tracks"
    );
    let changed = party.log.iter().rev().find_map(|l| match &l.effect {
        crate::core::Effect::RulesChanged { changes } => Some(changes.clone()),
        _ => None,
    });
    assert_eq!(
        changed.expect("a rules line in the log"),
        [
            "request approval auto → host",
            "button door changed",
            "trigger ntfy added"
        ]
    );
    drop(journal);
    let (party, _, _) = start(&path, &auto, &mut now);
    assert_eq!(statuses(&party), before, "and back again");
}
