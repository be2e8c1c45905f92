//! The one loop that owns the party: drain the inbox → apply → hand the batch to the journal
//! writer → (once it is synced) acknowledge, carry out effects, publish a snapshot. No locks:
//! readers get `Arc<Snapshot>`.
//!
//! The writer syncs batch N while the loop applies batch N+1 (`commit`). Acknowledged ⇔
//! durable ⇔ counted: when a write fails, the party is rebuilt from the journal (which the
//! writer has cut back to its last synced line), so nothing unacknowledged stays counted.
//! Until writing works again (`outage`), inputs someone waits for are refused at once and
//! nothing but a probe reaches the writer: a full disk costs one rebuild, not one per vote.
mod health;

use super::checkpoints::Checkpoints;
use super::commit::{Batch, Committer, Job, Outcome, Store};
use super::outage::{Outage, Step};
use crate::bus::clock::Clock;
use crate::bus::inbox::Msg;
use crate::core::{HealthLevel, Input, Party, Snapshot, SourceHealth, Timestamp};
use crate::journal::{Entry, Journal};
use crate::players::PlayerCommand;
use health::health;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How many waiting messages one group commit takes at most (bounds ack latency under load).
pub(crate) const MAX_BATCH: usize = 1024;
/// Applied but not yet synced entries the loop may run ahead of the writer by.
pub(crate) const MAX_IN_FLIGHT: usize = 4 * MAX_BATCH;
/// Inputs nobody waits for (player updates, Dash presses) kept for the next try after a
/// failed write; votes are answered 503 instead and their senders retry.
pub(crate) const MAX_RETRY: usize = MAX_BATCH;
/// The system clock this far behind the journal is worth a line on the status line.
pub(crate) const CLOCK_WARN: Duration = Duration::from_secs(2);

/// Rebuilds the party from the journal on disk (after a failed write).
pub(crate) type Rebuild = Box<dyn FnMut() -> anyhow::Result<Party> + Send>;
/// A rebuild under way on the blocking pool; it hands the closure back with the party.
type Rebuilding = JoinHandle<(Rebuild, anyhow::Result<Party>)>;

/// Where effects go once they are durable.
#[derive(Default)]
pub struct EffectSinks {
    /// The active player's commands (skip).
    pub player: Option<mpsc::Sender<PlayerCommand>>,
    /// The journal's durable length in bytes after each commit, for consumers that react live
    /// (triggers, exporter wake-up); they read no further than this.
    pub committed: Option<watch::Sender<u64>>,
}

pub struct Engine {
    pub party: Party,
    pub clock: Clock,
    pub sinks: EffectSinks,
    pub snapshots: watch::Sender<Arc<Snapshot>>,
    committer: Committer,
    /// `None` while it runs (`rebuilding`) or when none was given.
    rebuild: Option<Rebuild>,
    rebuilding: Option<Rebuilding>,
    health: BTreeMap<String, SourceHealth>,
    last_at: Timestamp,
    next_seq: u64,
    epoch: u64,
    /// Batches applied and handed to the writer, not yet durable (shared with the writer, not
    /// copied); and for each entry whether someone waits for it.
    in_flight: VecDeque<(Arc<[Entry]>, Vec<bool>)>,
    retry: Vec<Input>,
    /// The journal cannot be written: nothing is applied until a probe says it can.
    outage: Option<Outage>,
    checkpoints: Option<Checkpoints>,
    /// The last durable entry's seq and time, and the journal's durable length.
    durable: Option<(u64, Timestamp, u64)>,
}

impl Engine {
    pub fn new(
        party: Party,
        journal: Journal,
        clock: Clock,
        sinks: EffectSinks,
        snapshots: watch::Sender<Arc<Snapshot>>,
    ) -> Self {
        Self::on_store(party, Box::new(journal), clock, sinks, snapshots)
    }

    /// `new` writing to any `Store` (tests: one that fails on demand).
    pub(crate) fn on_store(
        party: Party,
        journal: Box<dyn Store>,
        clock: Clock,
        sinks: EffectSinks,
        snapshots: watch::Sender<Arc<Snapshot>>,
    ) -> Self {
        let next_seq = journal.next_seq();
        let engine = Engine {
            party,
            clock,
            sinks,
            snapshots,
            committer: Committer::new(journal),
            rebuild: None,
            rebuilding: None,
            health: BTreeMap::new(),
            last_at: Timestamp::default(),
            next_seq,
            epoch: 0,
            in_flight: VecDeque::new(),
            retry: Vec::new(),
            outage: None,
            checkpoints: None,
            durable: None,
        };
        engine.publish();
        engine
    }

    /// How to rebuild the party from the journal when a write fails (the app replays the
    /// journal file). Without it a failed write leaves the party refusing every input rather
    /// than keep a party that counts what was never journaled.
    pub(crate) fn with_rebuild(mut self, rebuild: Rebuild) -> Self {
        self.rebuild = Some(rebuild);
        self
    }

    /// Save checkpoints of the party as it goes (see `checkpoints`).
    pub(crate) fn with_checkpoints(mut self, checkpoints: Checkpoints) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// After a replay: party time continues from the journal's last entry, never before it,
    /// even when the system clock is behind it (a Pi without a real-time clock).
    pub fn resume_after(mut self, last: Option<Timestamp>) -> Self {
        if let Some(last) = last {
            self.last_at = self.last_at.max(last);
            self.clock.continue_from(last);
            self.check_clock();
            self.publish();
        }
        self
    }

    /// Runs until `shutdown` is cancelled or every inbox sender is gone; hands the party back
    /// (tests compare it with a replay of the journal) once everything handed to the writer is
    /// durable or refused.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Msg>, shutdown: CancellationToken) -> Party {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            // During an outage no deadline is acted on: a tick would be applied and journaled.
            let deadline = self.outage.is_none().then(|| self.party.next_deadline());
            let wake = deadline.flatten().map(|d| self.clock.instant_at(d));
            let room = self.in_flight_entries() < MAX_IN_FLIGHT;
            let step = self.outage.as_ref().and_then(Outage::due);
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(outcome) = self.committer.next() => {
                    self.on_outcome(outcome);
                    // Back from an outage: what was kept for it goes in now, not with the
                    // next input to arrive.
                    if self.outage.is_some() || self.retry.is_empty() {
                        continue;
                    }
                }
                rebuilt = join(&mut self.rebuilding), if self.rebuilding.is_some() => {
                    self.rebuilding = None;
                    self.on_rebuilt(rebuilt);
                    continue;
                }
                n = rx.recv_many(&mut batch, MAX_BATCH), if room => {
                    if n == 0 {
                        break;
                    }
                }
                _ = sleep_until_opt(wake), if wake.is_some() && room => {
                    batch.push(Msg::Input { input: Input::Tick, reply: None });
                }
                _ = sleep_until_opt(step), if step.is_some() => {
                    self.next_step();
                    continue;
                }
            }
            self.process(&mut batch).await;
        }
        // The party handed back is the journal's: a rebuild under way is waited for.
        if let Some(task) = self.rebuilding.take() {
            let rebuilt = task.await;
            self.on_rebuilt(rebuilt);
        }
        for outcome in self.committer.finish() {
            self.on_outcome(outcome);
        }
        if let (Some(c), Some((seq, at, len))) = (self.checkpoints.take(), self.durable)
            && self.in_flight.is_empty()
            && self.outage.is_none()
        {
            c.finish(&self.party, seq, at, len).await;
        }
        tracing::info!("party loop stopped");
        self.party
    }

    /// Apply everything waiting and hand it to the writer. What it caused is answered and
    /// carried out once the writer has synced it (`on_outcome`); with the inline writer (tests
    /// on the current-thread runtime) that is before this returns.
    pub(crate) async fn process(&mut self, batch: &mut Vec<Msg>) {
        let mut entries = Vec::with_capacity(batch.len() + self.retry.len());
        let mut replies = Vec::new();
        let mut waited = Vec::with_capacity(batch.len());
        let mut health_changed = self.check_clock();
        // A tick may change what readers see without a journal line (a hook's notice ending).
        let mut ticked = false;
        if self.outage.is_some() {
            return self.refuse(batch, health_changed);
        }
        let retry = std::mem::take(&mut self.retry);
        let retried = retry
            .into_iter()
            .map(|input| Msg::Input { input, reply: None });
        for msg in retried.chain(batch.drain(..)) {
            match msg {
                Msg::Health(h) => health_changed |= self.set_health(h),
                Msg::Input { input, reply } => {
                    let at = self.clock.now().max(self.last_at);
                    self.last_at = at;
                    let effects = self.party.apply(&input, at);
                    // A tick that changed nothing is not worth a journal line.
                    if matches!(input, Input::Tick) && effects.is_empty() {
                        ticked = true;
                        continue;
                    }
                    let answered = reply.is_some();
                    if let Some(reply) = reply {
                        replies.push((reply, effects.clone()));
                    }
                    waited.push(answered);
                    entries.push(Entry {
                        seq: self.next_seq,
                        at,
                        input,
                        effects,
                    });
                    self.next_seq += 1;
                }
            }
        }
        if entries.is_empty() {
            if health_changed || ticked {
                self.publish();
            }
            return;
        }
        let entries: Arc<[Entry]> = entries.into();
        self.in_flight.push_back((entries.clone(), waited));
        self.committer.send(Job::Write(Batch {
            epoch: self.epoch,
            entries,
            replies,
        }));
        if health_changed {
            self.publish();
        }
        while let Some(outcome) = self.committer.try_next() {
            self.on_outcome(outcome);
        }
    }

    /// Entries applied but not yet durable: seqs are given in order without gaps, so they run
    /// from the oldest in-flight batch's first to `next_seq`.
    fn in_flight_entries(&self) -> usize {
        self.in_flight
            .front()
            .and_then(|(b, _)| b.first())
            .map_or(0, |e| (self.next_seq - e.seq) as usize)
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Durable {
                replies,
                epoch,
                last_seq,
                durable_len,
                notice,
            } if epoch == self.epoch => {
                // The writer syncs whole batches, so a batch is either all durable or not yet.
                while self
                    .in_flight
                    .front()
                    .is_some_and(|(b, _)| b.last().is_none_or(|e| e.seq <= last_seq))
                {
                    let (batch, _) = self.in_flight.pop_front().expect("checked");
                    for entry in batch.iter() {
                        super::effects::carry_out(&self.sinks, entry);
                    }
                    if let Some(last) = batch.last() {
                        self.durable = Some((last.seq, last.at, durable_len));
                    }
                }
                // Only now is the party exactly the journal: nothing applied is in flight.
                if let (Some(c), Some((seq, at, len)), true) = (
                    &mut self.checkpoints,
                    self.durable,
                    self.in_flight.is_empty(),
                ) {
                    c.offer(&self.party, seq, at, len);
                }
                if let Some(tx) = &self.sinks.committed {
                    let _ = tx.send(durable_len);
                }
                if let Some(note) = notice {
                    self.set_health(health("journal", HealthLevel::Warn, note));
                }
                self.publish();
                for (reply, effects) in replies {
                    let _ = reply.send(effects);
                }
            }
            Outcome::Failed {
                epoch,
                error,
                next_seq,
            } if epoch == self.epoch => self.roll_back(error, next_seq),
            Outcome::Durable { .. } | Outcome::Failed { .. } => {} // an epoch already rolled back
            Outcome::Probed(Ok(())) => {
                if self.outage.take().is_some() {
                    self.health.remove("journal");
                    tracing::info!("journal writes work again");
                    self.publish();
                }
            }
            Outcome::Probed(Err(e)) => {
                tracing::debug!(error = %e, "journal still failing");
                if let Some(outage) = &mut self.outage {
                    outage.probe_failed(Instant::now());
                }
            }
        }
    }

    /// A write failed: the journal holds everything up to `next_seq` and nothing after. Make
    /// the party that again (once: `outage`), keep the inputs nobody waits for to try again,
    /// and tell the host.
    fn roll_back(&mut self, error: std::io::Error, next_seq: u64) {
        let lost = self.in_flight_entries();
        let failed: Vec<_> = self.in_flight.drain(..).collect();
        for (batch, waited) in failed {
            for (entry, answered) in batch.iter().zip(waited) {
                // Votes were answered 503 and their senders retry; what nobody waits for
                // (player updates, Dash presses, keys) is tried again here.
                if !answered && !matches!(entry.input, Input::Tick) {
                    self.keep_for_retry(entry.input.clone());
                }
            }
        }
        self.epoch += 1;
        self.next_seq = next_seq;
        tracing::error!(%error, inputs = lost, "journal append failed; inputs not acknowledged, party rolled back");
        let detail = super::outage::status_line(&error);
        self.set_health(health("journal", HealthLevel::Error, detail));
        self.outage = Some(Outage::begin(Instant::now()));
        self.next_step();
        self.publish();
    }

    /// During an outage: the status line is kept up to date, inputs nobody waits for are kept
    /// for later, and the rest is refused at once (dropping a reply answers 503) without
    /// reaching the writer or the party.
    fn refuse(&mut self, batch: &mut Vec<Msg>, mut health_changed: bool) {
        for msg in batch.drain(..) {
            match msg {
                Msg::Health(h) => health_changed |= self.set_health(h),
                Msg::Input {
                    input: Input::Tick, ..
                } => {}
                Msg::Input { reply: None, input } => self.keep_for_retry(input),
                Msg::Input { reply: Some(_), .. } => {
                    if let Some(outage) = &mut self.outage {
                        outage.someone_waits();
                    }
                }
            }
        }
        if health_changed {
            self.publish();
        }
    }

    fn keep_for_retry(&mut self, input: Input) {
        if self.retry.len() >= MAX_RETRY {
            self.retry.remove(0);
        }
        self.retry.push(input);
    }

    /// The outage's next step is due: rebuild the party, or probe the journal.
    fn next_step(&mut self) {
        let Some(outage) = &mut self.outage else {
            return;
        };
        match outage.start(Instant::now()) {
            Step::Probe => self.committer.send(Job::Probe),
            // The rebuild reads the whole journal (or a checkpoint and what follows it): on
            // the blocking pool, so the loop goes on refusing votes at once meanwhile.
            Step::Rebuild => match self.rebuild.take() {
                Some(mut rebuild) => {
                    self.rebuilding = Some(tokio::task::spawn_blocking(move || {
                        let party = rebuild();
                        (rebuild, party)
                    }));
                }
                None => self.rebuilt(Err(anyhow::anyhow!(
                    "no way to rebuild the party was given"
                ))),
            },
        }
    }

    fn on_rebuilt(&mut self, done: Result<(Rebuild, anyhow::Result<Party>), JoinError>) {
        let party = match done {
            Ok((rebuild, party)) => {
                self.rebuild = Some(rebuild);
                party
            }
            Err(e) => Err(anyhow::anyhow!("the rebuild stopped: {e}")),
        };
        self.rebuilt(party);
    }

    /// The party as the journal has it. Until that works nothing is applied: counting what is
    /// not journaled is worse than refusing votes for a while.
    fn rebuilt(&mut self, party: anyhow::Result<Party>) {
        let ok = match party {
            Ok(party) => {
                self.party = party;
                true
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot rebuild the party after a failed write");
                false
            }
        };
        if let Some(outage) = &mut self.outage {
            outage.rebuilt(ok, Instant::now());
        }
        self.publish();
    }

    fn publish(&self) {
        let health = self.health.values().cloned().collect();
        if self.outage.as_ref().is_some_and(Outage::needs_rebuild) {
            // The party still counts what the journal lost: readers keep the counts they saw,
            // with the new status line.
            let mut snap = Snapshot::clone(&self.snapshots.borrow());
            snap.health = health;
            self.snapshots.send_replace(Arc::new(snap));
            return;
        }
        let mut snap = self.party.snapshot(self.clock.now().max(self.last_at));
        snap.health = health;
        self.snapshots.send_replace(Arc::new(snap));
    }
}

/// A task's result; pending forever when there is none (select-friendly).
async fn join<T>(task: &mut Option<JoinHandle<T>>) -> Result<T, JoinError> {
    match task {
        Some(task) => task.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
