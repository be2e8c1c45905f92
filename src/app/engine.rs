//! The one loop that owns the party: drain the inbox → apply → journal (one sync per batch) →
//! acknowledge → carry out effects → publish a snapshot. No locks: readers get `Arc<Snapshot>`.
use crate::clock::Clock;
use crate::core::{Effect, Input, Party, Snapshot, SourceHealth, Timestamp};
use crate::inbox::Msg;
use crate::journal::{Entry, Journal};
use crate::players::PlayerCommand;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// How many waiting messages one group commit takes at most (bounds ack latency under load).
pub const MAX_BATCH: usize = 1024;

/// Where effects go once they are durable.
#[derive(Default)]
pub struct EffectSinks {
    /// The active player's commands (skip).
    pub player: Option<mpsc::Sender<PlayerCommand>>,
    /// Everything journaled, for consumers that react live (triggers, exporter wake-up).
    pub committed: Option<watch::Sender<u64>>,
}

pub struct Engine {
    pub party: Party,
    pub journal: Journal,
    pub clock: Clock,
    pub sinks: EffectSinks,
    pub snapshots: watch::Sender<Arc<Snapshot>>,
    health: BTreeMap<String, SourceHealth>,
    last_at: Timestamp,
}

impl Engine {
    pub fn new(
        party: Party,
        journal: Journal,
        clock: Clock,
        sinks: EffectSinks,
        snapshots: watch::Sender<Arc<Snapshot>>,
    ) -> Self {
        let engine = Engine {
            party,
            journal,
            clock,
            sinks,
            snapshots,
            health: BTreeMap::new(),
            last_at: Timestamp::default(),
        };
        engine.publish();
        engine
    }

    /// After a replay: party time continues from the journal's last entry, never before it.
    pub fn resume_after(mut self, last: Option<Timestamp>) -> Self {
        if let Some(last) = last {
            self.last_at = self.last_at.max(last);
        }
        self
    }

    /// Runs until `shutdown` is cancelled or every inbox sender is gone; hands the party back
    /// (tests compare it with a replay of the journal).
    pub async fn run(mut self, mut rx: mpsc::Receiver<Msg>, shutdown: CancellationToken) -> Party {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let deadline = self.party.next_deadline();
            let wake = deadline.map(|d| self.clock.instant_at(d));
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                n = rx.recv_many(&mut batch, MAX_BATCH) => {
                    if n == 0 {
                        break;
                    }
                }
                _ = sleep_until_opt(wake), if wake.is_some() => {
                    batch.push(Msg::Input { input: Input::Tick, reply: None });
                }
            }
            self.process(&mut batch).await;
        }
        tracing::info!("party loop stopped");
        self.party
    }

    /// One group commit: apply everything waiting, write it with one sync, then acknowledge.
    pub async fn process(&mut self, batch: &mut Vec<Msg>) {
        let mut entries = Vec::with_capacity(batch.len());
        let mut replies: Vec<(oneshot::Sender<Vec<Effect>>, Vec<Effect>)> = Vec::new();
        let mut health_changed = false;
        for msg in batch.drain(..) {
            match msg {
                Msg::Health(h) => {
                    let changed = self.health.get(&h.name) != Some(&h);
                    if changed {
                        // The log file tells the story of a party's plumbing afterwards.
                        tracing::info!(source = %h.name, level = ?h.level, detail = %h.detail, "health");
                    }
                    health_changed |= changed;
                    self.health.insert(h.name.clone(), h);
                }
                Msg::Input { input, reply } => {
                    // Party time never runs backwards, even if the wall clock does.
                    let at = self.clock.now().max(self.last_at);
                    self.last_at = at;
                    let effects = self.party.apply(&input, at);
                    // A tick that changed nothing is not worth a journal line.
                    if matches!(input, Input::Tick) && effects.is_empty() {
                        continue;
                    }
                    if let Some(reply) = reply {
                        replies.push((reply, effects.clone()));
                    }
                    let seq = self.journal.next_seq() + entries.len() as u64;
                    entries.push(Entry {
                        seq,
                        at,
                        input,
                        effects,
                    });
                }
            }
        }
        if entries.is_empty() {
            if health_changed {
                self.publish();
            }
            return;
        }
        if let Err(e) = self.commit(&entries).await {
            // Nothing is acknowledged that is not durable: dropping the replies tells each
            // waiting caller (an HTTP vote gets a 503) and the host sees it on the status line.
            tracing::error!(error = %e, "journal append failed; {} inputs not acknowledged", entries.len());
            self.health.insert(
                "journal".into(),
                SourceHealth {
                    name: "journal".into(),
                    level: crate::core::HealthLevel::Error,
                    detail: format!("write failed: {e}"),
                },
            );
            self.publish();
            return;
        }
        if self
            .health
            .get("journal")
            .is_some_and(|h| h.level != crate::core::HealthLevel::Ok)
        {
            self.health.remove("journal");
        }
        for (reply, effects) in replies {
            let _ = reply.send(effects);
        }
        for entry in &entries {
            self.carry_out(entry);
        }
        if let (Some(tx), Some(last)) = (&self.sinks.committed, entries.last()) {
            let _ = tx.send(last.seq);
        }
        self.publish();
    }

    async fn commit(&mut self, entries: &[Entry]) -> std::io::Result<()> {
        // fsync blocks; keep it off the async workers so HTTP and the UI stay responsive.
        blocking(|| self.journal.append_batch(entries))
    }

    fn carry_out(&self, entry: &Entry) {
        for effect in &entry.effects {
            tracing::info!(target: "party", seq = entry.seq, effect = ?effect);
            if let Effect::Request(crate::core::RequestEvent::Queue { id, track }) = effect {
                self.send_to_player(PlayerCommand::Queue {
                    id: *id,
                    track: track.clone(),
                });
            }
            if let Effect::SkipDecided { track, .. } = effect {
                match &self.sinks.player {
                    Some(player) => {
                        if player
                            .try_send(PlayerCommand::Skip {
                                track: track.clone(),
                            })
                            .is_err()
                        {
                            tracing::warn!(%track, "player is not taking commands; skip dropped");
                        }
                    }
                    None => tracing::warn!(%track, "skip decided but no player is running"),
                }
            }
        }
    }

    /// A queue command the player cannot take stays "queued" until it expires (the loop holds
    /// no inbox sender of its own, or it would never see the last one go).
    fn send_to_player(&self, cmd: PlayerCommand) {
        let why = match &self.sinks.player {
            Some(player) => match player.try_send(cmd.clone()) {
                Ok(()) => return,
                Err(_) => "the player is not taking commands",
            },
            None => "no player is running",
        };
        tracing::warn!(?cmd, "request not queued: {why}");
    }

    fn publish(&self) {
        let mut snap = self.party.snapshot(self.clock.now().max(self.last_at));
        snap.health = self.health.values().cloned().collect();
        self.snapshots.send_replace(Arc::new(snap));
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `block_in_place` needs the multi-threaded runtime; tests on the current-thread runtime
/// (paused time) run the write inline, which is fine there.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
