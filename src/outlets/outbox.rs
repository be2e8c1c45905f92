//! The outbox over the journal, not a queue in memory: the one loop that carries every outlet
//! (`outlet.rs`). It reads the party's journal from a cursor that it persists only after the
//! receiver confirmed (2xx, PUBACK), so a crash re-sends (with the same event ids) and never
//! loses. It runs beside the party loop and only ever reads the file, so a slow or dead
//! receiver never holds up a vote.
//!
//! Up to `Tuning::window` sends are in flight at once (`window.rs`: one for the events API and
//! MQTT, several for trigger webhooks so one slow service does not hold up the others); the
//! cursor still passes a line only once every send before it and of it was answered. Journal
//! reads, cursor saves and dead-letter appends run on tokio's blocking pool: an fsync on an SD
//! card can take tens of milliseconds that a runtime worker owes to the vote page.
use super::client::{Outcome, Transport};
use super::outbox_io::{Batch, fill, first_cursor, lock, off_runtime};
use super::outlet::{EventsApi, Outlet};
use super::settings::{FieldNames, MetadataFormat};
use super::status::{ExportStatus, Reporter};
use super::store::{Cursor, CursorFile, DeadLetter, append_dead_letters};
use super::tail::{JournalTail, is_line_start};
use super::window::{Passed, SendKey, Window};
use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::support::backoff::Backoff;
use futures::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use super::tuning::{MAX_BATCH, MISCONFIGURED_RETRY, POLL_INTERVAL, Tuning};

/// Where the outbox reads and keeps its files.
pub struct OutboxFiles {
    pub party: String,
    pub journal: PathBuf,
    pub cursor: PathBuf,
    pub dead_letters: PathBuf,
}

type Flying = Pin<Box<dyn Future<Output = (SendKey, Outcome)> + Send>>;

pub struct Outbox<O: Outlet> {
    party: Arc<str>,
    /// Behind a mutex only so a blocking-pool thread can borrow it; nothing else contends.
    tail: Arc<Mutex<JournalTail>>,
    cursor_file: CursorFile,
    saved: Cursor,
    dead_path: PathBuf,
    outlet: Arc<O>,
    tuning: Tuning,
    clock: Clock,
    status: ExportStatus,
    reporter: Reporter,
    inbox: Option<Inbox>,
    acked: watch::Sender<Cursor>,
    window: Window<O::Item, O::Prepared>,
    idle_reported: bool,
}

impl<T: Transport> Outbox<EventsApi<T>> {
    /// The events API's outbox.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        files: OutboxFiles,
        transport: T,
        names: FieldNames,
        format: MetadataFormat,
        tuning: Tuning,
        clock: Clock,
        inbox: Option<Inbox>,
    ) -> Self {
        let outlet = EventsApi {
            transport,
            names,
            format,
        };
        Outbox::for_outlet(files, outlet, tuning, clock, inbox)
    }
}

impl<O: Outlet> Outbox<O> {
    /// Reads the cursor (or places it, for an outlet new to this party) now: call it before
    /// the party loop starts writing, so nothing written in between is skipped.
    pub fn for_outlet(
        files: OutboxFiles,
        outlet: O,
        tuning: Tuning,
        clock: Clock,
        inbox: Option<Inbox>,
    ) -> Self {
        let cursor_file = CursorFile::new(files.cursor);
        let mut saved = first_cursor(&cursor_file, &files.journal, outlet.start_at());
        if !is_line_start(&files.journal, saved.offset) {
            // Not a place in this journal (it was replaced or cut): send it all again.
            tracing::warn!(outlet = outlet.name(), cursor = ?saved, "cursor does not fit the journal; starting over");
            saved = Cursor::default();
        }
        let status = ExportStatus {
            // Short enough for the status line; the full path is in the log.
            dead_letter_file: files
                .dead_letters
                .file_name()
                .map_or(String::new(), |n| format!("export/{}", n.to_string_lossy())),
            ..ExportStatus::default()
        };
        let window = Window::new(tuning.window, tuning.backoff_base, tuning.backoff_max);
        Outbox {
            party: files.party.into(),
            tail: Arc::new(Mutex::new(JournalTail::new(&files.journal, saved.offset))),
            cursor_file,
            saved,
            dead_path: files.dead_letters,
            reporter: Reporter::named(outlet.name(), inbox.clone()),
            inbox,
            outlet: Arc::new(outlet),
            tuning,
            clock,
            status,
            acked: watch::channel(saved).0,
            window,
            idle_reported: false,
        }
    }

    /// The acknowledged cursor, as it is saved (tests and the bench wait on it).
    pub fn acked(&self) -> watch::Receiver<Cursor> {
        self.acked.subscribe()
    }

    /// Runs until `shutdown`. `wake` is the journal's durable length after each commit: the
    /// exporter reads no further (a line written but not yet synced may still be cut back).
    pub async fn run(mut self, wake: Option<watch::Receiver<u64>>, shutdown: CancellationToken) {
        if let Some(w) = &wake {
            lock(&self.tail).limit_to(w.clone());
        }
        let mut wake = Wake(wake);
        let mut open = self.empty_batch(self.saved.offset, self.saved.seq);
        let mut last_flush: Option<Instant> = None;
        let mut flying: FuturesUnordered<Flying> = FuturesUnordered::new();
        tracing::info!(outlet = self.outlet.name(), party = %self.party, cursor = ?self.saved, "outlet started");
        // There may be lines to read: at the start, after a wake-up, or when a read stopped
        // at a full batch. An answer alone brings none, so it costs no read.
        let mut unread = true;
        loop {
            if self.window.room() {
                if unread {
                    let drained;
                    (open, drained) = self.fill(open).await;
                    unread = !drained;
                }
                let flush_at = last_flush.map(|t| t + self.tuning.flush_interval);
                let full = open.events.len() >= self.tuning.max_batch;
                let due = !open.events.is_empty() && flush_at.is_none_or(|d| d <= Instant::now());
                // Lines that send nothing are passed like the others, in their turn.
                let nothing_to_send = open.events.is_empty() && open.end != open.start;
                if full || due || nothing_to_send {
                    let next = self.empty_batch(open.end, open.last_seq);
                    let b = std::mem::replace(&mut open, next);
                    let per_send = self.tuning.max_batch;
                    let now = Instant::now();
                    self.window
                        .seal(b.events, b.end, b.last_seq, b.oldest, per_send, now);
                    continue;
                }
            }
            // Sends first: a new call need not wait for the last answer's cursor fsync.
            for key in self.window.start(Instant::now()) {
                flying.push(self.send(key));
            }
            if let Some(passed) = self.window.pass()
                && !self.pass(passed, &shutdown).await
            {
                return;
            }
            self.update_status(&open);
            // Caught up: say so at once, or the line keeps the last backlog it showed.
            let idle = self.status.backlog == 0;
            let force = idle && !self.idle_reported;
            self.idle_reported = idle;
            self.report(force).await;
            let room = self.window.room();
            let flush_at = last_flush
                .filter(|_| room && !open.events.is_empty())
                .map(|t| t + self.tuning.flush_interval);
            let timer = self.window.next_start().into_iter().chain(flush_at).min();
            tokio::select! {
                _ = shutdown.cancelled() => return,
                Some((key, outcome)) = flying.next(), if !flying.is_empty() => {
                    if self.answer(key, outcome).await {
                        last_flush = Some(Instant::now());
                    }
                    // Without room we did not listen for wake-ups: look again.
                    unread |= !room;
                    continue;
                }
                _ = wake.changed(), if room => {}
                _ = sleep_until(timer), if timer.is_some() => {}
                _ = tokio::time::sleep(self.tuning.poll_interval), if room => {}
            }
            unread = true;
        }
    }

    fn empty_batch(&self, at: u64, last_seq: Option<u64>) -> Batch<O::Item> {
        Batch {
            events: Vec::new(),
            oldest: None,
            start: at,
            end: at,
            last_seq,
        }
    }

    /// Takes whole journal lines into `batch` on the blocking pool, mapped by the outlet. True
    /// when the journal was read to its end.
    async fn fill(&mut self, batch: Batch<O::Item>) -> (Batch<O::Item>, bool) {
        let tail = self.tail.clone();
        let outlet = self.outlet.clone();
        let party = self.party.clone();
        let max = self.tuning.max_batch;
        let (batch, read) = off_runtime(move || {
            let mut batch = batch;
            let read = fill(&mut lock(&tail), &*outlet, &party, &mut batch, max);
            (batch, read)
        })
        .await;
        if let Some(e) = read.error {
            tracing::warn!(outlet = self.outlet.name(), error = %e, "cannot read the journal");
            self.status.last_error = Some((self.clock.now(), format!("journal: {e}")));
        }
        self.status.more_unread = read.more_unread;
        (batch, read.drained)
    }

    fn send(&mut self, key: SendKey) -> Flying {
        let prepared = match self.window.flying_mut(key).and_then(|s| s.prepared.clone()) {
            Some(p) => p,
            None => {
                let p = Arc::new(self.outlet.prepare(self.window.items(key)));
                if let Some(s) = self.window.flying_mut(key) {
                    s.prepared = Some(p.clone());
                }
                p
            }
        };
        let outlet = self.outlet.clone();
        Box::pin(async move { (key, outlet.send(&prepared).await) })
    }

    /// What the receiver said about one send. True when it accepted it.
    async fn answer(&mut self, key: SendKey, outcome: Outcome) -> bool {
        let now = self.clock.now();
        let n = self.window.items(key).len();
        let wait = match outcome {
            Outcome::Accepted => {
                self.status.last_ok = Some(now);
                self.status.misconfigured = false;
                self.status.sent += n as u64;
                self.window.accepted(key);
                self.status.retrying = self.window.failing();
                return true;
            }
            Outcome::Rejected { status, reason } => {
                self.status.last_error = Some((now, reason.clone()));
                if !self.window.split(key, Instant::now()) {
                    self.give_up(key, status, reason).await;
                }
                None
            }
            Outcome::Retry { reason, after } => {
                let attempts = self.window.flying_mut(key).map_or(0, |s| s.attempts);
                self.status.last_error = Some((now, reason.clone()));
                if self.tuning.max_attempts.is_some_and(|m| attempts >= m) {
                    // Status 0: no refusal, the receiver just never took it.
                    let why = format!("{reason} after {attempts} attempts");
                    self.give_up(key, 0, why).await;
                    None
                } else {
                    // A Retry-After is about the receiver, not this send: every send waits.
                    let hold = after.is_some();
                    Some(
                        self.window
                            .retry(key, after, Duration::ZERO, hold, Instant::now()),
                    )
                }
            }
            Outcome::Misconfigured { reason, .. } => {
                self.status.misconfigured = true;
                let hint = self.outlet.config_hint();
                self.status.last_error = Some((now, format!("{reason} ({hint})")));
                let slow = self.tuning.misconfigured_retry;
                Some(self.window.retry(key, None, slow, true, Instant::now()))
            }
        };
        if let (Some(wait), Some((_, why))) = (wait, &self.status.last_error) {
            tracing::warn!(outlet = self.outlet.name(), reason = %why, retry_in = ?wait, events = n, "send failed; retrying");
        }
        self.status.retrying = self.window.failing();
        self.report(true).await;
        false
    }

    /// The receiver refused these items for good (or never took them): they go to the
    /// dead-letter file once the cursor passes them, and the outlet may tell the party.
    async fn give_up(&mut self, key: SendKey, status: u16, reason: String) {
        let items = self.window.items(key);
        let mut letters = Vec::with_capacity(items.len());
        let mut notes = Vec::new();
        for item in items {
            let event = self.outlet.dead_letter(item);
            tracing::warn!(outlet = self.outlet.name(), status, %reason, %event, file = %self.dead_path.display(), "event refused; dead-lettered");
            notes.extend(self.outlet.refused(item, &reason));
            letters.push(DeadLetter {
                status,
                reason: reason.clone(),
                event,
            });
        }
        self.window.dead(key, letters);
        if let Some(inbox) = &self.inbox {
            for note in notes {
                let _ = inbox.send(note).await;
            }
        }
    }

    /// Moves the cursor past finished batches: their dead letters on disk first, then the
    /// cursor. Returns false when shut down before the dead letters could be written.
    async fn pass(&mut self, passed: Passed, shutdown: &CancellationToken) -> bool {
        if !passed.dead.is_empty() {
            let n = passed.dead.len() as u64;
            let dead = Arc::new(passed.dead);
            let mut backoff = Backoff::new(self.tuning.backoff_base, self.tuning.backoff_max);
            // The cursor must not pass a refused event before it is safely on disk.
            loop {
                let (path, letters) = (self.dead_path.clone(), dead.clone());
                let Err(e) = off_runtime(move || append_dead_letters(&path, &letters)).await else {
                    break;
                };
                tracing::error!(error = %e, "cannot write the dead-letter file");
                self.status.last_error = Some((self.clock.now(), format!("dead letters: {e}")));
                self.report(true).await;
                tokio::select! {
                    _ = shutdown.cancelled() => return false,
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                }
            }
            self.status.dead_lettered += n;
            self.report(true).await;
        }
        self.save(passed.end, passed.last_seq).await;
        true
    }

    async fn save(&mut self, offset: u64, seq: Option<u64>) {
        let cursor = Cursor { offset, seq };
        let file = self.cursor_file.clone();
        if let Err(e) = off_runtime(move || file.save(cursor)).await {
            // Not fatal: after a crash these events are sent again, with the same ids.
            tracing::error!(error = %e, path = %self.cursor_file.path().display(), "cannot save the outlet's cursor");
            self.status.last_error = Some((self.clock.now(), format!("cursor: {e}")));
        }
        self.saved = cursor;
        self.acked.send_replace(cursor);
    }

    fn update_status(&mut self, open: &Batch<O::Item>) {
        let (sealed, oldest) = self.window.backlog();
        self.status.backlog = sealed + open.events.len();
        self.status.oldest = oldest.or(open.oldest);
    }

    async fn report(&mut self, force: bool) {
        self.reporter
            .report(&self.status, self.clock.now(), force)
            .await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The party loop's wake-up; once its sender is gone, only the poll interval wakes us.
struct Wake(Option<watch::Receiver<u64>>);

impl Wake {
    async fn changed(&mut self) {
        if let Some(rx) = &mut self.0 {
            if rx.changed().await.is_ok() {
                return;
            }
            self.0 = None;
        }
        std::future::pending::<()>().await
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "outbox_window_tests.rs"]
mod window_tests;
