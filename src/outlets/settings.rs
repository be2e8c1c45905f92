//! `[export]` in config.toml: where events go, how they are shaped, how often they are flushed.
//! The API key is a secret: it has its own type whose Debug never shows it.
use crate::support::env::Env;
use serde::Deserialize;
use std::time::Duration;

/// Environment variable that supplies (and overrides) `[export] api_key`.
pub(crate) const API_KEY_ENV: &str = "PARTY_TUI_EXPORT_API_KEY";
/// How often a batch goes out at most, unless it is full (`flush_interval_secs`).
pub(crate) const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);

/// A secret that must never reach a log, the dashboard or an error message.
pub type ApiKey = crate::support::secret::Secret<String>;

/// How `metadata` is sent: a JSON object, or a list of `{key, value}` pairs (some deployments).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataFormat {
    #[default]
    Map,
    List,
}

/// The JSON field names of an event, overridable per deployment (`[export.fields]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldNames {
    pub member_ref_id: String,
    pub action: String,
    pub entity_ref_id: String,
    pub source_value: String,
    pub transaction_timestamp: String,
    /// Where the stable event id goes: `batchId` by default, or e.g. `relatesToExternal`.
    pub event_id: String,
    pub metadata: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            member_ref_id: "memberRefId".into(),
            action: "action".into(),
            entity_ref_id: "entityRefId".into(),
            source_value: "sourceValue".into(),
            transaction_timestamp: "transactionTimestamp".into(),
            event_id: "batchId".into(),
            metadata: "metadata".into(),
        }
    }
}

/// `Debug` is derived: the key inside is a `Secret`, so printing the whole config is safe.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// e.g. "https://app.competitionlabs.com" (no trailing /api).
    pub base_url: String,
    pub space: String,
    #[serde(default)]
    pub api_key: Option<ApiKey>,
    #[serde(default)]
    pub metadata_format: MetadataFormat,
    #[serde(default = "default_flush_secs")]
    pub flush_interval_secs: f64,
    #[serde(default)]
    pub fields: FieldNames,
}

fn default_flush_secs() -> f64 {
    DEFAULT_FLUSH_INTERVAL.as_secs_f64()
}

impl ExportConfig {
    /// `POST {base_url}/api/{space}/events`.
    pub fn events_url(&self) -> String {
        format!(
            "{}/api/{}/events",
            self.base_url.trim_end_matches('/'),
            self.space
        )
    }

    pub fn flush_interval(&self) -> Duration {
        // A zero or negative interval would spin; 10 ms is plenty fast for a flush. `nan` is a
        // valid TOML float that clamp keeps, and Duration::from_secs_f64 panics on it.
        let secs = self.flush_interval_secs;
        Duration::from_secs_f64(if secs.is_nan() {
            1.0
        } else {
            secs.clamp(0.01, 3600.0)
        })
    }

    /// The key from the environment, else from the file.
    pub(crate) fn resolve_api_key(&self, env: Option<String>) -> Option<ApiKey> {
        env.filter(|k| !k.trim().is_empty())
            .map(ApiKey::new)
            .or_else(|| self.api_key.clone())
    }

    /// Config loading: every check, and the key read once (the environment wins over the file),
    /// so the exporter is handed the key it sends and a missing one stops `check-config`.
    pub(crate) fn resolve(&mut self, env: Env<'_>) -> Result<(), String> {
        self.validate()?;
        self.api_key = self.resolve_api_key(env(API_KEY_ENV));
        match &self.api_key {
            // It goes in a header: the exporter would refuse it at its first send.
            Some(k)
                if !k
                    .expose()
                    .bytes()
                    .all(|b| b == b'\t' || (0x20..0x7f).contains(&b)) =>
            {
                Err("[export] api_key: the API key holds characters a header cannot carry".into())
            }
            Some(_) => Ok(()),
            None => Err(format!("no API key: set [export] api_key or {API_KEY_ENV}")),
        }
    }

    /// Problems a user must fix before anything can be sent, quoting the bad value.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(format!(
                "[export] base_url = \"{}\" must start with http:// or https://",
                self.base_url
            ));
        }
        if self.space.trim().is_empty() || self.space.contains('/') {
            return Err(format!(
                "[export] space = \"{}\" must be a non-empty name without '/'",
                self.space
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let cfg: ExportConfig = toml::from_str(
            "base_url = \"http://127.0.0.1:1\"\nspace = \"s\"\napi_key = \"sekrit-123\"",
        )
        .unwrap();
        let shown = format!("{cfg:?} {:?}", cfg.api_key);
        assert!(!shown.contains("sekrit"), "{shown}");
        assert_eq!(cfg.events_url(), "http://127.0.0.1:1/api/s/events");
        assert_eq!(cfg.flush_interval(), DEFAULT_FLUSH_INTERVAL);
        assert_eq!(cfg.fields, FieldNames::default());
    }

    #[test]
    fn env_key_wins_over_file_key() {
        let cfg: ExportConfig =
            toml::from_str("base_url = \"http://x\"\nspace = \"s\"\napi_key = \"file\"").unwrap();
        assert_eq!(
            cfg.resolve_api_key(Some("env".into())).unwrap().expose(),
            "env"
        );
        assert_eq!(cfg.resolve_api_key(None).unwrap().expose(), "file");
        assert_eq!(
            cfg.resolve_api_key(Some(" ".into())).unwrap().expose(),
            "file"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = toml::from_str::<ExportConfig>("base_url = \"x\"\nspace = \"s\"\ncolour = 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
        let cfg: ExportConfig = toml::from_str("base_url = \"ftp://x\"\nspace = \"s\"").unwrap();
        assert!(cfg.validate().unwrap_err().contains("ftp://x"));
        let e = toml::from_str::<ExportConfig>(
            "base_url = \"http://x\"\nspace = \"s\"\nmetadata_format = \"table\"",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("table"), "{e}");
    }
}
