//! The outbox over the journal, not a queue in memory: the one loop that carries every outlet
//! (`outlet.rs`). It reads the party's journal from a cursor that it persists only after the
//! receiver confirmed (2xx, PUBACK), so a crash re-sends (with the same event ids) and never
//! loses. It runs beside the party loop and only ever reads the file, so a slow or dead
//! receiver never holds up a vote.
use super::client::{Backoff, Outcome, Transport};
use super::outlet::{EventsApi, Outlet};
use super::settings::{FieldNames, MetadataFormat};
use super::status::{ExportStatus, Reporter};
use super::store::{Cursor, CursorFile, DeadLetter, append_dead_letters};
use super::tail::{JournalTail, is_line_start};
use crate::bus::clock::Clock;
use crate::core::Timestamp;
use std::collections::VecDeque;
use std::ops::Range;
use std::path::PathBuf;
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

/// Items read from the journal and not yet acknowledged, up to the line ending at `end`.
struct Batch<I> {
    events: Vec<I>,
    oldest: Option<Timestamp>,
    end: u64,
    last_seq: Option<u64>,
}

pub struct Outbox<O: Outlet> {
    party: String,
    tail: JournalTail,
    cursor_file: CursorFile,
    saved: Cursor,
    dead_path: PathBuf,
    outlet: O,
    tuning: Tuning,
    clock: Clock,
    status: ExportStatus,
    reporter: Reporter,
    acked: watch::Sender<Cursor>,
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
        inbox: Option<crate::bus::inbox::Inbox>,
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
    pub fn for_outlet(
        files: OutboxFiles,
        outlet: O,
        tuning: Tuning,
        clock: Clock,
        inbox: Option<crate::bus::inbox::Inbox>,
    ) -> Self {
        let cursor_file = CursorFile::new(files.cursor);
        let mut saved = cursor_file.load();
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
        Outbox {
            party: files.party,
            tail: JournalTail::new(&files.journal, saved.offset),
            cursor_file,
            saved,
            dead_path: files.dead_letters,
            reporter: Reporter::named(outlet.name(), inbox),
            outlet,
            tuning,
            clock,
            status,
            acked: watch::channel(saved).0,
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
            self.tail.limit_to(w.clone());
        }
        let mut wake = Wake(wake);
        let mut batch = self.empty_batch();
        let mut last_flush: Option<Instant> = None;
        tracing::info!(outlet = self.outlet.name(), party = %self.party, cursor = ?self.saved, "outlet started");
        loop {
            self.fill(&mut batch);
            self.report(false).await;
            if batch.events.is_empty() {
                if batch.end != self.saved.offset {
                    self.save(batch.end, batch.last_seq); // lines that export nothing
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = wake.changed() => {}
                    _ = tokio::time::sleep(self.tuning.poll_interval) => {}
                }
                continue;
            }
            if batch.events.len() < self.tuning.max_batch {
                let due = last_flush.map(|t| t + self.tuning.flush_interval);
                if let Some(due) = due.filter(|d| *d > Instant::now()) {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = wake.changed() => continue,
                        _ = tokio::time::sleep_until(due) => {}
                    }
                    self.fill(&mut batch);
                }
            }
            if !self.deliver(&batch, &shutdown).await {
                return;
            }
            last_flush = Some(Instant::now());
            self.save(batch.end, batch.last_seq);
            batch = self.empty_batch();
            self.report(false).await;
        }
    }

    fn empty_batch(&self) -> Batch<O::Item> {
        Batch {
            events: Vec::new(),
            oldest: None,
            end: self.saved.offset,
            last_seq: self.saved.seq,
        }
    }

    /// Take whole journal lines until the batch is full or the journal is read.
    fn fill(&mut self, batch: &mut Batch<O::Item>) {
        loop {
            // The effect count bounds the items a line gives; no outlet maps one effect to more.
            let n = match self.tail.peek() {
                Ok(Some(next)) => next.entry.effects.len(),
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the journal for export");
                    self.status.last_error = Some((self.clock.now(), format!("journal: {e}")));
                    break;
                }
            };
            // Never split a line between two requests, unless one line alone is too big.
            if !batch.events.is_empty() && batch.events.len() + n > self.tuning.max_batch {
                break;
            }
            let Some(next) = self.tail.pop() else { break };
            let items = self.outlet.map(&self.party, &next.entry);
            if !items.is_empty() {
                batch.oldest.get_or_insert(next.entry.at);
            }
            batch.events.extend(items);
            batch.end = next.end;
            batch.last_seq = Some(next.entry.seq);
            if batch.events.len() >= self.tuning.max_batch {
                break;
            }
        }
        self.status.backlog = batch.events.len();
        self.status.oldest = batch.oldest;
        self.status.more_unread = self.tail.unread_bytes() > 0;
    }

    fn save(&mut self, offset: u64, seq: Option<u64>) {
        let cursor = Cursor { offset, seq };
        if let Err(e) = self.cursor_file.save(cursor) {
            // Not fatal: after a crash these events are sent again, with the same ids.
            tracing::error!(error = %e, path = %self.cursor_file.path().display(), "cannot save the export cursor");
            self.status.last_error = Some((self.clock.now(), format!("cursor: {e}")));
        }
        self.saved = cursor;
        self.acked.send_replace(cursor);
        self.status.backlog = 0;
    }

    /// Sends the batch, bisecting around events the receiver refuses; those go to the
    /// dead-letter file. Returns false when shut down before it was done.
    async fn deliver(&mut self, batch: &Batch<O::Item>, shutdown: &CancellationToken) -> bool {
        let max = self.tuning.max_batch.max(1);
        let mut work: VecDeque<Range<usize>> = (0..batch.events.len())
            .step_by(max)
            .map(|s| s..(s + max).min(batch.events.len()))
            .collect();
        let mut dead = Vec::new();
        while let Some(r) = work.pop_front() {
            match self
                .send_until_answered(&batch.events[r.clone()], shutdown)
                .await
            {
                None => return false,
                Some(Ok(())) => {}
                Some(Err((status, reason))) if r.len() == 1 => {
                    let event = self.outlet.dead_letter(&batch.events[r.start]);
                    tracing::warn!(outlet = self.outlet.name(), status, %reason, %event, file = %self.dead_path.display(), "event refused; dead-lettered");
                    dead.push(DeadLetter {
                        status,
                        reason,
                        event,
                    });
                }
                Some(Err(_)) => {
                    let mid = r.start + r.len() / 2;
                    work.push_front(mid..r.end);
                    work.push_front(r.start..mid);
                }
            }
        }
        if dead.is_empty() {
            return true;
        }
        let mut backoff = Backoff::new(self.tuning.backoff_base, self.tuning.backoff_max);
        // The cursor must not pass a refused event before it is safely on disk.
        while let Err(e) = append_dead_letters(&self.dead_path, &dead) {
            tracing::error!(error = %e, "cannot write the dead-letter file");
            self.status.last_error = Some((self.clock.now(), format!("dead letters: {e}")));
            self.report(true).await;
            tokio::select! {
                _ = shutdown.cancelled() => return false,
                _ = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
        self.status.dead_lettered += dead.len() as u64;
        self.report(true).await;
        true
    }

    /// Send until the receiver gives an answer about the items themselves: accepted, or
    /// refused (status, reason). Everything else is retried with back-off, forever.
    async fn send_until_answered(
        &mut self,
        items: &[O::Item],
        shutdown: &CancellationToken,
    ) -> Option<Result<(), (u16, String)>> {
        let n = items.len();
        let prepared = self.outlet.prepare(items);
        let mut backoff = Backoff::new(self.tuning.backoff_base, self.tuning.backoff_max);
        loop {
            let outcome = tokio::select! {
                _ = shutdown.cancelled() => return None,
                o = self.outlet.send(&prepared) => o,
            };
            let now = self.clock.now();
            let wait = match outcome {
                Outcome::Accepted => {
                    self.status.last_ok = Some(now);
                    self.status.retrying = false;
                    self.status.misconfigured = false;
                    self.status.sent += n as u64;
                    return Some(Ok(()));
                }
                Outcome::Rejected { status, reason } => {
                    self.status.last_error = Some((now, reason.clone()));
                    return Some(Err((status, reason)));
                }
                Outcome::Retry { reason, after } => {
                    self.status.retrying = true;
                    self.status.last_error = Some((now, reason));
                    let d = backoff.next_delay();
                    after.map_or(d, |a| a.max(d))
                }
                Outcome::Misconfigured { reason, .. } => {
                    self.status.misconfigured = true;
                    let hint = self.outlet.config_hint();
                    self.status.last_error = Some((now, format!("{reason} ({hint})")));
                    backoff.next_delay().max(self.tuning.misconfigured_retry)
                }
            };
            if let Some((_, why)) = &self.status.last_error {
                tracing::warn!(outlet = self.outlet.name(), reason = %why, retry_in = ?wait, events = n, "send failed; retrying");
            }
            self.report(true).await;
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn report(&mut self, force: bool) {
        self.reporter
            .report(&self.status, self.clock.now(), force)
            .await;
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
