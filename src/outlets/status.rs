//! The exporter's health for the status line: "backlog N (age …), last ok …, last error …".
use crate::bus::inbox::Inbox;
use crate::core::{HealthLevel, Timestamp};
use std::time::Duration;
use tokio::time::Instant;

/// The status line is refreshed at most this often unless the level changes.
pub(crate) const HEALTH_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ExportStatus {
    /// Events read from the journal and not yet acknowledged.
    pub backlog: usize,
    /// More of the journal is waiting behind the backlog.
    pub more_unread: bool,
    /// Party time of the oldest unacknowledged event.
    pub oldest: Option<Timestamp>,
    pub last_ok: Option<Timestamp>,
    pub last_error: Option<(Timestamp, String)>,
    /// The last attempt failed and is being retried.
    pub retrying: bool,
    /// The receiver says the URL, space or key is wrong (401/403/404/405).
    pub misconfigured: bool,
    pub dead_lettered: u64,
    pub dead_letter_file: String,
    pub sent: u64,
}

fn ago(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "<1s".into(),
        1..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        _ => format!("{}h", s / 3600),
    }
}

fn clock_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.as_millis())
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

impl ExportStatus {
    pub(crate) fn level(&self) -> HealthLevel {
        if self.misconfigured {
            HealthLevel::Error
        } else if self.retrying || self.dead_lettered > 0 {
            HealthLevel::Warn
        } else {
            HealthLevel::Ok
        }
    }

    pub(crate) fn line(&self, now: Timestamp) -> String {
        let plus = if self.more_unread { "+" } else { "" };
        let mut s = format!("backlog {}{plus}", self.backlog);
        if let Some(oldest) = self.oldest.filter(|_| self.backlog > 0) {
            s.push_str(&format!(" (age {})", ago(now.since(oldest))));
        }
        s.push_str(", last ok ");
        s.push_str(&self.last_ok.map_or("never".into(), clock_time));
        if let Some((at, why)) = &self.last_error {
            s.push_str(&format!(", last error {} {why}", clock_time(*at)));
        }
        if self.dead_lettered > 0 {
            s.push_str(&format!(
                ", {} dead-lettered to {}",
                self.dead_lettered, self.dead_letter_file
            ));
        }
        s
    }
}

/// Sends the status to the inbox when it matters, not on every event.
pub(crate) struct Reporter {
    name: String,
    inbox: Option<Inbox>,
    last: Option<(HealthLevel, Instant)>,
}

impl Reporter {
    /// A reporter for the status-line entry `name` (one per outlet).
    pub(crate) fn named(name: &str, inbox: Option<Inbox>) -> Self {
        Reporter {
            name: name.to_string(),
            inbox,
            last: None,
        }
    }

    pub(crate) async fn report(&mut self, status: &ExportStatus, now: Timestamp, force: bool) {
        let Some(inbox) = &self.inbox else { return };
        let level = status.level();
        let due = match self.last {
            None => true,
            Some((l, at)) => force || l != level || at.elapsed() >= HEALTH_INTERVAL,
        };
        if due {
            self.last = Some((level, Instant::now()));
            inbox.health(&self.name, level, status.line(now)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_backlog_age_last_ok_and_last_error() {
        let now = Timestamp(1_700_000_100_000);
        let mut s = ExportStatus {
            backlog: 1200,
            more_unread: true,
            oldest: Some(Timestamp(1_700_000_000_000)),
            ..ExportStatus::default()
        };
        assert_eq!(s.line(now), "backlog 1200+ (age 100s), last ok never");
        assert_eq!(s.level(), HealthLevel::Ok);
        s.retrying = true;
        s.last_error = Some((now, "HTTP 503: busy".into()));
        assert!(s.line(now).contains("HTTP 503: busy"), "{}", s.line(now));
        assert_eq!(s.level(), HealthLevel::Warn);
        s.dead_lettered = 1;
        s.dead_letter_file = "export/p.dead.jsonl".into();
        assert!(
            s.line(now)
                .ends_with("1 dead-lettered to export/p.dead.jsonl")
        );
        s.misconfigured = true;
        assert_eq!(s.level(), HealthLevel::Error);
        assert_eq!(ago(Duration::from_secs(7300)), "2h");
    }
}
