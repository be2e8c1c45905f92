//! The loop with a journal that fails on demand (a full disk), on tokio's paused clock: during
//! the failure votes are refused at once without a write, the party is rebuilt once per
//! failure, only probes reach the journal, and the party resumes by itself once one succeeds.
use super::*;
use crate::app::outage::{PROBE_IDLE, PROBE_WAITING};
use crate::bus::inbox::Inbox;
use crate::core::{
    Action, Origin, PlayerUpdate, Press, PressKind, Rules, Source, Track, TransportState, Voter,
};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const T0: Timestamp = Timestamp(1_700_000_000_000);

/// The journal in memory: fails with ENOSPC while `full`; counts what reaches it.
#[derive(Default)]
struct Disk {
    entries: Vec<Entry>,
    full: bool,
    /// Batches the writer tried to append (a failed one too).
    writes: usize,
    probes: usize,
}

#[derive(Clone, Default)]
struct SharedDisk(Arc<Mutex<Disk>>);

impl SharedDisk {
    fn set_full(&self, full: bool) {
        self.0.lock().unwrap().full = full;
    }
    fn writes(&self) -> usize {
        self.0.lock().unwrap().writes
    }
    fn probes(&self) -> usize {
        self.0.lock().unwrap().probes
    }
    fn entries(&self) -> Vec<Entry> {
        self.0.lock().unwrap().entries.clone()
    }
}

fn enospc() -> std::io::Error {
    std::io::Error::from_raw_os_error(libc::ENOSPC)
}

impl Store for SharedDisk {
    fn append_refs(&mut self, entries: &[&Entry]) -> std::io::Result<()> {
        let mut d = self.0.lock().unwrap();
        d.writes += 1;
        if d.full {
            return Err(enospc());
        }
        d.entries.extend(entries.iter().map(|e| (*e).clone()));
        Ok(())
    }
    fn probe(&mut self) -> std::io::Result<()> {
        let mut d = self.0.lock().unwrap();
        d.probes += 1;
        if d.full { Err(enospc()) } else { Ok(()) }
    }
    fn next_seq(&self) -> u64 {
        self.0
            .lock()
            .unwrap()
            .entries
            .last()
            .map_or(0, |e| e.seq + 1)
    }
    fn durable_len(&self) -> u64 {
        self.0.lock().unwrap().entries.len() as u64
    }
    fn take_notice(&mut self) -> Option<String> {
        None
    }
}

/// The party as `entries` make it, as a restart would replay them.
fn replayed(entries: &[Entry]) -> Party {
    let mut party = Party::new("test", Rules::default());
    for e in entries {
        party.apply(&e.input, e.at);
    }
    party
}

fn play(n: u32) -> Input {
    Input::Player(PlayerUpdate {
        source: Source::Demo,
        player: "Demo".into(),
        state: TransportState::Playing,
        track: Some(Track {
            id: Some(format!("t{n}")),
            title: format!("Song {n}"),
            artist: "Band".into(),
            duration_ms: Some(3_600_000),
            ..Track::default()
        }),
        position_ms: Some(0),
    })
}

fn like(guest: u32) -> Input {
    Input::Press(Press {
        voter: Voter::guest(&format!("g{guest}")),
        origin: Origin::Phone,
        kind: PressKind::Vote(Action::Like),
        battery: None,
    })
}

struct Running {
    disk: SharedDisk,
    inbox: Inbox,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    rebuilds: Arc<AtomicUsize>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Party>,
}

impl Running {
    /// A party whose rebuilds replay the disk, failing the first `failing_rebuilds`.
    fn start(failing_rebuilds: usize) -> Running {
        let disk = SharedDisk::default();
        let (inbox, rx) = Inbox::new();
        let party = Party::new("test", Rules::default());
        let (snap_tx, snapshots) = watch::channel(Arc::new(party.snapshot(T0)));
        let rebuilds = Arc::new(AtomicUsize::new(0));
        let (count, from) = (rebuilds.clone(), disk.clone());
        let rebuild: Rebuild = Box::new(move || {
            if count.fetch_add(1, Ordering::SeqCst) < failing_rebuilds {
                anyhow::bail!("cannot read the journal");
            }
            Ok(replayed(&from.entries()))
        });
        let clock = Clock::starting_at(T0, 1.0);
        let engine = Engine::on_store(
            party,
            Box::new(disk.clone()),
            clock,
            EffectSinks::default(),
            snap_tx,
        )
        .with_rebuild(rebuild);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(engine.run(rx, shutdown.clone()));
        Running {
            disk,
            inbox,
            snapshots,
            rebuilds,
            shutdown,
            task,
        }
    }

    fn rebuilds(&self) -> usize {
        self.rebuilds.load(Ordering::SeqCst)
    }

    fn likes(&self) -> u32 {
        self.snapshots.borrow().votes.likes
    }

    fn journal_health(&self) -> Option<String> {
        let snap = self.snapshots.borrow();
        snap.health
            .iter()
            .find(|h| h.name == "journal")
            .map(|h| h.detail.clone())
    }

    /// Lets paused time run on until `done` holds (it advances only when every task, the
    /// blocking rebuild included, is waiting); fails after a minute of party time.
    async fn until(&self, what: &str, done: impl Fn(&Running) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "never happened: {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) -> (Party, SharedDisk) {
        self.shutdown.cancel();
        (self.task.await.unwrap(), self.disk)
    }
}

#[tokio::test(start_paused = true)]
async fn a_full_disk_refuses_votes_without_writing_rebuilds_once_and_resumes_after_a_probe() {
    let p = Running::start(0);
    p.inbox.submit(play(1)).await.unwrap();
    p.inbox.submit(like(0)).await.unwrap();
    assert_eq!(p.disk.writes(), 2);
    assert_eq!(p.likes(), 1);

    p.disk.set_full(true);
    // The vote that finds the disk full: written, failed, not answered (503).
    assert!(p.inbox.submit(like(1)).await.is_err());
    assert_eq!(p.disk.writes(), 3);
    p.until("the rebuild", |p| p.rebuilds() == 1).await;
    assert!(
        p.journal_health()
            .is_some_and(|d| d.starts_with("disk full")),
        "{:?}",
        p.journal_health()
    );
    // A flood of votes while it lasts: every one refused at once, none reaches the writer,
    // none is counted, and the party is not rebuilt again.
    for guest in 2..202 {
        assert!(p.inbox.submit(like(guest)).await.is_err(), "vote {guest}");
    }
    // Something nobody waits for (the player moving on) is kept for later, not written.
    p.inbox.send(play(2)).await.unwrap();
    assert_eq!(p.disk.writes(), 3, "no write while the journal fails");
    assert_eq!(p.rebuilds(), 1, "one rebuild per failure");
    assert_eq!(p.likes(), 1);

    // Only probes touch the disk: soon after refused votes, then every PROBE_IDLE.
    let probes = p.disk.probes();
    tokio::time::sleep(PROBE_IDLE * 3).await;
    let more = p.disk.probes() - probes;
    assert!((1..=4).contains(&more), "{more} probes in 15 s");
    assert_eq!((p.disk.writes(), p.rebuilds()), (3, 1));

    // The space comes back: a refused vote brings the next probe within PROBE_WAITING, and
    // after it the party takes votes again, by itself.
    p.disk.set_full(false);
    assert!(p.inbox.submit(like(300)).await.is_err());
    let refused_at = Instant::now();
    p.until("the probe that succeeds", |p| p.journal_health().is_none())
        .await;
    assert!(refused_at.elapsed() <= PROBE_WAITING);
    // What was kept went in first, without waiting for another input.
    p.until("the kept player update", |p| p.disk.writes() == 4)
        .await;
    let effects = p.inbox.submit(like(301)).await.unwrap();
    assert!(!effects.is_empty());
    assert_eq!(p.likes(), 1, "the like counts for the new track only");
    assert_eq!(p.rebuilds(), 1);

    // A second failure is a second rebuild, and only one.
    p.disk.set_full(true);
    for guest in 400..450 {
        assert!(p.inbox.submit(like(guest)).await.is_err());
    }
    p.until("the second rebuild", |p| p.rebuilds() == 2).await;
    for guest in 450..500 {
        assert!(p.inbox.submit(like(guest)).await.is_err());
    }
    assert_eq!(p.rebuilds(), 2);

    let (party, disk) = p.stop().await;
    let entries = disk.entries();
    assert_eq!(
        entries
            .iter()
            .filter(|e| matches!(e.input, Input::Player(_)))
            .count(),
        2,
        "the kept player update is in the journal"
    );
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..entries.len() as u64).collect::<Vec<_>>());
    assert_eq!(party, replayed(&entries), "the party is its journal");
}

#[tokio::test(start_paused = true)]
async fn a_rebuild_that_fails_is_tried_again_later_not_once_per_vote() {
    let p = Running::start(2);
    p.inbox.submit(play(1)).await.unwrap();
    p.inbox.submit(like(0)).await.unwrap();
    p.disk.set_full(true);
    assert!(p.inbox.submit(like(1)).await.is_err());
    p.until("the first rebuild", |p| p.rebuilds() == 1).await;
    // The status line says what happened, though the party cannot be rebuilt yet; readers
    // keep the counts they saw.
    assert!(p.journal_health().is_some());
    assert_eq!(p.likes(), 1);
    for guest in 2..100 {
        assert!(p.inbox.submit(like(guest)).await.is_err());
    }
    assert_eq!(p.rebuilds(), 1, "not once per vote");
    assert_eq!(
        p.disk.probes(),
        0,
        "no probe before the party is the journal's"
    );
    p.until("the third rebuild, which works", |p| p.rebuilds() == 3)
        .await;
    p.disk.set_full(false);
    assert!(p.inbox.submit(like(100)).await.is_err());
    p.until("the probe that succeeds", |p| p.journal_health().is_none())
        .await;
    p.inbox.submit(like(101)).await.unwrap();
    assert_eq!(p.likes(), 2);
    let (party, disk) = p.stop().await;
    assert_eq!(party, replayed(&disk.entries()));
}

/// The journal's probe writes a byte and cuts it off again: the file is as it was, and a
/// newline left by a crash between the two is an empty line that open and replay skip.
#[test]
fn a_probe_leaves_the_journal_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (journal, _) = Journal::open(&path).unwrap();
    let mut store: Box<dyn Store> = Box::new(journal);
    let entry = |seq| Entry {
        seq,
        at: T0,
        input: like(seq as u32),
        effects: Vec::new(),
    };
    store.append_refs(&[&entry(0)]).unwrap();
    let before = std::fs::read(&path).unwrap();
    store.probe().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(store.durable_len(), before.len() as u64);
    store.append_refs(&[&entry(1)]).unwrap();
    drop(store);
    // As if a crash came between a probe's write and its cut.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"\n"))
        .unwrap();
    let (journal, recovery) = Journal::open(&path).unwrap();
    assert_eq!((journal.next_seq(), recovery.entries), (2, 2));
    let mut party = Party::new("test", Rules::default());
    let replayed = crate::journal::replay(&mut party, &path).unwrap();
    assert_eq!(replayed.entries, 2);
}
