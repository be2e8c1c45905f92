//! One MQTT connection (rumqttc, MQTT 3.1.1, clean session) and what the outlets need from it:
//! confirmed publishes (QoS 1, answered once every PUBACK is in), plain publishes (last-value
//! state, re-sent after each reconnect anyway), subscriptions, and the incoming messages.
//!
//! The event loop is polled from this one task and never cancelled mid-poll (rumqttc's poll
//! is not cancel-safe: a write cut in half would corrupt the stream), so commands are handled
//! while a poll is pending instead of racing it. PUBACKs are matched to the publishes that
//! asked for them by the order rumqttc hands out packet ids (`Outgoing::Publish`), which is
//! the order of our requests. A clean session drops everything unacknowledged on a reconnect;
//! the outbox then sends that batch again with the same event ids.
//!
//! What comes in never closes the connection: rumqttc is told to take any packet MQTT can
//! carry, and a payload over `MAX_INCOMING_PAYLOAD` is dropped here, by its size, before anyone
//! reads it. (With rumqttc's limit at 64 KiB, one retained 5 MB message on a command topic
//! made every connect end in a protocol error and a reconnect, 5 to 11 times a second.)
use super::Message;
use super::explain::explain;
use super::inbound::Once;
use super::reconnect::Reconnect;
use super::settings::{Broker, Password};
use crate::bus::inbox::Inbox;
use crate::core::HealthLevel;
use crate::outlets::client::Outcome;
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, LastWill, MqttOptions, Outgoing, QoS};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// QoS 1 publishes in flight at once (also rumqttc's packet-id range).
pub const MAX_INFLIGHT: u16 = 100;
/// Requests between this task and rumqttc's loop; more wait in our own queue.
const REQUEST_CAP: usize = 64;
/// Cumulocity's limit per message (header included) and a sane one for any broker.
pub(crate) const MAX_PACKET: usize = 16 * 1024;
/// The largest "remaining length" MQTT can encode (256 MiB - 1): rumqttc takes any packet up
/// to it, so no message a broker can deliver is a protocol error that closes the connection.
/// What a huge one costs is its size in memory while it is read; a broker's
/// `message_size_limit` bounds that for everyone.
pub(crate) const MAX_INCOMING_PACKET: usize = 268_435_455;
/// Incoming payloads longer than this are dropped unread: nothing we subscribe to is larger
/// (commands are words, Cumulocity's messages are at most 16 KiB, discovery configs ~1 KiB).
pub(crate) const MAX_INCOMING_PAYLOAD: usize = MAX_PACKET * 4;

#[derive(Clone)]
pub struct LinkOptions {
    /// The status-line name ("MQTT", "Cumulocity").
    pub name: String,
    pub broker: Broker,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Password>,
    pub will: Option<Message>,
    pub ca_file: Option<PathBuf>,
}

/// What the connection tells its owner.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected (again): send the on-connect messages, subscribe, then `ready()`.
    Up,
    Down(String),
    /// At most `MAX_INCOMING_PAYLOAD` bytes; `retain` as the broker delivered it (set only on
    /// copies from its store, handed out at each subscribe).
    Message {
        topic: String,
        payload: Vec<u8>,
        retain: bool,
    },
}

enum Cmd {
    Confirmed(Vec<Message>, oneshot::Sender<Outcome>),
    Publish(Vec<Message>),
    Subscribe(Vec<String>),
    Ready,
}

/// A handle to the connection task; cheap to clone.
#[derive(Clone)]
pub struct Link {
    tx: mpsc::Sender<Cmd>,
}

impl Link {
    /// Publish with QoS 1 and wait for every PUBACK (or a reason to try again).
    pub(crate) async fn send_confirmed(&self, msgs: Vec<Message>) -> Outcome {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Cmd::Confirmed(msgs, reply)).await.is_err() {
            return retry("the MQTT connection has stopped");
        }
        rx.await
            .unwrap_or_else(|_| retry("the MQTT connection has stopped"))
    }
    /// Publish as given, now, if connected (dropped while down: the owner re-sends on `Up`).
    pub(crate) async fn publish(&self, msgs: Vec<Message>) {
        let _ = self.tx.send(Cmd::Publish(msgs)).await;
    }
    pub(crate) async fn subscribe(&self, topics: Vec<String>) {
        let _ = self.tx.send(Cmd::Subscribe(topics)).await;
    }
    /// The on-connect messages are queued: confirmed publishes may follow them.
    pub async fn ready(&self) {
        let _ = self.tx.send(Cmd::Ready).await;
    }
}

fn retry(reason: &str) -> Outcome {
    Outcome::Retry {
        reason: reason.to_string(),
        after: None,
    }
}

fn qos(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// rumqttc options for these link options (TLS from our own rustls config, on ring).
pub(crate) fn mqtt_options(opts: &LinkOptions) -> Result<MqttOptions, String> {
    let mut o = MqttOptions::new(&opts.client_id, &opts.broker.host, opts.broker.port);
    o.set_keep_alive(KEEP_ALIVE)
        .set_clean_session(true)
        .set_inflight(MAX_INFLIGHT)
        .set_max_packet_size(MAX_INCOMING_PACKET, MAX_PACKET);
    if let Some(user) = &opts.username {
        let pass = opts.password.as_ref().map_or("", |p| p.expose().as_str());
        o.set_credentials(user, pass);
    }
    if let Some(w) = &opts.will {
        o.set_last_will(LastWill::new(
            &w.topic,
            w.payload.clone(),
            qos(w.qos),
            w.retain,
        ));
    }
    if opts.broker.tls {
        let cfg = super::tls::client_config(opts.ca_file.as_deref())?;
        o.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(cfg)),
        ));
    }
    Ok(o)
}

/// Start the connection task. It runs (and reconnects) until `shutdown`.
pub fn spawn(
    opts: LinkOptions,
    inbox: Option<Inbox>,
    shutdown: CancellationToken,
    tasks: &mut tokio::task::JoinSet<()>,
) -> Result<(Link, mpsc::Receiver<LinkEvent>), String> {
    let mqtt = mqtt_options(&opts)?;
    let (client, eventloop) = AsyncClient::new(mqtt, REQUEST_CAP);
    let (tx, rx) = mpsc::channel(64);
    let (ev_tx, ev_rx) = mpsc::channel(256);
    let task = Task {
        opts,
        client,
        inbox,
        events: ev_tx,
        up: false,
        ready: false,
        queue: VecDeque::new(),
        tags: VecDeque::new(),
        collided: None,
        acks: HashMap::new(),
        batch: None,
        held: None,
        too_long: Once::default(),
    };
    tasks.spawn(task.run(eventloop, rx, shutdown));
    Ok((Link { tx }, ev_rx))
}

/// One publish handed to rumqttc: part of the confirmed batch or not.
type Tag = bool;

enum Request {
    Publish(Message, Tag),
    Subscribe(String),
}

struct Batch {
    waiting: usize,
    reply: oneshot::Sender<Outcome>,
}

struct Task {
    opts: LinkOptions,
    client: AsyncClient,
    inbox: Option<Inbox>,
    events: mpsc::Sender<LinkEvent>,
    up: bool,
    ready: bool,
    /// Requests not yet handed to rumqttc (its request channel was full), in order: a
    /// subscription must not overtake the publishes before it (Cumulocity wants `100` first).
    queue: VecDeque<Request>,
    /// Publishes handed to rumqttc and not yet written, in order.
    tags: VecDeque<Tag>,
    /// A publish rumqttc holds back because its packet id is still in flight.
    collided: Option<(u16, Tag)>,
    /// Packet id → waiting for its PUBACK (confirmed batch).
    acks: HashMap<u16, ()>,
    batch: Option<Batch>,
    /// A confirmed batch that arrived before the owner was ready.
    held: Option<(Vec<Message>, oneshot::Sender<Outcome>)>,
    /// Topics whose too-long payloads were logged already.
    too_long: Once,
}

impl Task {
    async fn run(
        mut self,
        mut eventloop: EventLoop,
        mut cmds: mpsc::Receiver<Cmd>,
        shutdown: CancellationToken,
    ) {
        let mut reconnect = Reconnect::new();
        let mut cmds_open = true;
        loop {
            self.push();
            let result = {
                let poll = eventloop.poll();
                tokio::pin!(poll);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => {
                            let _ = self.client.try_disconnect();
                            return;
                        }
                        r = &mut poll => break r,
                        cmd = cmds.recv(), if cmds_open => match cmd {
                            Some(cmd) => { self.command(cmd); self.push(); }
                            None => cmds_open = false,
                        },
                    }
                }
            };
            match result {
                Ok(event) => {
                    if matches!(event, Event::Incoming(Incoming::ConnAck(_))) {
                        reconnect.connected(tokio::time::Instant::now());
                    }
                    self.event(event).await;
                }
                Err(e) => {
                    let (level, why) = explain(&e, &self.opts.broker);
                    self.down(&why);
                    let _ = self.events.send(LinkEvent::Down(why.clone())).await;
                    let wait = reconnect.lost(tokio::time::Instant::now());
                    tracing::warn!(link = %self.opts.name, reason = %why, retry_in = ?wait, "MQTT connection down");
                    self.health(level, format!("{why}; retrying")).await;
                    let sleep = tokio::time::sleep(wait);
                    tokio::pin!(sleep);
                    loop {
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = &mut sleep => break,
                            cmd = cmds.recv(), if cmds_open => match cmd {
                                Some(cmd) => self.command(cmd),
                                None => cmds_open = false,
                            },
                        }
                    }
                }
            }
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Confirmed(msgs, reply) => {
                if !self.up {
                    let _ = reply.send(retry("not connected"));
                } else if self.batch.is_some() || self.held.is_some() {
                    let _ = reply.send(retry("another batch is in flight"));
                } else if self.ready {
                    self.start_batch(msgs, reply);
                } else {
                    self.held = Some((msgs, reply));
                }
            }
            Cmd::Publish(msgs) if self.up => {
                self.queue
                    .extend(msgs.into_iter().map(|m| Request::Publish(m, false)));
            }
            Cmd::Publish(_) => {}
            Cmd::Subscribe(topics) if self.up => {
                self.queue
                    .extend(topics.into_iter().map(Request::Subscribe));
            }
            Cmd::Subscribe(_) => {}
            Cmd::Ready if self.up => {
                self.ready = true;
                if let Some((msgs, reply)) = self.held.take() {
                    self.start_batch(msgs, reply);
                }
            }
            Cmd::Ready => {}
        }
    }

    fn start_batch(&mut self, msgs: Vec<Message>, reply: oneshot::Sender<Outcome>) {
        if msgs.is_empty() {
            let _ = reply.send(Outcome::Accepted);
            return;
        }
        self.batch = Some(Batch {
            waiting: msgs.len(),
            reply,
        });
        self.queue.extend(
            msgs.into_iter()
                .map(|m| Request::Publish(Message { qos: 1, ..m }, true)),
        );
    }

    /// Hand queued publishes to rumqttc while its request channel has room.
    fn push(&mut self) {
        if !self.up {
            return;
        }
        while let Some(req) = self.queue.front() {
            if let Request::Publish(m, tag) = req {
                // rumqttc refuses these the same way as a full channel: never let one block.
                if m.topic.contains(['+', '#']) || m.topic.is_empty() {
                    tracing::error!(link = %self.opts.name, topic = %m.topic, "not a topic to publish to; dropped");
                    let tag = *tag;
                    self.queue.pop_front();
                    if tag {
                        self.acked();
                    }
                    continue;
                }
            }
            let sent = match req {
                Request::Publish(m, _) => {
                    self.client
                        .try_publish(&m.topic, qos(m.qos), m.retain, m.payload.clone())
                }
                Request::Subscribe(t) => self.client.try_subscribe(t, QoS::AtLeastOnce),
            };
            if sent.is_err() {
                break;
            }
            if let Some(Request::Publish(_, tag)) = self.queue.pop_front() {
                self.tags.push_back(tag);
            }
        }
    }

    async fn event(&mut self, event: Event) {
        match event {
            Event::Incoming(Incoming::ConnAck(_)) => {
                self.up = true;
                self.ready = false;
                tracing::info!(link = %self.opts.name, broker = %self.opts.broker.host, "MQTT connected");
                let b = &self.opts.broker;
                let detail = format!("connected to {}:{}", b.host, b.port);
                self.health(HealthLevel::Ok, detail).await;
                let _ = self.events.send(LinkEvent::Up).await;
            }
            Event::Incoming(Incoming::Publish(p)) if p.payload.len() > MAX_INCOMING_PAYLOAD => {
                // rumqttc has acknowledged it already; the connection goes on.
                let (link, topic, bytes) = (&self.opts.name, &p.topic, p.payload.len());
                if self.too_long.first("too long", topic) {
                    tracing::warn!(%link, %topic, bytes, max = MAX_INCOMING_PAYLOAD, "incoming message too long; dropped (said once per topic)");
                } else {
                    tracing::debug!(%link, %topic, bytes, "incoming message too long; dropped");
                }
            }
            Event::Incoming(Incoming::Publish(p)) => {
                let msg = LinkEvent::Message {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                    retain: p.retain,
                };
                let _ = self.events.send(msg).await;
            }
            Event::Incoming(Incoming::PubAck(ack)) if self.acks.remove(&ack.pkid).is_some() => {
                self.acked();
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                let tag = match self.collided.take() {
                    Some((id, tag)) if id == pkid => tag,
                    other => {
                        self.collided = other;
                        self.tags.pop_front().unwrap_or(false)
                    }
                };
                if tag {
                    if pkid == 0 {
                        self.acked();
                    } else {
                        self.acks.insert(pkid, ());
                    }
                }
            }
            Event::Outgoing(Outgoing::AwaitAck(pkid)) => {
                let tag = self.tags.pop_front().unwrap_or(false);
                self.collided = Some((pkid, tag));
            }
            _ => {}
        }
    }

    fn acked(&mut self) {
        if let Some(b) = &mut self.batch {
            b.waiting -= 1;
            if b.waiting == 0 {
                let b = self.batch.take().expect("batch exists");
                let _ = b.reply.send(Outcome::Accepted);
            }
        }
    }

    /// The connection is gone and, with a clean session, everything unacknowledged with it.
    fn down(&mut self, why: &str) {
        self.up = false;
        self.ready = false;
        self.queue.clear();
        self.tags.clear();
        self.collided = None;
        self.acks.clear();
        for reply in self
            .batch
            .take()
            .map(|b| b.reply)
            .into_iter()
            .chain(self.held.take().map(|h| h.1))
        {
            let _ = reply.send(retry(why));
        }
    }

    async fn health(&self, level: HealthLevel, detail: String) {
        if let Some(inbox) = &self.inbox {
            inbox.health(&self.opts.name, level, detail).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_packet_mqtt_can_carry_comes_in_and_ours_stay_small() {
        let opts = LinkOptions {
            name: "MQTT".into(),
            broker: Broker {
                host: "127.0.0.1".into(),
                port: 1883,
                tls: false,
            },
            client_id: "t".into(),
            username: None,
            password: None,
            will: None,
            ca_file: None,
        };
        let o = mqtt_options(&opts).unwrap();
        // rumqttc reports its incoming limit; the largest remaining length MQTT encodes is
        // 0xFF 0xFF 0xFF 0x7F (four bytes of seven bits).
        assert_eq!(o.max_packet_size(), (1 << 28) - 1);
        assert_eq!(o.max_packet_size(), MAX_INCOMING_PACKET);
    }
}
