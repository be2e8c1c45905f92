//! A value that must never reach a log line or a screen by accident: API keys, passwords,
//! tokens, signing keys. Its `Debug` says `<redacted>` whatever it holds, so a derived `Debug`
//! on a settings type is safe; there is no `Display`. Reading it takes a visible `expose()`.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Serialized as the bare value (`#[serde(transparent)]`): config files and token files keep
/// their format.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: impl Into<T>) -> Self {
        Secret(value.into())
    }

    /// The only way to read it: where it goes on the wire or into a signature.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

/// Tests and call sites write `"literal".into()`.
impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

/// Tests compare a secret with the literal they expect.
impl PartialEq<&str> for Secret<String> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_and_serde_is_transparent() {
        #[derive(Debug, Deserialize, Serialize)]
        struct Settings {
            user: String,
            password: Option<Secret<String>>,
        }
        let s: Settings = toml::from_str("user = \"me\"\npassword = \"hunter2\"").unwrap();
        let shown = format!("{s:?} {s:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("me"),
            "{shown}"
        );
        assert_eq!(s.password.as_ref().unwrap().expose(), "hunter2");
        assert_eq!(serde_json::to_string(&s.password).unwrap(), "\"hunter2\"");
        assert_eq!(Secret::<String>::new("k"), Secret::from("k".to_string()));
    }
}
