//! The journal writer behind the party loop: it writes and syncs batches while the loop
//! applies the next ones (a pipelined group commit), and answers each input only after the
//! sync that covers it, strictly in order.
//!
//! A failed write or sync fails its batch and every batch after it that the loop had applied
//! on top of it: the writer has cut the file back to its durable length, drops those answers
//! (a waiting vote gets 503) and says `Failed`; the loop rolls the party back and starts a new
//! epoch. Until then the writer drops whatever still arrives from the failed epoch. While the
//! journal keeps failing the loop sends nothing but `Probe`s.
use crate::core::Effect;
use crate::journal::{Entry, Journal};
use tokio::sync::{mpsc, oneshot};

/// What the writer writes to: the party's journal (a trait so that tests can make it fail and
/// count what reaches it).
pub(crate) trait Store: Send + 'static {
    fn append_refs(&mut self, entries: &[&Entry]) -> std::io::Result<()>;
    /// Whether writing works again after a failure, without writing an entry.
    fn probe(&mut self) -> std::io::Result<()>;
    fn next_seq(&self) -> u64;
    /// Bytes of whole, synced lines.
    fn durable_len(&self) -> u64;
    fn take_notice(&mut self) -> Option<String>;
}

impl Store for Journal {
    fn append_refs(&mut self, entries: &[&Entry]) -> std::io::Result<()> {
        Journal::append_refs(self, entries)
    }
    fn probe(&mut self) -> std::io::Result<()> {
        Journal::probe(self)
    }
    fn next_seq(&self) -> u64 {
        Journal::next_seq(self)
    }
    fn durable_len(&self) -> u64 {
        Journal::durable_len(self)
    }
    fn take_notice(&mut self) -> Option<String> {
        Journal::take_notice(self)
    }
}

pub(crate) type Reply = (oneshot::Sender<Vec<Effect>>, Vec<Effect>);

/// Everything the loop applied since its last hand-over.
pub(crate) struct Batch {
    pub epoch: u64,
    /// Shared with the loop, which carries them out once they are durable.
    pub entries: std::sync::Arc<[Entry]>,
    pub replies: Vec<Reply>,
}

pub(crate) enum Job {
    Write(Batch),
    /// After a failure: is writing possible again? (Answers `Probed`.)
    Probe,
}

pub(crate) enum Outcome {
    /// Entries up to `last_seq` are on disk; `replies` are theirs, for the loop to send once
    /// the snapshot shows them (a guest answered "counted" then sees the count).
    Durable {
        replies: Vec<Reply>,
        epoch: u64,
        last_seq: u64,
        /// The journal's length in whole synced lines.
        durable_len: u64,
        notice: Option<String>,
    },
    /// The epoch's batches from `next_seq` on are not in the journal and were not answered.
    Failed {
        epoch: u64,
        error: std::io::Error,
        next_seq: u64,
    },
    Probed(std::io::Result<()>),
}

pub(crate) struct Writer {
    journal: Box<dyn Store>,
    /// Batches of this epoch and older are dropped: they were applied on top of a failure.
    failed_epoch: Option<u64>,
}

impl Writer {
    pub(crate) fn new(journal: Box<dyn Store>) -> Self {
        Writer {
            journal,
            failed_epoch: None,
        }
    }

    /// Carries out every job given (one write and one sync for all their batches).
    pub(crate) fn handle(&mut self, jobs: Vec<Job>) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        let mut batches = Vec::new();
        for job in jobs {
            match job {
                Job::Write(b) if self.failed_epoch.is_some_and(|f| b.epoch <= f) => drop(b),
                Job::Write(b) => batches.push(b),
                Job::Probe => outcomes.push(Outcome::Probed(self.journal.probe())),
            }
        }
        // Batches of one drain share one epoch unless a failure came between; it cannot here,
        // as failures are only found below.
        let Some(epoch) = batches.last().map(|b| b.epoch) else {
            return outcomes;
        };
        let entries: Vec<&Entry> = batches.iter().flat_map(|b| b.entries.iter()).collect();
        let Some(last_seq) = entries.last().map(|e| e.seq) else {
            return outcomes;
        };
        match self.journal.append_refs(&entries) {
            Ok(()) => {
                outcomes.push(Outcome::Durable {
                    replies: batches.into_iter().flat_map(|b| b.replies).collect(),
                    epoch,
                    last_seq,
                    durable_len: self.journal.durable_len(),
                    notice: self.journal.take_notice(),
                });
            }
            Err(error) => {
                self.failed_epoch = Some(epoch);
                outcomes.push(Outcome::Failed {
                    epoch,
                    error,
                    next_seq: self.journal.next_seq(),
                });
            }
        }
        outcomes
    }
}

/// How the loop reaches its writer.
pub(crate) enum Committer {
    /// A named thread (the multi-threaded runtime): syncing overlaps with applying.
    Thread {
        jobs: mpsc::UnboundedSender<Job>,
        outcomes: mpsc::UnboundedReceiver<Outcome>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
    /// In the loop itself: tests on the current-thread runtime with paused time, where a
    /// thread the runtime cannot see would let time jump while a write is on its way.
    Inline { writer: Writer, ready: Vec<Outcome> },
}

impl Committer {
    pub(crate) fn new(journal: Box<dyn Store>) -> Self {
        use tokio::runtime::{Handle, RuntimeFlavor};
        let writer = Writer::new(journal);
        let threaded =
            Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
        if !threaded {
            return Committer::Inline {
                writer,
                ready: Vec::new(),
            };
        }
        let (jobs, mut job_rx) = mpsc::unbounded_channel::<Job>();
        let (outcome_tx, outcomes) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || {
                let mut writer = writer;
                while let Some(first) = job_rx.blocking_recv() {
                    // Group commit: everything waiting goes in one write and one sync.
                    let mut jobs = vec![first];
                    while let Ok(more) = job_rx.try_recv() {
                        jobs.push(more);
                    }
                    for outcome in writer.handle(jobs) {
                        if outcome_tx.send(outcome).is_err() {
                            return;
                        }
                    }
                }
            })
            .expect("cannot start the journal writer thread");
        Committer::Thread {
            jobs,
            outcomes,
            thread: Some(thread),
        }
    }

    pub(crate) fn send(&mut self, job: Job) {
        match self {
            Committer::Thread { jobs, .. } => {
                // The writer only stops when this sender is gone.
                let _ = jobs.send(job);
            }
            Committer::Inline { writer, ready } => ready.extend(writer.handle(vec![job])),
        }
    }

    /// The next outcome; pending forever when there is none to come (select-friendly).
    pub(crate) async fn next(&mut self) -> Option<Outcome> {
        match self {
            Committer::Thread { outcomes, .. } => outcomes.recv().await,
            Committer::Inline { ready, .. } if !ready.is_empty() => Some(ready.remove(0)),
            Committer::Inline { .. } => std::future::pending().await,
        }
    }

    /// Outcomes already there, without waiting.
    pub(crate) fn try_next(&mut self) -> Option<Outcome> {
        match self {
            Committer::Thread { outcomes, .. } => outcomes.try_recv().ok(),
            Committer::Inline { ready, .. } => (!ready.is_empty()).then(|| ready.remove(0)),
        }
    }

    /// Stop taking jobs and wait for the writer to finish those it has; returns their outcomes.
    pub(crate) fn finish(&mut self) -> Vec<Outcome> {
        match self {
            Committer::Thread {
                jobs,
                outcomes,
                thread,
            } => {
                // Dropping the sender ends the writer's loop once it has drained it.
                let (closed, _) = mpsc::unbounded_channel();
                drop(std::mem::replace(jobs, closed));
                if let Some(t) = thread.take() {
                    let _ = tokio::task::block_in_place(|| t.join());
                }
                let mut rest = Vec::new();
                while let Ok(o) = outcomes.try_recv() {
                    rest.push(o);
                }
                rest
            }
            Committer::Inline { ready, .. } => std::mem::take(ready),
        }
    }
}
