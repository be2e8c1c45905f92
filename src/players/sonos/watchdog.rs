//! Events that stop without a word. A GENA subscription can stay renewed while its NOTIFYs no
//! longer reach us (the Pi's address changed, a firewall or VLAN drops them, the speaker's
//! event queue is stuck). So while we follow by events, one GetPositionInfo checks what we
//! believe: a little after the current track should have ended (its event is due by then),
//! and at least once a minute. Each event or check that agrees starts the minute again, so
//! healthy events cost at most one extra call per minute of quiet and none per track change.
//!
//! Pure: the player owns the clock and the SOAP call; this decides when to ask and how to read
//! the answer.
use super::state::AvtState;
use crate::core::TransportState;
use std::time::Duration;
use tokio::time::Instant;

/// After the current track should have ended, give its event this long before asking.
pub(crate) const END_GRACE: Duration = Duration::from_secs(2);
/// Never go longer than this without events or a check confirming what plays.
pub(crate) const QUIET_LIMIT: Duration = Duration::from_secs(60);
/// When the speaker disagrees, its event may be on the wire (the check and the change can
/// cross): an event within this long means events work after all.
pub const EVENT_IN_FLIGHT: Duration = Duration::from_secs(2);
/// What the status line says when the speaker disagrees with its events.
pub(crate) const EVENTS_STOPPED: &str = "events stopped arriving";

/// What fell due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Ask the speaker what plays.
    Check,
    /// The speaker disagreed and no event followed: events stopped.
    Stopped,
}

/// When to ask next. Disarmed (no checks) outside events mode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Watchdog {
    /// Ask then: END_GRACE after the current track should have ended (known only while it
    /// plays with a known length), or at once for the first look.
    end_check: Option<Instant>,
    /// The pending end_check is the first look after events started: the first event gives
    /// the whole state but not where in the track the speaker is.
    first_look: bool,
    /// Last time an event or a check showed that we know what plays; None = disarmed.
    confirmed: Option<Instant>,
    /// The speaker disagreed; unless an event comes by then, events stopped.
    verdict_at: Option<Instant>,
}

impl Watchdog {
    pub(crate) fn disarm(&mut self) {
        *self = Watchdog::default();
    }

    /// The next check, if armed.
    pub(crate) fn next_check(&self) -> Option<Instant> {
        if self.verdict_at.is_some() {
            return self.verdict_at;
        }
        let quiet = self.confirmed? + QUIET_LIMIT;
        Some(self.end_check.map_or(quiet, |at| at.min(quiet)))
    }

    pub(crate) fn due(&self, now: Instant) -> Option<Due> {
        let at = self.next_check().filter(|at| *at <= now)?;
        Some(match self.verdict_at {
            Some(v) if v == at => Due::Stopped,
            _ => Due::Check,
        })
    }

    /// The speaker disagreed with what events said: wait a moment for their event.
    pub(crate) fn on_disagreed(&mut self, now: Instant) {
        self.verdict_at = Some(now + EVENT_IN_FLIGHT);
    }

    /// An event arrived and was merged: `before` is what we knew just before it. A new track
    /// (or playing again) restarts the end estimate; events do not carry the position, so a
    /// track an event just announced is taken to start now.
    pub(crate) fn on_event(&mut self, now: Instant, before: &AvtState, after: &AvtState) {
        let arming = self.confirmed.is_none();
        self.confirmed = Some(now);
        self.verdict_at = None;
        if !playing(after) {
            self.end_check = None;
            self.first_look = false;
        } else if arming && remaining(after).is_some() {
            self.end_check = Some(now);
            self.first_look = true;
        } else if before.track_uri != after.track_uri
            || !playing(before)
            || self.end_check.is_none()
        {
            self.end_check = remaining(after).map(|left| now + left + END_GRACE);
            self.first_look = false;
        }
    }

    /// A check agreed with what events said; `seen` is the state with the speaker's answer
    /// merged (its RelTime gives an exact end).
    pub(crate) fn on_agreed(&mut self, now: Instant, seen: &AvtState) {
        let was_end_check = !self.first_look && self.end_check.is_some_and(|at| at <= now);
        self.confirmed = Some(now);
        self.first_look = false;
        self.end_check = remaining(seen)
            .filter(|_| playing(seen))
            // Still at the end of the same track after its end check (stalled, or the last of
            // the queue): leave it to the minute rather than asking every END_GRACE.
            .filter(|left| !(was_end_check && *left < END_GRACE))
            .map(|left| now + left + END_GRACE);
    }
}

fn playing(s: &AvtState) -> bool {
    s.transport_state == Some(TransportState::Playing)
}

/// How long the current track still plays, if its length is known.
fn remaining(s: &AvtState) -> Option<Duration> {
    let total = s.duration_ms?;
    Some(Duration::from_millis(
        total.saturating_sub(s.position_ms.unwrap_or(0)),
    ))
}

/// Whether the speaker's answer (`seen`) names the track events told us about (`known`).
/// Radio keeps one URI across songs, so without an id the title and artist must match too.
pub(crate) fn agrees(known: &AvtState, seen: &AvtState, base_url: &str) -> bool {
    let key = |s: &AvtState| s.track(base_url).map(|t| t.key());
    known.track_uri == seen.track_uri && key(known) == key(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACK: Duration = Duration::from_secs(180);

    fn state(uri: &str, playing: bool, position: Option<u64>) -> AvtState {
        AvtState {
            transport_state: Some(if playing {
                TransportState::Playing
            } else {
                TransportState::Paused
            }),
            track_uri: uri.into(),
            duration_ms: Some(TRACK.as_millis() as u64),
            position_ms: position,
            ..AvtState::default()
        }
    }

    /// The speaker plays a track of TRACK, `join_at` into it when events start at t0; events
    /// stop right after the first and the track changes at `change` (a skip in the Sonos app, or the track's end). Each
    /// check tells the true position. Returns (when the change was seen, checks made).
    fn simulate(join_at: Duration, change: Duration) -> (Duration, usize) {
        let t0 = Instant::now();
        let mut w = Watchdog::default();
        let truth = |t: Duration| {
            if t >= change {
                state("b", true, Some((t - change).as_millis() as u64))
            } else {
                state("a", true, Some((join_at + t).as_millis() as u64))
            }
        };
        let mut known = AvtState::default();
        w.on_event(t0, &known, &truth(Duration::ZERO));
        known = AvtState {
            position_ms: None,
            ..truth(Duration::ZERO)
        };
        let mut checks = 0;
        let mut t = Duration::ZERO;
        loop {
            t += Duration::from_secs(1);
            let now = t0 + t;
            if w.due(now) == Some(Due::Check) {
                checks += 1;
                let seen = truth(t);
                if !agrees(&known, &seen, "") {
                    return (t, checks);
                }
                w.on_agreed(now, &seen);
            }
            assert!(t < Duration::from_secs(3600), "never seen");
        }
    }

    #[test]
    fn a_silent_change_is_seen_by_the_end_plus_3_s_and_within_a_minute() {
        for join in [0, 30, 179] {
            for change in 1..=(180 - join) {
                let join_at = Duration::from_secs(join);
                let change_at = Duration::from_secs(change);
                let (seen, _) = simulate(join_at, change_at);
                let late = seen - change_at;
                let left = TRACK - join_at - change_at;
                let bound = (left + Duration::from_secs(3)).min(QUIET_LIMIT);
                assert!(
                    late <= bound,
                    "join {join} s, change {change} s: seen {late:?} late (bound {bound:?})"
                );
            }
        }
    }

    #[test]
    fn healthy_events_cost_at_most_one_call_a_minute() {
        // Tracks change by event every TRACK for an hour: only the minute checks ask.
        let t0 = Instant::now();
        let mut w = Watchdog::default();
        let mut known = AvtState::default();
        let mut checks = 0;
        for s in 0..3600u64 {
            let now = t0 + Duration::from_secs(s);
            if s % TRACK.as_secs() == 0 {
                let next = state(&format!("t{s}"), true, None);
                w.on_event(now, &known, &next);
                known = next;
            }
            if w.due(now) == Some(Due::Check) {
                checks += 1;
                let seen = state(&known.track_uri, true, Some(s % TRACK.as_secs() * 1000));
                assert!(agrees(&known, &seen, ""));
                w.on_agreed(now, &seen);
            }
        }
        assert_eq!(
            checks, 41,
            "the first look, then two minute checks per 3-minute track"
        );
    }

    #[test]
    fn paused_means_minute_checks_only_and_a_stalled_end_is_not_hammered() {
        let t0 = Instant::now();
        let mut w = Watchdog::default();
        assert_eq!(w.next_check(), None);
        let paused = state("a", false, None);
        w.on_event(t0, &AvtState::default(), &paused);
        assert_eq!(w.next_check(), Some(t0 + QUIET_LIMIT));
        let playing = state("a", true, Some(170_000));
        w.on_event(t0, &paused, &playing);
        assert_eq!(w.next_check(), Some(t0 + Duration::from_secs(12)));
        // At the end check the speaker still sits on the last second of the same track.
        let now = t0 + Duration::from_secs(12);
        w.on_agreed(now, &state("a", true, Some(179_500)));
        assert_eq!(w.next_check(), Some(now + QUIET_LIMIT));
        w.disarm();
        assert_eq!(w.due(now + Duration::from_secs(3600)), None);
    }

    #[test]
    fn a_disagreement_is_a_verdict_only_when_no_event_follows() {
        let t0 = Instant::now();
        let a = state("a", true, None);
        let b = state("b", true, None);
        let mut w = Watchdog::default();
        w.on_event(t0, &AvtState::default(), &a);
        w.on_agreed(t0, &a);
        let t = t0 + QUIET_LIMIT;
        assert_eq!(w.due(t), Some(Due::Check));
        // The check and the change crossed: the event follows.
        w.on_disagreed(t);
        assert_eq!(w.due(t + Duration::from_secs(1)), None);
        w.on_event(t + Duration::from_secs(1), &a, &b);
        assert_eq!(w.due(t + EVENT_IN_FLIGHT), None);
        // Later nothing follows.
        let t = w.next_check().unwrap();
        w.on_disagreed(t);
        assert_eq!(w.due(t + EVENT_IN_FLIGHT), Some(Due::Stopped));
    }

    #[test]
    fn radio_songs_differ_by_title() {
        let meta = |t: &str| {
            Some(super::super::didl::DidlItem {
                stream_content: Some(format!("Artist - {t}")),
                ..Default::default()
            })
        };
        let mut a = state("x-sonosapi-stream:1", true, None);
        a.item = meta("One");
        let mut b = a.clone();
        assert!(agrees(&a, &b, ""));
        b.item = meta("Two");
        assert!(!agrees(&a, &b, ""));
    }
}
