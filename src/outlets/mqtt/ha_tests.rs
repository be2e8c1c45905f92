use super::*;
use crate::core::*;
use crate::outlets::mqtt::ha_rules::{Verdict, check, check_event, check_ours};

use crate::outlets::mqtt::test_config::Config;

const AT: Timestamp = Timestamp(1_522_693_267_123);

fn cfg() -> Config {
    Config::parse(
        r#"
[[button]]
name = "Kitchen Dash"
mac = "00:00:5E:00:53:01"
[[button]]
name = "Sofa"
serial = "G030PT022"
"#,
    )
    .unwrap()
}

fn ha(commands: bool) -> Ha {
    Ha::new(
        "party-tui-pi.local",
        "party-tui",
        "homeassistant",
        commands,
        &cfg().buttons,
    )
}

fn snapshot() -> Snapshot {
    let mut s = Snapshot {
        now_playing: Some(NowPlaying {
            track: Track {
                title: "Song, \"quoted\"".into(),
                artist: "Band".into(),
                album: "LP".into(),
                duration_ms: Some(192_000),
                ..Track::default()
            },
            state: TransportState::Playing,
            source: Source::Demo,
            player: "demo".into(),
            position_ms: 0,
            position_at: AT,
        }),
        ..Snapshot::default()
    };
    s.votes.likes = 2;
    s.votes.skips = 1;
    s.votes.needed = 3;
    s.votes.window = Some(WindowState::Open);
    s.totals.likes = 17;
    s.buttons = vec![crate::core::snapshot::ButtonStatus {
        name: "Sofa".into(),
        last_seen: Some(AT),
        presses: 1,
        battery: Some(0.42),
    }];
    s
}

fn press(voter: Voter, origin: Origin, action: Option<Action>, result: PressResult) -> Effect {
    Effect::Press {
        voter,
        origin,
        click: None,
        action,
        result,
        track: Some("t".into()),
        likes: 2,
        skips: 1,
        battery: None,
    }
}

#[test]
fn ids_are_topic_safe() {
    let h = ha(true);
    assert_eq!(h.node, "party-tui-pi_local");
    assert_eq!(h.buttons[0].0, "00005e005301");
    assert_eq!(h.buttons[1].0, "G030PT022");
    assert_eq!(
        h.config_topic("event", "button_00005e005301"),
        "homeassistant/event/party-tui-pi_local/button_00005e005301/config"
    );
}

#[test]
fn every_config_follows_the_discovery_rules() {
    for commands in [true, false] {
        let h = ha(commands);
        let configs = h.configs(&snapshot());
        let mut uniques = std::collections::HashSet::new();
        for m in &configs {
            assert!(m.retain && m.qos == 1, "{}", m.topic);
            let component = m.topic.split('/').nth(1).unwrap();
            let Verdict::Accepted(c) = check("homeassistant", &m.topic, &m.payload) else {
                panic!(
                    "{} refused: {:?}",
                    m.topic,
                    check("homeassistant", &m.topic, &m.payload)
                );
            };
            check_ours(component, &c).unwrap_or_else(|e| panic!("{}: {e}", m.topic));
            assert!(
                uniques.insert(c["unique_id"].as_str().unwrap().to_string()),
                "duplicate unique_id"
            );
            assert_eq!(
                c["availability_topic"],
                "party-tui/party-tui-pi_local/availability"
            );
        }
        let components: Vec<&str> = configs
            .iter()
            .map(|m| m.topic.split('/').nth(1).unwrap())
            .collect();
        let count = |c| components.iter().filter(|x| **x == c).count();
        assert_eq!(count("event"), 3, "two buttons and the phones");
        assert_eq!(count("button"), if commands { 3 } else { 0 });
        assert_eq!(
            count("switch") + count("number"),
            if commands { 2 } else { 0 }
        );
        // The battery sensor only for the button that reported one.
        assert!(
            configs
                .iter()
                .any(|m| m.topic.ends_with("/battery_G030PT022/config"))
        );
        assert!(
            !configs
                .iter()
                .any(|m| m.topic.ends_with("/battery_00005e005301/config"))
        );
    }
}

#[test]
fn unique_ids_are_stable_across_restarts() {
    let a = ha(true).configs(&snapshot());
    let b = ha(true).configs(&Snapshot {
        buttons: snapshot().buttons,
        ..Snapshot::default()
    });
    assert_eq!(a, b, "configs do not depend on what is playing");
}

#[test]
fn states_follow_the_snapshot() {
    let h = ha(true);
    let states: std::collections::HashMap<String, String> = h
        .states(&snapshot())
        .into_iter()
        .map(|m| {
            (
                m.topic.rsplit_once("pi_local/").unwrap().1.to_string(),
                m.payload,
            )
        })
        .collect();
    assert_eq!(states["now_playing"], "Song, \"quoted\" — Band");
    let attrs: serde_json::Value = serde_json::from_str(&states["now_playing/attributes"]).unwrap();
    assert_eq!(attrs["album"], "LP");
    assert_eq!(attrs["duration"], 192);
    assert_eq!(attrs["source"], "demo");
    assert_eq!(states["likes"], "2");
    assert_eq!(states["skip_votes"], "1");
    assert_eq!(states["skip_votes_needed"], "3");
    assert_eq!(states["likes_tonight"], "17");
    assert_eq!(states["vote_window"], "ON");
    assert_eq!(states["voting_paused"], "OFF");
    assert_eq!(states["skip_threshold"], "3");
    assert_eq!(states["battery/G030PT022"], "42");
    let idle = h.states(&Snapshot::default());
    assert_eq!(idle[0].payload, "nothing playing");
    assert!(idle.iter().all(|m| m.retain));
}

#[test]
fn presses_become_events_that_are_never_retained() {
    let h = ha(true);
    let configs = h.configs(&snapshot());
    let cases = [
        (
            press(
                Voter::button("Kitchen Dash"),
                Origin::Dash,
                Some(Action::Like),
                PressResult::Counted,
            ),
            Some(("event/00005e005301", "like")),
        ),
        (
            press(
                Voter::button("Sofa"),
                Origin::Iot,
                Some(Action::Skip),
                PressResult::Duplicate,
            ),
            Some(("event/G030PT022", "skip")),
        ),
        (
            press(
                Voter::button("Sofa"),
                Origin::Iot,
                Some(Action::Like),
                PressResult::Debounced,
            ),
            Some(("event/G030PT022", "debounced")),
        ),
        (
            press(
                Voter::guest("abc123"),
                Origin::Phone,
                Some(Action::Keep),
                PressResult::Counted,
            ),
            Some(("event/phones", "keep")),
        ),
        (
            press(
                Voter::button("Gone"),
                Origin::Dash,
                None,
                PressResult::Unmapped,
            ),
            None,
        ),
        (
            press(
                Voter::host(),
                Origin::Host,
                Some(Action::Skip),
                PressResult::Counted,
            ),
            None,
        ),
    ];
    for (i, (effect, want)) in cases.into_iter().enumerate() {
        let entry = Entry {
            seq: 7,
            at: AT,
            input: Input::Tick,
            effects: vec![effect],
        };
        let out = h.events("fri", &entry);
        match want {
            None => assert!(out.is_empty(), "case {i}: {out:?}"),
            Some((leaf, kind)) => {
                assert_eq!(out.len(), 1, "case {i}");
                let m = &out[0];
                assert_eq!(m.topic, format!("party-tui/party-tui-pi_local/{leaf}"));
                assert!(!m.retain && m.qos == 1);
                let config = configs.iter().find(|c| {
                    serde_json::from_str::<serde_json::Value>(&c.payload).unwrap()["state_topic"] == m.topic.as_str()
                }).expect("an event entity listens on this topic");
                let config: serde_json::Value = serde_json::from_str(&config.payload).unwrap();
                assert_eq!(
                    check_event(&config, &m.payload, m.retain).unwrap(),
                    kind,
                    "case {i}"
                );
                let v: serde_json::Value = serde_json::from_str(&m.payload).unwrap();
                assert_eq!(v["id"], "fri:7:0");
            }
        }
    }
}

#[test]
fn commands_from_home_assistant() {
    let h = ha(true);
    let t = |leaf: &str| format!("party-tui/party-tui-pi_local/cmd/{leaf}");
    assert_eq!(
        h.command(&t("skip"), "PRESS"),
        Some(Ok(HostCommand::SkipNow))
    );
    assert_eq!(
        h.command(&t("keep"), "PRESS"),
        Some(Ok(HostCommand::Keep(true)))
    );
    assert_eq!(
        h.command(&t("reset_votes"), "PRESS"),
        Some(Ok(HostCommand::ResetVotes))
    );
    assert_eq!(
        h.command(&t("voting_paused"), "ON"),
        Some(Ok(HostCommand::PauseVoting))
    );
    assert_eq!(
        h.command(&t("voting_paused"), "OFF"),
        Some(Ok(HostCommand::ResumeVoting))
    );
    // HA sends numbers as `4` or `4.0`.
    assert_eq!(
        h.command(&t("skip_threshold"), "4"),
        Some(Ok(HostCommand::SetThreshold(Threshold::Count(4))))
    );
    assert_eq!(
        h.command(&t("skip_threshold"), "4.0"),
        Some(Ok(HostCommand::SetThreshold(Threshold::Count(4))))
    );
    assert!(matches!(
        h.command(&t("skip_threshold"), "4.5"),
        Some(Err(_))
    ));
    assert!(matches!(h.command(&t("skip_threshold"), "0"), Some(Err(_))));
    assert!(matches!(
        h.command(&t("voting_paused"), "maybe"),
        Some(Err(_))
    ));
    assert_eq!(h.command("elsewhere/cmd/skip", "PRESS"), None);
    assert_eq!(ha(false).command(&t("skip"), "PRESS"), None, "publish only");
}

#[test]
fn command_topics_are_ours_under_cmd() {
    let h = ha(true);
    let base = "party-tui/party-tui-pi_local";
    assert!(h.is_command_topic(&format!("{base}/cmd/skip")));
    assert!(h.is_command_topic(&format!("{base}/cmd/anything")));
    for not in [
        format!("{base}/likes"),
        format!("{base}cmd/skip"),
        format!("{base}_other/cmd/skip"),
        "party-tui/other/cmd/skip".to_string(),
        "homeassistant/status".to_string(),
    ] {
        assert!(!h.is_command_topic(&not), "{not}");
    }
    assert!(!ha(false).is_command_topic(&format!("{base}/cmd/skip")));
}

#[test]
fn a_removed_button_loses_its_entity() {
    let h = ha(true);
    let snap = snapshot();
    let gone = "homeassistant/event/party-tui-pi_local/button_aabbccddeeff/config";
    let clear = h.stale(gone, &snap).expect("cleared");
    assert_eq!((clear.payload.as_str(), clear.retain), ("", true));
    assert_eq!(
        h.stale(
            "homeassistant/event/party-tui-pi_local/button_00005e005301/config",
            &snap
        ),
        None
    );
    assert_eq!(
        h.stale(
            "homeassistant/sensor/party-tui-pi_local/likes/config",
            &snap
        ),
        None
    );
    assert_eq!(
        h.stale(
            "homeassistant/event/other-node/button_aabbccddeeff/config",
            &snap
        ),
        None
    );
}

#[test]
fn the_checker_knows_our_kind_of_mistakes() {
    let topic = "homeassistant/event/n/button_x/config";
    assert!(matches!(
        check("homeassistant", topic, r#"{"state_topic":"a/b"}"#),
        Verdict::Rejected(_)
    ));
    assert!(matches!(
        check("homeassistant", "homeassistant/event/n/00:11/config", "{}"),
        Verdict::Rejected(_)
    ));
    assert!(matches!(
        check("homeassistant", topic, ""),
        Verdict::Removed
    ));
    let both = r#"{"state_topic":"a","availability_topic":"b","availability":[{"topic":"c"}]}"#;
    assert!(matches!(
        check("homeassistant", "homeassistant/sensor/n/x/config", both),
        Verdict::Rejected(_)
    ));
    let old = serde_json::json!({"unique_id":"u","object_id":"x","default_entity_id":"sensor.x","availability_topic":"a","device":{}});
    assert!(check_ours("sensor", &old).is_err());
    let wrong_domain = serde_json::json!({"unique_id":"u","default_entity_id":"event.x","availability_topic":"a","device":{}});
    assert!(check_ours("sensor", &wrong_domain).is_err());
}
