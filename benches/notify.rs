//! `cargo bench --bench notify`: from the journal commit of a press to its trigger's request
//! arriving at a local receiver, through the real engine (fsynced journal), the committed-journal
//! wake-up and the trigger outlet. One press at a time, so this is latency, not throughput.
//! Prints p50/p99/max for the README; asserts only that every request arrived.
use party_tui::app::engine::{EffectSinks, Engine};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::config::Config;
use party_tui::core::*;
use party_tui::journal::Journal;
use party_tui::outlets::outbox::Outbox;
use party_tui::outlets::triggers::{self, Triggers};
use party_tui::outlets::webhook::{WEBHOOK_TIMEOUT, Webhook};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const PRESSES: usize = 1000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The receiver: notes when each request arrives.
        let (arrived_tx, mut arrived) = mpsc::unbounded_channel::<Instant>();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move || {
                let tx = arrived_tx.clone();
                async move {
                    let _ = tx.send(Instant::now());
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        let cfg = Config::parse(&format!(
            r#"
            [[button]]
            name = "Help"
            id = "help"
            action = "like"
            # Presses follow each other in milliseconds here; none is a bounce.
            debounce_secs = 0
            [[trigger]]
            name = "each-press"
            on = "press"
            url = "{base}/hook"
            body = '{{"button": "{{button}}", "n": {{press_count}}}}'
            "#
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let (journal, _) = Journal::open(&path).unwrap();
        let party = Party::new("p", cfg.rules());
        let (inbox, rx) = Inbox::new();
        let (committed_tx, committed_rx) = watch::channel(0u64);
        let (snap_tx, _snaps) = watch::channel(Arc::new(party.snapshot(Timestamp(0))));
        let stop = CancellationToken::new();
        let hooks = vec![
            Webhook::from_config(&cfg.triggers[0], &|_| None)
                .unwrap()
                .unwrap(),
        ];
        let files = triggers::files("p", &path, dir.path());
        let outlet = Triggers::new(hooks, WEBHOOK_TIMEOUT);
        let clock = Clock::system();
        let runner = Outbox::for_outlet(
            files,
            outlet,
            triggers::tuning(),
            clock,
            Some(inbox.clone()),
        );
        tokio::spawn(runner.run(Some(committed_rx), stop.clone()));
        let sinks = EffectSinks {
            player: None,
            committed: Some(committed_tx),
        };
        let engine = Engine::new(party, journal, Clock::system(), sinks, snap_tx);
        tokio::spawn(engine.run(rx, stop.clone()));

        let press = Input::Press(Press {
            voter: Voter::button("Help"),
            origin: Origin::WebButton,
            kind: PressKind::Click(ClickKind::Single),
            battery: None,
        });
        let mut lat = Vec::with_capacity(PRESSES);
        for _ in 0..PRESSES {
            // The answer comes once the press is durable: the commit.
            inbox.submit(press.clone()).await.unwrap();
            let committed = Instant::now();
            let at = tokio::time::timeout(Duration::from_secs(10), arrived.recv())
                .await
                .expect("the trigger's request arrived")
                .unwrap();
            lat.push(at.saturating_duration_since(committed));
        }
        stop.cancel();
        lat.sort();
        let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        println!(
            "commit → trigger request at a local receiver, {PRESSES} presses one at a time: \
             p50 {:.2?}, p99 {:.2?}, max {:.2?} (goal: within 1 s)",
            q(0.50),
            q(0.99),
            lat[lat.len() - 1]
        );
    });
}
