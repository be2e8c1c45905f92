//! `cargo bench --bench mqtt` (needs mosquitto): presses through the MQTT outlet and a real
//! Mosquitto on loopback, as Home Assistant events. Throughput: a 20,000-press journal drained
//! (outbox → PUBACK-confirmed batches → broker → subscriber). Latency: one press appended to
//! the journal at a time, the outbox woken as the party loop wakes it, until a subscriber has
//! it from the broker. Prints figures for the README; asserts only that everything arrived.
// The party harnesses find the binary through instance.json (tests/support/headless.rs).
#[path = "../tests/mqtt_broker/mod.rs"]
mod mqtt_broker;
#[path = "../tests/support/mod.rs"]
mod support;

use mqtt_broker::Mosquitto;
use party_tui::bus::clock::Clock;
use party_tui::config::Config;
use party_tui::core::*;
use party_tui::journal::Entry;
use party_tui::outlets::mqtt::{self, MqttOutlet, ha::Ha, link};
use party_tui::outlets::outbox::{Outbox, OutboxFiles};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const BULK: u64 = 20_000;
const SINGLE: u64 = 1_000;

fn press(seq: u64) -> Entry {
    Entry {
        seq,
        at: Timestamp(1_700_000_000_000 + seq as i64 * 50),
        input: Input::Tick,
        effects: vec![Effect::Press {
            voter: Voter::button("Door"),
            origin: Origin::WebButton,
            click: Some(ClickKind::Single),
            action: Some(Action::Like),
            result: PressResult::Counted,
            track: Some("demo:1".into()),
            likes: (seq % 17) as u32,
            skips: 0,
            battery: None,
        }],
    }
}

fn append(path: &Path, from: u64, n: u64) {
    let mut f = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap(),
    );
    for seq in from..from + n {
        serde_json::to_writer(&mut f, &press(seq)).unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.flush().unwrap();
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn subscriber(port: u16) -> Arrivals {
    let mut o = MqttOptions::new("bench-sub", "127.0.0.1", port);
    o.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut ev) = AsyncClient::new(o, 64);
    let got: Arrivals = Arc::default();
    let (g, ready) = (got.clone(), Arc::new(tokio::sync::Notify::new()));
    let r = ready.clone();
    tokio::spawn(async move {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                    client
                        .subscribe("party-tui/bench/event/#", QoS::AtLeastOnce)
                        .await
                        .unwrap();
                }
                Ok(Event::Incoming(Incoming::SubAck(_))) => r.notify_one(),
                Ok(Event::Incoming(Incoming::Publish(p))) => {
                    let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                    g.lock()
                        .unwrap()
                        .insert(v["id"].as_str().unwrap().to_string(), Instant::now());
                }
                Ok(_) => {}
                Err(_) => return, // the broker stops when the bench ends
            }
        }
    });
    ready.notified().await;
    got
}

async fn wait_count(got: &Arrivals, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while got.lock().unwrap().len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} arrived",
            got.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let Some(broker) = Mosquitto::start("allow_anonymous true\npersistence false") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    std::fs::File::create(&journal).unwrap();
    let cfg = Config::parse("[[button]]\nname = \"Door\"\nid = \"bttn-1\"\n").unwrap();
    let ha = Arc::new(Ha::new(
        "bench",
        "party-tui",
        "homeassistant",
        true,
        &cfg.buttons,
    ));
    let got = subscriber(broker.port).await;

    let stop = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    let opts = link::LinkOptions {
        name: "MQTT".into(),
        broker: mqtt::settings::Broker {
            host: "127.0.0.1".into(),
            port: broker.port,
            tls: false,
        },
        client_id: "bench".into(),
        username: None,
        password: None,
        will: None,
        ca_file: None,
    };
    let (link, mut events) = link::spawn(opts, None, stop.clone(), &mut tasks).unwrap();
    assert!(matches!(events.recv().await, Some(link::LinkEvent::Up)));
    link.ready().await;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let map = ha.clone();
    let outlet = MqttOutlet {
        name: "MQTT events".into(),
        hint: String::new(),
        map: move |party: &str, e: &Entry| map.events(party, e),
        link,
    };
    let files = OutboxFiles {
        party: "p".into(),
        journal: journal.clone(),
        cursor: dir.path().join("p.cursor"),
        dead_letters: dir.path().join("p.dead.jsonl"),
    };
    let (wake_tx, wake_rx) = watch::channel(0u64);
    let outbox = Outbox::for_outlet(files, outlet, mqtt::tuning(), Clock::system(), None);
    tasks.spawn(outbox.run(Some(wake_rx), stop.clone()));

    // Latency first, on an idle outlet: one press at a time.
    let mut lat = Vec::new();
    for seq in 0..SINGLE {
        let t0 = Instant::now();
        append(&journal, seq, 1);
        wake_tx.send_replace(seq);
        wait_count(&got, seq as usize + 1).await;
        lat.push(got.lock().unwrap()[&format!("p:{seq}:0")] - t0);
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!(
        "press → MQTT publish → subscriber, one at a time ({SINGLE}): p50 {:?}, p99 {:?}, max {:?}",
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1]
    );

    // Throughput: a backlog of BULK presses at once.
    let t0 = Instant::now();
    append(&journal, SINGLE, BULK);
    wake_tx.send_replace(SINGLE + BULK);
    wait_count(&got, (SINGLE + BULK) as usize).await;
    let took = t0.elapsed();
    println!(
        "backlog of {BULK} presses: {:.2} s, {:.0} events/s through the broker (QoS 1, confirmed batches of {})",
        took.as_secs_f64(),
        BULK as f64 / took.as_secs_f64(),
        link::MAX_INFLIGHT
    );
    stop.cancel();
    while tasks.join_next().await.is_some() {}
}
