//! The Cumulocity side that is not the outbox: after every (re)connect the device, its
//! required interval, supported operations and child devices are declared, `s/ds` subscribed
//! and `500` asks for the operations that came while we were away. A `c8y_Command` (`511`)
//! is acknowledged `501`, carried out as a host command from Cumulocity, then closed `503`
//! (or `502` with the reason).
use super::Message;
use super::link::{Link, LinkEvent};
use super::smartrest::{self, C8y};
use crate::bus::inbox::Inbox;
use crate::core::{CommandSource, Input};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) struct C8yRun {
    c8y: Arc<C8y>,
    link: Link,
    inbox: Inbox,
}

impl C8yRun {
    pub(crate) fn new(c8y: Arc<C8y>, link: Link, inbox: Inbox) -> Self {
        C8yRun { c8y, link, inbox }
    }

    pub(crate) async fn run(
        self,
        mut events: mpsc::Receiver<LinkEvent>,
        shutdown: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                ev = events.recv() => match ev {
                    Some(LinkEvent::Up) => {
                        self.link.publish(self.c8y.on_connect()).await;
                        // Only once the device exists does the platform accept the subscription.
                        self.link.subscribe(vec!["s/ds".into()]).await;
                        self.link.publish(vec![Message::plain("s/us", "500")]).await;
                        self.link.ready().await;
                    }
                    Some(LinkEvent::Down(_)) => {}
                    Some(LinkEvent::Message { topic, payload }) if topic == "s/ds" => {
                        self.operations(&String::from_utf8_lossy(&payload)).await;
                    }
                    Some(LinkEvent::Message { .. }) => {}
                    None => return,
                },
            }
        }
    }

    async fn operations(&self, payload: &str) {
        for line in payload.lines() {
            let Some((topic, cmd)) = self.c8y.operation(line) else {
                continue;
            };
            self.link
                .publish(vec![Message::plain(&topic, smartrest::executing())])
                .await;
            let done = match cmd {
                Ok(cmd) => {
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
                Err(why) => {
                    tracing::warn!(%why, "Cumulocity operation refused");
                    smartrest::failed(&why)
                }
            };
            self.link.publish(vec![Message::plain(&topic, done)]).await;
        }
    }
}
