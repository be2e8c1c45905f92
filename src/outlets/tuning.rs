//! The exporter's timings and limits, with the production defaults; tests shorten them.
use std::time::Duration;

/// The events API takes at most this many events per request.
pub const MAX_BATCH: usize = 10_000;
/// Without a wake-up from the party loop, look at the journal this often anyway.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// A misconfigured receiver (wrong key or space) is retried no faster than this.
pub const MISCONFIGURED_RETRY: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct Tuning {
    pub flush_interval: Duration,
    pub max_batch: usize,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub misconfigured_retry: Duration,
    pub poll_interval: Duration,
    /// Sends in flight at once (the cursor still passes them in journal order).
    pub window: usize,
    /// Give a send up (dead letter) after this many failed attempts; None: retry forever,
    /// because a receiver that comes back gets everything.
    pub max_attempts: Option<u32>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            flush_interval: super::settings::DEFAULT_FLUSH_INTERVAL,
            max_batch: MAX_BATCH,
            backoff_base: super::client::BACKOFF_BASE,
            backoff_max: super::client::BACKOFF_MAX,
            misconfigured_retry: MISCONFIGURED_RETRY,
            poll_interval: POLL_INTERVAL,
            window: 1,
            max_attempts: None,
        }
    }
}
