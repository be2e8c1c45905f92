//! Calls from buttons nobody configured. They are not the party's business (not votes, and
//! their ids are whatever a caller makes up), so they are neither journaled nor put in the
//! state guests receive: the host sees a short "recently seen" list on the status line and at
//! `GET /api/admin/unknown-buttons`, bounded in size and in how fast new ids get onto it.
use super::HttpState;
use super::admin::authorize;
use super::guard::{RateLimit, RateLimiter};
use super::reply::ApiError;
use crate::core::{HealthLevel, Timestamp};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Enough to spot the one button the host forgot to configure.
pub const MAX_UNKNOWN: usize = 16;
/// New ids admitted to the list: a burst of this many, then this many per minute, so a
/// script spraying random ids cannot flush out the button the host is looking for.
const NEW_IDS_PER_MINUTE: u32 = 6;
/// The status line is told at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(5);
/// Ids are shown up to this many characters.
const MAX_ID_CHARS: usize = 40;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct UnknownButton {
    /// "web button" or "IoT button".
    pub kind: &'static str,
    pub id: String,
    pub calls: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

pub(crate) struct UnknownButtons {
    list: Mutex<List>,
    admit: RateLimiter,
}

#[derive(Default)]
struct List {
    recent: Vec<UnknownButton>,
    /// Calls from ids that did not get onto the list.
    not_listed: u64,
    reported: Option<Instant>,
}

impl Default for UnknownButtons {
    fn default() -> Self {
        UnknownButtons {
            list: Mutex::default(),
            admit: RateLimiter::new(RateLimit {
                burst: NEW_IDS_PER_MINUTE,
                per_sec: f64::from(NEW_IDS_PER_MINUTE) / 60.0,
            }),
        }
    }
}

impl UnknownButtons {
    /// Note a call; returns the status-line text when it is time to tell the host again.
    pub(crate) fn seen(
        &self,
        kind: &'static str,
        id: &str,
        at: Timestamp,
        now: Instant,
    ) -> Option<String> {
        let id = printable(id);
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = list
            .recent
            .iter_mut()
            .find(|b| b.kind == kind && b.id == id)
        {
            b.calls += 1;
            b.last_seen = at;
        } else if self
            .admit
            .check(IpAddr::V4(Ipv4Addr::UNSPECIFIED), now)
            .is_ok()
        {
            tracing::warn!(kind, id, "call from an unconfigured button");
            if list.recent.len() >= MAX_UNKNOWN {
                // Forget the one quiet for longest.
                if let Some(oldest) =
                    (0..list.recent.len()).min_by_key(|&i| list.recent[i].last_seen)
                {
                    list.recent.swap_remove(oldest);
                }
            }
            list.recent.push(UnknownButton {
                kind,
                id,
                calls: 1,
                first_seen: at,
                last_seen: at,
            });
        } else {
            list.not_listed += 1;
        }
        if list
            .reported
            .is_some_and(|t| now.duration_since(t) < REPORT_EVERY)
        {
            return None;
        }
        list.reported = Some(now);
        Some(summary(&list))
    }

    /// Newest first, and how many calls came from ids not listed.
    pub(crate) fn recent(&self) -> (Vec<UnknownButton>, u64) {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let mut recent = list.recent.clone();
        recent.sort_by_key(|b| std::cmp::Reverse(b.last_seen));
        (recent, list.not_listed)
    }
}

fn summary(list: &List) -> String {
    let newest = list.recent.iter().max_by_key(|b| b.last_seen);
    let mut text = match newest {
        Some(b) => format!(
            "{} calling; newest {} `{}` ({} calls): add it as a [[button]] in config.toml",
            list.recent.len(),
            b.kind,
            b.id,
            b.calls
        ),
        None => String::new(),
    };
    if list.not_listed > 0 {
        text.push_str(&format!(
            "; {} more calls from ids not listed (a script?)",
            list.not_listed
        ));
    }
    text
}

/// What a caller sent, safe to show: printable ASCII, shortened.
fn printable(id: &str) -> String {
    let mut out: String = id
        .chars()
        .take(MAX_ID_CHARS)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if id.chars().count() > MAX_ID_CHARS {
        out.push('…');
    }
    out
}

/// Record the call and tell the host (rate-limited).
pub(super) fn record(st: &HttpState, kind: &'static str, id: &str) {
    if let Some(text) = st.unknown.seen(kind, id, st.clock.now(), Instant::now()) {
        st.inbox
            .try_health("unknown buttons", HealthLevel::Warn, text);
    }
}

pub(crate) fn routes() -> Router<HttpState> {
    Router::new().route("/api/admin/unknown-buttons", get(list))
}

async fn list(
    State(st): State<HttpState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&st, &headers)?;
    let (recent, not_listed) = st.unknown.recent();
    Ok(Json(serde_json::json!({
        "recent": recent,
        "calls_not_listed": not_listed,
        "max_listed": MAX_UNKNOWN,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn list_is_bounded_admits_slowly_and_reports_at_most_every_few_seconds() {
        let u = UnknownButtons::default();
        let t0 = Instant::now();
        let at = Timestamp::from_millis(1_000);
        assert!(u.seen("web button", "garage", at, t0).is_some());
        // Within REPORT_EVERY: counted, not reported again.
        assert_eq!(u.seen("web button", "garage", at, t0), None);
        for i in 0..5_000 {
            u.seen("web button", &format!("spam{i}"), at, t0);
        }
        let (recent, not_listed) = u.recent();
        assert_eq!(recent.len(), NEW_IDS_PER_MINUTE as usize);
        assert_eq!(not_listed, 5_000 - (NEW_IDS_PER_MINUTE as u64 - 1));
        let garage = recent.iter().find(|b| b.id == "garage").unwrap();
        assert_eq!(garage.calls, 2);
        // Hours of spraying later, the list is still at most MAX_UNKNOWN long.
        for m in 1..=60u64 {
            let now = t0 + Duration::from_secs(60 * m);
            for i in 0..100 {
                u.seen("IoT button", &format!("m{m}-{i}"), at, now);
            }
        }
        assert_eq!(u.recent().0.len(), MAX_UNKNOWN);
        let text = u
            .seen("web button", "x", at, t0 + Duration::from_secs(3_700))
            .unwrap();
        assert!(text.contains("calls from ids not listed"), "{text}");
    }

    #[test]
    fn odd_ids_are_shown_safely() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a?[2Jb");
        assert_eq!(
            printable(&"x".repeat(100)).chars().count(),
            MAX_ID_CHARS + 1
        );
    }
}
