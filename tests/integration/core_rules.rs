//! Table-style tests of every party rule, with explicit times (seconds from the party start).
use crate::support;

use party_tui::core::*;
use std::time::Duration;

const T0: i64 = 1_700_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1000.0) as i64)
}

/// Track `n`; track 9 is by ABBA, whom some tests protect.
fn play(n: u32) -> Input {
    let mut input = support::sample::play(n as u64);
    if let Input::Player(PlayerUpdate { track: Some(t), .. }) = &mut input
        && n == 9
    {
        t.artist = "Abba".into();
    }
    input
}

fn vote(who: &str, a: Action) -> Input {
    Input::Press(Press {
        voter: Voter::guest(who),
        origin: Origin::Phone,
        kind: PressKind::Vote(a),
        battery: None,
    })
}

fn click(button: &str, origin: Origin, c: ClickKind) -> Input {
    Input::Press(Press {
        voter: Voter::button(button),
        origin,
        kind: PressKind::Click(c),
        battery: None,
    })
}

/// Runs (time, input) steps and returns every step's effects.
fn run(party: &mut Party, steps: &[(f64, Input)]) -> Vec<Vec<Effect>> {
    steps.iter().map(|(t, i)| party.apply(i, at(*t))).collect()
}

fn results(effects: &[Effect]) -> Vec<PressResult> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Press { result, .. } => Some(*result),
            _ => None,
        })
        .collect()
}

fn skipped(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::SkipDecided { .. }))
}

fn party(rules: Rules) -> Party {
    let mut p = Party::new("test", rules);
    p.apply(&play(1), at(0.0));
    p
}

#[test]
fn likes_and_skips_count_once_per_voter_per_track() {
    let mut p = party(Rules::default());
    let steps = [
        (1.0, vote("a", Action::Like), PressResult::Counted),
        (2.0, vote("a", Action::Like), PressResult::Duplicate),
        (3.0, vote("a", Action::Skip), PressResult::Counted),
        (4.0, vote("a", Action::Skip), PressResult::Duplicate),
        (5.0, vote("b", Action::Like), PressResult::Counted),
    ];
    for (t, input, want) in steps {
        assert_eq!(results(&p.apply(&input, at(t))), vec![want], "at {t}s");
    }
    let s = p.snapshot(at(6.0));
    // a's skip replaced a's like: one stance per guest (tests/core_stance.rs).
    assert_eq!((s.votes.likes, s.votes.skips), (1, 1));
    // A new track starts with fresh votes, and the old one is finished with its tally.
    let fx = p.apply(&play(2), at(7.0));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::TrackFinished {
            likes: 1,
            skips: 1,
            result: TrackResult::Played,
            ..
        }
    )));
    let fx = p.apply(&vote("a", Action::Like), at(8.0));
    assert_eq!(results(&fx), vec![PressResult::Counted]);
}

#[test]
fn count_threshold_skips_exactly_once_at_the_third_vote() {
    let mut p = party(Rules::default());
    let fx = run(
        &mut p,
        &[
            (1.0, vote("a", Action::Skip)),
            (2.0, vote("b", Action::Skip)),
            (3.0, vote("c", Action::Skip)),
            (4.0, vote("d", Action::Skip)),
        ],
    );
    assert_eq!(
        fx.iter().map(|f| skipped(f)).collect::<Vec<_>>(),
        [false, false, true, false]
    );
    assert!(fx[2].iter().any(|e| matches!(
        e,
        Effect::WindowResult {
            window: WindowState::Won,
            skips: 3,
            needed: 3,
            ..
        }
    )));
    // After the window is won, further skip votes are refused as window closed.
    assert_eq!(results(&fx[3]), vec![PressResult::WindowClosed]);
    let fx = p.apply(&play(2), at(5.0));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::TrackFinished {
            result: TrackResult::SkippedByVotes,
            ..
        }
    )));
    assert_eq!(p.snapshot(at(5.0)).totals.skips_fired, 1);
}

#[test]
fn share_threshold_follows_active_voters_with_a_minimum() {
    let rules = Rules {
        skip_threshold: Threshold::Percent(40),
        skip_threshold_min: 2,
        ..Rules::default()
    };
    let mut p = party(rules);
    // Ten guests are active (they liked); 40% of 10 = 4 skips needed.
    for i in 0..10 {
        p.apply(&vote(&format!("g{i}"), Action::Like), at(1.0));
    }
    assert_eq!(p.snapshot(at(2.0)).votes.needed, 4);
    let fx = run(
        &mut p,
        &[
            (3.0, vote("g0", Action::Skip)),
            (3.0, vote("g1", Action::Skip)),
            (3.0, vote("g2", Action::Skip)),
            (3.0, vote("g3", Action::Skip)),
        ],
    );
    assert_eq!(fx.iter().filter(|f| skipped(f)).count(), 1);
    assert!(skipped(&fx[3]));
    // 31 minutes later nobody is active: the minimum applies.
    assert_eq!(p.snapshot(at(31.0 * 60.0)).votes.needed, 2);
}

#[test]
fn skip_margin_requires_skips_to_exceed_likes() {
    let rules = Rules {
        skip_threshold: Threshold::Count(2),
        skip_margin: Some(1),
        ..Rules::default()
    };
    let mut p = party(rules);
    let fx = run(
        &mut p,
        &[
            (1.0, vote("a", Action::Like)),
            (1.0, vote("b", Action::Like)),
            (2.0, vote("c", Action::Skip)),
            (2.0, vote("d", Action::Skip)), // 2 skips vs 2 likes: not enough with margin 1
            (3.0, vote("e", Action::Skip)), // 3 vs 2: skipped
        ],
    );
    assert!(!skipped(&fx[3]));
    assert!(skipped(&fx[4]));
}

#[test]
fn vote_window_closes_exactly_at_its_deadline() {
    let mut p = party(Rules::default());
    assert_eq!(p.next_deadline(), Some(at(45.0)));
    assert!(p.apply(&Input::Tick, at(44.999)).is_empty());
    let fx = p.apply(&Input::Tick, at(45.0));
    assert!(matches!(
        fx[..],
        [Effect::WindowResult {
            window: WindowState::Closed,
            ..
        }]
    ));
    assert_eq!(p.next_deadline(), None);
    let fx = p.apply(&vote("a", Action::Skip), at(46.0));
    assert_eq!(results(&fx), vec![PressResult::WindowClosed]);
    // Likes still count after the window.
    let fx = p.apply(&vote("a", Action::Like), at(47.0));
    assert_eq!(results(&fx), vec![PressResult::Counted]);
}

#[test]
fn a_track_first_seen_mid_play_has_its_window_measured_from_its_start() {
    let mut p = Party::new("test", Rules::default());
    let mut update = play(1);
    if let Input::Player(u) = &mut update {
        u.position_ms = Some(40_000);
    }
    p.apply(&update, at(0.0));
    assert_eq!(p.next_deadline(), Some(at(5.0)));
}

#[test]
fn keep_and_protected_artists_count_votes_but_never_skip() {
    let rules = Rules {
        protected_artists: vec!["ABBA".into()],
        ..Rules::default()
    };
    // Host keep.
    let mut p = party(rules.clone());
    p.apply(&Input::host(HostCommand::Keep(true)), at(0.5));
    let fx = run(
        &mut p,
        &[
            (1.0, vote("a", Action::Skip)),
            (1.0, vote("b", Action::Skip)),
            (1.0, vote("c", Action::Skip)),
        ],
    );
    assert!(fx.iter().all(|f| !skipped(f)));
    assert_eq!(results(&fx[2]), vec![PressResult::Protected]);
    assert_eq!(p.snapshot(at(2.0)).votes.skips, 3);
    // Lifting the keep lets the standing votes decide.
    let fx = p.apply(&Input::host(HostCommand::Keep(false)), at(3.0));
    assert!(skipped(&fx));

    // Protected artist, matched case-insensitively.
    let mut p = Party::new("test", rules);
    p.apply(&play(9), at(0.0));
    assert_eq!(
        p.snapshot(at(0.0)).votes.keep,
        Some(KeepReason::ProtectedArtist("ABBA".into()))
    );
    for v in ["a", "b", "c", "d"] {
        assert!(!skipped(&p.apply(&vote(v, Action::Skip), at(1.0))));
    }
    // The host's veto is stronger than protection.
    assert!(skipped(
        &p.apply(&Input::host(HostCommand::SkipNow), at(2.0))
    ));
}

fn buttons(actions: ButtonActions, debounce: Option<Duration>) -> Rules {
    Rules {
        buttons: vec![ButtonRule {
            name: "Kitchen".into(),
            actions,
            debounce,
        }],
        ..Rules::default()
    }
}

#[test]
fn network_buttons_are_debounced_per_button() {
    let mut p = party(buttons(ButtonActions::Always(Action::Like), None));
    let dash = |t| (t, click("Kitchen", Origin::Dash, ClickKind::Single));
    let fx = run(&mut p, &[dash(1.0), dash(3.0), dash(10.999), dash(11.0)]);
    let got: Vec<_> = fx.iter().flat_map(|f| results(f)).collect();
    assert_eq!(
        got,
        [
            PressResult::Counted,
            PressResult::Debounced,
            PressResult::Debounced,
            PressResult::Duplicate
        ]
    );
    // Another button is never deaf while this one is debounced.
    let fx = p.apply(&click("Other", Origin::Dash, ClickKind::Single), at(1.5));
    assert_eq!(results(&fx), vec![PressResult::Unmapped]);
    let s = p.snapshot(at(12.0));
    let kitchen = s.buttons.iter().find(|b| b.name == "Kitchen").unwrap();
    assert_eq!((kitchen.presses, kitchen.last_seen), (2, Some(at(11.0))));
}

#[test]
fn press_sequences_map_the_nth_press_within_the_window() {
    let seq = ButtonActions::Sequence(vec![
        Action::Like.into(),
        Action::Like.into(),
        Action::Skip.into(),
    ]);
    let mut p = party(buttons(seq, None));
    let press = |t| (t, click("Kitchen", Origin::WebButton, ClickKind::Single));
    let fx = run(&mut p, &[press(1.0), press(2.0), press(3.0), press(20.0)]);
    let actions: Vec<_> = fx
        .iter()
        .flatten()
        .filter_map(|e| match e {
            Effect::Press { action, .. } => *action,
            _ => None,
        })
        .collect();
    // 1st like, 2nd like (a duplicate like from the same button), 3rd skip; after a pause the
    // sequence starts again.
    assert_eq!(
        actions,
        [Action::Like, Action::Like, Action::Skip, Action::Like]
    );
}

#[test]
fn click_kinds_map_per_button() {
    let by_click = ButtonActions::ByClick {
        single: Some(Action::Like),
        double: Some(Action::Skip),
        long: Some(Action::Keep),
    };
    let mut p = party(buttons(by_click, Some(Duration::ZERO)));
    let fx = run(
        &mut p,
        &[
            (1.0, click("Kitchen", Origin::Iot, ClickKind::Single)),
            (2.0, click("Kitchen", Origin::Iot, ClickKind::Double)),
            (3.0, click("Kitchen", Origin::Iot, ClickKind::Long)),
        ],
    );
    let s = p.snapshot(at(4.0));
    assert_eq!((s.votes.likes, s.votes.skips), (1, 1));
    assert_eq!(s.votes.keep, Some(KeepReason::Voter("Kitchen".into())));
    assert_eq!(results(&fx[2]), vec![PressResult::Counted]);
}

#[test]
fn triggers_fire_once_per_track() {
    let rules = Rules {
        triggers: vec![
            TriggerRule {
                name: "crowd-pleaser".into(),
                when: TriggerCondition::LikesAtLeast(2),
            },
            TriggerRule {
                name: "clean".into(),
                when: TriggerCondition::FinishedWithoutSkipVotes,
            },
            TriggerRule {
                name: "low-battery".into(),
                when: TriggerCondition::BatteryBelow(0.2),
            },
        ],
        ..Rules::default()
    };
    let fired = |f: &[Effect]| -> Vec<String> {
        f.iter()
            .filter_map(|e| match e {
                Effect::TriggerFired { trigger, .. } => Some(trigger.clone()),
                _ => None,
            })
            .collect()
    };
    let mut p = party(rules);
    let fx = run(
        &mut p,
        &[
            (1.0, vote("a", Action::Like)),
            (2.0, vote("b", Action::Like)),
            (3.0, vote("c", Action::Like)),
            (4.0, play(2)),
        ],
    );
    assert_eq!(fired(&fx[1]), ["crowd-pleaser"]);
    assert!(fired(&fx[2]).is_empty());
    assert_eq!(fired(&fx[3]), ["clean"]);
    let low = |t| {
        (
            t,
            Input::Press(Press {
                voter: Voter::button("Kitchen"),
                origin: Origin::Iot,
                kind: PressKind::Click(ClickKind::Single),
                battery: Some(0.1),
            }),
        )
    };
    let fx = run(&mut p, &[low(30.0), low(60.0)]);
    assert_eq!(fired(&fx[0]), ["low-battery"]);
    assert!(fired(&fx[1]).is_empty());
}

#[test]
fn host_commands_apply_live() {
    let mut p = party(Rules::default());
    let fx = run(
        &mut p,
        &[
            (1.0, vote("a", Action::Skip)),
            (2.0, vote("b", Action::Skip)),
            (3.0, Input::host(HostCommand::ResetVotes)),
            (4.0, Input::host(HostCommand::PauseVoting)),
            (5.0, vote("c", Action::Skip)),
            (6.0, Input::host(HostCommand::ResumeVoting)),
            (7.0, vote("c", Action::Skip)),
            (
                8.0,
                Input::host(HostCommand::SetThreshold(Threshold::Count(1))),
            ),
        ],
    );
    assert_eq!(results(&fx[4]), vec![PressResult::VotingPaused]);
    assert!(!skipped(&fx[6]), "one vote after the reset is below 3");
    assert!(skipped(&fx[7]), "lowering the threshold to 1 decides");

    // A shorter window that has already run out closes at once; zero means the whole track.
    let mut p = party(Rules::default());
    let fx = p.apply(&Input::host(HostCommand::SetWindow(10)), at(20.0));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::WindowResult {
            window: WindowState::Closed,
            ..
        }
    )));
    let mut p = party(Rules::default());
    p.apply(&Input::host(HostCommand::SetWindow(0)), at(1.0));
    assert_eq!(p.next_deadline(), None);
    p.apply(&Input::Tick, at(600.0));
    let fx = p.apply(&vote("a", Action::Skip), at(601.0));
    assert_eq!(results(&fx), vec![PressResult::Counted]);
}

#[test]
fn nothing_playing_and_skip_failures_are_recorded() {
    let mut p = Party::new("test", Rules::default());
    let fx = p.apply(&vote("a", Action::Like), at(0.0));
    assert_eq!(results(&fx), vec![PressResult::NothingPlaying]);
    p.apply(&play(1), at(1.0));
    let fx = p.apply(&Input::host(HostCommand::SkipNow), at(2.0));
    assert!(skipped(&fx));
    let fx = p.apply(
        &Input::Result(AdapterResult::SkipFailed {
            track: "t1".into(),
            reason: "speaker unreachable".into(),
        }),
        at(3.0),
    );
    assert!(matches!(fx[..], [Effect::SkipFailed { .. }]));
    // Every effect is in the log, newest first.
    let log = p.snapshot(at(4.0)).log;
    assert!(matches!(log[0].effect, Effect::SkipFailed { .. }));
    assert_eq!(log.last().unwrap().at, at(0.0));
}

#[test]
fn position_updates_change_nothing_but_state_changes_are_effects() {
    let mut p = party(Rules::default());
    let mut update = match play(1) {
        Input::Player(u) => u,
        _ => unreachable!(),
    };
    update.position_ms = Some(5_000);
    assert!(p.apply(&Input::Player(update.clone()), at(5.0)).is_empty());
    update.state = TransportState::Paused;
    let fx = p.apply(&Input::Player(update.clone()), at(6.0));
    assert!(matches!(
        fx[..],
        [Effect::Play {
            new_track: false,
            ..
        }]
    ));
    let s = p.snapshot(at(60.0));
    assert_eq!(s.now_playing.unwrap().position_at(at(60.0)), 5_000);
    // The player stopping with no track finishes the current one.
    update.track = None;
    update.state = TransportState::Stopped;
    let fx = p.apply(&Input::Player(update), at(61.0));
    assert!(matches!(fx[0], Effect::TrackFinished { .. }));
    assert!(p.snapshot(at(62.0)).now_playing.is_none());
}

#[test]
fn a_journal_full_of_made_up_buttons_lists_only_a_few() {
    // Journals written before unknown calls stopped being journaled hold one press per id.
    let mut p = party(buttons(ButtonActions::Always(Action::Like), None));
    for i in 0..500 {
        let fx = p.apply(
            &click(
                &format!("unknown web button x{i}"),
                Origin::WebButton,
                ClickKind::Single,
            ),
            at(1.0 + f64::from(i)),
        );
        assert_eq!(results(&fx), vec![PressResult::Unmapped]);
    }
    let snap = p.snapshot(at(600.0));
    // The configured button plus at most MAX_UNCONFIGURED_BUTTONS strangers.
    assert_eq!(
        snap.buttons.len(),
        1 + party_tui::core::MAX_UNCONFIGURED_BUTTONS
    );
    assert_eq!(snap.buttons[0].name, "Kitchen");
}
