//! One `[[trigger]]` of config.toml: when it fires and what it calls. A leaf beside the
//! webhook outlet that carries it out: serde, core and support only.
use crate::core::TriggerCondition;
use crate::support::env::{Captured, Env, Hidden, Pairs};
use serde::Deserialize;

/// One `[[trigger]]`: a condition, and a webhook or messaging service to call
/// (`export::webhook` turns it into a request; `${NAME}` values come from the environment).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawTrigger")]
pub struct TriggerConfig {
    pub name: String,
    pub when: TriggerCondition,
    pub url: Option<String>,
    pub method: Option<String>,
    pub body: Option<String>,
    pub form: Option<Pairs>,
    pub headers: Pairs,
    /// `auth = "basic"`: username and password (both may use `${…}`).
    pub basic_auth: Option<(String, Hidden)>,
    pub timeout_secs: Option<u64>,
    /// The `${NAME}` values this trigger names, read once at load (`capture_env`): the
    /// webhook is built from these, never from the live environment.
    pub env: Captured,
}

impl Default for TriggerConfig {
    fn default() -> Self {
        TriggerConfig {
            name: String::new(),
            when: TriggerCondition::Named,
            url: None,
            method: None,
            body: None,
            form: None,
            headers: Pairs::default(),
            basic_auth: None,
            timeout_secs: None,
            env: Captured::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    name: String,
    likes_at_least: Option<u32>,
    on: Option<String>,
    battery_below: Option<f32>,
    button: Option<String>,
    url: Option<String>,
    method: Option<String>,
    body: Option<String>,
    form: Option<Pairs>,
    #[serde(default)]
    headers: Pairs,
    auth: Option<String>,
    username: Option<String>,
    password: Option<Hidden>,
    timeout_secs: Option<u64>,
}

impl TryFrom<RawTrigger> for TriggerConfig {
    type Error = String;
    fn try_from(r: RawTrigger) -> Result<Self, String> {
        let when = match (r.likes_at_least, r.on.as_deref(), r.battery_below) {
            (Some(n), None, None) => TriggerCondition::LikesAtLeast(n),
            (None, Some("skip"), None) => TriggerCondition::SkipFired,
            (None, Some("clean_finish"), None) => TriggerCondition::FinishedWithoutSkipVotes,
            (None, Some("press"), None) => TriggerCondition::Press {
                button: r.button.clone(),
            },
            (None, Some("track_start"), None) => TriggerCondition::TrackStart,
            (None, Some("request_played"), None) => TriggerCondition::RequestPlayed,
            (None, Some(other), None) => {
                return Err(format!(
                    "trigger `{}`: `on = \"{other}\"` must be \"skip\", \"clean_finish\", \"press\", \"track_start\" or \"request_played\"",
                    r.name
                ));
            }
            // No condition: it fires when a press-sequence step or a hook names it.
            (None, None, None) => TriggerCondition::Named,
            (None, None, Some(b)) if (0.0..=1.0).contains(&b) => TriggerCondition::BatteryBelow(b),
            (None, None, Some(b)) => {
                return Err(format!(
                    "trigger `{}`: `battery_below = {b}` must be a share between 0.0 and 1.0",
                    r.name
                ));
            }
            _ => {
                return Err(format!(
                    "trigger `{}`: give exactly one of `likes_at_least`, `on`, `battery_below`",
                    r.name
                ));
            }
        };
        if r.button.is_some() && !matches!(when, TriggerCondition::Press { .. }) {
            return Err(format!(
                "trigger `{}`: `button` only goes with on = \"press\"",
                r.name
            ));
        }
        if r.body.is_some() && r.form.is_some() {
            return Err(format!(
                "trigger `{}`: give `body` (JSON) or `form` (form fields), not both",
                r.name
            ));
        }
        let basic_auth = basic_auth(&r.name, r.auth, r.username, r.password)?;
        if r.timeout_secs == Some(0) {
            return Err(format!(
                "trigger `{}`: `timeout_secs` must be at least 1",
                r.name
            ));
        }
        Ok(TriggerConfig {
            name: r.name,
            when,
            url: r.url,
            method: r.method,
            body: r.body,
            form: r.form,
            headers: r.headers,
            basic_auth,
            timeout_secs: r.timeout_secs,
            env: Captured::default(),
        })
    }
}

impl TriggerConfig {
    /// Every text that may hold `${NAME}`.
    fn templated(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.url.iter().map(String::as_str).collect();
        out.extend(self.body.as_deref());
        out.extend(self.headers.0.iter().map(|(_, v)| v.as_str()));
        if let Some(form) = &self.form {
            out.extend(form.0.iter().map(|(_, v)| v.as_str()));
        }
        if let Some((user, password)) = &self.basic_auth {
            out.extend([user.as_str(), password.expose().as_str()]);
        }
        out
    }

    /// Reads the variables this trigger names, once (config loading calls it).
    pub(crate) fn capture_env(&mut self, env: Env<'_>) {
        self.env = Captured::of(self.templated(), env);
    }

    /// The lookup the webhook expands `${NAME}` with: what was captured at load.
    pub(crate) fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.env.get(name)
    }
}

/// `auth = "basic"` with `username` and `password`, or nothing at all.
fn basic_auth(
    trigger: &str,
    auth: Option<String>,
    username: Option<String>,
    password: Option<Hidden>,
) -> Result<Option<(String, Hidden)>, String> {
    match (auth.as_deref(), username, password) {
        (None, None, None) => Ok(None),
        (Some("basic"), Some(u), Some(p)) => Ok(Some((u, p))),
        (Some("basic"), _, _) => Err(format!(
            "trigger `{trigger}`: auth = \"basic\" needs `username` and `password`"
        )),
        (Some(other), _, _) => Err(format!(
            "trigger `{trigger}`: `auth = \"{other}\"` must be \"basic\" (put a bearer token in `headers`)"
        )),
        (None, _, _) => Err(format!(
            "trigger `{trigger}`: `username`/`password` need auth = \"basic\""
        )),
    }
}
