//! The one loop that owns the party: drain the inbox → apply → hand the batch to the journal
//! writer → (once it is synced) acknowledge, carry out effects, publish a snapshot. No locks:
//! readers get `Arc<Snapshot>`.
//!
//! The writer syncs batch N while the loop applies batch N+1 (`commit`). Acknowledged ⇔
//! durable ⇔ counted: when a write fails, the party is rebuilt from the journal (which the
//! writer has cut back to its last synced line), so nothing unacknowledged stays counted.
use super::checkpoints::Checkpoints;
use super::commit::{Batch, Committer, Job, Outcome};
use crate::bus::clock::Clock;
use crate::bus::inbox::Msg;
use crate::core::{Effect, HealthLevel, Input, Party, Snapshot, SourceHealth, Timestamp};
use crate::journal::{Entry, Journal};
use crate::players::PlayerCommand;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// How many waiting messages one group commit takes at most (bounds ack latency under load).
pub(crate) const MAX_BATCH: usize = 1024;
/// Applied but not yet synced entries the loop may run ahead of the writer by.
pub(crate) const MAX_IN_FLIGHT: usize = 4 * MAX_BATCH;
/// After a failed write: how often to try again when nothing else comes in.
pub(crate) const JOURNAL_RETRY: Duration = Duration::from_secs(5);
/// Inputs nobody waits for (player updates, Dash presses) kept for the next try after a
/// failed write; votes are answered 503 instead and their senders retry.
pub(crate) const MAX_RETRY: usize = MAX_BATCH;
/// The system clock this far behind the journal is worth a line on the status line.
pub(crate) const CLOCK_WARN: Duration = Duration::from_secs(2);

/// Rebuilds the party from the journal on disk (after a failed write).
pub(crate) type Rebuild = Box<dyn FnMut() -> anyhow::Result<Party> + Send>;

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
    rebuild: Option<Rebuild>,
    health: BTreeMap<String, SourceHealth>,
    last_at: Timestamp,
    next_seq: u64,
    epoch: u64,
    /// Batches applied and handed to the writer, not yet durable (shared with the writer, not
    /// copied); and for each entry whether someone waits for it.
    in_flight: VecDeque<(Arc<[Entry]>, Vec<bool>)>,
    retry: Vec<Input>,
    journal_failing: bool,
    /// The party could not be rebuilt after a failed write: nothing is applied until it is.
    broken: bool,
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
        let next_seq = journal.next_seq();
        let engine = Engine {
            party,
            clock,
            sinks,
            snapshots,
            committer: Committer::new(journal),
            rebuild: None,
            health: BTreeMap::new(),
            last_at: Timestamp::default(),
            next_seq,
            epoch: 0,
            in_flight: VecDeque::new(),
            retry: Vec::new(),
            journal_failing: false,
            broken: false,
            checkpoints: None,
            durable: None,
        };
        engine.publish();
        engine
    }

    /// How to rebuild the party from the journal when a write fails (the app replays the
    /// journal file). Without it a failed write stops the party loop rather than keep a party
    /// that counts what was never journaled.
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
            let deadline = self.party.next_deadline();
            let wake = deadline.map(|d| self.clock.instant_at(d));
            let room = self.in_flight_entries() < MAX_IN_FLIGHT;
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                Some(outcome) = self.committer.next() => {
                    self.on_outcome(outcome);
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
                _ = tokio::time::sleep(JOURNAL_RETRY), if self.journal_failing || self.broken => {
                    if self.retry.is_empty() && !self.broken {
                        self.committer.send(Job::Probe);
                    }
                }
            }
            self.process(&mut batch).await;
        }
        for outcome in self.committer.finish() {
            self.on_outcome(outcome);
        }
        if let (Some(c), Some((seq, at, len))) = (self.checkpoints.take(), self.durable)
            && self.in_flight.is_empty()
            && !self.broken
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
        if self.broken && !self.try_rebuild() {
            for msg in batch.drain(..) {
                match msg {
                    Msg::Health(h) => health_changed |= self.set_health(h),
                    Msg::Input { reply: None, input } => self.keep_for_retry(input),
                    Msg::Input { .. } => {} // dropping the reply answers 503
                }
            }
            if health_changed {
                self.publish();
            }
            return;
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
                        self.carry_out(entry);
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
                } else if self.journal_failing {
                    self.recovered();
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
                if self.journal_failing {
                    self.recovered();
                    self.publish();
                }
            }
            Outcome::Probed(Err(e)) => tracing::debug!(error = %e, "journal still failing"),
        }
    }

    /// A write failed: the journal holds everything up to `next_seq` and nothing after. Make
    /// the party that again, keep the inputs nobody waits for to try again, and tell the host.
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
        self.broken = true;
        self.try_rebuild();
        let detail = if error.raw_os_error() == Some(libc::ENOSPC) {
            "disk full: votes are refused until there is space (nothing answered is lost)".into()
        } else {
            format!("write failed: {error} (votes are refused; nothing answered is lost)")
        };
        tracing::error!(%error, inputs = lost, "journal append failed; inputs not acknowledged, party rolled back");
        self.set_health(health("journal", HealthLevel::Error, detail));
        self.journal_failing = true;
        self.publish();
    }

    fn keep_for_retry(&mut self, input: Input) {
        if self.retry.len() >= MAX_RETRY {
            self.retry.remove(0);
        }
        self.retry.push(input);
    }

    /// The party as the journal has it. Until that works nothing is applied: counting what is
    /// not journaled is worse than refusing votes for a while.
    fn try_rebuild(&mut self) -> bool {
        let rebuilt = match self.rebuild.as_mut() {
            Some(rebuild) => rebuild(),
            None => Err(anyhow::anyhow!("no way to rebuild the party was given")),
        };
        match rebuilt {
            Ok(party) => {
                self.party = party;
                self.broken = false;
                true
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot rebuild the party after a failed write");
                false
            }
        }
    }

    fn recovered(&mut self) {
        self.journal_failing = false;
        self.health.remove("journal");
        tracing::info!("journal writes work again");
    }

    /// Party time against the system clock; true if the status line changed.
    fn check_clock(&mut self) -> bool {
        let behind = self.clock.follow_wall_clock().filter(|b| *b >= CLOCK_WARN);
        match behind {
            Some(b) => self.set_health(health(
                "clock",
                HealthLevel::Warn,
                format!(
                    "system clock is {} behind the journal: party time goes on from the journal \
                     (no real-time clock? check NTP)",
                    human(b)
                ),
            )),
            None => self.health.remove("clock").is_some(),
        }
    }

    /// True if it changed what the status line shows.
    fn set_health(&mut self, h: SourceHealth) -> bool {
        let changed = self.health.get(&h.name) != Some(&h);
        if changed {
            // The log file tells the story of a party's plumbing afterwards.
            tracing::info!(source = %h.name, level = ?h.level, detail = %h.detail, "health");
        }
        self.health.insert(h.name.clone(), h);
        changed
    }

    fn carry_out(&self, entry: &Entry) {
        for effect in &entry.effects {
            // Every vote is in the journal already; at a party's busiest, a log line for each
            // would cost more than the vote.
            if matches!(effect, Effect::Press { .. }) {
                tracing::debug!(target: "party", seq = entry.seq, effect = ?effect);
            } else {
                tracing::info!(target: "party", seq = entry.seq, effect = ?effect);
            }
            let cmd = match effect {
                Effect::Host {
                    command: crate::core::HostCommand::PlayPrevious,
                    ..
                } => PlayerCommand::Previous,
                Effect::Request(crate::core::RequestEvent::Queue { id, track }) => {
                    PlayerCommand::Queue {
                        id: *id,
                        track: track.clone(),
                    }
                }
                Effect::SkipDecided { track, .. } => PlayerCommand::Skip {
                    track: track.clone(),
                },
                _ => continue,
            };
            self.send_to_player(cmd);
        }
    }

    /// A command the player cannot take is dropped with a warning: a skip or "previous" is not
    /// carried out, a request stays "queued" until it expires (the loop holds no inbox sender
    /// of its own, or it would never see the last one go).
    fn send_to_player(&self, cmd: PlayerCommand) {
        let (cmd, why) = match &self.sinks.player {
            Some(player) => match player.try_send(cmd) {
                Ok(()) => return,
                Err(e) => (e.into_inner(), "the player is not taking commands"),
            },
            None => (cmd, "no player is running"),
        };
        tracing::warn!(?cmd, "player command dropped: {why}");
    }

    fn publish(&self) {
        let mut snap = self.party.snapshot(self.clock.now().max(self.last_at));
        snap.health = self.health.values().cloned().collect();
        self.snapshots.send_replace(Arc::new(snap));
    }
}

fn health(name: &str, level: HealthLevel, detail: impl Into<String>) -> SourceHealth {
    SourceHealth {
        name: name.into(),
        level,
        detail: detail.into(),
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
