//! The notification parts of config.toml: ordered key/value tables (`headers`, `form`),
//! `${NAME}` taken from the environment, and `[[hook]]` (rule triggers coming in).
use crate::core::ButtonActions;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

/// Notices shorter than this are gone before anyone reads them.
pub const DEFAULT_NOTICE_SECS: u64 = 30;

/// A TOML table kept in the order it was written (Twilio's fields go out as the user lists them).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pairs(pub Vec<(String, String)>);

impl fmt::Debug for Pairs {
    /// Keys only: header values carry tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of text values, like { Name = \"value\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A value that may hold a secret (a password, a token): never printed by `Debug`.
pub type Hidden = crate::support::secret::Secret<String>;

/// Fills in `${NAME}` from `env`; an unset (or empty) variable is an error naming it. `$$`
/// stays a literal `$`.
pub fn expand_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body
                .find('}')
                .ok_or_else(|| format!("`${{` without a closing `}}` in \"{}\"", short(text)))?;
            let name = &body[..end];
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("`${{{name}}}` is not an environment variable name"));
            }
            match env(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(&v),
                None => return Err(format!("${{{name}}} is not set in the environment")),
            }
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The values `${…}` brought in: secrets by construction, scrubbed from any text we show.
pub fn env_values(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let body = &rest[i + 2..];
        let Some(end) = body.find('}') else { break };
        if let Some(v) = env(&body[..end]).filter(|v| !v.is_empty()) {
            found.push(v);
        }
        rest = &body[end + 1..];
    }
    found
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
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
        if r.token.0.trim().len() < 8 {
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
        })
    }
}

impl HookConfig {
    pub fn token(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        expand_env(&self.token.0, env).map_err(|e| format!("hook `{}`: token: {e}", self.name))
    }
}

/// `auth = "basic"` with `username` and `password`, or nothing at all.
pub(crate) fn basic_auth(
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

impl crate::config::Config {
    /// Names that point elsewhere must exist: a step's `notify`, a hook's `trigger`.
    pub(crate) fn check_names(&self) -> Result<(), String> {
        let known = |n: &str| self.triggers.iter().any(|t| t.name == n);
        for b in &self.buttons {
            if let ButtonActions::Sequence(steps) = &b.actions {
                for n in steps.iter().flat_map(|s| &s.notify) {
                    if !known(n) {
                        return Err(format!(
                            "button `{}`: notify = [\"{n}\"] names no [[trigger]]",
                            b.name
                        ));
                    }
                }
            }
        }
        for h in &self.hooks {
            if let HookDo::Trigger(n) = &h.act
                && !known(n)
            {
                return Err(format!(
                    "hook `{}`: trigger = \"{n}\" names no [[trigger]]",
                    h.name
                ));
            }
            if self.hooks.iter().filter(|o| o.name == h.name).count() > 1 {
                return Err(format!("hook `{}` is configured twice", h.name));
            }
        }
        Ok(())
    }

    /// Every `${NAME}` in triggers and hooks must be set: checked once at start, so a missing
    /// token is an error naming it, not a failed call in the middle of the party.
    pub fn check_env(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        for t in &self.triggers {
            crate::outlets::webhook::Webhook::from_config(t, env).transpose()?;
        }
        for h in &self.hooks {
            h.token(env)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn env_is_filled_in_and_unset_names_are_named() {
        assert_eq!(
            expand_env("Bearer ${TOKEN}", &env).unwrap(),
            "Bearer s3cret"
        );
        assert_eq!(expand_env("$5 and $$x", &env).unwrap(), "$5 and $x");
        let e = expand_env("x ${MISSING} y", &env).unwrap_err();
        assert!(e.contains("${MISSING} is not set"), "{e}");
        assert!(expand_env("${EMPTY}", &env).unwrap_err().contains("EMPTY"));
        assert!(expand_env("${A-B}", &env).unwrap_err().contains("A-B"));
        assert!(expand_env("${OPEN", &env).unwrap_err().contains("closing"));
        assert_eq!(env_values("a ${TOKEN} b ${MISSING}", &env), ["s3cret"]);
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

    #[test]
    fn pairs_keep_the_written_order() {
        #[derive(Deserialize)]
        struct F {
            form: Pairs,
        }
        let f: F = toml::from_str(r#"form = { To = "+1", From = "+2", Body = "hi" }"#).unwrap();
        let keys: Vec<&str> = f.form.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["To", "From", "Body"]);
    }
}
