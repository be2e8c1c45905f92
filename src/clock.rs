//! Party time for the loop and adapters. Runs on tokio's clock, so tests with paused time
//! control it; `speed` lets `--demo-speed` run a whole evening in minutes.
use crate::core::Timestamp;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Debug)]
pub struct Clock {
    base_wall: Timestamp,
    base: Instant,
    speed: f64,
}

impl Clock {
    /// Real time, starting from the system clock now.
    pub fn system() -> Self {
        Self::with_speed(1.0)
    }

    /// Party time running `speed` times faster than real time, starting at the system clock now.
    pub fn with_speed(speed: f64) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Self::starting_at(Timestamp::from_millis(now_ms), speed)
    }

    /// Party time starting at `start` now (tests pass a fixed start).
    pub fn starting_at(start: Timestamp, speed: f64) -> Self {
        assert!(speed > 0.0, "clock speed must be positive");
        Clock {
            base_wall: start,
            base: Instant::now(),
            speed,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn now(&self) -> Timestamp {
        let real = self.base.elapsed();
        self.base_wall + real.mul_f64(self.speed)
    }

    /// The tokio instant at which party time reaches `at` (now, if already past).
    pub fn instant_at(&self, at: Timestamp) -> Instant {
        let now = self.now();
        Instant::now() + self.real_duration(now.until(at))
    }

    /// How long a party-time duration takes in real time.
    pub fn real_duration(&self, party: Duration) -> Duration {
        party.div_f64(self.speed)
    }
}
