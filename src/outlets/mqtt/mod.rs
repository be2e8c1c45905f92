//! MQTT outlets: Home Assistant (discovery, states, events, commands; any broker) and
//! Cumulocity IoT (SmartREST 2.0). Presses, plays and skips go through the outbox (`outbox.rs`)
//! like every outlet: a pure mapping (`ha.rs`, `smartrest.rs`) plus a sender (`link.rs`, whose
//! answer waits for the PUBACKs). Last-value state is rebuilt from the snapshot on each
//! connect (`ha_run.rs`); commands from HA or the platform go into the inbox as host commands
//! with their origin (`ha_run.rs`, `c8y_run.rs`) when they are fresh: not a broker's retained
//! copy, not too long, text (`inbound.rs`), and for Cumulocity not queued while we were away.
//! Reconnects back off (`reconnect.rs`).
pub(crate) mod c8y_run;
pub(crate) mod catch_up;
pub(crate) mod explain;
pub mod ha;
pub mod ha_rules;
pub(crate) mod ha_run;
pub(crate) mod inbound;
pub mod link;
pub(crate) mod reconnect;
pub mod settings;
pub mod smartrest;
#[cfg(test)]
mod test_config;
pub(crate) mod tls;

pub(crate) use settings::{CumulocityConfig, MqttConfig};

use super::client::Outcome;
use super::outbox::{Outbox, OutboxFiles, Tuning};
use super::outlet::{Outlet, StartAt};
use super::store::export_file;
use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::buttons::ButtonConfig;
use crate::core::{HealthLevel, Snapshot};
use crate::journal::Entry;
use link::{Link, LinkOptions};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// One MQTT message as the mappings produce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
    pub qos: u8,
}

impl Message {
    pub(crate) fn retained(topic: impl Into<String>, payload: impl Into<String>) -> Message {
        Message {
            topic: topic.into(),
            payload: payload.into(),
            retain: true,
            qos: 1,
        }
    }
    pub(crate) fn plain(topic: impl Into<String>, payload: impl Into<String>) -> Message {
        Message {
            topic: topic.into(),
            payload: payload.into(),
            retain: false,
            qos: 1,
        }
    }
    /// An event that must arrive: QoS 1, not retained.
    pub(crate) fn confirmed(topic: impl Into<String>, payload: impl Into<String>) -> Message {
        Message::plain(topic, payload)
    }
}

/// MQTT outlets send small batches as soon as they are read: a press should reach HA now.
pub fn tuning() -> Tuning {
    Tuning {
        flush_interval: Duration::ZERO,
        max_batch: usize::from(link::MAX_INFLIGHT),
        backoff_base: Duration::from_millis(250),
        backoff_max: Duration::from_secs(5),
        ..Tuning::default()
    }
}

/// A mapping (journal line → messages) plus the link that confirms them.
pub struct MqttOutlet<F> {
    pub name: String,
    pub hint: String,
    pub map: F,
    pub link: Link,
}

impl<F> Outlet for MqttOutlet<F>
where
    F: Fn(&str, &Entry) -> Vec<Message> + Send + Sync + 'static,
{
    type Item = Message;
    type Prepared = Vec<Message>;

    fn map(&self, party: &str, entry: &Entry) -> Vec<Message> {
        (self.map)(party, entry)
    }

    fn prepare(&self, items: &[Message]) -> Vec<Message> {
        items.to_vec()
    }

    async fn send(&self, items: &Vec<Message>) -> Outcome {
        self.link.send_confirmed(items.clone()).await
    }

    fn dead_letter(&self, item: &Message) -> Value {
        json!({ "topic": item.topic, "payload": item.payload })
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn config_hint(&self) -> &str {
        &self.hint
    }

    /// Home Assistant or Cumulocity turned on late must not get the evening's presses replayed
    /// into its automations or its event history.
    fn start_at(&self) -> StartAt {
        StartAt::End
    }
}

/// Everything the MQTT outlets need from the app: their sections (checked, passwords read, by
/// config loading) and the buttons they announce.
pub(crate) struct Wiring<'a> {
    pub mqtt: Option<&'a MqttConfig>,
    pub cumulocity: Option<&'a CumulocityConfig>,
    pub buttons: &'a [ButtonConfig],
    pub files: super::PartyFiles<'a>,
    pub inbox: &'a Inbox,
    pub clock: &'a Clock,
    pub committed: &'a watch::Receiver<u64>,
    pub snapshots: &'a watch::Receiver<Arc<Snapshot>>,
    pub shutdown: &'a CancellationToken,
}

/// Start `[mqtt]` and `[cumulocity]` where configured. Problems go to the status line.
pub(crate) async fn spawn(w: Wiring<'_>, tasks: &mut JoinSet<()>) {
    if let Some(m) = w.mqtt
        && let Err(why) = start_ha(&w, m, tasks)
    {
        tracing::error!(%why, "MQTT not started");
        w.inbox.health("MQTT", HealthLevel::Error, why).await;
    }
    if let Some(c) = w.cumulocity
        && let Err(why) = start_c8y(&w, c, tasks)
    {
        tracing::error!(%why, "Cumulocity not started");
        w.inbox.health("Cumulocity", HealthLevel::Error, why).await;
    }
}

fn outbox_files(w: &Wiring<'_>, kind: &str) -> OutboxFiles {
    let f = &w.files;
    OutboxFiles {
        party: f.party.to_string(),
        journal: f.journal.to_path_buf(),
        cursor: export_file(f.store_dir, f.party, &format!("{kind}.cursor")),
        dead_letters: export_file(f.store_dir, f.party, &format!("{kind}.dead.jsonl")),
    }
}

fn start_ha(w: &Wiring<'_>, m: &MqttConfig, tasks: &mut JoinSet<()>) -> Result<(), String> {
    let client_id = m.client_id();
    let ha = Arc::new(ha::Ha::new(
        &client_id,
        &m.topic_prefix,
        &m.discovery_prefix,
        m.commands,
        w.buttons,
    ));
    let opts = LinkOptions {
        name: "MQTT".into(),
        broker: m.broker()?,
        client_id,
        username: m.username.clone(),
        password: m.password.clone(),
        will: Some(ha.availability(false)),
        ca_file: m.ca_file.clone(),
    };
    let (link, events) = link::spawn(opts, Some(w.inbox.clone()), w.shutdown.clone(), tasks)?;
    let run = ha_run::HaRun::new(
        ha.clone(),
        link.clone(),
        w.inbox.clone(),
        w.snapshots.clone(),
    );
    tasks.spawn(run.run(events, w.shutdown.clone()));
    let files = outbox_files(w, "mqtt");
    let map_ha = ha.clone();
    let outlet = MqttOutlet {
        name: "MQTT events".into(),
        hint: "check [mqtt] url, username, password".into(),
        map: move |party: &str, e: &Entry| map_ha.events(party, e),
        link,
    };
    spawn_outbox(w, files, outlet, tasks);
    Ok(())
}

fn start_c8y(w: &Wiring<'_>, c: &CumulocityConfig, tasks: &mut JoinSet<()>) -> Result<(), String> {
    let c8y = Arc::new(smartrest::C8y::new(&c.device_id(), w.buttons));
    let opts = LinkOptions {
        name: "Cumulocity".into(),
        broker: c.broker()?,
        client_id: c8y.client_id(),
        username: Some(c.username()),
        password: c.password.clone(),
        will: Some(c8y.will()),
        ca_file: c.ca_file.clone(),
    };
    let (link, events) = link::spawn(opts, Some(w.inbox.clone()), w.shutdown.clone(), tasks)?;
    let run = c8y_run::C8yRun::new(c8y.clone(), link.clone(), w.inbox.clone());
    tasks.spawn(run.run(events, w.shutdown.clone()));
    let map_c8y = c8y.clone();
    let outlet = MqttOutlet {
        name: "Cumulocity events".into(),
        hint: "check [cumulocity] url, tenant, user, password".into(),
        map: move |party: &str, e: &Entry| map_c8y.lines(party, e),
        link,
    };
    let files = outbox_files(w, "cumulocity");
    spawn_outbox(w, files, outlet, tasks);
    Ok(())
}

/// The one outbox loop, carrying this outlet from its own cursor.
fn spawn_outbox<F>(
    w: &Wiring<'_>,
    files: OutboxFiles,
    outlet: MqttOutlet<F>,
    tasks: &mut JoinSet<()>,
) where
    F: Fn(&str, &Entry) -> Vec<Message> + Send + Sync + 'static,
{
    let inbox = Some(w.inbox.clone());
    let outbox = Outbox::for_outlet(files, outlet, tuning(), w.clock.clone(), inbox);
    tasks.spawn(outbox.run(Some(w.committed.clone()), w.shutdown.clone()));
}

#[cfg(test)]
#[path = "start_tests.rs"]
mod start_tests;
