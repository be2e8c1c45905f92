//! The Cumulocity side that is not the outbox: after every (re)connect the device, its
//! required interval, supported operations and child devices are declared, `s/ds` subscribed,
//! `500` asks for the operations that came while we were away and `123` marks the end of that
//! answer (`catch_up.rs`). A `c8y_Command` (`511`) is acknowledged `501`; one queued while we
//! were offline is then refused `502` ("sent while the party was offline: send it again"),
//! a live one carried out as a host command from Cumulocity and closed `503` (or `502` with
//! the reason). What comes on `s/ds` must be fresh text (`inbound.rs`).
use super::Message;
use super::catch_up::{Arrival, CatchUp};
use super::inbound::{self, Once};
use super::link::{Link, LinkEvent, MAX_PACKET};
use super::smartrest::{self, C8y};
use crate::bus::inbox::Inbox;
use crate::core::{CommandSource, Input};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const DOWNSTREAM: &str = "s/ds";

pub(crate) struct C8yRun {
    c8y: Arc<C8y>,
    link: Link,
    inbox: Inbox,
    catch_up: CatchUp,
    once: Once,
}

impl C8yRun {
    pub(crate) fn new(c8y: Arc<C8y>, link: Link, inbox: Inbox) -> Self {
        C8yRun {
            c8y,
            link,
            inbox,
            catch_up: CatchUp::default(),
            once: Once::default(),
        }
    }

    pub(crate) async fn run(
        mut self,
        mut events: mpsc::Receiver<LinkEvent>,
        shutdown: CancellationToken,
    ) {
        loop {
            let deadline = self.catch_up.deadline();
            let expired = async move {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                ev = events.recv() => match ev {
                    Some(LinkEvent::Up) => {
                        self.link.publish(self.c8y.on_connect()).await;
                        // Only once the device exists does the platform accept the subscription.
                        self.link.subscribe(vec![DOWNSTREAM.into()]).await;
                        self.link.publish(self.c8y.catch_up()).await;
                        self.link.ready().await;
                        self.catch_up.start(Instant::now());
                    }
                    Some(LinkEvent::Down(_)) => self.catch_up.stop(),
                    Some(LinkEvent::Message { topic, payload, retain }) if topic == DOWNSTREAM => {
                        let verdict = inbound::command(&payload, retain, MAX_PACKET);
                        if let Some(text) = self.once.check("Cumulocity", &topic, verdict, MAX_PACKET) {
                            self.downstream(text).await;
                        }
                    }
                    Some(LinkEvent::Message { .. }) => {}
                    None => return,
                },
                _ = expired => {
                    if let Some(refused) = self.catch_up.expire(Instant::now()) {
                        tracing::warn!(
                            refused,
                            "Cumulocity did not answer `123` within {:?}; operations from now on are carried out",
                            super::catch_up::CATCH_UP_MAX
                        );
                    }
                }
            }
        }
    }

    async fn downstream(&mut self, payload: &str) {
        for line in payload.lines() {
            if smartrest::is_internal_id(line) {
                if let Some(refused) = self.catch_up.caught_up() {
                    tracing::info!(
                        refused,
                        "Cumulocity: caught up with the operations queued while offline; operations from now on are carried out"
                    );
                }
                continue;
            }
            let Some((topic, cmd)) = self.c8y.operation(line) else {
                continue;
            };
            self.link
                .publish(vec![Message::plain(&topic, smartrest::executing())])
                .await;
            let done = match (self.catch_up.arrival(Instant::now()), cmd) {
                (Arrival::Queued, _) => {
                    tracing::info!(operation = %line, "Cumulocity operation queued while offline; refused");
                    smartrest::failed(smartrest::OFFLINE_REASON)
                }
                (Arrival::Live, Ok(cmd)) => {
                    tracing::info!(command = %cmd.plain(), "operation from Cumulocity");
                    let plain = cmd.plain();
                    match self
                        .inbox
                        .submit(Input::host_by(cmd, CommandSource::Cumulocity))
                        .await
                    {
                        Ok(_) => smartrest::successful(&plain),
                        Err(e) => smartrest::failed(&e.to_string()),
                    }
                }
                (Arrival::Live, Err(why)) => {
                    tracing::warn!(%why, "Cumulocity operation refused");
                    smartrest::failed(&why)
                }
            };
            self.link.publish(vec![Message::plain(&topic, done)]).await;
        }
    }
}
