//! What makes an outlet: a pure mapping from a journal line to the items it sends, and a
//! sender that says when the receiver confirmed them. The outbox (`outbox.rs`) is the one
//! tail/cursor/retry loop that carries every outlet: the events API (`EventsApi` here), MQTT
//! to Home Assistant and Cumulocity (`mqtt/`), trigger webhooks (`triggers.rs`). Adding an
//! outlet means writing these two halves, never another cursor.
use super::client::{Outcome, Transport};
use super::mapping::{events_of, render};
use super::settings::{FieldNames, MetadataFormat};
use crate::core::Input;
use crate::journal::Entry;
use serde_json::Value;
use std::future::Future;

/// Where an outlet starts in a party it has no cursor for yet (one it was just turned on for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAt {
    /// The whole party: the events API is the evening's record.
    Beginning,
    /// From now on: turning Home Assistant, Cumulocity or a trigger on in the middle of an old
    /// party must not replay its whole evening into automations, dashboards or SMS.
    End,
}

pub trait Outlet: Send + Sync + 'static {
    type Item: Clone + Send + Sync + 'static;
    /// Items ready for the wire (a request body), made once and reused by every retry.
    type Prepared: Send + Sync + 'static;
    /// Pure: the items one journal line becomes, in effect order (often none).
    fn map(&self, party: &str, entry: &Entry) -> Vec<Self::Item>;
    fn prepare(&self, items: &[Self::Item]) -> Self::Prepared;
    /// Send them; `Accepted` only once the receiver confirmed all of them (2xx, PUBACK).
    fn send(&self, prepared: &Self::Prepared) -> impl Future<Output = Outcome> + Send;
    /// The item as it is kept in the dead-letter file when the receiver refuses it for good.
    fn dead_letter(&self, item: &Self::Item) -> Value;
    /// The name on the status line.
    fn name(&self) -> &str;
    /// What to check when the receiver says the configuration is wrong.
    fn config_hint(&self) -> &str;
    fn start_at(&self) -> StartAt {
        StartAt::Beginning
    }
    /// What the party is told when the receiver refused `item` for good (beside the
    /// dead-letter file), e.g. a failed trigger for the button log.
    fn refused(&self, _item: &Self::Item, _reason: &str) -> Option<Input> {
        None
    }
}

/// The CompetitionLabs-style events API: events as JSON, POSTed as an array.
pub struct EventsApi<T: Transport> {
    pub transport: T,
    pub names: FieldNames,
    pub format: MetadataFormat,
}

impl<T: Transport> Outlet for EventsApi<T> {
    type Item = Value;
    type Prepared = Vec<u8>;

    fn map(&self, party: &str, entry: &Entry) -> Vec<Value> {
        events_of(party, entry)
            .iter()
            .map(|ev| render(ev, &self.names, self.format))
            .collect()
    }

    fn prepare(&self, items: &[Value]) -> Vec<u8> {
        serde_json::to_vec(items).expect("JSON values serialize")
    }

    async fn send(&self, body: &Vec<u8>) -> Outcome {
        self.transport.post(body.clone()).await
    }

    fn dead_letter(&self, item: &Value) -> Value {
        item.clone()
    }

    fn name(&self) -> &str {
        "export"
    }

    fn config_hint(&self) -> &str {
        "check [export] base_url, space, api_key"
    }
}
