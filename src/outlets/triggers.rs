//! Trigger webhooks as an outlet: `Effect::TriggerFired` lines of the committed journal become
//! calls to the trigger's webhook, carried by the outbox like every other outlet. So a call
//! is at least once (the cursor, `export/<party>.triggers.cursor`, only passes a firing once
//! its call was answered, and the `X-Party-Tui-Event: <party>:<seq>:<index>` header lets a
//! receiver drop a repeat after a crash); a party opened without that cursor starts at the
//! journal's end, so turning triggers on for an old party does not replay its evening.
//!
//! Up to `TRIGGER_WINDOW` calls run at once, so one slow webhook does not hold up the others
//! and a burst of presses cannot open sockets without bound. A Retry-After from one service
//! holds every call (the outbox's window). A call refused (4xx) or still failing after
//! `WEBHOOK_ATTEMPTS` goes to `export/<party>.triggers.dead.jsonl` and comes back as
//! `Input::Result(AdapterResult::TriggerFailed)`, which the button log shows.
use super::client::Outcome;
use super::mapping::event_id;
use super::outbox::{OutboxFiles, Tuning};
use super::outlet::{Outlet, StartAt};
use super::store::export_file;
use super::webhook::{self, Fired, Payload, Webhook};
use crate::core::{AdapterResult, Input};
use crate::journal::Entry;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Webhook calls in flight at once; more firings wait for a free place.
pub(crate) const TRIGGER_WINDOW: usize = 8;

/// Calls go one by one (a webhook takes one firing per request) as soon as they are read.
pub fn tuning() -> Tuning {
    Tuning {
        flush_interval: Duration::ZERO,
        max_batch: 1,
        window: TRIGGER_WINDOW,
        max_attempts: Some(webhook::WEBHOOK_ATTEMPTS),
        backoff_base: webhook::WEBHOOK_BACKOFF_BASE,
        backoff_max: webhook::WEBHOOK_BACKOFF_MAX,
        ..Tuning::default()
    }
}

/// The trigger outlet's files: the cursor keeps the name (and format) the trigger runner of
/// earlier releases used, so a party started with one resumes where it was.
pub fn files(party: &str, journal: &Path, store_dir: &Path) -> OutboxFiles {
    OutboxFiles {
        party: party.to_string(),
        journal: journal.to_path_buf(),
        cursor: export_file(store_dir, party, "triggers.cursor"),
        dead_letters: export_file(store_dir, party, "triggers.dead.jsonl"),
    }
}

/// One firing of a trigger that has a webhook.
#[derive(Clone, Debug)]
pub struct Call {
    pub fired: Fired,
    /// `<party>:<seq>:<index>`, sent as `X-Party-Tui-Event`.
    pub id: String,
}

pub struct Triggers {
    hooks: HashMap<String, Arc<Webhook>>,
    http: reqwest::Client,
    /// For `{vote_url}` in templates.
    vote_url: String,
}

impl Triggers {
    pub fn new(hooks: Vec<Webhook>, timeout: Duration) -> Self {
        let http = crate::support::http_client::HttpClient::timeout(timeout).build();
        Triggers {
            hooks: hooks
                .into_iter()
                .map(|h| (h.trigger.clone(), Arc::new(h)))
                .collect(),
            http,
            vote_url: String::new(),
        }
    }

    /// The vote page's address, for `{vote_url}`.
    pub(crate) fn with_vote_url(mut self, url: Option<&str>) -> Self {
        self.vote_url = url.unwrap_or_default().to_string();
        self
    }
}

impl Outlet for Triggers {
    type Item = Call;
    /// The webhook, the filled-in body and the event id, per call.
    type Prepared = Vec<(Arc<Webhook>, Payload, String)>;

    fn map(&self, party: &str, entry: &Entry) -> Vec<Call> {
        let mut calls = Vec::new();
        for (i, effect) in entry.effects.iter().enumerate() {
            let Some(mut fired) = Fired::from_effect(effect) else {
                continue;
            };
            // A trigger without a url only shows in the log.
            if !self.hooks.contains_key(&fired.trigger) {
                continue;
            }
            fired.party = party.to_string();
            fired.vote_url.clone_from(&self.vote_url);
            let id = event_id(party, entry.seq, i);
            calls.push(Call { fired, id });
        }
        calls
    }

    fn prepare(&self, items: &[Call]) -> Self::Prepared {
        items
            .iter()
            .filter_map(|c| {
                let hook = self.hooks.get(&c.fired.trigger)?.clone();
                let body = hook.render(&c.fired);
                Some((hook, body, c.id.clone()))
            })
            .collect()
    }

    async fn send(&self, calls: &Self::Prepared) -> Outcome {
        for (hook, body, id) in calls {
            match hook.send(&self.http, body, id).await {
                Outcome::Accepted => tracing::info!(trigger = %hook.trigger, %id, "trigger called"),
                other => return other,
            }
        }
        Outcome::Accepted
    }

    fn dead_letter(&self, c: &Call) -> Value {
        // Not the body: `${…}` may have filled a token into it.
        let f = &c.fired;
        json!({
            "trigger": f.trigger,
            "event": c.id,
            "track": f.track,
            "artist": f.artist,
            "button": f.button,
            "step": f.step,
        })
    }

    fn name(&self) -> &str {
        // Not "triggers": that entry says which [[trigger]] could not be set up.
        "webhooks"
    }

    fn config_hint(&self) -> &str {
        "check the [[trigger]] url and credentials"
    }

    fn start_at(&self) -> StartAt {
        StartAt::End
    }

    fn refused(&self, c: &Call, reason: &str) -> Option<Input> {
        Some(Input::Result(AdapterResult::TriggerFailed {
            trigger: c.fired.trigger.clone(),
            reason: reason.to_string(),
        }))
    }
}

#[cfg(test)]
#[path = "triggers_tests.rs"]
mod tests;
