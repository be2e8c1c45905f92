//! GENA subscriptions (UPnP eventing): SUBSCRIBE, renew, UNSUBSCRIBE over reqwest.
//! rupnp's `subscribe` binds its own listener on a guessed interface and cannot renew with
//! the granted timeout, so the client side is here and the listener is in listener.rs.
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// What we ask for; the device may grant less (Sonos up to 86400 s, others 1800 s).
pub(crate) const REQUESTED_TIMEOUT: Duration = Duration::from_secs(1800);
/// A SUBSCRIBE that takes longer than this has failed.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub sid: String,
    /// How long the device keeps it without a renewal.
    pub granted: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum GenaError {
    /// 412 Precondition Failed: the device no longer knows this SID (it rebooted, or it expired).
    #[error("the speaker forgot the subscription (412)")]
    Gone,
    #[error("subscription refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Network(String),
}

fn method(name: &'static str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("a valid method token")
}

/// "Second-1800" → 1800 s; "infinite" (deprecated) and junk → what we asked for.
pub(crate) fn parse_timeout(header: Option<&str>, asked: Duration) -> Duration {
    header
        .and_then(|h| h.trim().strip_prefix("Second-"))
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(asked)
}

async fn send(req: reqwest::RequestBuilder, what: &str) -> Result<reqwest::Response, GenaError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, req.send()).await {
        Err(_) => Err(GenaError::Network(format!("{what}: no answer"))),
        Ok(Err(e)) => Err(GenaError::Network(format!("{what}: {e}"))),
        Ok(Ok(res)) if res.status() == StatusCode::PRECONDITION_FAILED => Err(GenaError::Gone),
        Ok(Ok(res)) if !res.status().is_success() => {
            Err(GenaError::Refused(format!("{what}: {}", res.status())))
        }
        Ok(Ok(res)) => Ok(res),
    }
}

/// A new subscription sending events to `callback` (an http URL the device can reach).
pub(crate) async fn subscribe(
    http: &reqwest::Client,
    event_url: &str,
    callback: &str,
    asked: Duration,
) -> Result<Subscription, GenaError> {
    let req = http
        .request(method("SUBSCRIBE"), event_url)
        .header("CALLBACK", format!("<{callback}>"))
        .header("NT", "upnp:event")
        .header("TIMEOUT", format!("Second-{}", asked.as_secs()));
    let res = send(req, "SUBSCRIBE").await?;
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok());
    let sid = header("SID")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GenaError::Refused("SUBSCRIBE answered without a SID".into()))?
        .to_string();
    Ok(Subscription {
        sid,
        granted: parse_timeout(header("TIMEOUT"), asked),
    })
}

/// Renew: a SUBSCRIBE with the SID and no CALLBACK/NT. Returns the newly granted timeout.
pub(crate) async fn renew(
    http: &reqwest::Client,
    event_url: &str,
    sid: &str,
    asked: Duration,
) -> Result<Duration, GenaError> {
    let req = http
        .request(method("SUBSCRIBE"), event_url)
        .header("SID", sid)
        .header("TIMEOUT", format!("Second-{}", asked.as_secs()));
    let res = send(req, "renew").await?;
    let granted = res.headers().get("TIMEOUT").and_then(|v| v.to_str().ok());
    Ok(parse_timeout(granted, asked))
}

/// Best effort: a speaker that never hears this drops the subscription at its timeout.
pub(crate) async fn unsubscribe(http: &reqwest::Client, event_url: &str, sid: &str) {
    let req = http
        .request(method("UNSUBSCRIBE"), event_url)
        .header("SID", sid);
    if let Err(e) = send(req, "UNSUBSCRIBE").await {
        tracing::debug!(error = %e, "sonos: unsubscribe failed");
    }
}

/// When to renew: at half the granted time (peers renew at 50–85 %), never later than a
/// minute before expiry, never sooner than a second.
pub(crate) fn renew_after(granted: Duration) -> Duration {
    let half = granted / 2;
    let margin = granted.saturating_sub(Duration::from_secs(60));
    half.min(margin.max(half / 2)).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        let asked = REQUESTED_TIMEOUT;
        assert_eq!(
            parse_timeout(Some("Second-86400"), asked),
            Duration::from_secs(86400)
        );
        assert_eq!(parse_timeout(Some("infinite"), asked), asked);
        assert_eq!(parse_timeout(None, asked), asked);
        assert_eq!(
            renew_after(Duration::from_secs(1800)),
            Duration::from_secs(900)
        );
        assert_eq!(
            renew_after(Duration::from_secs(86400)),
            Duration::from_secs(43200)
        );
        assert_eq!(
            renew_after(Duration::from_secs(100)),
            Duration::from_secs(40)
        );
        assert_eq!(renew_after(Duration::from_secs(1)), Duration::from_secs(1));
    }
}
