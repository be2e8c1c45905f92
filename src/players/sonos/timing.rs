//! Every interval of the Sonos player, named, so tests can shorten them (with paused time).
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Timing {
    /// Polling period while events do not arrive.
    pub poll_every: Duration,
    /// After a skip while polling, look again this soon.
    pub poll_after_skip: Duration,
    /// A device sends its full state right after SUBSCRIBE; silence this long means events
    /// cannot reach us (firewall, wrong callback address).
    pub first_event_within: Duration,
    /// While polling, try to subscribe again this often.
    pub resubscribe_every: Duration,
    /// How often to check whether the room's group coordinator changed.
    pub regroup_every: Duration,
    /// GENA timeout to ask for.
    pub requested_timeout: Duration,
    /// Retry delays after losing the device: doubling from min to max.
    pub retry_min: Duration,
    pub retry_max: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll_every: Duration::from_secs(3),
            poll_after_skip: Duration::from_millis(300),
            first_event_within: Duration::from_secs(5),
            resubscribe_every: Duration::from_secs(30),
            regroup_every: Duration::from_secs(60),
            requested_timeout: super::gena::REQUESTED_TIMEOUT,
            retry_min: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
        }
    }
}

/// Doubling retry delays.
#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_max_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(5));
        let got: Vec<u64> = (0..4).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(got, [2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(2));
    }
}
