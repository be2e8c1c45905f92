//! While the journal cannot be written (a full disk, a failing SD card): what the party loop
//! does, and when. Pure, time comes in; the loop (`engine.rs`) carries it out.
//!
//! A failed write costs one rebuild of the party from the journal (what was applied but never
//! synced must not stay counted), started at once. From then on nothing reaches the writer but
//! a probe, which asks whether writing works again: every `PROBE_IDLE` while nobody waits,
//! within `PROBE_WAITING` of a refused vote (its guest's page tries again), so the first vote
//! after the space comes back is taken within about that long. A rebuild that fails (the
//! journal cannot be read either) is tried again every `PROBE_IDLE`, never once per vote.
use tokio::time::{Duration, Instant};

/// Nobody waiting: how often to ask whether the journal can be written again.
pub(crate) const PROBE_IDLE: Duration = Duration::from_secs(5);
/// Guests waiting (their votes refused and retried): how often to ask.
pub(crate) const PROBE_WAITING: Duration = Duration::from_millis(500);

/// What is due next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Rebuild the party from the journal (on a blocking thread: it reads the journal).
    Rebuild,
    /// Hand the writer a `Job::Probe`.
    Probe,
}

#[derive(Debug)]
pub(crate) struct Outage {
    /// The party still holds entries the journal lost: rebuild it before anything else.
    needs_rebuild: bool,
    /// When the next step is due; `None` while one is under way.
    due: Option<Instant>,
    /// When the last step began.
    last: Instant,
}

impl Outage {
    /// A write failed at `now`: rebuild at once.
    pub(crate) fn begin(now: Instant) -> Outage {
        Outage {
            needs_rebuild: true,
            due: Some(now),
            last: now,
        }
    }

    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The party is not yet what the journal holds (readers keep the counts they saw).
    pub(crate) fn needs_rebuild(&self) -> bool {
        self.needs_rebuild
    }

    /// The due step, under way from `now` until `rebuilt` or `probe_failed`.
    pub(crate) fn start(&mut self, now: Instant) -> Step {
        self.due = None;
        self.last = now;
        if self.needs_rebuild {
            Step::Rebuild
        } else {
            Step::Probe
        }
    }

    /// The rebuild ended; a failed one is tried again later, however many votes come.
    pub(crate) fn rebuilt(&mut self, ok: bool, now: Instant) {
        self.needs_rebuild &= !ok;
        self.last = now;
        self.due = Some(now + PROBE_IDLE);
    }

    /// The probe found the journal still failing.
    pub(crate) fn probe_failed(&mut self, now: Instant) {
        self.due = Some((self.last + PROBE_IDLE).max(now));
    }

    /// An input someone waits for was refused: probe soon (not sooner than `PROBE_WAITING`
    /// after the last step, however many are refused).
    pub(crate) fn someone_waits(&mut self) {
        if let (false, Some(due)) = (self.needs_rebuild, self.due) {
            self.due = Some(due.min(self.last + PROBE_WAITING));
        }
    }
}

/// What the status line says while the journal cannot be written.
pub(crate) fn status_line(error: &std::io::Error) -> String {
    if error.raw_os_error() == Some(libc::ENOSPC) {
        "disk full: votes are refused until there is space (nothing answered is lost)".into()
    } else {
        format!("write failed: {error} (votes are refused; nothing answered is lost)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_failure_rebuilds_at_once_then_only_probes() {
        let t0 = Instant::now();
        let mut o = Outage::begin(t0);
        assert_eq!(o.due(), Some(t0));
        assert!(o.needs_rebuild());
        assert_eq!(o.start(t0), Step::Rebuild);
        // While the rebuild runs nothing else is due, however many votes are refused.
        o.someone_waits();
        assert_eq!(o.due(), None);
        o.rebuilt(true, t0 + 300 * MS);
        assert!(!o.needs_rebuild());
        // Nobody waiting: the next probe in PROBE_IDLE.
        assert_eq!(o.due(), Some(t0 + 300 * MS + PROBE_IDLE));
        o.someone_waits();
        assert_eq!(o.due(), Some(t0 + 800 * MS));
        o.someone_waits();
        assert_eq!(
            o.due(),
            Some(t0 + 800 * MS),
            "a flood of votes: still one probe"
        );
        assert_eq!(o.start(t0 + 800 * MS), Step::Probe);
        o.probe_failed(t0 + 801 * MS);
        assert_eq!(o.due(), Some(t0 + 800 * MS + PROBE_IDLE));
        o.someone_waits();
        assert_eq!(o.due(), Some(t0 + 1300 * MS));
        assert_eq!(
            o.start(t0 + 1300 * MS),
            Step::Probe,
            "never a second rebuild"
        );
    }

    #[test]
    fn a_failed_rebuild_is_tried_again_every_idle_period_not_per_vote() {
        let t0 = Instant::now();
        let mut o = Outage::begin(t0);
        assert_eq!(o.start(t0), Step::Rebuild);
        o.rebuilt(false, t0 + 100 * MS);
        assert!(o.needs_rebuild());
        o.someone_waits();
        assert_eq!(o.due(), Some(t0 + 100 * MS + PROBE_IDLE));
        assert_eq!(o.start(t0 + 100 * MS + PROBE_IDLE), Step::Rebuild);
        o.rebuilt(true, t0 + 200 * MS + PROBE_IDLE);
        o.someone_waits();
        assert_eq!(o.start(t0 + 700 * MS + PROBE_IDLE), Step::Probe);
    }

    #[test]
    fn a_slow_probe_is_followed_at_once_by_the_next_when_overdue() {
        let t0 = Instant::now();
        let mut o = Outage::begin(t0);
        o.start(t0);
        o.rebuilt(true, t0);
        o.start(t0 + PROBE_IDLE);
        // The probe itself hung for longer than PROBE_IDLE (a sync on a dying card).
        o.probe_failed(t0 + 3 * PROBE_IDLE);
        assert_eq!(o.due(), Some(t0 + 3 * PROBE_IDLE));
    }
}
