//! Party time for the loop and adapters. Runs on tokio's clock, so tests with paused time
//! control it; `speed` lets `--demo-speed` run a whole evening in minutes.
//!
//! Party time never runs backwards and never stands still. A real party's clock follows the
//! system clock forward (an NTP correction) but not back: a Pi without a real-time clock boots
//! with a time before its journal's end, and then party time continues from the journal until
//! the system clock catches up (`continue_from`, `follow_wall_clock`).
use crate::core::Timestamp;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Differences below this between the system clock and party time are normal drift.
pub(crate) const CLOCK_TOLERANCE: Duration = Duration::from_millis(500);

#[derive(Clone, Debug)]
pub struct Clock {
    base_wall: Timestamp,
    base: Instant,
    speed: f64,
    /// Milliseconds added to every reading, shared by all clones: set when the system clock
    /// is behind the journal or jumps forward.
    offset_ms: Arc<AtomicI64>,
    /// Whether this clock follows the system clock (not a test's or a fast demo's).
    follows_wall: bool,
}

impl Clock {
    /// Real time, starting from the system clock now.
    pub fn system() -> Self {
        Clock {
            follows_wall: true,
            ..Self::starting_at(wall_now(), 1.0)
        }
    }

    /// Party time starting at `start` now (tests pass a fixed start).
    pub fn starting_at(start: Timestamp, speed: f64) -> Self {
        assert!(speed > 0.0, "clock speed must be positive");
        Clock {
            base_wall: start,
            base: Instant::now(),
            speed,
            offset_ms: Arc::new(AtomicI64::new(0)),
            follows_wall: false,
        }
    }

    pub fn now(&self) -> Timestamp {
        let real = self.base.elapsed();
        let offset = self.offset_ms.load(Ordering::Relaxed);
        Timestamp::from_millis((self.base_wall + real.mul_f64(self.speed)).0 + offset)
    }

    /// After a restart: party time goes on from the journal's last entry if the clock is
    /// behind it (returns how far behind it was).
    pub(crate) fn continue_from(&self, last: Timestamp) -> Option<Duration> {
        let now = self.now();
        (now < last).then(|| {
            self.offset_ms.fetch_add(last.0 - now.0, Ordering::Relaxed);
            Duration::from_millis((last.0 - now.0) as u64)
        })
    }

    /// For a clock that follows the system clock: jump forward to it if it is ahead (an NTP
    /// correction, or it caught up with the journal). Returns how far the system clock is
    /// behind party time, if it is (`None` when it agrees).
    pub(crate) fn follow_wall_clock(&self) -> Option<Duration> {
        if !self.follows_wall {
            return None;
        }
        let (wall, party) = (wall_now(), self.now());
        let tolerance = CLOCK_TOLERANCE.as_millis() as i64;
        if wall.0 > party.0 + tolerance {
            self.offset_ms
                .fetch_add(wall.0 - party.0, Ordering::Relaxed);
            None
        } else if party.0 > wall.0 + tolerance {
            Some(Duration::from_millis((party.0 - wall.0) as u64))
        } else {
            None
        }
    }

    /// The tokio instant at which party time reaches `at` (now, if already past).
    pub(crate) fn instant_at(&self, at: Timestamp) -> Instant {
        let now = self.now();
        Instant::now() + self.real_duration(now.until(at))
    }

    /// How long a party-time duration takes in real time.
    pub(crate) fn real_duration(&self, party: Duration) -> Duration {
        party.div_f64(self.speed)
    }
}

fn wall_now() -> Timestamp {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn continues_from_the_journal_and_keeps_running() {
        let clock = Clock::starting_at(Timestamp::from_millis(1_000), 1.0);
        let behind = clock.continue_from(Timestamp::from_millis(61_000));
        assert_eq!(behind, Some(Duration::from_secs(60)));
        let copy = clock.clone();
        tokio::time::advance(Duration::from_secs(12)).await;
        assert_eq!(
            copy.now(),
            Timestamp::from_millis(73_000),
            "clones share the offset"
        );
        assert_eq!(clock.continue_from(Timestamp::from_millis(5_000)), None);
    }

    #[test]
    fn a_system_clock_agrees_with_the_system_clock() {
        let clock = Clock::system();
        assert_eq!(clock.follow_wall_clock(), None);
        clock.continue_from(Timestamp::from_millis(clock.now().0 + 3_600_000));
        let behind = clock
            .follow_wall_clock()
            .expect("an hour behind the journal");
        assert!(behind >= Duration::from_secs(3_590), "{behind:?}");
    }
}
