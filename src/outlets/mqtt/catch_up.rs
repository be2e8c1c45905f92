//! Which Cumulocity operations were queued while we were offline. The platform keeps an
//! operation created while the device is away PENDING and hands it over only when the device
//! asks (`500`, sent after every connect); one created while the device is connected and
//! subscribed comes at once. The answer to `500` carries no mark of its own, so right after it
//! we ask a second question whose answer also comes on `s/ds`: `123` ("my internal id"),
//! answered `124,<id>`. The platform answers a device's requests in the order they were sent
//! (both go to `s/us` with QoS 1 from one connection), so every operation that arrives before
//! that `124` is part of the answer to `500` — created while we were away: a skip sent an hour
//! ago must not skip whatever plays now — and every operation after it is live.
//!
//! Should no `124` come (a platform that does not answer `123`), the catch-up ends after
//! `CATCH_UP_MAX` anyway, so live operations are never refused for long. An operation created
//! in the moment between the reconnect and the `124` counts as queued: refused with "send it
//! again", the safe side. Pure: time comes in as arguments.
use std::time::Duration;
use tokio::time::Instant;

/// The longest catch-up: the `124` normally comes within a second.
pub(crate) const CATCH_UP_MAX: Duration = Duration::from_secs(10);

/// What an operation is, by when it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// The answer to `500`: queued while we were offline. Refused, not carried out.
    Queued,
    /// Created while we were connected: carried out.
    Live,
}

#[derive(Debug, Default)]
pub(crate) struct CatchUp {
    /// While catching up: when it ends at the latest.
    until: Option<Instant>,
    /// Operations refused in this catch-up.
    refused: usize,
}

impl CatchUp {
    /// `500` and `123` were just sent after a connect.
    pub(crate) fn start(&mut self, now: Instant) {
        self.until = Some(now + CATCH_UP_MAX);
        self.refused = 0;
    }

    /// The connection is gone: the next connect starts again.
    pub(crate) fn stop(&mut self) {
        self.until = None;
    }

    /// When the catch-up ends if no `124` comes.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.until
    }

    /// The `124` came: Some(operations refused) if that ended a catch-up.
    pub(crate) fn caught_up(&mut self) -> Option<usize> {
        self.until.take().map(|_| self.refused)
    }

    /// The deadline passed without a `124`: Some(operations refused) if that ended a catch-up.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<usize> {
        match self.until {
            Some(until) if now >= until => self.caught_up(),
            _ => None,
        }
    }

    /// An operation arrived now.
    pub(crate) fn arrival(&mut self, now: Instant) -> Arrival {
        match self.until {
            Some(until) if now < until => {
                self.refused += 1;
                Arrival::Queued
            }
            _ => Arrival::Live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn operations_before_the_124_are_queued_ones_after_it_live() {
        let mut c = CatchUp::default();
        assert_eq!(
            c.arrival(Instant::now()),
            Arrival::Live,
            "before any connect"
        );
        c.start(Instant::now());
        assert_eq!(c.arrival(Instant::now()), Arrival::Queued);
        tokio::time::advance(Duration::from_millis(300)).await;
        assert_eq!(c.arrival(Instant::now()), Arrival::Queued);
        assert_eq!(c.caught_up(), Some(2));
        assert_eq!(c.arrival(Instant::now()), Arrival::Live);
        assert_eq!(c.caught_up(), None, "a stray 124 ends nothing");
        assert_eq!(c.deadline(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_124_the_catch_up_ends_after_its_longest() {
        let mut c = CatchUp::default();
        c.start(Instant::now());
        assert_eq!(c.deadline(), Some(Instant::now() + CATCH_UP_MAX));
        tokio::time::advance(CATCH_UP_MAX - Duration::from_millis(1)).await;
        assert_eq!(c.expire(Instant::now()), None);
        assert_eq!(c.arrival(Instant::now()), Arrival::Queued);
        tokio::time::advance(Duration::from_millis(1)).await;
        // An operation that comes at the deadline, before the timer is seen, is live.
        assert_eq!(c.arrival(Instant::now()), Arrival::Live);
        assert_eq!(c.expire(Instant::now()), Some(1));
        assert_eq!(c.expire(Instant::now()), None);
    }

    #[tokio::test(start_paused = true)]
    async fn every_reconnect_catches_up_again() {
        let mut c = CatchUp::default();
        c.start(Instant::now());
        assert_eq!(c.arrival(Instant::now()), Arrival::Queued);
        c.stop();
        assert_eq!(c.caught_up(), None);
        c.start(Instant::now());
        assert_eq!(c.arrival(Instant::now()), Arrival::Queued);
        assert_eq!(c.caught_up(), Some(1), "counted afresh");
    }
}
