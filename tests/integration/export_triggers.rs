//! Webhook triggers against a real local webhook on 127.0.0.1: driven from the journal, body
//! template filled in, retried on 5xx, given up on 4xx at once, failures reported through the
//! inbox, and the cursor only passing finished calls.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::any;
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::*;
use party_tui::journal::Entry;
use party_tui::outlets::TriggerConfig;
use party_tui::outlets::outbox::{Outbox, OutboxFiles, Tuning};
use party_tui::outlets::store::CursorFile;
use party_tui::outlets::triggers::{self, Triggers};
use party_tui::outlets::webhook::{WEBHOOK_TIMEOUT, Webhook};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Hooks {
    /// (path, event id header, body)
    calls: Vec<(String, String, String)>,
}

type Shared = Arc<Mutex<Hooks>>;

async fn hook(
    State(s): State<Shared>,
    Path(p): Path<String>,
    h: HeaderMap,
    body: String,
) -> StatusCode {
    let id = h
        .get("x-party-tui-event")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut s = s.lock().unwrap();
    s.calls.push((p.clone(), id, body));
    let tries = s.calls.iter().filter(|c| c.0 == p).count();
    match p.as_str() {
        "fav" if tries <= 2 => StatusCode::INTERNAL_SERVER_ERROR,
        "fav" => StatusCode::OK,
        "bad" => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn trigger(name: &str, url: String, body: Option<&str>) -> Webhook {
    let cfg = TriggerConfig {
        name: name.into(),
        when: TriggerCondition::SkipFired,
        url: Some(url),
        method: None,
        body: body.map(String::from),
        ..TriggerConfig::default()
    };
    Webhook::from_config(&cfg, &|_| None).unwrap().unwrap()
}

fn fired(name: &str) -> Effect {
    let track = Track {
        title: "Song \"2\"".into(),
        artist: "Band".into(),
        ..Track::default()
    };
    Effect::trigger_fired(name, Some(track), 5, 0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_called_retried_and_failures_reported() {
    let shared = Shared::default();
    let app = axum::Router::new()
        .route("/{p}", any(hook))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    std::fs::write(&journal, "").unwrap();
    let cursor = dir.path().join("p.triggers.cursor");
    let hooks = vec![
        trigger(
            "fav",
            format!("{base}/fav"),
            Some(r#"{"text": "{track} by {artist}: {likes}"}"#),
        ),
        trigger("bad", format!("{base}/bad"), None),
        trigger("down", format!("{base}/down"), None),
    ];
    let (inbox, mut rx) = Inbox::new();
    let tuning = Tuning {
        max_attempts: Some(3),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(50),
        poll_interval: Duration::from_millis(50),
        ..triggers::tuning()
    };
    let files = OutboxFiles {
        party: "p".into(),
        journal: journal.clone(),
        cursor: cursor.clone(),
        dead_letters: dir.path().join("p.triggers.dead.jsonl"),
    };
    let outlet = Triggers::new(hooks, WEBHOOK_TIMEOUT);
    let runner = Outbox::for_outlet(files, outlet, tuning, Clock::system(), Some(inbox));
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(None, stop.clone()));

    // The party commits a line with three firings, and one trigger without a webhook.
    let entry = Entry {
        seq: 7,
        at: Timestamp(1_700_000_000_000),
        input: Input::Tick,
        effects: vec![fired("fav"), fired("bad"), fired("down"), fired("log-only")],
    };
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    writeln!(f, "{}", serde_json::to_string(&entry).unwrap()).unwrap();
    let end = std::fs::metadata(&journal).unwrap().len();

    let mut failed = Vec::new();
    let wait = async {
        while failed.len() < 2 {
            if let Some(Msg::Input {
                input: Input::Result(AdapterResult::TriggerFailed { trigger, reason }),
                ..
            }) = rx.recv().await
            {
                failed.push((trigger, reason));
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("two failures reported");
    failed.sort();
    assert_eq!(failed[0].0, "bad");
    assert_eq!(failed[0].1, "HTTP 400");
    assert_eq!(failed[1].0, "down");
    assert_eq!(failed[1].1, "HTTP 503 after 3 attempts");

    let cursor_file = CursorFile::new(cursor);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cursor_file.load().offset != end {
        assert!(
            tokio::time::Instant::now() < deadline,
            "cursor never passed the firings"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();

    let calls = shared.lock().unwrap().calls.clone();
    let count = |p: &str| calls.iter().filter(|c| c.0 == p).count();
    assert_eq!((count("fav"), count("bad"), count("down")), (3, 1, 3));
    let ok = calls.iter().rfind(|c| c.0 == "fav").unwrap();
    assert_eq!(ok.1, "p:7:0");
    let body: serde_json::Value = serde_json::from_str(&ok.2).unwrap();
    assert_eq!(body["text"], "Song \"2\" by Band: 5");
}
