//! `${NAME}` in config values and the tables that carry them: read once, when config.toml is
//! loaded, so no part of a running party reads the environment (a token unset at 23:00 must
//! not fail a call at midnight). `Env` is the lookup load is given; tests pass a closure.
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// How load reads the environment: `std::env::var` in the binary, a table in tests.
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, for the one place that may read it (loading the config).
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

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
pub(crate) type Hidden = crate::support::secret::Secret<String>;

/// The variables a section's `${…}` named, with their values as they were at load. Debug
/// shows the names only: every value brought in this way is a secret by construction.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Captured(BTreeMap<String, String>);

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Captured {
    /// Reads every `${NAME}` named in `texts` from `env` (unset ones stay out: expanding them
    /// later fails with the same sentence `expand_env` gives at load).
    pub(crate) fn of<'t>(texts: impl IntoIterator<Item = &'t str>, env: Env<'_>) -> Captured {
        let mut map = BTreeMap::new();
        for text in texts {
            for name in names(text) {
                if let Some(v) = env(name).filter(|v| !v.is_empty()) {
                    map.insert(name.to_string(), v);
                }
            }
        }
        Captured(map)
    }

    /// The lookup to expand with: the value captured at load, never the live environment.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// The names inside `${…}` in `text` (`$${` is a literal and names nothing).
fn names(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else { break };
            out.push(&body[..end]);
            rest = &body[end + 1..];
        } else {
            rest = after;
        }
    }
    out
}

/// Fills in `${NAME}` from `env`; an unset (or empty) variable is an error naming it. `$$`
/// stays a literal `$`.
pub(crate) fn expand_env(text: &str, env: Env<'_>) -> Result<String, String> {
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
pub(crate) fn env_values(text: &str, env: Env<'_>) -> Vec<String> {
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
    fn captured_values_expand_like_the_environment_and_never_show() {
        let c = Captured::of(["Bearer ${TOKEN}", "$${NOT} ${MISSING}"], &env);
        assert_eq!(c.get("TOKEN").as_deref(), Some("s3cret"));
        assert_eq!(c.get("NOT"), None);
        let lookup = |k: &str| c.get(k);
        assert_eq!(
            expand_env("Bearer ${TOKEN}", &lookup).unwrap(),
            "Bearer s3cret"
        );
        assert!(expand_env("${MISSING}", &lookup).is_err());
        assert!(!format!("{c:?}").contains("s3cret"));
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
