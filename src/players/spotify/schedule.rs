//! When to ask Spotify next. Pure: the watcher reports each answer and the time it arrived, and
//! gets back the time of the next poll and why. Polling every second costs 3,600 requests an hour
//! and earns 429s; instead we poll just after the predicted end of the track, right after our own
//! skip, now and then for changes made in the Spotify app, and slowly while nothing plays.
use crate::core::Timestamp;
use std::fmt;
use std::time::Duration;

/// Poll this long after the predicted end: Spotify reports the next track a moment after the
/// old one ends, and our prediction carries the request's latency.
pub(crate) const AFTER_END: Duration = Duration::from_millis(500);
/// While a track plays, look this often for skips, seeks and picks made in the Spotify app.
/// Changes must be seen within 15 s; 12 s leaves room for a slow answer.
pub(crate) const MANUAL_CHECK: Duration = Duration::from_secs(12);
/// Paused: nobody is listening, a resume may wait a little.
pub(crate) const PAUSED_CHECK: Duration = Duration::from_secs(30);
/// 204, nothing plays on any device.
pub(crate) const IDLE_CHECK: Duration = Duration::from_secs(60);
/// After our own skip was accepted, look this soon…
pub(crate) const AFTER_SKIP: Duration = Duration::from_millis(300);
/// …and again this often while the skipped track is still reported…
pub(crate) const SKIP_RECHECK: Duration = Duration::from_millis(400);
/// …for at most this long after the skip.
pub(crate) const SKIP_PATIENCE: Duration = Duration::from_secs(5);
/// The old track may still be reported just past its predicted end (a slow device, a gap):
/// never poll again sooner than this.
pub(crate) const MIN_GAP: Duration = Duration::from_millis(700);
/// 5xx and network errors: 2 s, 4 s, 8 s … up to this.
pub(crate) const BACKOFF_FIRST: Duration = Duration::from_secs(2);
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(120);
/// A 429 without a usable Retry-After header.
pub(crate) const RETRY_AFTER_DEFAULT: Duration = Duration::from_secs(60);
/// The longest wait a Retry-After is taken at: a party is over by then, and a larger number
/// (a broken proxy, a mistyped header) must not overflow a clock.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(24 * 3600);

/// What the last request told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 200 from GET /me/player. `track` is None for an ad or an unreadable item.
    Playback {
        track: Option<String>,
        is_playing: bool,
        progress: Option<Duration>,
        duration: Option<Duration>,
    },
    /// 204: no device is playing anything.
    NothingPlaying,
    /// 429 with its Retry-After (hours have been seen; QUOTA_EXCEEDED too).
    RateLimited(Duration),
    /// 5xx, timeout or connection error.
    ServerError,
    /// Our POST /me/player/next was accepted for this track.
    Skipped { track: String },
}

/// Why the next poll happens when it does (shown on the dashboard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    TrackEnds,
    ManualCheck,
    Paused,
    Idle,
    AfterSkip,
    RateLimited(Duration),
    Backoff { failures: u32, wait: Duration },
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::TrackEnds => f.write_str("the track ends"),
            Why::ManualCheck => f.write_str("routine check"),
            Why::Paused => f.write_str("paused"),
            Why::Idle => f.write_str("nothing playing"),
            Why::AfterSkip => f.write_str("confirming our skip"),
            Why::RateLimited(d) => write!(f, "rate limited: Spotify said wait {}", human(*d)),
            Why::Backoff { failures, wait } => {
                write!(
                    f,
                    "back-off {} after {failures} failed answers",
                    human(*wait)
                )
            }
        }
    }
}

impl Why {
    /// Back-offs and rate limits are worth a warning on the status line.
    pub(crate) fn is_backoff(&self) -> bool {
        matches!(self, Why::RateLimited(_) | Why::Backoff { .. })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Next {
    pub at: Timestamp,
    pub why: Why,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Scheduler {
    failures: u32,
    /// The track we skipped and when, until Spotify reports something else.
    skipped: Option<(String, Timestamp)>,
}

impl Scheduler {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The answer that arrived at `now` decides the next poll.
    pub(crate) fn next(&mut self, answer: &Answer, now: Timestamp) -> Next {
        if !matches!(answer, Answer::ServerError) {
            self.failures = 0;
        }
        let (wait, why) = match answer {
            Answer::RateLimited(d) => (*d, Why::RateLimited(*d)),
            Answer::ServerError => {
                self.failures = self.failures.saturating_add(1);
                let wait = backoff(self.failures);
                (
                    wait,
                    Why::Backoff {
                        failures: self.failures,
                        wait,
                    },
                )
            }
            Answer::Skipped { track } => {
                self.skipped = Some((track.clone(), now));
                (AFTER_SKIP, Why::AfterSkip)
            }
            Answer::NothingPlaying => {
                self.skipped = None;
                (IDLE_CHECK, Why::Idle)
            }
            Answer::Playback {
                track,
                is_playing,
                progress,
                duration,
            } => {
                if let Some(wait) = self.still_skipped(track.as_deref(), now) {
                    return Next {
                        at: now + wait,
                        why: Why::AfterSkip,
                    };
                }
                if !is_playing {
                    (PAUSED_CHECK, Why::Paused)
                } else {
                    match (progress, duration) {
                        // Far past its end and still reported: a stuck device, not a gap.
                        (Some(p), Some(d)) if p.saturating_sub(*d) > SKIP_PATIENCE => {
                            (MANUAL_CHECK, Why::ManualCheck)
                        }
                        (Some(p), Some(d)) => {
                            let end = d.saturating_sub(*p) + AFTER_END;
                            if end <= MANUAL_CHECK {
                                (end.max(MIN_GAP), Why::TrackEnds)
                            } else {
                                (MANUAL_CHECK, Why::ManualCheck)
                            }
                        }
                        // An ad or an item without a length: just keep looking.
                        _ => (MANUAL_CHECK, Why::ManualCheck),
                    }
                }
            }
        };
        Next {
            at: now + wait,
            why,
        }
    }

    /// While Spotify still reports the track we skipped, look again soon (within patience).
    fn still_skipped(&mut self, track: Option<&str>, now: Timestamp) -> Option<Duration> {
        let (skipped, at) = self.skipped.as_ref()?;
        if track == Some(skipped.as_str()) && now.since(*at) < SKIP_PATIENCE {
            return Some(SKIP_RECHECK);
        }
        self.skipped = None;
        None
    }
}

/// The shared curve without its jitter: this scheduler is pure and shows its wait, and one
/// account's poller is not a crowd that could retry in lockstep.
fn backoff(failures: u32) -> Duration {
    crate::support::backoff::ceiling(BACKOFF_FIRST, BACKOFF_MAX, failures.saturating_sub(1))
}

/// `Retry-After` as Spotify sends it: whole seconds. Anything else falls back to a minute.
pub fn parse_retry_after(header: Option<&str>) -> Duration {
    header
        .and_then(|h| h.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s).min(RETRY_AFTER_MAX))
        .unwrap_or(RETRY_AFTER_DEFAULT)
}

/// "450 ms", "12 s", "3 min", "2 h 5 min" for the status line.
pub(crate) fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        format!("{} ms", d.as_millis())
    } else if s < 120 {
        format!("{s} s")
    } else if s < 7200 {
        format!("{} min", s.div_ceil(60))
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
