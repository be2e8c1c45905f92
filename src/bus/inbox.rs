//! The one inbound channel: every adapter sends its inputs here; the app loop owns the party.
use crate::core::{Effect, HealthLevel, Input, SourceHealth};
use tokio::sync::{mpsc, oneshot};

/// Enough headroom for a burst of votes while the loop syncs the journal.
pub(crate) const INBOX_CAPACITY: usize = 4096;

#[derive(Debug)]
pub enum Msg {
    /// An input for the engine; `reply` gets its effects once the input is durable in the journal.
    Input {
        input: Input,
        reply: Option<oneshot::Sender<Vec<Effect>>>,
    },
    /// An adapter's health for the status line (not journaled: it is about now, not the party).
    Health(SourceHealth),
}

#[derive(Debug, thiserror::Error)]
#[error("the party loop has stopped")]
pub struct LoopStopped;

#[derive(Clone, Debug)]
pub struct Inbox {
    tx: mpsc::Sender<Msg>,
}

impl Inbox {
    pub fn new() -> (Inbox, mpsc::Receiver<Msg>) {
        let (tx, rx) = mpsc::channel(INBOX_CAPACITY);
        (Inbox { tx }, rx)
    }

    /// Send an input without waiting for it to be journaled.
    pub(crate) async fn send(&self, input: Input) -> Result<(), LoopStopped> {
        self.tx
            .send(Msg::Input { input, reply: None })
            .await
            .map_err(|_| LoopStopped)
    }

    /// Send an input and wait until it is durable in the journal; returns what it caused.
    pub async fn submit(&self, input: Input) -> Result<Vec<Effect>, LoopStopped> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Input {
                input,
                reply: Some(reply),
            })
            .await
            .map_err(|_| LoopStopped)?;
        rx.await.map_err(|_| LoopStopped)
    }

    /// Report an adapter's health ("Sonos", Warn, "polling (no events)").
    pub(crate) async fn health(&self, name: &str, level: HealthLevel, detail: impl Into<String>) {
        let _ = self
            .tx
            .send(Msg::Health(SourceHealth {
                name: name.to_string(),
                level,
                detail: detail.into(),
            }))
            .await;
    }

    /// Report health from any thread without waiting (the pnet capture thread, or sync setup
    /// code running on a runtime thread); dropped if the inbox is full, as health is only "now".
    pub(crate) fn try_health(&self, name: &str, level: HealthLevel, detail: impl Into<String>) {
        let _ = self.tx.try_send(Msg::Health(SourceHealth {
            name: name.to_string(),
            level,
            detail: detail.into(),
        }));
    }

    /// For blocking threads (the pnet capture thread): send without an async context.
    pub fn blocking_send(&self, input: Input) -> Result<(), LoopStopped> {
        self.tx
            .blocking_send(Msg::Input { input, reply: None })
            .map_err(|_| LoopStopped)
    }
}
