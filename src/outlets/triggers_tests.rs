//! The trigger outlet against a local webhook on 127.0.0.1, through the outbox: a status entry
//! on the status line, dead letters for a refused call, a 429's Retry-After holding every call,
//! and a party that had no trigger cursor starting at the journal's end. Real sockets need real
//! time; the waits here are the service's own Retry-After (half a second) and explicit signals.
use super::*;
use crate::bus::clock::Clock;
use crate::bus::inbox::{Inbox, Msg};
use crate::core::{Effect, HealthLevel, Timestamp, TriggerCondition};
use crate::outlets::TriggerConfig;
use crate::outlets::outbox::Outbox;
use crate::outlets::store::{CursorFile, DeadLetter};
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use std::io::Write;
use std::sync::Mutex;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// (path, when it arrived) of every call.
type Calls = Arc<Mutex<Vec<(String, Instant)>>>;

async fn service(State(calls): State<Calls>, UrlPath(p): UrlPath<String>) -> impl IntoResponse {
    let mut calls = calls.lock().unwrap();
    calls.push((p.clone(), Instant::now()));
    let tries = calls.iter().filter(|c| c.0 == p).count();
    match p.as_str() {
        // Slack and Telegram say "not so fast" like this.
        "busy" if tries == 1 => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0.5")]).into_response()
        }
        "bad" => StatusCode::BAD_REQUEST.into_response(),
        _ => StatusCode::OK.into_response(),
    }
}

fn hook(name: &str, base: &str) -> Webhook {
    let cfg = TriggerConfig {
        name: name.into(),
        when: TriggerCondition::SkipFired,
        url: Some(format!("{base}/{name}")),
        ..TriggerConfig::default()
    };
    Webhook::from_config(&cfg, &|_| None).unwrap().unwrap()
}

fn append(journal: &Path, seq: u64, triggers: &[&str]) -> u64 {
    let effects = triggers
        .iter()
        .map(|t| Effect::trigger_fired(t.to_string(), None, 1, 0))
        .collect();
    let e = Entry {
        seq,
        at: Timestamp(1_700_000_000_000 + seq as i64),
        input: Input::Tick,
        effects,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(journal)
        .unwrap();
    writeln!(f, "{}", serde_json::to_string(&e).unwrap()).unwrap();
    std::fs::metadata(journal).unwrap().len()
}

/// The inbox as the party loop would see it: health lines by name, failed triggers.
fn listen(mut rx: mpsc::Receiver<Msg>) -> mpsc::UnboundedReceiver<Msg> {
    let (tx, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = rx.recv().await {
            let _ = tx.send(m);
        }
    });
    out
}

async fn until<T>(
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    mut want: impl FnMut(&Msg) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let m = rx.recv().await.expect("inbox open");
            if let Some(t) = want(&m) {
                return t;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("in time")
}

fn health_of(m: &Msg) -> Option<(HealthLevel, String)> {
    match m {
        Msg::Health(h) if h.name == "webhooks" => Some((h.level, h.detail.clone())),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggers_have_a_status_dead_letters_and_a_429_holds_every_call() {
    let calls = Calls::default();
    let app = axum::Router::new()
        .route("/{p}", axum::routing::post(service))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    // The evening so far: triggers were off, so this one is never called.
    append(&journal, 0, &["ok"]);
    let hooks = ["ok", "bad", "busy"].map(|n| hook(n, &base)).to_vec();
    let outlet = Triggers::new(hooks, webhook::WEBHOOK_TIMEOUT);
    let (inbox, rx) = Inbox::new();
    let mut rx = listen(rx);
    let files = files("p", &journal, dir.path());
    let tuning = Tuning {
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(20),
        ..tuning()
    };
    let outbox = Outbox::for_outlet(files, outlet, tuning, Clock::system(), Some(inbox));
    let cursor = CursorFile::new(dir.path().join("export/p.triggers.cursor"));
    assert_eq!(
        cursor.load().offset,
        std::fs::metadata(&journal).unwrap().len()
    );
    let mut acked = outbox.acked();
    let (committed, wake) = watch::channel(std::fs::metadata(&journal).unwrap().len());
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(Some(wake), stop.clone()));

    committed.send_replace(append(&journal, 1, &["busy", "bad"]));
    // The refusal comes back as a failed trigger; the 429 is on the status line once the
    // outlet has taken it in (and holds every call from then on).
    let (mut failed, mut busy_line) = (None, None);
    until(&mut rx, |m| {
        match m {
            Msg::Input {
                input: Input::Result(AdapterResult::TriggerFailed { trigger, reason }),
                ..
            } => failed = Some((trigger.clone(), reason.clone())),
            m => {
                if let Some(h) = health_of(m).filter(|h| h.1.contains("HTTP 429")) {
                    busy_line = Some(h);
                }
            }
        }
        (failed.is_some() && busy_line.is_some()).then_some(())
    })
    .await;
    assert_eq!(failed.unwrap(), ("bad".to_string(), "HTTP 400".to_string()));
    let (level, line) = busy_line.unwrap();
    assert_eq!(level, HealthLevel::Warn, "{line}");
    let end = append(&journal, 2, &["ok"]);
    committed.send_replace(end);
    tokio::time::timeout(Duration::from_secs(20), acked.wait_for(|c| c.offset == end))
        .await
        .expect("every call answered")
        .unwrap();
    let (_, line) = until(&mut rx, |m| {
        health_of(m).filter(|h| h.1.contains("dead-lettered"))
    })
    .await;
    assert!(
        line.ends_with("1 dead-lettered to export/p.triggers.dead.jsonl"),
        "{line}"
    );
    stop.cancel();
    task.await.unwrap();

    let calls = calls.lock().unwrap().clone();
    let at = |p: &str| {
        calls
            .iter()
            .filter(|c| c.0 == p)
            .map(|c| c.1)
            .collect::<Vec<_>>()
    };
    let (busy, ok) = (at("busy"), at("ok"));
    assert_eq!(
        (busy.len(), ok.len(), at("bad").len()),
        (2, 1, 1),
        "{calls:?}"
    );
    // "ok" has nothing to do with "busy", yet it waited out busy's Retry-After.
    assert!(ok[0] - busy[0] >= Duration::from_millis(500), "{calls:?}");
    assert!(busy[1] - busy[0] >= Duration::from_millis(500), "{calls:?}");
    let dead = std::fs::read_to_string(dir.path().join("export/p.triggers.dead.jsonl")).unwrap();
    let letters: Vec<DeadLetter> = dead
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(
        (letters[0].status, letters[0].reason.as_str()),
        (400, "HTTP 400")
    );
    assert_eq!(letters[0].event["trigger"], "bad");
    assert_eq!(letters[0].event["event"], "p:1:1");
}

#[test]
fn only_triggers_with_a_webhook_are_mapped_with_party_and_vote_url() {
    let outlet = Triggers::new(
        vec![hook("ok", "http://127.0.0.1:9")],
        webhook::WEBHOOK_TIMEOUT,
    )
    .with_vote_url(Some("http://pi:8080/"));
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    append(&journal, 4, &["log-only", "ok"]);
    let line = std::fs::read_to_string(&journal).unwrap();
    let entry: Entry = serde_json::from_str(line.trim()).unwrap();
    let calls = outlet.map("fri", &entry);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, "fri:4:1");
    assert_eq!(calls[0].fired.party, "fri");
    assert_eq!(calls[0].fired.vote_url, "http://pi:8080/");
    assert_eq!(outlet.start_at(), StartAt::End);
}
