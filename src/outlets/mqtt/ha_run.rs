//! The Home Assistant side that is not the outbox: on every (re)connect and every HA birth it
//! announces the entities and their current state; it follows the snapshot with state updates
//! (at most one per entity per `MIN_STATE_INTERVAL`); it removes entities of buttons that left
//! the config; it carries HA's button/switch/number commands into the inbox as host commands
//! from Home Assistant, when they are fresh (`inbound.rs`): a retained copy the broker hands out
//! at every connect is not a press.
use super::Message;
use super::ha::Ha;
use super::inbound::{self, MAX_COMMAND_BYTES, Once};
use super::link::{Link, LinkEvent};
use crate::bus::inbox::Inbox;
use crate::core::{CommandSource, Input, Snapshot};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// "No faster than a few per second per entity."
pub(crate) const MIN_STATE_INTERVAL: Duration = Duration::from_millis(300);

pub(crate) struct HaRun {
    ha: Arc<Ha>,
    link: Link,
    inbox: Inbox,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    up: bool,
    /// Topic → (payload last sent, when): what HA has, and when it may get the next.
    sent: HashMap<String, (String, Instant)>,
    /// Discovery configs last announced (an entity appears when a battery first reports).
    configs: Vec<Message>,
    /// Command topics whose refusals were logged already (once each, not at every reconnect).
    once: Once,
}

impl HaRun {
    pub(crate) fn new(
        ha: Arc<Ha>,
        link: Link,
        inbox: Inbox,
        snapshots: watch::Receiver<Arc<Snapshot>>,
    ) -> Self {
        HaRun {
            ha,
            link,
            inbox,
            snapshots,
            up: false,
            sent: HashMap::new(),
            configs: Vec::new(),
            once: Once::default(),
        }
    }

    pub(crate) async fn run(
        mut self,
        mut events: mpsc::Receiver<LinkEvent>,
        shutdown: CancellationToken,
    ) {
        let mut due: Option<Instant> = None;
        loop {
            let wake = async {
                match due {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => {
                    if self.up {
                        // A clean stop says offline itself; the will covers the unclean ones.
                        self.link.publish(vec![self.ha.availability(false)]).await;
                    }
                    return;
                }
                ev = events.recv() => match ev {
                    Some(LinkEvent::Up) => { self.up = true; self.announce(true).await; }
                    Some(LinkEvent::Down(_)) => self.up = false,
                    Some(LinkEvent::Message { topic, payload, retain }) => {
                        self.incoming(&topic, &payload, retain).await;
                    }
                    None => return,
                },
                changed = self.snapshots.changed() => {
                    if changed.is_err() { return; }
                    due = self.follow().await;
                }
                _ = wake => due = self.follow().await,
            }
        }
    }

    /// Configs, availability and every state, as after a connect (`first`) or an HA birth.
    async fn announce(&mut self, first: bool) {
        let snap = self.snapshots.borrow().clone();
        self.configs = self.ha.configs(&snap);
        let mut msgs = self.configs.clone();
        msgs.push(self.ha.availability(true));
        self.link.publish(msgs).await;
        if first {
            let mut topics = vec![self.ha.status_topic(), self.ha.own_configs_filter()];
            topics.extend(self.ha.command_topics());
            self.link.subscribe(topics).await;
        }
        self.sent.clear();
        self.follow().await;
        if first {
            self.link.ready().await;
        }
    }

    /// Publish the states that changed and may go now; returns when the held-back ones may.
    async fn follow(&mut self) -> Option<Instant> {
        if !self.up {
            return None;
        }
        let snap = self.snapshots.borrow_and_update().clone();
        let configs = self.ha.configs(&snap);
        if configs != self.configs {
            let new: Vec<Message> = configs
                .iter()
                .filter(|c| !self.configs.contains(c))
                .cloned()
                .collect();
            self.configs = configs;
            self.link.publish(new).await;
        }
        let now = Instant::now();
        let mut out = Vec::new();
        let mut next: Option<Instant> = None;
        for m in self.ha.states(&snap) {
            match self.sent.get(&m.topic) {
                Some((p, _)) if *p == m.payload => {}
                Some((_, at)) if now < *at + MIN_STATE_INTERVAL => {
                    let d = *at + MIN_STATE_INTERVAL;
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
                _ => {
                    self.sent.insert(m.topic.clone(), (m.payload.clone(), now));
                    out.push(m);
                }
            }
        }
        if !out.is_empty() {
            self.link.publish(out).await;
        }
        next
    }

    async fn incoming(&mut self, topic: &str, payload: &[u8], retain: bool) {
        if self.ha.is_command_topic(topic) {
            let verdict = inbound::command(payload, retain, MAX_COMMAND_BYTES);
            if let Some(text) = self.once.check("MQTT", topic, verdict, MAX_COMMAND_BYTES) {
                self.command(topic, text).await;
            }
            return;
        }
        let text = String::from_utf8_lossy(payload);
        if topic == self.ha.status_topic() {
            if text.trim() == "online" {
                tracing::info!("Home Assistant came online; announcing again");
                self.announce(false).await;
            }
            return;
        }
        if topic.ends_with("/config") {
            if payload.is_empty() {
                return;
            }
            let snap = self.snapshots.borrow().clone();
            if let Some(clear) = self.ha.stale(topic, &snap) {
                tracing::info!(%topic, "removing the Home Assistant entity of a button no longer configured");
                self.link.publish(vec![clear]).await;
            }
        }
    }

    /// A fresh command: into the inbox, or why not (logged once per topic).
    async fn command(&mut self, topic: &str, text: &str) {
        match self.ha.command(topic, text) {
            Some(Ok(cmd)) => {
                tracing::info!(command = %cmd.plain(), "command from Home Assistant");
                let input = Input::host_by(cmd, CommandSource::HomeAssistant);
                if self.inbox.submit(input).await.is_err() {
                    tracing::warn!("party loop stopped; Home Assistant command dropped");
                }
            }
            Some(Err(why)) if self.once.first("not understood", topic) => {
                tracing::warn!(%topic, %why, "Home Assistant command ignored (said once per topic)");
            }
            Some(Err(why)) => tracing::debug!(%topic, %why, "Home Assistant command ignored"),
            None => {}
        }
    }
}
