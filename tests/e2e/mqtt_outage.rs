//! Nothing is lost: `party-tui --headless --demo` with fast simulated guests publishes every
//! press to Home Assistant over a real Mosquitto. The broker is stopped while presses keep
//! being journaled and started again: every journaled press arrives. Then party-tui itself is
//! killed with SIGKILL and restarted: still every press arrives, and a press sent twice
//! (unacknowledged when it died) carries the same `<party>:<seq>:<index>` id and payload.
use crate::mqtt_broker;

use mqtt_broker::{Mosquitto, Party, Watcher, wait_for};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Every press a phone or demo guest made, by event id, from the journal.
fn journaled(party: &Party) -> BTreeSet<String> {
    let name = party.party();
    let mut ids = BTreeSet::new();
    for line in party.lines() {
        for (i, e) in line["effects"].as_array().into_iter().flatten().enumerate() {
            if e["effect"] == "press" && e["origin"] == "demo" {
                ids.insert(format!("{name}:{}:{i}", line["seq"]));
            }
        }
    }
    ids
}

/// Received events by id, each with every payload it came with.
fn received(w: &Watcher) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for m in w.on("party-tui/party-test/event/phones") {
        let v: Value = serde_json::from_str(&m.payload).unwrap();
        out.entry(v["id"].as_str().unwrap().to_string())
            .or_default()
            .push(m.payload);
    }
    out
}

async fn all_arrive(w: &Watcher, want: &BTreeSet<String>, what: &str) {
    wait_for(what, || {
        let got = received(w);
        want.iter().all(|id| got.contains_key(id)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_outage_and_kill_9_lose_no_press() {
    let Some(mut broker) = Mosquitto::start("allow_anonymous true") else {
        return;
    };
    // A persistent session: what arrives while the watcher reconnects is kept for it.
    let watcher = Watcher::start(
        broker.port,
        "ha",
        None,
        &["party-tui/party-test/event/#"],
        true,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[demo]\nguests = 8\npress_interval_secs = 0.05\n\n[http]\nbind = \"127.0.0.1:0\"\n\n\
             [mqtt]\nurl = \"{}\"\nclient_id = \"party-test\"\n",
            broker.url()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let mut party = Party::start(&cfg, &data, &[]);
    wait_for("presses arriving", || {
        (received(&watcher).len() >= 10).then_some(())
    })
    .await;

    broker.stop();
    let at_stop = journaled(&party).len();
    wait_for("presses journaled during the outage", || {
        (journaled(&party).len() >= at_stop + 30).then_some(())
    })
    .await;
    broker.restart();
    let before_restart = journaled(&party);
    all_arrive(
        &watcher,
        &before_restart,
        "every press journaled before the broker came back",
    )
    .await;

    party.kill9();
    let before_kill = journaled(&party);
    let _party = Party::start(&cfg, &data, &[]);
    all_arrive(
        &watcher,
        &before_kill,
        "every press journaled before kill -9",
    )
    .await;

    let got = received(&watcher);
    let mut twice = 0;
    for (id, payloads) in &got {
        assert!(
            payloads.iter().all(|p| p == &payloads[0]),
            "{id} came back different: {payloads:?}"
        );
        twice += usize::from(payloads.len() > 1);
    }
    eprintln!(
        "{} presses journaled before the kill, {} received, {twice} of them more than once",
        before_kill.len(),
        got.len()
    );
}
