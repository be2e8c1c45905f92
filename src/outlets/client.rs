//! Talking to the events API: one POST and what its answer means for the outbox, plus the
//! back-off schedule. The outbox is generic over `Transport` so its retry and bisect logic is
//! tested on paused time without sockets (real sockets and paused time do not mix: tokio
//! auto-advances to the next timer, the request timeout, while waiting on the network).
use super::settings::ApiKey;
use std::future::Future;
use std::time::Duration;

/// A request that takes longer than this is a timeout, retried like a network error.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The first retry waits about this long, doubling each time…
pub(crate) const BACKOFF_BASE: Duration = Duration::from_millis(500);
/// …up to this.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// A Retry-After beyond this is treated as this (hours were observed from some APIs).
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);
/// How much of an error body goes into the health line and the dead-letter file.
const REASON_CHARS: usize = 200;

/// What one POST's answer means.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Accepted,
    /// Network error, timeout, 5xx, 408 or 429: the same request may succeed later.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// 401, 403, 404, 405: no event is at fault, the configuration is; keep retrying (slowly)
    /// and say so rather than dead-letter a whole party because of a wrong key.
    Misconfigured {
        status: u16,
        reason: String,
    },
    /// Any other 4xx: something in this body is refused; the outbox bisects to find it.
    Rejected {
        status: u16,
        reason: String,
    },
}

pub trait Transport: Send + Sync + 'static {
    /// POST a JSON array body.
    fn post(&self, body: Vec<u8>) -> impl Future<Output = Outcome> + Send;
}

/// The real events API over reqwest.
pub struct HttpTransport {
    http: reqwest::Client,
    url: String,
    key: ApiKey,
}

impl HttpTransport {
    pub fn new(url: String, key: ApiKey, timeout: Duration) -> reqwest::Result<Self> {
        let http = crate::support::http_client::HttpClient::timeout(timeout).build();
        Ok(HttpTransport { http, url, key })
    }

    /// Error text from elsewhere never carries the key, even if a receiver echoes it back.
    fn scrub(&self, text: &str) -> String {
        let short: String = text.chars().take(REASON_CHARS).collect();
        if self.key.expose().is_empty() {
            return short;
        }
        short.replace(self.key.expose(), "<redacted>")
    }
}

impl Transport for HttpTransport {
    async fn post(&self, body: Vec<u8>) -> Outcome {
        let mut key = match reqwest::header::HeaderValue::from_str(self.key.expose()) {
            Ok(v) => v,
            Err(_) => {
                return Outcome::Misconfigured {
                    status: 0,
                    reason: "the API key is not a valid header value".into(),
                };
            }
        };
        key.set_sensitive(true);
        let sent = self
            .http
            .post(&self.url)
            .header("X-API-KEY", key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() { "timeout" } else { "network" };
                return Outcome::Retry {
                    reason: self.scrub(&format!("{what}: {}", error_chain(&e))),
                    after: None,
                };
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Outcome::Accepted;
        }
        let after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = resp.text().await.unwrap_or_default();
        let reason = self.scrub(&format!("HTTP {}: {}", status.as_u16(), text.trim()));
        classify(status.as_u16(), reason, after)
    }
}

/// An error and its causes on one line (reqwest's Display alone says only "error sending request").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// A non-2xx status → what to do about it.
pub(crate) fn classify(status: u16, reason: String, after: Option<Duration>) -> Outcome {
    match status {
        408 | 429 | 500..=599 => Outcome::Retry { reason, after },
        401 | 403 | 404 | 405 => Outcome::Misconfigured { status, reason },
        400..=499 => Outcome::Rejected { status, reason },
        // 1xx/3xx after redirects: not an answer we understand; try again later.
        _ => Outcome::Retry { reason, after },
    }
}

/// Retry-After in seconds (the HTTP-date form is rare for APIs and falls back to back-off).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    // Capped before it becomes a Duration: from_secs_f64 panics past u64::MAX seconds.
    (secs.is_finite() && secs >= 0.0)
        .then(|| Duration::from_secs_f64(secs.min(RETRY_AFTER_MAX.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        let c = |s| classify(s, String::new(), None);
        assert!(matches!(c(500), Outcome::Retry { .. }));
        assert!(matches!(c(503), Outcome::Retry { .. }));
        assert!(matches!(c(429), Outcome::Retry { .. }));
        assert!(matches!(c(408), Outcome::Retry { .. }));
        assert!(matches!(c(401), Outcome::Misconfigured { .. }));
        assert!(matches!(c(404), Outcome::Misconfigured { .. }));
        assert!(matches!(c(400), Outcome::Rejected { status: 400, .. }));
        assert!(matches!(c(413), Outcome::Rejected { .. }));
        assert!(matches!(c(422), Outcome::Rejected { .. }));
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("99999"), Some(RETRY_AFTER_MAX));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        // Found by fuzzing (tests/fuzz/notify.rs): these used to panic.
        assert_eq!(
            parse_retry_after("19000000000000000000"),
            Some(RETRY_AFTER_MAX)
        );
        assert_eq!(parse_retry_after("1e300"), Some(RETRY_AFTER_MAX));
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("inf"), None);
    }
}
