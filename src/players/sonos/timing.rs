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
