//! The one retry back-off: the wait doubles from `base` up to `max`, and each wait is drawn
//! uniformly from [d/2, d] so that many clients recovering from one outage (every guest's
//! phone, every party on one Spotify region) do not retry in lockstep.
use std::time::Duration;

/// The un-jittered wait before retry number `attempt` (0 = the first): `base · 2^attempt`,
/// capped at `max`. Pure; pure state machines that show their wait use it directly.
pub(crate) fn ceiling(base: Duration, max: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << attempt.min(20)).min(max)
}

/// `d` scaled into [d/2, d] by `unit` in [0, 1).
pub(crate) fn jittered(d: Duration, unit: f64) -> Duration {
    let half = d / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

#[derive(Clone, Debug)]
enum Jitter {
    Random,
    /// splitmix64's state: the same seed gives the same waits (tests).
    #[cfg(test)]
    Seeded(u64),
}

impl Jitter {
    fn unit(&mut self) -> f64 {
        match self {
            Jitter::Random => rand::random::<f64>(),
            #[cfg(test)]
            Jitter::Seeded(state) => {
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                // The top 53 bits make an f64 in [0, 1).
                (z >> 11) as f64 / (1u64 << 53) as f64
            }
        }
    }
}

/// Retry waits for one connection or one send: `next_delay` after each failure, `reset` after
/// a success.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
    jitter: Jitter,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            attempt: 0,
            jitter: Jitter::Random,
        }
    }

    #[cfg(test)]
    /// The same waits for the same seed, for tests that assert them.
    pub(crate) fn seeded(base: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            jitter: Jitter::Seeded(seed),
            ..Backoff::new(base, max)
        }
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = ceiling(self.base, self.max, self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        jittered(d, self.jitter.unit())
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_ceiling_doubles_to_the_cap_and_never_overflows() {
        let got: Vec<Duration> = (0..5).map(|a| ceiling(MS(2000), MS(5000), a)).collect();
        assert_eq!(got, [MS(2000), MS(4000), MS(5000), MS(5000), MS(5000)]);
        assert_eq!(ceiling(Duration::MAX, MS(7), u32::MAX), MS(7));
    }

    #[test]
    fn waits_are_jittered_within_half_to_full_and_reset() {
        let mut b = Backoff::new(MS(100), MS(1000));
        for i in 0..8 {
            let full = ceiling(MS(100), MS(1000), i);
            let d = b.next_delay();
            assert!(d >= full / 2 && d <= full, "attempt {i}: {d:?} vs {full:?}");
        }
        b.reset();
        assert!(b.next_delay() <= MS(100));
    }

    #[test]
    fn a_seed_fixes_the_waits() {
        let waits = |seed| {
            let mut b = Backoff::seeded(MS(100), MS(1000), seed);
            (0..6).map(|_| b.next_delay()).collect::<Vec<_>>()
        };
        assert_eq!(waits(7), waits(7));
        assert_ne!(waits(7), waits(8));
        assert_eq!(jittered(MS(100), 0.0), MS(50));
        assert_eq!(jittered(MS(100), 1.0), MS(100));
    }
}
