//! The outbox's sends between "read from the journal" and "cursor saved", as a pure state
//! machine (no IO, no clock of its own: `now` comes in). Lines are sealed into batches in
//! journal order; a batch is cut into sends; at most `limit` sends are in flight at once. A send
//! that fails waits for its own back-off, and a Retry-After holds every send of the outlet (a
//! 429 from one trigger call means the service wants quiet, not just for that call). The
//! cursor passes a batch only once all its sends are answered (accepted, or dead-lettered),
//! and only in order: a finished batch behind an unfinished one waits for it.
use super::store::DeadLetter;
use crate::core::Timestamp;
use crate::support::backoff::Backoff;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many windows' worth of sends may be outstanding while some wait out their back-off.
const READ_AHEAD: usize = 4;

/// A send: (batch id, first item index). Ordered as the journal is.
pub(crate) type SendKey = (u64, usize);

struct Sealed<I> {
    items: Vec<I>,
    end: u64,
    last_seq: Option<u64>,
    oldest: Option<Timestamp>,
    /// Sends of this batch not answered yet.
    open: usize,
    dead: Vec<DeadLetter>,
}

pub(crate) struct Pending<P> {
    pub range: Range<usize>,
    pub attempts: u32,
    backoff: Backoff,
    due: Instant,
    /// The last attempt failed and this one is a retry (for the status line).
    failing: bool,
    /// Made once (`Outlet::prepare`) and reused by every retry.
    pub prepared: Option<Arc<P>>,
}

/// What the cursor may pass now: the batches finished at the front, merged.
#[derive(Debug, Default)]
pub(crate) struct Passed {
    pub end: u64,
    pub last_seq: Option<u64>,
    pub dead: Vec<DeadLetter>,
}

pub(crate) struct Window<I, P> {
    limit: usize,
    backoff: (Duration, Duration),
    /// Sealed batches not yet passed by the cursor, oldest first; the first has id `first`.
    batches: VecDeque<Sealed<I>>,
    first: u64,
    waiting: BTreeMap<SendKey, Pending<P>>,
    flying: BTreeMap<SendKey, Pending<P>>,
    hold_until: Option<Instant>,
}

impl<I, P> Window<I, P> {
    pub(crate) fn new(limit: usize, backoff_base: Duration, backoff_max: Duration) -> Self {
        Window {
            limit: limit.max(1),
            backoff: (backoff_base, backoff_max),
            batches: VecDeque::new(),
            first: 0,
            waiting: BTreeMap::new(),
            flying: BTreeMap::new(),
            hold_until: None,
        }
    }

    /// Whether another batch may be sealed. One send at a time (the events API, MQTT): nothing
    /// is read past a send, even one waiting to retry. A wider window (trigger webhooks): fewer
    /// sends in flight or ready than may fly, not counting those waiting out a back-off, so
    /// one dead webhook does not hold up calls to the others; and at most `READ_AHEAD` windows
    /// outstanding in all, so it does not make the outbox read the whole journal either.
    pub(crate) fn room(&self) -> bool {
        let outstanding = self.waiting.len() + self.flying.len();
        if self.limit == 1 {
            return outstanding == 0;
        }
        let retrying = self.waiting.values().filter(|s| s.failing).count();
        outstanding - retrying < self.limit && outstanding < READ_AHEAD * self.limit
    }

    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.flying.len()
    }

    /// Takes the lines read (their items, in order) as one batch, cut into sends of at most
    /// `per_send` items. A batch without items is passed as soon as those before it are.
    pub(crate) fn seal(
        &mut self,
        items: Vec<I>,
        end: u64,
        last_seq: Option<u64>,
        oldest: Option<Timestamp>,
        per_send: usize,
        now: Instant,
    ) {
        let id = self.first + self.batches.len() as u64;
        let per_send = per_send.max(1);
        let mut open = 0;
        for start in (0..items.len()).step_by(per_send) {
            let range = start..(start + per_send).min(items.len());
            self.waiting.insert((id, start), self.new_send(range, now));
            open += 1;
        }
        self.batches.push_back(Sealed {
            items,
            end,
            last_seq,
            oldest,
            open,
            dead: Vec::new(),
        });
    }

    fn new_send(&self, range: Range<usize>, now: Instant) -> Pending<P> {
        Pending {
            range,
            attempts: 0,
            backoff: Backoff::new(self.backoff.0, self.backoff.1),
            due: now,
            failing: false,
            prepared: None,
        }
    }

    /// The sends that may start now, oldest first, marked as flying.
    pub(crate) fn start(&mut self, now: Instant) -> Vec<SendKey> {
        if self.hold_until.is_some_and(|h| h > now) {
            return Vec::new();
        }
        let free = self.limit.saturating_sub(self.flying.len());
        let keys: Vec<SendKey> = self
            .waiting
            .iter()
            .filter(|(_, s)| s.due <= now)
            .map(|(k, _)| *k)
            .take(free)
            .collect();
        for k in &keys {
            let mut s = self.waiting.remove(k).expect("listed above");
            s.attempts += 1;
            self.flying.insert(*k, s);
        }
        keys
    }

    /// When the next waiting send may start (None: nothing waits, or the window is full).
    pub(crate) fn next_start(&self) -> Option<Instant> {
        if self.flying.len() >= self.limit {
            return None;
        }
        let due = self.waiting.values().map(|s| s.due).min()?;
        Some(self.hold_until.map_or(due, |h| h.max(due)))
    }

    pub(crate) fn items(&self, key: SendKey) -> &[I] {
        let batch = &self.batches[(key.0 - self.first) as usize];
        let range = self.flying.get(&key).map_or(0..0, |s| s.range.clone());
        &batch.items[range]
    }

    pub(crate) fn flying_mut(&mut self, key: SendKey) -> Option<&mut Pending<P>> {
        self.flying.get_mut(&key)
    }

    /// The receiver confirmed this send.
    pub(crate) fn accepted(&mut self, key: SendKey) {
        if self.flying.remove(&key).is_some() {
            self.close_one(key.0);
        }
    }

    /// Try again after the send's own back-off, or `after` if the receiver asked for longer
    /// (or `at_least`, for a receiver that says its configuration is wrong). `hold` makes every
    /// send of the outlet wait as long as this one. Returns the wait.
    pub(crate) fn retry(
        &mut self,
        key: SendKey,
        after: Option<Duration>,
        at_least: Duration,
        hold: bool,
        now: Instant,
    ) -> Duration {
        let Some(mut s) = self.flying.remove(&key) else {
            return Duration::ZERO;
        };
        let own = s.backoff.next_delay();
        let wait = after.map_or(own, |a| a.max(own)).max(at_least);
        s.due = now + wait;
        s.failing = true;
        if hold {
            // As long as this send waits: a Retry-After of zero means "hold, for my back-off".
            let until = now + wait;
            self.hold_until = Some(self.hold_until.map_or(until, |h| h.max(until)));
        }
        self.waiting.insert(key, s);
        wait
    }

    /// The receiver refused a send of several items: send each half on its own, to find the
    /// one it refuses. Returns false for a single item (the caller dead-letters it).
    pub(crate) fn split(&mut self, key: SendKey, now: Instant) -> bool {
        let Some(s) = self.flying.get(&key) else {
            return false;
        };
        if s.range.len() <= 1 {
            return false;
        }
        let r = self.flying.remove(&key).expect("looked up").range;
        let mid = r.start + r.len() / 2;
        self.waiting
            .insert((key.0, r.start), self.new_send(r.start..mid, now));
        self.waiting
            .insert((key.0, mid), self.new_send(mid..r.end, now));
        if let Some(b) = self.batch_mut(key.0) {
            b.open += 1;
        }
        true
    }

    /// This send is given up; its items are kept as `letters` until the cursor passes them.
    pub(crate) fn dead(&mut self, key: SendKey, letters: Vec<DeadLetter>) {
        if self.flying.remove(&key).is_some() {
            if let Some(b) = self.batch_mut(key.0) {
                b.dead.extend(letters);
            }
            self.close_one(key.0);
        }
    }

    fn batch_mut(&mut self, id: u64) -> Option<&mut Sealed<I>> {
        let first = self.first;
        self.batches.get_mut(id.checked_sub(first)? as usize)
    }

    fn close_one(&mut self, id: u64) {
        if let Some(b) = self.batch_mut(id) {
            b.open -= 1;
        }
    }

    /// Pops the finished batches at the front: what the cursor may pass now.
    pub(crate) fn pass(&mut self) -> Option<Passed> {
        let mut passed: Option<Passed> = None;
        while self.batches.front().is_some_and(|b| b.open == 0) {
            let b = self.batches.pop_front().expect("checked");
            self.first += 1;
            let p = passed.get_or_insert_with(Passed::default);
            p.end = b.end;
            p.last_seq = b.last_seq.or(p.last_seq);
            p.dead.extend(b.dead);
        }
        passed
    }

    /// Items sealed and not yet passed by the cursor, and the party time of the oldest.
    pub(crate) fn backlog(&self) -> (usize, Option<Timestamp>) {
        let n = self.batches.iter().map(|b| b.items.len()).sum();
        (n, self.batches.iter().find_map(|b| b.oldest))
    }

    /// Some send's last attempt failed and it waits to be tried again.
    pub(crate) fn failing(&self) -> bool {
        self.waiting
            .values()
            .chain(self.flying.values())
            .any(|s| s.failing)
    }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
