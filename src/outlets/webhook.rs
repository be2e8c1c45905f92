//! One `[[trigger]]` call: URL, method, headers, auth and a body (a JSON template or form
//! fields), and how one call is made. `${NAME}` is filled in from the environment
//! once, when the trigger is built; every value it brought in is a secret, scrubbed from any
//! text we log or journal. Retries, the cursor and dead letters are the outbox's
//! (`triggers.rs`); this file makes one call and says what its answer means.
//!
//! Placeholders: {trigger}, {track}, {artist}, {likes}, {skips}, {button}, {battery},
//! {press_count}, {step}, {hook}, {party}, {vote_url}, {requester}. In a JSON `body` strings are filled in
//! JSON-escaped without quotes (write `"{track}"`) and numbers as numbers (an unknown one is
//! `null`); in `form` fields everything is plain text (an unknown value is empty), except in
//! Twilio's `Twiml` field, which is XML: there values are XML-escaped (`&` becomes `&amp;`), so
//! a track called "Rock & Roll" cannot break the call.
use super::client::{Outcome, classify, error_chain};
use super::reply_text::{body_retry_after, service_message};
use super::webhook_settings::TriggerConfig;
use crate::core::Effect;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::fmt;
use std::time::Duration;

/// Give up on a webhook call after this many attempts (about half a minute of back-off).
pub(crate) const WEBHOOK_ATTEMPTS: u32 = 6;
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const WEBHOOK_BACKOFF_BASE: Duration = Duration::from_secs(1);
pub(crate) const WEBHOOK_BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Secrets shorter than this are not scrubbed (they would mangle ordinary words).
const MIN_SECRET_LEN: usize = 4;

const DEFAULT_BODY: &str = r#"{"trigger": "{trigger}", "track": "{track}", "artist": "{artist}", "likes": {likes}, "skips": {skips}, "button": "{button}", "battery": {battery}}"#;

/// What goes in the request body.
#[derive(Clone, PartialEq, Eq)]
pub enum Payload {
    Json(String),
    Form(Vec<(String, String)>),
    /// GET and friends without a body.
    Empty,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Json(s) => write!(f, "Json({} bytes)", s.len()),
            Payload::Form(p) => write!(f, "Form({} fields)", p.len()),
            Payload::Empty => f.write_str("Empty"),
        }
    }
}

#[derive(Clone)]
enum Template {
    Json(String),
    Form(Vec<(String, String)>),
    Empty,
}

#[derive(Clone)]
pub struct Webhook {
    pub trigger: String,
    pub method: reqwest::Method,
    /// With `${…}` filled in: may hold a token (Telegram's is in the path), so never logged.
    url: String,
    template: Template,
    headers: HeaderMap,
    basic_auth: Option<(String, String)>,
    timeout: Option<Duration>,
    /// Everything `${…}` and `password` brought in, longest first, for `scrub`.
    secrets: Vec<String>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("trigger", &self.trigger)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// None for a trigger without `url` (it only shows in the log); Err names what is wrong.
    pub fn from_config(
        t: &TriggerConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Result<Webhook, String>> {
        let url = t.url.as_deref()?;
        Some(Self::build(t, url, env).map_err(|e| format!("trigger `{}`: {e}", t.name)))
    }

    fn build(
        t: &TriggerConfig,
        raw_url: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Webhook, String> {
        use crate::support::env::{env_values, expand_env};
        let mut secrets = env_values(raw_url, env);
        let url = expand_env(raw_url, env).map_err(|e| format!("url: {e}"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "url = \"{raw_url}\" must start with http:// or https://"
            ));
        }
        let method = t.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
        let method = match method.as_str() {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" => {
                reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?
            }
            other => {
                return Err(format!(
                    "method = \"{other}\" must be GET, POST, PUT, PATCH or DELETE"
                ));
            }
        };
        let mut headers = HeaderMap::new();
        for (name, raw) in &t.headers.0 {
            let value = expand_env(raw, env).map_err(|e| format!("headers.{name}: {e}"))?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("headers: `{name}` is not a header name"))?;
            let mut value = HeaderValue::from_str(&value)
                .map_err(|_| format!("headers.{name}: not a valid header value"))?;
            // Header values are credentials more often than not; keep them out of debug output.
            value.set_sensitive(true);
            secrets.extend(env_values(raw, env));
            headers.append(name, value);
        }
        let basic_auth = match &t.basic_auth {
            Some((user, password)) => {
                let u = expand_env(user, env).map_err(|e| format!("username: {e}"))?;
                let p = expand_env(password.expose(), env).map_err(|e| format!("password: {e}"))?;
                secrets.extend(env_values(user, env));
                secrets.push(p.clone());
                Some((u, p))
            }
            None => None,
        };
        let template = match (&t.body, &t.form) {
            (_, Some(form)) => {
                let mut fields = Vec::new();
                for (k, v) in &form.0 {
                    let v = expand_env(v, env).map_err(|e| format!("form.{k}: {e}"))?;
                    fields.push((k.clone(), v));
                }
                Template::Form(fields)
            }
            (Some(body), None) => {
                Template::Json(expand_env(body, env).map_err(|e| format!("body: {e}"))?)
            }
            (None, None) if method == reqwest::Method::GET => Template::Empty,
            (None, None) => Template::Json(DEFAULT_BODY.to_string()),
        };
        secrets.retain(|s| s.len() >= MIN_SECRET_LEN);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let hook = Webhook {
            trigger: t.name.clone(),
            method,
            url,
            template,
            headers,
            basic_auth,
            timeout: t.timeout_secs.map(Duration::from_secs),
            secrets,
        };
        if let Template::Json(_) = &hook.template {
            let sample = Fired {
                trigger: "t".into(),
                track: "a \"b\"".into(),
                artist: "c".into(),
                battery: Some(0.5),
                step: Some(1),
                ..Fired::default()
            };
            if let Payload::Json(text) = hook.render(&sample) {
                serde_json::from_str::<serde_json::Value>(&text).map_err(|e| {
                    format!(
                        "body is not JSON once filled in ({e}); strings go in quotes: \"{{track}}\""
                    )
                })?;
            }
        }
        Ok(hook)
    }

    pub fn render(&self, f: &Fired) -> Payload {
        match &self.template {
            Template::Json(body) => Payload::Json(fill(body, f, Escape::Json)),
            Template::Form(fields) => Payload::Form(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), fill(v, f, Escape::for_form_field(k))))
                    .collect(),
            ),
            Template::Empty => Payload::Empty,
        }
    }

    /// Text from elsewhere (an error, a service's message) with every secret taken out.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "<secret>");
        }
        out
    }

    /// One call. The id header lets a receiver drop a repeat after a crash. A reason carries
    /// the service's own words, scrubbed of secrets. Only what may succeed later is `Retry`:
    /// any other non-2xx (a 401 or 404 included) is `Rejected`, because retrying a wrong
    /// token or a deleted Slack hook only delays telling the host.
    pub async fn send(&self, http: &reqwest::Client, payload: &Payload, event_id: &str) -> Outcome {
        let mut req = http
            .request(self.method.clone(), &self.url)
            .headers(self.headers.clone())
            .header("X-Party-Tui-Event", event_id);
        if let Some((user, password)) = &self.basic_auth {
            req = req.basic_auth(user, Some(password));
        }
        if let Some(t) = self.timeout {
            req = req.timeout(t);
        }
        req = match payload {
            Payload::Json(body) => req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            Payload::Form(fields) => req.form(fields),
            Payload::Empty => req,
        };
        let retry = |reason: String| Outcome::Retry {
            reason,
            after: None,
        };
        let resp = match req.send().await {
            Ok(r) => r,
            // Without the URL: it may hold a token.
            Err(e) if e.is_timeout() => return retry("timeout".into()),
            Err(e) => {
                let e = e.without_url();
                let why = self.scrub(&error_chain(&e));
                return retry(format!("network: {why}"));
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Outcome::Accepted;
        }
        let header_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(super::client::parse_retry_after);
        let body = resp.text().await.unwrap_or_default();
        let mut after = header_after.or_else(|| body_retry_after(&body));
        if status.as_u16() == 429 {
            // "Too many" is about the service, not this call: even unsaid, the wait holds
            // every call (`Some(ZERO)`: as long as this call's own back-off).
            after = after.or(Some(Duration::ZERO));
        }
        let reason = match service_message(&body) {
            Some(said) => format!("HTTP {}: {}", status.as_u16(), self.scrub(&said)),
            None => format!("HTTP {}", status.as_u16()),
        };
        match classify(status.as_u16(), reason.clone(), after) {
            retry @ Outcome::Retry { .. } => retry,
            _ => Outcome::Rejected {
                status: status.as_u16(),
                reason,
            },
        }
    }
}

/// How a placeholder's text is written into its template.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Inside a JSON string; unknown numbers are `null`.
    Json,
    /// Inside XML text or an attribute (TwiML); unknown is empty.
    Xml,
    /// As is; unknown is empty.
    Plain,
}

impl Escape {
    /// Twilio's `Twiml` parameter is an XML document: a guest's track title with `<` or `&`
    /// in it would otherwise make Twilio reject the call (error 12100) or say something else.
    fn for_form_field(name: &str) -> Escape {
        if name.eq_ignore_ascii_case("twiml") {
            Escape::Xml
        } else {
            Escape::Plain
        }
    }
}

/// Fills the placeholders, each escaped as `escape` says.
fn fill(template: &str, f: &Fired, escape: Escape) -> String {
    let text = |s: &str| match escape {
        Escape::Json => {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_string()
        }
        Escape::Xml => crate::players::sonos::lastchange::escape_xml(s),
        Escape::Plain => s.to_string(),
    };
    let unknown = if escape == Escape::Json { "null" } else { "" };
    let number = |n: Option<u32>| n.map_or(unknown.to_string(), |n| n.to_string());
    let battery = f.battery.map_or(unknown.into(), |b| format!("{b:.2}"));
    template
        .replace("{trigger}", &text(&f.trigger))
        .replace("{track}", &text(&f.track))
        .replace("{artist}", &text(&f.artist))
        .replace("{likes}", &f.likes.to_string())
        .replace("{skips}", &f.skips.to_string())
        .replace("{button}", &text(&f.button))
        .replace("{battery}", &battery)
        .replace("{press_count}", &number(f.press_count))
        .replace("{step}", &number(f.step))
        .replace("{hook}", &text(&f.hook))
        .replace("{party}", &text(&f.party))
        .replace("{vote_url}", &text(&f.vote_url))
        .replace("{requester}", &text(&f.requester))
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
    pub press_count: Option<u32>,
    pub step: Option<u32>,
    pub hook: String,
    /// Who asked for the song (`on = "request_played"`).
    pub requester: String,
    /// Filled in by the runner: the party's name and the vote page's address.
    pub party: String,
    pub vote_url: String,
}

impl Fired {
    pub(crate) fn from_effect(effect: &Effect) -> Option<Fired> {
        let Effect::TriggerFired {
            trigger,
            track,
            likes,
            skips,
            button,
            battery,
            step,
            press_count,
            hook,
            requester,
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
            press_count: *press_count,
            step: *step,
            hook: hook.clone().unwrap_or_default(),
            requester: requester.clone().unwrap_or_default(),
            party: String::new(),
            vote_url: String::new(),
        })
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
