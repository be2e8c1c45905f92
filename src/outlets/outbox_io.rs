//! What the outbox does on tokio's blocking pool, apart from its loop: reading and mapping
//! journal lines, placing an outlet's first cursor. An fsync or a read of a cold file on an SD
//! card can take tens of milliseconds that a runtime worker owes to the vote page.
use super::outlet::{Outlet, StartAt};
use super::store::{Cursor, CursorFile};
use super::tail::{JournalTail, last_line_end};
use crate::core::Timestamp;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Items read from the journal and not yet sealed into sends: the lines from `start` to `end`.
pub(super) struct Batch<I> {
    pub events: Vec<I>,
    pub oldest: Option<Timestamp>,
    pub start: u64,
    pub end: u64,
    pub last_seq: Option<u64>,
}

/// What one read of the journal says besides the lines.
pub(super) struct Read {
    pub error: Option<String>,
    pub more_unread: bool,
    /// Read to the end of the journal (or as far as a read error).
    pub drained: bool,
}

/// The cursor to resume from. An outlet new to this party (no cursor file) starts where its
/// policy says; a start at the end is saved at once, so what the party writes from here on is
/// sent even if the Pi goes down before the first send.
pub(super) fn first_cursor(file: &CursorFile, journal: &Path, start: StartAt) -> Cursor {
    if file.path().exists() {
        return file.load();
    }
    match start {
        StartAt::Beginning => Cursor::default(),
        StartAt::End => {
            let c = Cursor {
                offset: last_line_end(journal),
                seq: None,
            };
            if let Err(e) = file.save(c) {
                tracing::warn!(error = %e, path = %file.path().display(), "cannot save the starting cursor");
            }
            c
        }
    }
}

/// Take whole journal lines until the batch is full or the journal is read.
pub(super) fn fill<O: Outlet>(
    tail: &mut JournalTail,
    outlet: &O,
    party: &str,
    batch: &mut Batch<O::Item>,
    max_batch: usize,
) -> Read {
    let mut error = None;
    let mut drained = false;
    loop {
        // The effect count bounds the items a line gives; no outlet maps one effect to more.
        let n = match tail.peek() {
            Ok(Some(next)) => next.entry.effects.len(),
            Ok(None) => {
                drained = true;
                break;
            }
            Err(e) => {
                // Tried again at the next wake-up or poll, not at once.
                error = Some(e.to_string());
                drained = true;
                break;
            }
        };
        // Never split a line between two requests, unless one line alone is too big.
        if !batch.events.is_empty() && batch.events.len() + n > max_batch {
            break;
        }
        let Some(next) = tail.pop() else { break };
        let items = outlet.map(party, &next.entry);
        if !items.is_empty() {
            batch.oldest.get_or_insert(next.entry.at);
        }
        batch.events.extend(items);
        batch.end = next.end;
        batch.last_seq = Some(next.entry.seq);
        if batch.events.len() >= max_batch {
            break;
        }
    }
    Read {
        error,
        more_unread: tail.unread_bytes() > 0,
        drained,
    }
}

pub(super) fn lock(tail: &Mutex<JournalTail>) -> MutexGuard<'_, JournalTail> {
    // A panic mid-read leaves the reader where it was: still usable.
    tail.lock().unwrap_or_else(PoisonError::into_inner)
}

/// File IO on tokio's blocking pool, awaited. A panic there is the caller's panic.
pub(super) async fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only when the runtime is shutting down: this task is about to be dropped.
        Err(_) => std::future::pending().await,
    }
}
