//! When to try the broker again: waits of 1 s doubling to 60 s, each drawn between half and
//! all of that (`support::backoff`), started afresh only after a connection has stayed up for
//! `STABLE_AFTER`. A connection the broker closes right after it opened (a message we could not
//! take, two party-tuis with one client id throwing each other out) used to be reopened every
//! few hundred milliseconds, re-announcing everything to Home Assistant each time.
use crate::support::backoff::Backoff;
use std::time::Duration;
use tokio::time::Instant;

/// The first reconnect waits up to this long, doubling…
pub(crate) const RECONNECT_BASE: Duration = Duration::from_secs(1);
/// …up to this.
pub(crate) const RECONNECT_MAX: Duration = Duration::from_secs(60);
/// A connection up this long was a good one: the next loss starts the waits afresh.
pub(crate) const STABLE_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct Reconnect {
    backoff: Backoff,
    up_since: Option<Instant>,
}

impl Reconnect {
    pub(crate) fn new() -> Self {
        Reconnect::with(Backoff::new(RECONNECT_BASE, RECONNECT_MAX))
    }

    fn with(backoff: Backoff) -> Self {
        Reconnect {
            backoff,
            up_since: None,
        }
    }

    /// The broker accepted us (CONNACK).
    pub(crate) fn connected(&mut self, now: Instant) {
        self.up_since = Some(now);
    }

    /// The connection failed or was lost: how long to wait before the next try.
    pub(crate) fn lost(&mut self, now: Instant) -> Duration {
        if let Some(since) = self.up_since.take()
            && now.saturating_duration_since(since) >= STABLE_AFTER
        {
            self.backoff.reset();
        }
        self.backoff.next_delay()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::backoff::ceiling;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn seeded(seed: u64) -> Reconnect {
        Reconnect::with(Backoff::seeded(RECONNECT_BASE, RECONNECT_MAX, seed))
    }

    /// Every wait lies in [ceiling/2, ceiling] of its attempt.
    fn within(wait: Duration, attempt: u32) -> bool {
        let full = ceiling(RECONNECT_BASE, RECONNECT_MAX, attempt);
        wait >= full / 2 && wait <= full
    }

    #[tokio::test(start_paused = true)]
    async fn failures_wait_1s_doubling_to_60s_with_jitter() {
        let mut r = seeded(1);
        let mut waits = Vec::new();
        for attempt in 0..10 {
            let wait = r.lost(Instant::now());
            assert!(within(wait, attempt), "attempt {attempt}: {wait:?}");
            waits.push(wait);
            tokio::time::advance(wait).await;
        }
        let ceilings: Vec<u64> = (0..10)
            .map(|a| ceiling(RECONNECT_BASE, RECONNECT_MAX, a).as_secs())
            .collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        // Jitter: the waits are not the ceilings themselves.
        assert!(waits.iter().zip(&ceilings).any(|(w, c)| *w != S(*c)));
        // Ten failures in a row take minutes, not the ~2.5 s the old 250 ms back-off took.
        let total: Duration = waits.iter().sum();
        assert!(total >= S(122), "{total:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_closes_at_once_does_not_reset_the_waits() {
        let mut r = seeded(2);
        for attempt in 0..8 {
            // Accepted, then thrown out within a second: each round waits longer.
            r.connected(Instant::now());
            tokio::time::advance(Duration::from_millis(900)).await;
            let wait = r.lost(Instant::now());
            assert!(within(wait, attempt), "attempt {attempt}: {wait:?}");
            tokio::time::advance(wait).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_stayed_up_starts_the_waits_afresh() {
        let mut r = seeded(3);
        for _ in 0..6 {
            r.lost(Instant::now());
        }
        r.connected(Instant::now());
        tokio::time::advance(STABLE_AFTER - Duration::from_millis(1)).await;
        assert!(within(r.lost(Instant::now()), 6), "not yet stable");
        r.connected(Instant::now());
        tokio::time::advance(STABLE_AFTER).await;
        assert!(within(r.lost(Instant::now()), 0), "stable: afresh");
        assert!(within(r.lost(Instant::now()), 1));
    }
}
