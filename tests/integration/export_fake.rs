//! The exporter against a fake events API on 127.0.0.1 that validates every request: delivery
//! through injected failures, a poisoned event, a wrong key, the batch limit. Real sockets need
//! real time (tokio's paused clock would fire the request timeout while waiting on a socket),
//! so back-off is tuned short here; the schedule itself is tested on paused time in
//! src/outlets/outbox_tests.rs. The crash test is in export_crash.rs.
use crate::fake_events;

use fake_events::{Fail, FakeEvents, wait_for};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::*;
use party_tui::journal::Entry;
use party_tui::outlets::client::HttpTransport;
use party_tui::outlets::outbox::{Outbox, OutboxFiles, Tuning};
use party_tui::outlets::store::CursorFile;
use party_tui::outlets::{ApiKey, FieldNames, MetadataFormat};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const KEY: &str = "s3cr3t-KEY-123";
const LIMIT: Duration = Duration::from_secs(90);

/// Every kind of effect, so every mapping is validated by the fake.
fn effects(n: u64) -> Vec<Effect> {
    let track = Track {
        id: Some(format!("t{n}")),
        title: format!("Song {n}"),
        artist: "Band".into(),
        duration_ms: Some(200_000),
        ..Track::default()
    };
    let key = track.key();
    match n % 4 {
        0 => vec![Effect::Play {
            source: Source::Demo,
            player: "Demo".into(),
            state: TransportState::Playing,
            track: Some(track),
            new_track: true,
        }],
        1 => vec![Effect::Press {
            voter: Voter::guest(&format!("g{n}")),
            origin: Origin::Phone,
            click: None,
            action: Some(Action::Skip),
            result: PressResult::Counted,
            track: Some(key),
            likes: 0,
            skips: 3,
            battery: None,
        }],
        2 => vec![
            Effect::SkipDecided {
                track: key.clone(),
                title: "Song".into(),
                likes: 0,
                skips: 3,
                needed: 3,
                by_host: false,
            },
            Effect::WindowResult {
                track: key.clone(),
                window: WindowState::Won,
                likes: 0,
                skips: 3,
                needed: 3,
            },
            Effect::trigger_fired("skip", Some(track), 0, 3),
        ],
        _ => vec![
            Effect::TrackFinished {
                track: key,
                title: "Song".into(),
                artist: "Band".into(),
                likes: 0,
                skips: 3,
                result: TrackResult::SkippedByVotes,
            },
            Effect::Host {
                command: HostCommand::SetWindow(30),
                by: Default::default(),
            },
        ],
    }
}

/// Appends journal lines `seqs`; returns every event id they hold and the file length.
fn append(path: &Path, seqs: std::ops::Range<u64>) -> (HashSet<String>, u64) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut ids = HashSet::new();
    for seq in seqs {
        let e = Entry {
            seq,
            at: Timestamp(1_700_000_000_000 + seq as i64),
            input: Input::Tick,
            effects: effects(seq),
        };
        ids.extend((0..e.effects.len()).map(|i| format!("p:{seq}:{i}")));
        writeln!(f, "{}", serde_json::to_string(&e).unwrap()).unwrap();
    }
    (ids, std::fs::metadata(path).unwrap().len())
}

struct Run {
    dir: tempfile::TempDir,
    fake: FakeEvents,
}

impl Run {
    async fn new() -> Run {
        Run {
            dir: tempfile::tempdir().unwrap(),
            fake: FakeEvents::start("party", KEY).await,
        }
    }
    fn journal(&self) -> PathBuf {
        self.dir.path().join("p.jsonl")
    }
    fn dead(&self) -> PathBuf {
        self.dir.path().join("p.dead.jsonl")
    }
    fn cursor(&self) -> CursorFile {
        CursorFile::new(self.dir.path().join("p.cursor"))
    }
    fn outbox(
        &self,
        key: &str,
        tuning: Tuning,
        inbox: Option<Inbox>,
    ) -> Outbox<party_tui::outlets::outlet::EventsApi<HttpTransport>> {
        let url = format!("{}/api/party/events", self.fake.base_url());
        let transport =
            HttpTransport::new(url, ApiKey::new(key), Duration::from_millis(500)).unwrap();
        let files = OutboxFiles {
            party: "p".into(),
            journal: self.journal(),
            cursor: self.dir.path().join("p.cursor"),
            dead_letters: self.dead(),
        };
        let clock = Clock::system();
        Outbox::new(
            files,
            transport,
            FieldNames::default(),
            MetadataFormat::Map,
            tuning,
            clock,
            inbox,
        )
    }
}

fn quick() -> Tuning {
    Tuning {
        flush_interval: Duration::from_millis(50),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        misconfigured_retry: Duration::from_millis(100),
        poll_interval: Duration::from_millis(50),
        ..Tuning::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_valid_through_500s_429s_timeouts_and_drops() {
    let r = Run::new().await;
    let (want, end) = append(&r.journal(), 0..400);
    r.fake.with(|i| {
        i.plan = [
            Fail::Status(500),
            Fail::TooMany {
                retry_after_secs: 1,
            },
            Fail::Hang(Duration::from_secs(2)),
            Fail::Drop,
            Fail::Status(503),
        ]
        .into()
    });
    let (inbox, mut rx) = Inbox::new();
    let tuning = Tuning {
        max_batch: 128,
        ..quick()
    };
    let outbox = r.outbox(KEY, tuning, Some(inbox));
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    tokio::time::timeout(LIMIT, acked.wait_for(|c| c.offset == end))
        .await
        .unwrap()
        .unwrap();
    stop.cancel();
    task.await.unwrap();

    assert_eq!(r.fake.ids(), want);
    let (violations, requests) = r.fake.with(|i| (i.violations.clone(), i.requests.clone()));
    assert!(violations.is_empty(), "{violations:?}");
    assert!(requests.iter().all(|q| q.1 <= 128));
    // The request after the 429 waited for its Retry-After.
    let after_429 = requests.iter().position(|q| q.2 == 429).unwrap();
    assert!(requests[after_429 + 1].0 - requests[after_429].0 >= Duration::from_secs(1));
    assert_eq!(r.cursor().load().offset, end);
    let mut health = vec![];
    while let Ok(Msg::Health(h)) = rx.try_recv() {
        health.push(h.detail);
    }
    assert!(health.iter().any(|h| h.contains("HTTP 429")), "{health:?}");
    assert!(health.iter().any(|h| h.contains("timeout")), "{health:?}");
    assert!(
        health.last().unwrap().starts_with("backlog 0"),
        "{health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_event_is_dead_lettered_and_the_rest_keeps_flowing() {
    let r = Run::new().await;
    let (mut want, end) = append(&r.journal(), 0..300);
    r.fake.with(|i| i.poison.insert("p:122:1".into()));
    let outbox = r.outbox(KEY, quick(), None);
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    tokio::time::timeout(LIMIT, acked.wait_for(|c| c.offset == end))
        .await
        .unwrap()
        .unwrap();
    // More events after the poisoned one still flow.
    let (more, end2) = append(&r.journal(), 300..310);
    tokio::time::timeout(LIMIT, acked.wait_for(|c| c.offset == end2))
        .await
        .unwrap()
        .unwrap();
    stop.cancel();
    task.await.unwrap();
    want.extend(more);
    want.remove("p:122:1");
    assert_eq!(r.fake.ids(), want);
    let dead = std::fs::read_to_string(r.dead()).unwrap();
    assert_eq!(dead.lines().count(), 1);
    let letter: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(letter["event"]["batchId"], "p:122:1");
    assert!(
        letter["reason"]
            .as_str()
            .unwrap()
            .contains("p:122:1 is invalid")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_retries_never_dead_letters_and_is_never_shown() {
    let r = Run::new().await;
    let (_, _) = append(&r.journal(), 0..5);
    let (inbox, mut rx) = Inbox::new();
    let wrong = "WRONG-k3y-987";
    let stop = CancellationToken::new();
    let task = tokio::spawn(
        r.outbox(wrong, quick(), Some(inbox))
            .run(None, stop.clone()),
    );
    wait_for("three refused attempts", LIMIT, || {
        (r.fake
            .with(|i| i.requests.iter().filter(|q| q.2 == 401).count())
            >= 3)
            .then_some(())
    })
    .await;
    stop.cancel();
    task.await.unwrap();
    assert!(!r.dead().exists());
    assert_eq!(r.cursor().load().offset, 0);
    let mut errors = vec![];
    while let Ok(Msg::Health(h)) = rx.try_recv() {
        assert!(!h.detail.contains(wrong), "key shown: {}", h.detail);
        if h.level == HealthLevel::Error {
            errors.push(h.detail);
        }
    }
    assert!(
        errors
            .iter()
            .any(|e| e.contains("HTTP 401") && e.contains("<redacted>")),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_backlog_goes_in_requests_of_at_most_10000() {
    let r = Run::new().await;
    let (want, end) = append(&r.journal(), 0..14_000); // 24,500 events
    let started = Instant::now();
    let outbox = r.outbox(KEY, quick(), None);
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    tokio::time::timeout(LIMIT, acked.wait_for(|c| c.offset == end))
        .await
        .unwrap()
        .unwrap();
    stop.cancel();
    task.await.unwrap();
    let sizes: Vec<usize> = r.fake.with(|i| i.requests.iter().map(|q| q.1).collect());
    assert!(sizes.iter().all(|&n| n <= 10_000), "{sizes:?}");
    assert!(
        sizes.iter().filter(|&&n| n >= 9_990).count() >= 2,
        "{sizes:?}"
    );
    assert_eq!(r.fake.ids(), want);
    eprintln!(
        "24,500 events drained in {:?} ({sizes:?})",
        started.elapsed()
    );
}
