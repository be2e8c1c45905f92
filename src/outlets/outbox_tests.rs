//! The outbox on paused time with a scripted in-memory receiver: delivery order and cursor,
//! back-off and Retry-After, bisecting to a poisoned event, flush interval, batch size, restart.
use super::*;
use crate::bus::inbox::{Inbox, Msg};
use crate::core::Timestamp;
use crate::core::{Effect, HostCommand, Input};
use crate::journal::Entry;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: Timestamp = Timestamp(1_700_000_000_000);

#[derive(Default)]
struct FakeState {
    script: VecDeque<Outcome>,
    poison: HashSet<String>,
    accepted: Vec<Value>,
    attempts: Vec<(Instant, usize)>,
}

#[derive(Clone, Default)]
struct Fake(Arc<Mutex<FakeState>>);

impl Transport for Fake {
    async fn post(&self, body: Vec<u8>) -> Outcome {
        let events: Vec<Value> = serde_json::from_slice(&body).unwrap();
        let mut s = self.0.lock().unwrap();
        s.attempts.push((Instant::now(), events.len()));
        if let Some(o) = s.script.pop_front() {
            return o;
        }
        if events
            .iter()
            .any(|e| s.poison.contains(e["batchId"].as_str().unwrap()))
        {
            return Outcome::Rejected {
                status: 400,
                reason: "HTTP 400: bad event".into(),
            };
        }
        s.accepted.extend(events);
        Outcome::Accepted
    }
}

impl Fake {
    fn ids(&self) -> Vec<String> {
        let s = self.0.lock().unwrap();
        s.accepted
            .iter()
            .map(|e| e["batchId"].as_str().unwrap().to_string())
            .collect()
    }
    fn attempts(&self) -> Vec<(Instant, usize)> {
        self.0.lock().unwrap().attempts.clone()
    }
}

/// Appends `n` lines with `per` host-command effects each; returns the file length.
fn append(path: &Path, first_seq: u64, n: u64, per: usize) -> u64 {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    for seq in first_seq..first_seq + n {
        let e = Entry {
            seq,
            at: T0,
            input: Input::host(HostCommand::ResetVotes),
            effects: vec![
                Effect::Host {
                    command: HostCommand::ResetVotes,
                    by: Default::default(),
                };
                per
            ],
        };
        writeln!(f, "{}", serde_json::to_string(&e).unwrap()).unwrap();
    }
    std::fs::metadata(path).unwrap().len()
}

struct Setup {
    dir: tempfile::TempDir,
    fake: Fake,
}

impl Setup {
    fn new() -> Self {
        Setup {
            dir: tempfile::tempdir().unwrap(),
            fake: Fake::default(),
        }
    }
    fn journal(&self) -> PathBuf {
        self.dir.path().join("p.jsonl")
    }
    fn dead(&self) -> PathBuf {
        self.dir.path().join("p.dead.jsonl")
    }
    fn outbox(&self, tuning: Tuning, inbox: Option<Inbox>) -> Outbox<EventsApi<Fake>> {
        let files = OutboxFiles {
            party: "p".into(),
            journal: self.journal(),
            cursor: self.dir.path().join("p.cursor"),
            dead_letters: self.dead(),
        };
        let clock = Clock::starting_at(T0, 1.0);
        let format = MetadataFormat::Map;
        let names = FieldNames::default();
        Outbox::new(
            files,
            self.fake.clone(),
            names,
            format,
            tuning,
            clock,
            inbox,
        )
    }
    /// Runs an outbox until its cursor reaches `end`, then stops it.
    async fn run_until(&self, tuning: Tuning, inbox: Option<Inbox>, end: u64) {
        let outbox = self.outbox(tuning, inbox);
        let mut acked = outbox.acked();
        let stop = CancellationToken::new();
        let task = tokio::spawn(outbox.run(None, stop.clone()));
        acked.wait_for(|c| c.offset == end).await.unwrap();
        stop.cancel();
        task.await.unwrap();
    }
}

fn ids(seqs: std::ops::Range<u64>, per: usize) -> Vec<String> {
    seqs.flat_map(|s| (0..per).map(move |i| format!("p:{s}:{i}")))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn everything_is_delivered_in_order_and_the_cursor_saved() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 5, 2);
    s.run_until(Tuning::default(), None, end).await;
    assert_eq!(s.fake.ids(), ids(0..5, 2));
    let saved = CursorFile::new(s.dir.path().join("p.cursor")).load();
    assert_eq!((saved.offset, saved.seq), (end, Some(4)));
    // A restart sends only what is new.
    let end2 = append(&s.journal(), 5, 1, 1);
    s.run_until(Tuning::default(), None, end2).await;
    assert_eq!(s.fake.ids()[10..], ids(5..6, 1));
}

#[tokio::test(start_paused = true)]
async fn errors_back_off_and_retry_after_is_honoured() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 1, 1);
    let retry = |after| Outcome::Retry {
        reason: "HTTP 503: busy".into(),
        after,
    };
    s.fake.0.lock().unwrap().script = [
        retry(None),
        retry(None),
        retry(Some(Duration::from_secs(7))),
    ]
    .into();
    let (inbox, mut rx) = Inbox::new();
    let tuning = Tuning {
        backoff_base: Duration::from_secs(1),
        ..Tuning::default()
    };
    s.run_until(tuning, Some(inbox), end).await;
    let times: Vec<Instant> = s.fake.attempts().iter().map(|a| a.0).collect();
    assert_eq!(times.len(), 4);
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] >= Duration::from_millis(500) && gaps[0] <= Duration::from_secs(1));
    assert!(gaps[1] >= Duration::from_secs(1) && gaps[1] <= Duration::from_secs(2));
    assert!(gaps[2] >= Duration::from_secs(7), "{gaps:?}");
    assert_eq!(s.fake.ids(), ids(0..1, 1));
    let mut lines = vec![];
    while let Ok(Msg::Health(h)) = rx.try_recv() {
        lines.push((h.level, h.detail));
    }
    assert!(
        lines
            .iter()
            .any(|(l, d)| *l == crate::core::HealthLevel::Warn && d.contains("HTTP 503: busy")),
        "{lines:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_poisoned_event_is_dead_lettered_and_the_rest_flows() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 9, 1);
    s.fake.0.lock().unwrap().poison.insert("p:6:0".into());
    s.run_until(Tuning::default(), None, end).await;
    let mut want = ids(0..9, 1);
    want.retain(|id| id != "p:6:0");
    assert_eq!(s.fake.ids(), want);
    let dead = std::fs::read_to_string(s.dead()).unwrap();
    let letters: Vec<DeadLetter> = dead
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].event["batchId"], "p:6:0");
    assert_eq!(letters[0].status, 400);
    // Bisection costs a handful of requests, not one per event.
    assert!(s.fake.attempts().len() <= 8, "{}", s.fake.attempts().len());
}

#[tokio::test(start_paused = true)]
async fn batches_respect_the_size_limit_and_the_flush_interval() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 5, 2);
    let tuning = Tuning {
        max_batch: 4,
        flush_interval: Duration::from_secs(3),
        ..Tuning::default()
    };
    s.run_until(tuning, None, end).await;
    let attempts = s.fake.attempts();
    let sizes: Vec<usize> = attempts.iter().map(|a| a.1).collect();
    assert_eq!(sizes, [4, 4, 2]);
    // Full batches go at once; the last, partial one waits for the flush interval.
    assert_eq!(attempts[1].0, attempts[0].0);
    assert_eq!(attempts[2].0 - attempts[1].0, Duration::from_secs(3));
    assert_eq!(s.fake.ids(), ids(0..5, 2));
}

#[tokio::test(start_paused = true)]
async fn a_wrong_key_is_retried_slowly_and_nothing_is_dead_lettered() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 3, 1);
    s.fake.0.lock().unwrap().script = [Outcome::Misconfigured {
        status: 401,
        reason: "HTTP 401: bad key".into(),
    }]
    .into();
    s.run_until(Tuning::default(), None, end).await;
    let a = s.fake.attempts();
    assert!(a[1].0 - a[0].0 >= MISCONFIGURED_RETRY);
    assert_eq!(s.fake.ids(), ids(0..3, 1));
    assert!(!s.dead().exists());
}

#[tokio::test(start_paused = true)]
async fn a_cursor_that_does_not_fit_the_journal_starts_over() {
    let s = Setup::new();
    let end = append(&s.journal(), 0, 2, 1);
    CursorFile::new(s.dir.path().join("p.cursor"))
        .save(Cursor {
            offset: 5,
            seq: None,
        })
        .unwrap();
    s.run_until(Tuning::default(), None, end).await;
    assert_eq!(s.fake.ids(), ids(0..2, 1));
}
