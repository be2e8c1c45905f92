//! Carries out `Effect::TriggerFired` by calling the trigger's webhook.
//!
//! Driven from the committed journal, not from the engine's in-memory effects: the runner
//! reads the journal like the exporter does, with its own cursor
//! (`export/<party>.triggers.cursor`) that only passes a firing once its webhook call has
//! finished (2xx, or given up and reported). So a crash re-fires an unfinished call instead
//! of losing it (at least once; the `X-Party-Tui-Event: <party>:<seq>:<index>` header lets a
//! receiver drop the repeat). A party opened without a cursor starts at the journal's end, so
//! turning triggers on for an old party does not replay its whole evening.
//!
//! Calls run concurrently, so one slow webhook does not hold up the others; a call that fails
//! for good becomes `Input::Result(AdapterResult::TriggerFailed)` through the inbox, which the
//! button log shows.
use super::client::Backoff;
use super::mapping::event_id;
use super::store::{Cursor, CursorFile};
use super::tail::{JournalTail, is_line_start};
use super::webhook::{self, Fired, Webhook};
use crate::bus::inbox::Inbox;
use crate::core::{AdapterResult, Input};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct TriggerTuning {
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

impl Default for TriggerTuning {
    fn default() -> Self {
        TriggerTuning {
            attempts: webhook::WEBHOOK_ATTEMPTS,
            backoff_base: webhook::WEBHOOK_BACKOFF_BASE,
            backoff_max: webhook::WEBHOOK_BACKOFF_MAX,
            timeout: webhook::WEBHOOK_TIMEOUT,
            poll_interval: super::outbox::POLL_INTERVAL,
        }
    }
}

pub struct TriggerRunner {
    party: String,
    tail: JournalTail,
    cursor_file: CursorFile,
    saved: Cursor,
    hooks: HashMap<String, Arc<Webhook>>,
    http: reqwest::Client,
    inbox: Inbox,
    tuning: TriggerTuning,
    /// For `{vote_url}` in templates.
    vote_url: String,
}

impl TriggerRunner {
    /// Reads the cursor (or the journal's length) now: call it before the party loop starts
    /// writing, so nothing fired in between is skipped.
    pub fn new(
        party: &str,
        journal: &Path,
        cursor: std::path::PathBuf,
        hooks: Vec<Webhook>,
        inbox: Inbox,
        tuning: TriggerTuning,
    ) -> reqwest::Result<Self> {
        let cursor_file = CursorFile::new(cursor);
        let saved = if cursor_file.path().exists() {
            cursor_file.load()
        } else {
            let end = std::fs::metadata(journal).map_or(0, |m| m.len());
            let c = Cursor {
                offset: end,
                seq: None,
            };
            if let Err(e) = cursor_file.save(c) {
                tracing::warn!(error = %e, "cannot save the trigger cursor");
            }
            c
        };
        let saved = if is_line_start(journal, saved.offset) {
            saved
        } else {
            Cursor::default()
        };
        let http = reqwest::Client::builder()
            .timeout(tuning.timeout)
            .user_agent(concat!("party-tui/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(TriggerRunner {
            party: party.to_string(),
            tail: JournalTail::new(journal, saved.offset),
            cursor_file,
            saved,
            hooks: hooks
                .into_iter()
                .map(|h| (h.trigger.clone(), Arc::new(h)))
                .collect(),
            http,
            inbox,
            tuning,
            vote_url: String::new(),
        })
    }

    /// The vote page's address, for `{vote_url}`.
    pub fn with_vote_url(mut self, url: Option<&str>) -> Self {
        self.vote_url = url.unwrap_or_default().to_string();
        self
    }

    pub async fn run(
        mut self,
        mut wake: Option<watch::Receiver<u64>>,
        shutdown: CancellationToken,
    ) {
        if let Some(w) = &wake {
            // Only what is synced: a line not yet synced may still be cut back.
            self.tail.limit_to(w.clone());
        }
        let mut calls: JoinSet<u64> = JoinSet::new();
        // Journal offset where a line with unfinished calls starts → calls left.
        let mut pending: BTreeMap<u64, usize> = BTreeMap::new();
        let mut read_to = self.saved.offset;
        loop {
            while let Ok(Some(_)) = self.tail.peek() {
                let Some(next) = self.tail.pop() else { break };
                let start = read_to;
                read_to = next.end;
                for (i, effect) in next.entry.effects.iter().enumerate() {
                    let Some(mut fired) = Fired::from_effect(effect) else {
                        continue;
                    };
                    fired.party.clone_from(&self.party);
                    fired.vote_url.clone_from(&self.vote_url);
                    let Some(hook) = self.hooks.get(&fired.trigger).cloned() else {
                        continue;
                    };
                    let id = event_id(&self.party, next.entry.seq, i);
                    calls.spawn(self.call(hook, fired, id, start));
                    *pending.entry(start).or_default() += 1;
                }
            }
            let cursor = pending.keys().next().copied().unwrap_or(read_to);
            if cursor != self.saved.offset {
                self.saved = Cursor {
                    offset: cursor,
                    seq: None,
                };
                if let Err(e) = self.cursor_file.save(self.saved) {
                    tracing::error!(error = %e, "cannot save the trigger cursor");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                Some(done) = calls.join_next(), if !calls.is_empty() => {
                    if let Ok(start) = done
                        && let Some(n) = pending.get_mut(&start)
                    {
                        *n -= 1;
                        if *n == 0 {
                            pending.remove(&start);
                        }
                    }
                }
                changed = changed(&mut wake) => {
                    if !changed {
                        wake = None;
                    }
                }
                _ = tokio::time::sleep(self.tuning.poll_interval) => {}
            }
        }
    }

    fn call(
        &self,
        hook: Arc<Webhook>,
        fired: Fired,
        id: String,
        start: u64,
    ) -> impl Future<Output = u64> + Send + 'static {
        let http = self.http.clone();
        let inbox = self.inbox.clone();
        let tuning = self.tuning.clone();
        async move {
            let body = hook.render(&fired);
            let backoff = Backoff::new(tuning.backoff_base, tuning.backoff_max);
            match hook.call(&http, body, &id, tuning.attempts, backoff).await {
                Ok(()) => {
                    tracing::info!(trigger = %hook.trigger, %id, step = ?fired.step, "trigger called")
                }
                Err(reason) => {
                    tracing::warn!(trigger = %hook.trigger, %id, %reason, "webhook gave up");
                    let failed = AdapterResult::TriggerFailed {
                        trigger: hook.trigger.clone(),
                        reason,
                    };
                    let _ = inbox.send(Input::Result(failed)).await;
                }
            }
            start
        }
    }
}

/// True when the party loop committed more; false once it is gone (then only polling wakes).
async fn changed(wake: &mut Option<watch::Receiver<u64>>) -> bool {
    match wake {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}
