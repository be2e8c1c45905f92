//! `[requests]` in config.toml.
use crate::core::requests::{self, Approval, RequestRules};
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestsConfig {
    pub enabled: bool,
    /// Requests one guest may have waiting at once.
    pub open_per_guest: u32,
    /// Requests waiting for everyone at once.
    pub queue_length: u32,
    /// No repeat of a track requested or played this many minutes ago (0: not again tonight).
    pub repeat_minutes: u64,
    pub approval: Approval,
    /// Requests that have not played after this many minutes expire (0: never).
    pub expire_minutes: u64,
    /// Searches one guest may make per minute.
    pub searches_per_minute: u32,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        RequestsConfig {
            enabled: true,
            open_per_guest: requests::DEFAULT_OPEN_PER_GUEST,
            queue_length: requests::DEFAULT_QUEUE_LENGTH,
            repeat_minutes: requests::DEFAULT_REPEAT.as_secs() / 60,
            approval: Approval::Auto,
            expire_minutes: requests::DEFAULT_EXPIRE.as_secs() / 60,
            searches_per_minute: super::search::DEFAULT_SEARCHES_PER_MINUTE,
        }
    }
}

impl RequestsConfig {
    pub(crate) fn rules(&self) -> RequestRules {
        RequestRules {
            enabled: self.enabled,
            open_per_guest: self.open_per_guest,
            queue_length: self.queue_length,
            repeat: Duration::from_secs(self.repeat_minutes * 60),
            approval: self.approval,
            expire: Duration::from_secs(self.expire_minutes * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn requests_section_parses_and_typos_name_the_key() {
        let cfg = Config::parse(
            "[requests]\napproval = \"host\"\nopen_per_guest = 2\nrepeat_minutes = 0\n",
        )
        .unwrap();
        let r = cfg.rules().requests;
        assert_eq!(r.approval, crate::core::Approval::Host);
        assert_eq!(r.open_per_guest, 2);
        assert!(r.repeat.is_zero());
        let err = Config::parse("[requests]\napprovel = \"host\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("approvel"), "{err}");
        let err = Config::parse("[requests]\napproval = \"guests\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("guests") && err.contains("auto"), "{err}");
    }
}
