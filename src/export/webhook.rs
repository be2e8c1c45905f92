//! One `[[trigger]]` webhook: URL, method and a JSON body template, and how one call is made
//! and retried. Placeholders: {trigger}, {track}, {artist}, {likes}, {skips}, {button},
//! {battery}. Strings are filled in JSON-escaped without quotes (write `"{track}"`), numbers
//! as numbers; an unknown battery is `null`, an unknown track, artist or button is empty.
use super::client::{Backoff, Outcome, classify};
use crate::config::TriggerConfig;
use crate::core::Effect;
use std::time::Duration;

/// Give up on a webhook after this many attempts (about half a minute of back-off).
pub const WEBHOOK_ATTEMPTS: u32 = 6;
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
pub const WEBHOOK_BACKOFF_BASE: Duration = Duration::from_secs(1);
pub const WEBHOOK_BACKOFF_MAX: Duration = Duration::from_secs(30);

const DEFAULT_BODY: &str = r#"{"trigger": "{trigger}", "track": "{track}", "artist": "{artist}", "likes": {likes}, "skips": {skips}, "button": "{button}", "battery": {battery}}"#;

#[derive(Clone, Debug)]
pub struct Webhook {
    pub trigger: String,
    pub url: String,
    pub method: reqwest::Method,
    pub body: String,
}

impl Webhook {
    /// None for a trigger without `url` (it only shows in the log); Err names what is wrong.
    pub fn from_config(t: &TriggerConfig) -> Option<Result<Webhook, String>> {
        let url = t.url.clone()?;
        Some(Self::build(t, url))
    }

    fn build(t: &TriggerConfig, url: String) -> Result<Webhook, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "trigger `{}`: url = \"{url}\" must start with http:// or https://",
                t.name
            ));
        }
        let method = t.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
        let method = match method.as_str() {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" => {
                reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?
            }
            other => {
                return Err(format!(
                    "trigger `{}`: method = \"{other}\" must be GET, POST, PUT, PATCH or DELETE",
                    t.name
                ));
            }
        };
        let hook = Webhook {
            trigger: t.name.clone(),
            url,
            method,
            body: t.body.clone().unwrap_or_else(|| DEFAULT_BODY.to_string()),
        };
        let sample = Fired {
            trigger: "t".into(),
            track: "a \"b\"".into(),
            artist: "c".into(),
            likes: 1,
            skips: 2,
            button: "d".into(),
            battery: Some(0.5),
        };
        serde_json::from_str::<serde_json::Value>(&hook.render(&sample)).map_err(|e| {
            format!(
                "trigger `{}`: body is not JSON once filled in ({e}); strings go in quotes: \"{{track}}\"",
                t.name
            )
        })?;
        Ok(hook)
    }

    pub fn render(&self, f: &Fired) -> String {
        let text = |s: &str| {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_string()
        };
        let battery = f.battery.map_or("null".into(), |b| format!("{b:.2}"));
        self.body
            .replace("{trigger}", &text(&f.trigger))
            .replace("{track}", &text(&f.track))
            .replace("{artist}", &text(&f.artist))
            .replace("{likes}", &f.likes.to_string())
            .replace("{skips}", &f.skips.to_string())
            .replace("{button}", &text(&f.button))
            .replace("{battery}", &battery)
    }

    /// Calls the webhook until it answers 2xx, a 4xx says retrying is pointless, or the
    /// attempts run out. The id header lets a receiver drop a repeat after a crash.
    pub async fn call(
        &self,
        http: &reqwest::Client,
        body: String,
        event_id: &str,
        attempts: u32,
        mut backoff: Backoff,
    ) -> Result<(), String> {
        let mut last = String::new();
        for attempt in 1..=attempts.max(1) {
            let mut req = http
                .request(self.method.clone(), &self.url)
                .header("X-Party-Tui-Event", event_id);
            if self.method != reqwest::Method::GET {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let (reason, after) = match req.send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => {
                    let status = r.status().as_u16();
                    let after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(super::client::parse_retry_after);
                    let reason = format!("HTTP {status}");
                    match classify(status, reason.clone(), after) {
                        Outcome::Retry { .. } => (reason, after),
                        _ => return Err(reason),
                    }
                }
                Err(e) if e.is_timeout() => ("timeout".to_string(), None),
                Err(e) => (format!("network: {e}"), None),
            };
            tracing::warn!(trigger = %self.trigger, attempt, %reason, "webhook failed");
            last = reason;
            if attempt < attempts {
                let d = backoff.next_delay();
                tokio::time::sleep(after.map_or(d, |a| a.max(d))).await;
            }
        }
        Err(format!("{last} after {attempts} attempts"))
    }
}

/// What a firing fills into the template.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fired {
    pub trigger: String,
    pub track: String,
    pub artist: String,
    pub likes: u32,
    pub skips: u32,
    pub button: String,
    pub battery: Option<f32>,
}

impl Fired {
    pub fn from_effect(effect: &Effect) -> Option<Fired> {
        let Effect::TriggerFired {
            trigger,
            track,
            likes,
            skips,
            button,
            battery,
        } = effect
        else {
            return None;
        };
        Some(Fired {
            trigger: trigger.clone(),
            track: track.as_ref().map(|t| t.title.clone()).unwrap_or_default(),
            artist: track.as_ref().map(|t| t.artist.clone()).unwrap_or_default(),
            likes: *likes,
            skips: *skips,
            button: button.clone().unwrap_or_default(),
            battery: *battery,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::TriggerCondition;

    fn config(url: &str, method: Option<&str>, body: Option<&str>) -> TriggerConfig {
        TriggerConfig {
            name: "fav".into(),
            when: TriggerCondition::LikesAtLeast(5),
            url: Some(url.into()),
            method: method.map(String::from),
            body: body.map(String::from),
        }
    }

    #[test]
    fn placeholders_are_filled_json_safely() {
        let hook = Webhook::from_config(&config(
            "http://127.0.0.1:9/hook",
            Some("put"),
            Some(r#"{"text": "{track} by {artist} ({likes}/{skips}) {button}", "battery": {battery}}"#),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(hook.method, reqwest::Method::PUT);
        let fired = Fired {
            trigger: "fav".into(),
            track: "Say \"Hi\"".into(),
            artist: "Band".into(),
            likes: 5,
            skips: 1,
            button: String::new(),
            battery: None,
        };
        let v: serde_json::Value = serde_json::from_str(&hook.render(&fired)).unwrap();
        assert_eq!(v["text"], "Say \"Hi\" by Band (5/1) ");
        assert!(v["battery"].is_null());
        let default = Webhook::from_config(&config("https://x/", None, None))
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&default.render(&fired)).unwrap();
        assert_eq!(
            (v["trigger"].as_str(), v["likes"].as_u64()),
            (Some("fav"), Some(5))
        );
    }

    #[test]
    fn bad_webhooks_are_named() {
        let e = Webhook::from_config(&config("ftp://x", None, None))
            .unwrap()
            .unwrap_err();
        assert!(e.contains("ftp://x"), "{e}");
        let e = Webhook::from_config(&config("http://x", Some("TRACE"), None))
            .unwrap()
            .unwrap_err();
        assert!(e.contains("TRACE"), "{e}");
        let e = Webhook::from_config(&config("http://x", None, Some(r#"{"t": {track}}"#)))
            .unwrap()
            .unwrap_err();
        assert!(e.contains("not JSON"), "{e}");
        let mut no_url = config("http://x", None, None);
        no_url.url = None;
        assert!(Webhook::from_config(&no_url).is_none());
    }
}
