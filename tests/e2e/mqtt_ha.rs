//! Home Assistant over a real Mosquitto, with the whole program: `party-tui --headless --demo`
//! with `[mqtt]`. Every discovery config it publishes is checked against HA's rules; a press on
//! a web button arrives as a (never retained) event; HA's Skip button skips the track and the
//! journal names Home Assistant; HA's birth brings the configs again; kill -9 leaves the
//! entities offline through the will; a button taken out of the config loses its entity.
use crate::mqtt_broker;

use mqtt_broker::{Mosquitto, Party, Watcher, wait_for};
use party_tui::outlets::mqtt::ha_rules::{Verdict, check, check_event, check_ours};
use serde_json::Value;

const NODE: &str = "party-test";
const AVAIL: &str = "party-tui/party-test/availability";

fn config(dir: &std::path::Path, url: &str, buttons: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[demo]\nguests = 0\n\n[http]\nbind = \"127.0.0.1:0\"\n\n{buttons}\n\
             [mqtt]\nurl = \"{url}\"\nclient_id = \"{NODE}\"\n"
        ),
    )
    .unwrap();
    path
}

const BUTTONS: &str = "[[button]]\nname = \"Door\"\nid = \"bttn-1\"\n\n\
                       [[button]]\nname = \"Porch\"\nid = \"bttn-2\"\n";

/// The latest non-empty config per topic, checked against HA's rules and ours.
fn configs(w: &Watcher) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for m in w.all() {
        if !m.topic.ends_with("/config") || m.payload.is_empty() {
            continue;
        }
        let component = m.topic.split('/').nth(1).unwrap().to_string();
        let c = match check("homeassistant", &m.topic, &m.payload) {
            Verdict::Accepted(c) => c,
            other => panic!("{}: HA would not accept it: {other:?}", m.topic),
        };
        check_ours(&component, &c).unwrap_or_else(|e| panic!("{}: {e}", m.topic));
        assert!(m.topic.contains(&format!("/{NODE}/")), "{}", m.topic);
        out.retain(|(t, _)| *t != m.topic);
        out.push((m.topic, c));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_assistant_discovery_events_commands_and_will() {
    let Some(broker) = Mosquitto::start("allow_anonymous true") else {
        return;
    };
    let watcher = Watcher::start(
        broker.port,
        "watcher",
        None,
        &["homeassistant/#", "party-tui/#"],
        false,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = config(dir.path(), &broker.url(), BUTTONS);
    let mut party = Party::start(&cfg, &data, &[]);

    wait_for("online", || {
        watcher
            .on(AVAIL)
            .last()
            .filter(|m| m.payload == "online")
            .map(|_| ())
    })
    .await;
    wait_for("a track playing", || {
        let now = watcher.on("party-tui/party-test/now_playing");
        now.last()
            .filter(|m| m.payload != "nothing playing")
            .map(|_| ())
    })
    .await;
    let all = configs(&watcher);
    let names: Vec<String> = all
        .iter()
        .map(|(_, c)| c["name"].as_str().unwrap_or("").to_string())
        .collect();
    for want in [
        "Now playing",
        "Likes",
        "Skip votes",
        "Likes tonight",
        "Vote window open",
        "Voting paused",
        "Skip threshold",
        "Skip",
        "Keep",
        "Reset votes",
        "Door",
        "Porch",
        "Phones",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "no entity {want}: {names:?}"
        );
    }
    let uniques: std::collections::HashSet<&str> = all
        .iter()
        .map(|(_, c)| c["unique_id"].as_str().unwrap())
        .collect();
    assert_eq!(uniques.len(), all.len(), "unique ids are unique");
    let door = &all
        .iter()
        .find(|(t, _)| t == "homeassistant/event/party-test/button_bttn-1/config")
        .expect("door event")
        .1;

    // A press reaches HA as an event, never retained.
    party.press("bttn-1").await;
    let event = wait_for("the door's event", || {
        watcher
            .on("party-tui/party-test/event/bttn-1")
            .first()
            .cloned()
    })
    .await;
    assert!(!event.retain);
    assert_eq!(
        check_event(door, &event.payload, event.retain).unwrap(),
        "like"
    );
    let v: Value = serde_json::from_str(&event.payload).unwrap();
    let press_seq = party
        .lines()
        .iter()
        .find(|l| l["input"]["type"] == "press")
        .unwrap()["seq"]
        .as_u64()
        .unwrap();
    assert_eq!(v["id"], format!("{}:{press_seq}:0", party.party()));
    wait_for("the likes sensor", || {
        watcher
            .on("party-tui/party-test/likes")
            .last()
            .filter(|m| m.payload == "1")
            .map(|_| ())
    })
    .await;

    // A subscriber that comes later (HA after a restart) gets every config and state from the
    // broker's retained store, and no event.
    let late = Watcher::start(
        broker.port,
        "late",
        None,
        &["homeassistant/#", "party-tui/#"],
        false,
    )
    .await;
    let retained = wait_for("every config retained", || {
        let got: Vec<_> = late
            .all()
            .into_iter()
            .filter(|m| m.topic.ends_with("/config"))
            .collect();
        (got.len() >= all.len()).then_some(got)
    })
    .await;
    assert!(retained.iter().all(|m| m.retain));
    wait_for("the retained likes state", || {
        late.on("party-tui/party-test/likes").first().map(|_| ())
    })
    .await;
    assert!(
        late.all()
            .iter()
            .all(|m| !m.topic.starts_with("party-tui/party-test/event/")),
        "events are never retained"
    );

    // HA's Skip button.
    watcher
        .publish("party-tui/party-test/cmd/skip", "PRESS")
        .await;
    let skip = wait_for("a skip from Home Assistant in the journal", || {
        party
            .lines()
            .into_iter()
            .find(|l| l["input"]["type"] == "host" && l["input"]["command"] == "skip_now")
    })
    .await;
    assert_eq!(skip["input"]["by"], "home-assistant");
    assert!(
        skip["effects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["effect"] == "skip_decided"),
        "{skip}"
    );

    // HA restarts: its birth brings every config again.
    let before = watcher
        .all()
        .iter()
        .filter(|m| m.topic.ends_with("/config"))
        .count();
    watcher.publish("homeassistant/status", "online").await;
    wait_for("configs again after HA's birth", || {
        let now = watcher
            .all()
            .iter()
            .filter(|m| m.topic.ends_with("/config"))
            .count();
        (now >= before + all.len()).then_some(())
    })
    .await;

    // kill -9: the broker publishes the will.
    party.kill9();
    wait_for("offline by the will", || {
        watcher
            .on(AVAIL)
            .last()
            .filter(|m| m.payload == "offline")
            .map(|_| ())
    })
    .await;
    drop(party);

    // The porch button leaves the config: its entity is removed (empty retained config).
    let cfg = config(
        dir.path(),
        &broker.url(),
        "[[button]]\nname = \"Door\"\nid = \"bttn-1\"\n",
    );
    let _party = Party::start(&cfg, &data, &[]);
    let porch = "homeassistant/event/party-test/button_bttn-2/config";
    wait_for("the porch entity removed", || {
        watcher
            .on(porch)
            .last()
            .filter(|m| m.payload.is_empty())
            .map(|_| ())
    })
    .await;
    let late = Watcher::start(broker.port, "late", None, &["homeassistant/#"], false).await;
    wait_for("the door still announced", || {
        late.all()
            .iter()
            .any(|m| m.topic.ends_with("button_bttn-1/config"))
            .then_some(())
    })
    .await;
    assert!(
        late.on(porch).is_empty(),
        "no ghost of the porch button is retained"
    );
}
