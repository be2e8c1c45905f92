//! The core's side of notifications, table-style with explicit times: press-sequence steps that
//! name triggers, `on = "press"` / `on = "track_start"`, triggers that only fire when named,
//! and inbound hooks (a notice with its deadline, a chained trigger).
use crate::support;

use party_tui::core::*;
use std::time::Duration;

const T0: i64 = 1_700_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp(T0 + (secs * 1000.0) as i64)
}

fn kitchen() -> Input {
    Input::Press(Press {
        voter: Voter::button("Kitchen"),
        origin: Origin::WebButton,
        kind: PressKind::Click(ClickKind::Single),
        battery: None,
    })
}

fn phone_like(who: &str) -> Input {
    Input::Press(Press {
        voter: Voter::guest(who),
        origin: Origin::Phone,
        kind: PressKind::Vote(Action::Like),
        battery: None,
    })
}

fn step(action: Option<Action>, notify: &[&str]) -> Step {
    Step {
        action,
        notify: notify.iter().map(|s| s.to_string()).collect(),
    }
}

fn trigger(name: &str, when: TriggerCondition) -> TriggerRule {
    TriggerRule {
        name: name.into(),
        when,
    }
}

/// chat, then SMS, then a call: the escalation of the issue.
fn escalation() -> Rules {
    Rules {
        sequence_window: Duration::from_secs(5),
        buttons: vec![ButtonRule {
            name: "Kitchen".into(),
            actions: ButtonActions::Sequence(vec![
                step(Some(Action::Like), &["chat"]),
                step(None, &["sms"]),
                step(None, &["call"]),
            ]),
            debounce: None,
        }],
        triggers: vec![
            trigger("chat", TriggerCondition::Named),
            trigger("sms", TriggerCondition::Named),
            trigger("call", TriggerCondition::Named),
        ],
        ..Rules::default()
    }
}

/// (trigger, step, press_count, hook) of one firing.
type Firing = (String, Option<u32>, Option<u32>, Option<String>);

fn fired(effects: &[Effect]) -> Vec<Firing> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::TriggerFired {
                trigger,
                step,
                press_count,
                hook,
                ..
            } => Some((trigger.clone(), *step, *press_count, hook.clone())),
            _ => None,
        })
        .collect()
}

fn names(effects: &[Effect]) -> Vec<String> {
    fired(effects).into_iter().map(|f| f.0).collect()
}

fn result(effects: &[Effect]) -> PressResult {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Press { result, .. } => Some(*result),
            _ => None,
        })
        .expect("a press verdict")
}

#[test]
fn each_press_moves_one_step_and_the_last_step_stays_until_the_button_rests() {
    let mut p = Party::new("p", escalation());
    p.apply(&support::sample::play(1), at(0.0));
    let mut steps = Vec::new();
    for t in [1.0, 2.0, 3.0, 4.0, 20.0] {
        let fx = p.apply(&kitchen(), at(t));
        steps.push((fired(&fx), result(&fx)));
    }
    let want =
        |name: &str, step: u32, count: u32| vec![(name.to_string(), Some(step), Some(count), None)];
    assert_eq!(steps[0], (want("chat", 1, 1), PressResult::Counted));
    assert_eq!(steps[1], (want("sms", 2, 2), PressResult::Notified));
    assert_eq!(steps[2], (want("call", 3, 3), PressResult::Notified));
    // Past the end, within the window: the last step again.
    assert_eq!(steps[3], (want("call", 3, 4), PressResult::Notified));
    // After a rest longer than the window: from the top.
    assert_eq!(steps[4].0, want("chat", 1, 5));
}

#[test]
fn steps_notify_even_when_the_vote_does_not_count_but_never_when_debounced() {
    let mut rules = escalation();
    rules.buttons[0].debounce = Some(Duration::from_secs(2));
    let mut p = Party::new("p", rules);
    // Nothing playing: no like, but the message goes out.
    let fx = p.apply(&kitchen(), at(1.0));
    assert_eq!(result(&fx), PressResult::NothingPlaying);
    assert_eq!(names(&fx), ["chat"]);
    // A bounce inside the button's debounce is not a press: no step, no message.
    let fx = p.apply(&kitchen(), at(1.5));
    assert_eq!(result(&fx), PressResult::Debounced);
    assert!(names(&fx).is_empty());
    let fx = p.apply(&kitchen(), at(4.0));
    assert_eq!(names(&fx), ["sms"]);
}

#[test]
fn press_and_track_start_conditions_and_named_only_triggers() {
    let mut rules = escalation();
    rules.triggers.extend([
        trigger("any-press", TriggerCondition::Press { button: None }),
        trigger(
            "kitchen-press",
            TriggerCondition::Press {
                button: Some("Kitchen".into()),
            },
        ),
        trigger("now-playing", TriggerCondition::TrackStart),
    ]);
    let mut p = Party::new("p", rules);
    let fx = p.apply(&support::sample::play(1), at(0.0));
    assert_eq!(names(&fx), ["now-playing"]);
    // The same track again (a position update) is no new start.
    assert!(names(&p.apply(&support::sample::play(1), at(1.0))).is_empty());
    let fx = p.apply(&phone_like("ann"), at(2.0));
    assert_eq!(names(&fx), ["any-press"]);
    let fx = p.apply(&kitchen(), at(3.0));
    // The step's trigger first, then the press conditions; named-only triggers never fire
    // by themselves (sms and call stay quiet here).
    assert_eq!(names(&fx), ["chat", "any-press", "kitchen-press"]);
    let fx = p.apply(&support::sample::play(2), at(4.0));
    assert_eq!(names(&fx), ["now-playing"]);
}

#[test]
fn a_hook_notice_is_a_banner_until_its_deadline() {
    let mut p = Party::new("p", escalation());
    p.apply(&support::sample::play(1), at(0.0));
    let window_closes = p.next_deadline().expect("vote window");
    let notice = Input::Hook(HookCall::Notice {
        hook: "cl-favourite".into(),
        text: "Ann unlocked a song".into(),
        secs: 10,
    });
    let fx = p.apply(&notice, at(1.0));
    assert_eq!(
        fx,
        [Effect::Notice {
            hook: "cl-favourite".into(),
            text: "Ann unlocked a song".into(),
            until: at(11.0),
        }]
    );
    let shown = p.snapshot(at(5.0)).notice.expect("banner shown");
    assert_eq!(
        (shown.text.as_str(), shown.by.as_str()),
        ("Ann unlocked a song", "cl-favourite")
    );
    // The loop is woken for whichever comes first: the banner's end or the vote window.
    assert_eq!(p.next_deadline(), Some(at(11.0).min(window_closes)));
    assert!(p.snapshot(at(11.0)).notice.is_none());
    // The tick at the deadline clears it: even a view of an earlier moment shows none now.
    p.apply(&Input::Tick, at(11.0));
    assert!(p.snapshot(at(5.0)).notice.is_none());
    assert_eq!(p.next_deadline(), Some(window_closes));
}

#[test]
fn a_hook_chains_to_a_trigger_and_everything_replays() {
    let mut p = Party::new("p", escalation());
    let inputs = [
        support::sample::play(1),
        Input::Hook(HookCall::Trigger {
            hook: "cl-favourite".into(),
            trigger: "sms".into(),
        }),
        Input::host_by(HostCommand::SkipNow, CommandSource::Hook("cl-skip".into())),
        Input::Hook(HookCall::Notice {
            hook: "h".into(),
            text: "t".into(),
            secs: 30,
        }),
    ];
    let mut all = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        all.push(p.apply(input, at(i as f64)));
    }
    assert_eq!(
        fired(&all[1]),
        [("sms".into(), None, None, Some("cl-favourite".into()))]
    );
    assert!(all[2].iter().any(|e| matches!(
        e,
        Effect::Host { by: CommandSource::Hook(h), .. } if h == "cl-skip"
    )));
    // Through the journal's JSON and back, the same decisions.
    let mut again = Party::new("p", escalation());
    for (i, input) in inputs.iter().enumerate() {
        let json = serde_json::to_string(input).unwrap();
        let back: Input = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, input, "{json}");
        assert_eq!(again.apply(&back, at(i as f64)), all[i]);
    }
    assert_eq!(again, p);
}
