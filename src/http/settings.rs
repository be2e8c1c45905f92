//! `[http]` and `[[hook]]` of config.toml: where the vote page listens, its per-address limits,
//! and the rule triggers coming in (`POST /hooks/{name}`). Beside serde, std and support it
//! knows only the server's own limit types (`HttpLimits`), whose defaults it shares.
use crate::support::env::{Env, Hidden, expand_env};
use serde::Deserialize;

/// Notices shorter than this are gone before anyone reads them.
pub(crate) const DEFAULT_NOTICE_SECS: u64 = 30;

/// `[http]`: the vote page, button webhooks and the party API.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address and port the server listens on (all interfaces, so phones on the LAN reach it).
    pub bind: std::net::SocketAddr,
    /// When set, guests enter this code once before they can vote.
    pub party_code: Option<String>,
    /// Requests per second one client address may sustain (0 turns the flood limit off).
    #[serde(deserialize_with = "non_negative_rate")]
    pub rate_limit_per_sec: f64,
    /// Requests one client address may send at once before the per-second rate applies.
    pub rate_limit_burst: u32,
    /// New guest cookies one client address may get per hour (0: no limit).
    pub new_guests_per_hour: u32,
    /// Connections from these addresses are proxies or tunnels: the client address is taken
    /// from their `X-Forwarded-For`.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let limits = super::HttpLimits::default();
        HttpConfig {
            bind: std::net::SocketAddr::from(([0, 0, 0, 0], 8080)),
            party_code: None,
            rate_limit_per_sec: limits.rate_limit.map_or(0.0, |r| r.per_sec),
            rate_limit_burst: limits.rate_limit.map_or(0, |r| r.burst),
            new_guests_per_hour: limits.new_guests_per_hour,
            trusted_proxies: limits.trusted_proxies,
        }
    }
}

fn non_negative_rate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "`rate_limit_per_sec = {v}` must be a number of requests per second, 0 or more (0 turns the limit off)"
        )))
    }
}

impl HttpConfig {
    /// The per-address limits the server applies.
    pub fn limits(&self) -> super::HttpLimits {
        super::HttpLimits {
            rate_limit: (self.rate_limit_per_sec > 0.0).then_some(super::RateLimit {
                burst: self.rate_limit_burst.max(1),
                per_sec: self.rate_limit_per_sec,
            }),
            new_guests_per_hour: self.new_guests_per_hour,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

/// What an inbound hook does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HookDo {
    Skip,
    Keep,
    /// A banner; the text comes from the request body, else this template, else the hook's name.
    Notice {
        text: Option<String>,
        secs: u64,
    },
    /// Chain to an outbound `[[trigger]]`.
    Trigger(String),
}

/// One `[[hook]]`: `POST /hooks/{name}` with its token.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawHook")]
pub struct HookConfig {
    pub name: String,
    /// As written (may hold `${NAME}`); `token(env)` resolves it.
    pub token: Hidden,
    pub act: HookDo,
    /// The token with `${NAME}` filled in, by config loading (`resolve`); empty until then.
    pub resolved: Hidden,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    name: String,
    token: Hidden,
    #[serde(rename = "do")]
    act: Option<String>,
    trigger: Option<String>,
    notice_secs: Option<u64>,
    text: Option<String>,
}

impl TryFrom<RawHook> for HookConfig {
    type Error = String;
    fn try_from(r: RawHook) -> Result<Self, String> {
        let name = r.name.trim();
        let url_safe = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if name.is_empty() || !url_safe {
            return Err(format!(
                "hook `name = \"{}\"` must be letters, digits, `-`, `_` or `.` (it is part of the URL)",
                r.name
            ));
        }
        if r.token.expose().trim().len() < 8 {
            return Err(format!(
                "hook `{name}`: `token` must be at least 8 characters (or \"${{NAME}}\" from the environment)"
            ));
        }
        let notice_only =
            |what: &str| format!("hook `{name}`: `{what}` only goes with do = \"notice\"");
        let act = match (r.act.as_deref(), r.trigger) {
            (Some("notice"), None) => HookDo::Notice {
                text: r.text,
                secs: r.notice_secs.unwrap_or(DEFAULT_NOTICE_SECS).max(1),
            },
            (Some(_), None) | (None, Some(_)) if r.notice_secs.is_some() => {
                return Err(notice_only("notice_secs"));
            }
            (Some(_), None) | (None, Some(_)) if r.text.is_some() => {
                return Err(notice_only("text"));
            }
            (Some("skip"), None) => HookDo::Skip,
            (Some("keep"), None) => HookDo::Keep,
            (None, Some(t)) => HookDo::Trigger(t),
            (Some(other), None) => {
                return Err(format!(
                    "hook `{name}`: `do = \"{other}\"` must be \"skip\", \"keep\" or \"notice\" (or use `trigger = \"<name>\"`)"
                ));
            }
            _ => {
                return Err(format!(
                    "hook `{name}`: give exactly one of `do` and `trigger`"
                ));
            }
        };
        Ok(HookConfig {
            name: name.to_string(),
            token: r.token,
            act,
            resolved: Hidden::default(),
        })
    }
}

impl HookConfig {
    pub(crate) fn token(&self, env: Env<'_>) -> Result<String, String> {
        expand_env(self.token.expose(), env)
            .map_err(|e| format!("hook `{}`: token: {e}", self.name))
    }

    /// Fills in `resolved` once, at load: the server never reads the environment.
    pub(crate) fn resolve(&mut self, env: Env<'_>) -> Result<(), String> {
        self.resolved = Hidden::new(self.token(env)?);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cret".into()),
            _ => None,
        }
    }

    #[test]
    fn hooks_parse_strictly() {
        #[derive(Deserialize, Debug)]
        struct F {
            hook: Vec<HookConfig>,
        }
        let ok: F = toml::from_str(
            r#"
            [[hook]]
            name = "cl-favourite"
            token = "${TOKEN}"
            do = "notice"
            notice_secs = 20
            [[hook]]
            name = "sms"
            token = "0123456789"
            trigger = "sms"
            "#,
        )
        .unwrap();
        assert_eq!(
            ok.hook[0].act,
            HookDo::Notice {
                text: None,
                secs: 20
            }
        );
        assert_eq!(ok.hook[0].token(&env).unwrap(), "s3cret");
        assert_eq!(ok.hook[1].act, HookDo::Trigger("sms".into()));
        assert!(!format!("{ok:?}").contains("0123456789"));
        for (bad, want) in [
            (
                r#"name = "a b"
                token = "0123456789"
                do = "skip""#,
                "part of the URL",
            ),
            (
                r#"name = "x"
                token = "short"
                do = "skip""#,
                "at least 8",
            ),
            (
                r#"name = "x"
                token = "0123456789"
                do = "dance""#,
                "\"dance\"",
            ),
            (
                r#"name = "x"
                token = "0123456789"
                do = "skip"
                trigger = "t""#,
                "exactly one",
            ),
            (
                r#"name = "x"
                token = "0123456789"
                do = "skip"
                notice_secs = 3"#,
                "notice_secs",
            ),
            (
                r#"name = "x"
                token = "0123456789"
                do = "skip"
                tokn = 3"#,
                "tokn",
            ),
        ] {
            let e = toml::from_str::<F>(&format!("[[hook]]\n{bad}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
    }
}
