//! The outbox with several sends in flight, on paused time, with an outlet whose sends finish
//! only when the test opens their gate: the cursor passes lines in journal order whatever
//! order the answers come in; a Retry-After from one send holds them all; an outlet new to an
//! old party starts at the journal's end, and an existing cursor (the old trigger runner's
//! file included) is resumed.
use super::*;
use crate::core::{Effect, HostCommand, Input, Timestamp};
use crate::journal::Entry;
use crate::outlets::outlet::StartAt;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;

#[derive(Default)]
struct GateState {
    /// (when, seq) of every attempt.
    attempts: Vec<(Instant, u64)>,
    /// Answers to give per seq, in turn; `Accepted` once they run out.
    script: HashMap<u64, VecDeque<Outcome>>,
    delivered: Vec<u64>,
}

/// One item per journal line (its seq); a send waits until its seq is in `open`.
#[derive(Clone)]
struct Gated {
    state: Arc<Mutex<GateState>>,
    open: Arc<watch::Sender<HashSet<u64>>>,
    tries: Arc<watch::Sender<usize>>,
    start: StartAt,
}

impl Gated {
    fn new(start: StartAt) -> Self {
        Gated {
            state: Arc::default(),
            open: Arc::new(watch::channel(HashSet::new()).0),
            tries: Arc::new(watch::channel(0).0),
            start,
        }
    }
    fn release(&self, seqs: &[u64]) {
        self.open.send_modify(|o| o.extend(seqs));
    }
    fn attempts(&self) -> Vec<(Instant, u64)> {
        self.state.lock().unwrap().attempts.clone()
    }
    fn delivered(&self) -> Vec<u64> {
        self.state.lock().unwrap().delivered.clone()
    }
}

impl Outlet for Gated {
    type Item = u64;
    type Prepared = Vec<u64>;
    fn map(&self, _party: &str, entry: &Entry) -> Vec<u64> {
        vec![entry.seq]
    }
    fn prepare(&self, items: &[u64]) -> Vec<u64> {
        items.to_vec()
    }
    async fn send(&self, items: &Vec<u64>) -> Outcome {
        let seq = items[0];
        self.state
            .lock()
            .unwrap()
            .attempts
            .push((Instant::now(), seq));
        self.tries.send_modify(|n| *n += 1);
        let _ = self.open.subscribe().wait_for(|o| o.contains(&seq)).await;
        let mut s = self.state.lock().unwrap();
        match s.script.get_mut(&seq).and_then(VecDeque::pop_front) {
            Some(answer) => answer,
            None => {
                s.delivered.push(seq);
                Outcome::Accepted
            }
        }
    }
    fn dead_letter(&self, item: &u64) -> Value {
        json!(item)
    }
    fn name(&self) -> &str {
        "gated"
    }
    fn config_hint(&self) -> &str {
        ""
    }
    fn start_at(&self) -> StartAt {
        self.start
    }
    fn refused(&self, _item: &u64, _reason: &str) -> Option<Input> {
        Some(Input::Tick)
    }
}

/// Appends lines `seqs`, one effect each; returns where each ends.
fn append(path: &Path, seqs: std::ops::Range<u64>) -> Vec<u64> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut ends = vec![];
    for seq in seqs {
        let e = Entry {
            seq,
            at: Timestamp(1_700_000_000_000),
            input: Input::host(HostCommand::ResetVotes),
            effects: vec![Effect::Host {
                command: HostCommand::ResetVotes,
                by: Default::default(),
            }],
        };
        writeln!(f, "{}", serde_json::to_string(&e).unwrap()).unwrap();
        f.flush().unwrap();
        ends.push(std::fs::metadata(path).unwrap().len());
    }
    ends
}

fn files(dir: &Path, cursor: &str) -> OutboxFiles {
    OutboxFiles {
        party: "p".into(),
        journal: dir.join("p.jsonl"),
        cursor: dir.join(cursor),
        dead_letters: dir.join("p.dead.jsonl"),
    }
}

fn windowed(window: usize) -> Tuning {
    Tuning {
        flush_interval: Duration::ZERO,
        max_batch: 1,
        window,
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(4),
        ..Tuning::default()
    }
}

fn outbox(dir: &Path, cursor: &str, outlet: &Gated, tuning: Tuning) -> Outbox<Gated> {
    let clock = Clock::starting_at(Timestamp(1_700_000_000_000), 1.0);
    Outbox::for_outlet(files(dir, cursor), outlet.clone(), tuning, clock, None)
}

/// Let every task run until all wait on something (paused time moves only then).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test(start_paused = true)]
async fn sends_fly_together_and_the_cursor_passes_them_in_journal_order() {
    let dir = tempfile::tempdir().unwrap();
    let ends = append(&dir.path().join("p.jsonl"), 0..4);
    let gated = Gated::new(StartAt::Beginning);
    let outbox = outbox(dir.path(), "p.cursor", &gated, windowed(3));
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    // Three at once, the fourth waits for a place.
    gated.tries.subscribe().wait_for(|n| *n == 3).await.unwrap();
    settle().await;
    let first = gated.attempts();
    assert_eq!(first.iter().map(|a| a.1).collect::<Vec<_>>(), [0, 1, 2]);
    assert!(
        first.iter().all(|a| a.0 == first[0].0),
        "all three in flight together"
    );
    // Lines 2 and 1 are confirmed before 0: the cursor may not pass 0, so it stays put.
    gated.release(&[2, 1]);
    gated.tries.subscribe().wait_for(|n| *n == 4).await.unwrap();
    settle().await;
    assert_eq!(acked.borrow_and_update().offset, 0);
    assert_eq!(gated.delivered().len(), 2, "1 and 2 were confirmed");
    // Line 0 confirmed: the cursor passes 0, 1 and 2 at once; then 3.
    gated.release(&[0]);
    acked.wait_for(|c| c.offset == ends[2]).await.unwrap();
    gated.release(&[3]);
    acked.wait_for(|c| c.offset == ends[3]).await.unwrap();
    stop.cancel();
    task.await.unwrap();
    let saved = CursorFile::new(dir.path().join("p.cursor")).load();
    assert_eq!((saved.offset, saved.seq), (ends[3], Some(3)));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_from_one_send_holds_every_send() {
    let dir = tempfile::tempdir().unwrap();
    let ends = append(&dir.path().join("p.jsonl"), 0..3);
    let gated = Gated::new(StartAt::Beginning);
    gated.release(&[0, 1, 2, 3]);
    {
        let mut s = gated.state.lock().unwrap();
        let retry = |after| Outcome::Retry {
            reason: "HTTP 429: slow down".into(),
            after,
        };
        s.script
            .insert(0, [retry(Some(Duration::from_secs(30)))].into());
        // Its own back-off alone would try it again within a second.
        s.script.insert(1, [retry(None)].into());
    }
    let outbox = outbox(dir.path(), "p.cursor", &gated, windowed(3));
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    gated.tries.subscribe().wait_for(|n| *n == 3).await.unwrap();
    // A line written during the hold waits for it too.
    let t0 = gated.attempts()[0].0;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let end = append(&dir.path().join("p.jsonl"), 3..4)[0];
    acked.wait_for(|c| c.offset == end).await.unwrap();
    stop.cancel();
    task.await.unwrap();
    let later: Vec<(Duration, u64)> = gated
        .attempts()
        .iter()
        .filter(|a| a.0 > t0)
        .map(|a| (a.0 - t0, a.1))
        .collect();
    assert_eq!(later.len(), 3, "0 and 1 again, and 3: {later:?}");
    assert!(
        later.iter().all(|(d, _)| *d >= Duration::from_secs(30)),
        "nothing went before the 30 s Retry-After ran out: {later:?}"
    );
    let mut delivered = gated.delivered();
    delivered.sort();
    assert_eq!(delivered, [0, 1, 2, 3]);
    assert!(ends[2] < end);
}

#[tokio::test(start_paused = true)]
async fn a_new_outlet_on_an_old_party_starts_at_the_end_and_an_old_cursor_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    let ends = append(&journal, 0..3);
    let from_end = Gated::new(StartAt::End);
    let whole = Gated::new(StartAt::Beginning);
    let resumed = Gated::new(StartAt::End);
    for g in [&from_end, &whole, &resumed] {
        g.release(&[0, 1, 2, 3]);
    }
    // The trigger runner of the last release wrote this (seq: null) where line 1 starts.
    std::fs::write(
        dir.path().join("p.triggers.cursor"),
        format!(r#"{{"offset":{},"seq":null}}"#, ends[0]),
    )
    .unwrap();
    let a = outbox(dir.path(), "p.new.cursor", &from_end, windowed(2));
    // Placed and saved before the party writes anything more: a crash before the first send
    // still starts there.
    let placed = CursorFile::new(dir.path().join("p.new.cursor")).load();
    assert_eq!(placed.offset, ends[2]);
    let b = outbox(dir.path(), "p.whole.cursor", &whole, windowed(2));
    let c = outbox(dir.path(), "p.triggers.cursor", &resumed, windowed(2));
    let end = append(&journal, 3..4)[0];
    let stop = CancellationToken::new();
    let mut waits = vec![];
    for (mut acked, run) in [
        (a.acked(), tokio::spawn(a.run(None, stop.clone()))),
        (b.acked(), tokio::spawn(b.run(None, stop.clone()))),
        (c.acked(), tokio::spawn(c.run(None, stop.clone()))),
    ] {
        acked.wait_for(|c| c.offset == end).await.unwrap();
        waits.push(run);
    }
    stop.cancel();
    for w in waits {
        w.await.unwrap();
    }
    assert_eq!(
        from_end.delivered(),
        [3],
        "only what came after it was turned on"
    );
    assert_eq!(
        whole.delivered(),
        [0, 1, 2, 3],
        "StartAt::Beginning: the whole party"
    );
    assert_eq!(
        resumed.delivered(),
        [1, 2, 3],
        "resumed from the old trigger cursor"
    );
}

#[tokio::test(start_paused = true)]
async fn a_send_that_never_gets_through_is_given_up_after_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let ends = append(&dir.path().join("p.jsonl"), 0..2);
    let gated = Gated::new(StartAt::Beginning);
    gated.release(&[0, 1]);
    let busy = || Outcome::Retry {
        reason: "HTTP 503".into(),
        after: None,
    };
    gated
        .state
        .lock()
        .unwrap()
        .script
        .insert(0, [busy(), busy(), busy()].into());
    let (inbox, mut rx) = crate::bus::inbox::Inbox::new();
    let tuning = Tuning {
        max_attempts: Some(3),
        ..windowed(2)
    };
    let clock = Clock::starting_at(Timestamp(1_700_000_000_000), 1.0);
    let files = files(dir.path(), "p.cursor");
    let outbox = Outbox::for_outlet(files, gated.clone(), tuning, clock, Some(inbox));
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    acked.wait_for(|c| c.offset == ends[1]).await.unwrap();
    stop.cancel();
    task.await.unwrap();
    assert_eq!(gated.delivered(), [1]);
    assert_eq!(gated.attempts().iter().filter(|a| a.1 == 0).count(), 3);
    let text = std::fs::read_to_string(dir.path().join("p.dead.jsonl")).unwrap();
    let letter: DeadLetter = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        (letter.status, letter.reason.as_str()),
        (0, "HTTP 503 after 3 attempts")
    );
    assert_eq!(letter.event, json!(0));
    // The outlet's word to the party (a failed trigger, for triggers) went through the inbox.
    let mut told = false;
    while let Ok(m) = rx.try_recv() {
        told |= matches!(
            m,
            crate::bus::inbox::Msg::Input {
                input: Input::Tick,
                ..
            }
        );
    }
    assert!(told);
}
