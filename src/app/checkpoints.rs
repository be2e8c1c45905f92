//! When the party loop saves a checkpoint (`journal::checkpoint`): every `EVERY_ENTRIES`
//! entries or `EVERY` of party with at least one entry, and when the party stops, so the next
//! start replays only what came after.
//!
//! Off the hot path: the loop offers its party only at a moment when everything it applied is
//! durable (the party then is exactly the journal), clones it, and a blocking thread writes it.
//! One write at a time; an offer while one is running is simply declined.
use crate::core::{Gap, Party, Timestamp};
use crate::journal::{Position, checkpoint};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A replay of this many entries takes about 10 ms here (0.1 s on a Pi Zero): not worth a
/// write more often.
pub(crate) const EVERY_ENTRIES: u64 = 10_000;
/// A slow party still gets a fresh checkpoint this often.
pub(crate) const EVERY: Duration = Duration::from_secs(5 * 60);

pub(crate) struct Checkpoints {
    journal: PathBuf,
    /// The journal as it was opened and the seq it went on from: every entry the loop writes
    /// after it is one line, so a seq gives the position.
    base: Position,
    base_next_seq: u64,
    /// Damage set aside before `base`, kept in every checkpoint (see `Checkpoint::losses`).
    losses: Arc<[Gap]>,
    saved_seq: Option<u64>,
    saved_at: Instant,
    writing: Option<JoinHandle<()>>,
}

impl Checkpoints {
    pub(crate) fn new(
        journal: PathBuf,
        base: Position,
        base_next_seq: u64,
        losses: Vec<Gap>,
    ) -> Self {
        Checkpoints {
            journal,
            base,
            base_next_seq,
            losses: losses.into(),
            saved_seq: base.last_seq,
            saved_at: Instant::now(),
            writing: None,
        }
    }

    /// The party holds exactly the journal up to `last_seq` (its last entry at `last_at`),
    /// `durable_len` bytes. Saves it in the background if one is due.
    pub(crate) fn offer(
        &mut self,
        party: &Party,
        last_seq: u64,
        last_at: Timestamp,
        durable_len: u64,
    ) {
        if self.writing.as_ref().is_some_and(|w| !w.is_finished()) {
            return;
        }
        let since = self.since(last_seq);
        if since < EVERY_ENTRIES && (since == 0 || self.saved_at.elapsed() < EVERY) {
            return;
        }
        let write = self.write(party, last_seq, last_at, durable_len);
        self.mark(last_seq);
        self.writing = Some(tokio::task::spawn_blocking(write));
    }

    /// The party has stopped with everything durable: save it unless nothing changed since the
    /// last checkpoint, and wait for any write still running.
    pub(crate) async fn finish(
        mut self,
        party: &Party,
        last_seq: u64,
        last_at: Timestamp,
        durable_len: u64,
    ) {
        if let Some(w) = self.writing.take() {
            let _ = w.await;
        }
        if self.since(last_seq) == 0 {
            return;
        }
        let write = self.write(party, last_seq, last_at, durable_len);
        let _ = tokio::task::spawn_blocking(write).await;
    }

    /// The write of a checkpoint of `party` (cloned: the loop goes on) for a blocking thread.
    fn write(
        &self,
        party: &Party,
        last_seq: u64,
        last_at: Timestamp,
        durable_len: u64,
    ) -> impl FnOnce() + Send + 'static {
        let (journal, at, party, losses) = (
            self.journal.clone(),
            self.position(last_seq, last_at, durable_len),
            party.clone(),
            self.losses.clone(),
        );
        move || save(&journal, at, &party, &losses)
    }

    fn since(&self, last_seq: u64) -> u64 {
        let next = self.saved_seq.map_or(self.base_next_seq, |s| s + 1);
        (last_seq + 1).saturating_sub(next)
    }

    fn mark(&mut self, last_seq: u64) {
        // A failed write is not retried before the next interval either: a full disk must not
        // cost a clone and a write per commit.
        self.saved_seq = Some(last_seq);
        self.saved_at = Instant::now();
    }

    fn position(&self, last_seq: u64, last_at: Timestamp, durable_len: u64) -> Position {
        let written = (last_seq + 1).saturating_sub(self.base_next_seq);
        Position {
            len: durable_len,
            lines: self.base.lines + written,
            entries: self.base.entries + written,
            last_seq: Some(last_seq),
            last_at: Some(last_at),
        }
    }
}

fn save(journal: &std::path::Path, at: Position, party: &Party, losses: &[Gap]) {
    match checkpoint::save(journal, at, party, losses) {
        Ok(()) => tracing::debug!(entries = at.entries, "checkpoint saved"),
        Err(e) => {
            tracing::warn!(error = %e, "cannot save a checkpoint (the journal is unaffected)")
        }
    }
}
