//! config.toml: the sections, each typed beside the part that uses it, read strictly (unknown
//! keys and bad values are errors that name the key and line); then one check step
//! (`resolve`) reads the environment once and refuses what an adapter would refuse at start.
//! A missing file means defaults, said aloud. Only `cmd` and `app` see the whole `Config`.
pub(crate) mod check;
pub(crate) mod error;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod load_tests;
pub(crate) mod resolve;

pub use error::ConfigError;

use crate::buttons::{ButtonConfig, CaptureConfig};
use crate::core::{ButtonRule, Rules, Threshold, TriggerRule};
use crate::http::{HookConfig, HttpConfig};
use crate::outlets::TriggerConfig;
use crate::players::demo::DemoConfig;
use crate::players::sonos::SonosConfig;
use crate::support::env::Env;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub party: PartyConfig,
    #[serde(rename = "button")]
    pub buttons: Vec<ButtonConfig>,
    #[serde(rename = "trigger")]
    pub triggers: Vec<TriggerConfig>,
    /// `[[hook]]`: rule triggers coming in (`POST /hooks/{name}`).
    #[serde(rename = "hook")]
    pub hooks: Vec<HookConfig>,
    pub demo: DemoConfig,
    pub http: HttpConfig,
    /// `[spotify]` present: Spotify is the player.
    pub spotify: Option<crate::players::spotify::SpotifyConfig>,
    pub capture: CaptureConfig,
    /// `[sonos]`: when present, Sonos is the player.
    pub sonos: Option<SonosConfig>,
    /// `[export]`: the events API; absent means no export.
    pub export: Option<crate::outlets::ExportConfig>,
    /// `[mqtt]`: Home Assistant over any MQTT broker; absent means none.
    pub mqtt: Option<crate::outlets::mqtt::MqttConfig>,
    /// `[cumulocity]`: Cumulocity IoT over MQTT (SmartREST 2.0); absent means none.
    pub cumulocity: Option<crate::outlets::mqtt::CumulocityConfig>,
    /// `[requests]`: guests' song requests.
    pub requests: crate::requests::RequestsConfig,
    /// Not a section: Spotify's defaults with $SPOTIFY_CLIENT_ID, read by `resolve`
    /// (see `spotify_or_default`).
    #[serde(skip)]
    spotify_defaults: crate::players::spotify::SpotifyConfig,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartyConfig {
    /// What guests see as the party's name (default: the journal's date-time name).
    pub name: Option<String>,
    pub skip_threshold: Threshold,
    pub skip_threshold_min: u32,
    pub active_voter_minutes: u64,
    pub skip_margin: Option<u32>,
    pub vote_window_secs: u64,
    pub debounce_secs: u64,
    pub sequence_window_secs: u64,
    pub protected_artists: Vec<String>,
    pub protected_tracks: Vec<String>,
}

impl Default for PartyConfig {
    fn default() -> Self {
        let r = Rules::default();
        PartyConfig {
            name: None,
            skip_threshold: r.skip_threshold,
            skip_threshold_min: r.skip_threshold_min,
            active_voter_minutes: r.active_window.as_secs() / 60,
            skip_margin: r.skip_margin,
            vote_window_secs: r.vote_window.as_secs(),
            debounce_secs: r.debounce.as_secs(),
            sequence_window_secs: r.sequence_window.as_secs(),
            protected_artists: Vec::new(),
            protected_tracks: Vec::new(),
        }
    }
}

impl Config {
    /// The text as serde reads it, plus the names that point elsewhere; no environment and no
    /// adapter checks (`from_toml` adds those).
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        let cfg: Config = toml::from_str(text)?;
        cfg.check_names()
            .map_err(<toml::de::Error as serde::de::Error>::custom)?;
        Ok(cfg)
    }

    /// The one path every configuration takes (`load`, so `check-config` and the party):
    /// parse, read the environment once, refuse what an adapter would refuse, then the
    /// mistakes that parse but spoil a party. The error names the key, its line and the form.
    pub fn from_toml(text: &str, env: Env<'_>) -> Result<Config, ConfigError> {
        let (cfg, refused) = Config::from_toml_refusing(text, env, |_| true)?;
        debug_assert!(refused.is_empty());
        Ok(cfg)
    }

    /// `from_toml` for the commands that run no party (`report`, `host-link`, `spotify
    /// login`, `doctor`, …): they never use the export, MQTT or Spotify settings, so what an
    /// adapter would refuse there comes back as sentences to show, not as an error. Triggers
    /// and hooks are refused as they always were (their `${NAME}`s are read at load).
    pub(crate) fn from_toml_for_tool(
        text: &str,
        env: Env<'_>,
    ) -> Result<(Config, Vec<ConfigError>), ConfigError> {
        let (cfg, refused) =
            Config::from_toml_refusing(text, env, |r| matches!(r.section, "trigger" | "hook"))?;
        let said = refused
            .iter()
            .map(|r| ConfigError::refused(text, std::slice::from_ref(r)))
            .collect();
        Ok((cfg, said))
    }

    /// Parse, resolve, check; the refusals `fatal` picks are the error, the rest come back.
    fn from_toml_refusing(
        text: &str,
        env: Env<'_>,
        fatal: impl Fn(&resolve::Refusal) -> bool,
    ) -> Result<(Config, Vec<resolve::Refusal>), ConfigError> {
        let mut cfg = Config::parse(text).map_err(|e| ConfigError::parse(text, &e))?;
        let (refused, kept): (Vec<_>, Vec<_>) = cfg.resolve(env).into_iter().partition(fatal);
        if !refused.is_empty() {
            return Err(ConfigError::refused(text, &refused));
        }
        let problems = check::problems(&cfg);
        if !problems.is_empty() {
            return Err(ConfigError::problems(problems));
        }
        Ok((cfg, kept))
    }

    /// The engine's rules from `[party]`, `[[button]]` and `[[trigger]]`.
    pub fn rules(&self) -> Rules {
        let p = &self.party;
        Rules {
            skip_threshold: p.skip_threshold,
            skip_threshold_min: p.skip_threshold_min,
            // saturating: a huge value (found by fuzzing) overflowed and panicked.
            active_window: Duration::from_secs(p.active_voter_minutes.saturating_mul(60)),
            skip_margin: p.skip_margin,
            vote_window: Duration::from_secs(p.vote_window_secs),
            debounce: Duration::from_secs(p.debounce_secs),
            sequence_window: Duration::from_secs(p.sequence_window_secs),
            protected_artists: p.protected_artists.clone(),
            protected_tracks: p.protected_tracks.clone(),
            buttons: self
                .buttons
                .iter()
                .map(|b| ButtonRule {
                    name: b.name.clone(),
                    actions: b.actions.clone(),
                    debounce: b.debounce,
                })
                .collect(),
            triggers: self
                .triggers
                .iter()
                .map(|t| TriggerRule {
                    name: t.name.clone(),
                    when: t.when.clone(),
                })
                .collect(),
            requests: self.requests.rules(),
        }
    }
}

/// Where the configuration came from, so the user is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    /// No file at the default path: built-in defaults.
    Defaults(PathBuf),
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(p) => write!(f, "config from {}", p.display()),
            ConfigSource::Defaults(p) => {
                write!(f, "no config at {}: using built-in defaults", p.display())
            }
        }
    }
}

/// Load from `--config PATH` (must exist) or the default path (may be missing), reading the
/// process environment.
pub fn load(explicit: Option<&Path>) -> Result<(Config, ConfigSource)> {
    load_with(explicit, &crate::support::env::process_env)
}

/// `load` for a command that runs no party: the settings only a running party uses
/// (export, MQTT, Cumulocity, Spotify's player) may be unusable here, as on a machine whose
/// secrets only systemd's environment file holds; what is wrong with them comes back as
/// sentences for the command to show.
pub fn load_for_tool(explicit: Option<&Path>) -> Result<(Config, ConfigSource, Vec<String>)> {
    let env = &crate::support::env::process_env;
    let (path, _) = config_path(explicit)?;
    let Ok(text) = std::fs::read_to_string(&path) else {
        // Missing or unreadable: as `load` says it.
        return load_with(explicit, env).map(|(cfg, source)| (cfg, source, Vec::new()));
    };
    let (cfg, said) = Config::from_toml_for_tool(&text, env).map_err(|e| e.in_file(&path))?;
    let said = said
        .into_iter()
        .map(|e| e.in_file(&path).to_string())
        .collect();
    Ok((cfg, ConfigSource::File(path), said))
}

fn config_path(explicit: Option<&Path>) -> Result<(PathBuf, bool)> {
    Ok(match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (crate::support::paths::default_config_file()?, false),
    })
}

/// `load` with the environment given: the only place a configuration meets it.
pub(crate) fn load_with(explicit: Option<&Path>, env: Env<'_>) -> Result<(Config, ConfigSource)> {
    let (path, required) = config_path(explicit)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let cfg = Config::from_toml(&text, env).map_err(|e| e.in_file(&path))?;
            Ok((cfg, ConfigSource::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            let mut cfg = Config::default();
            // The defaults name no secret and refuse nothing; this reads $SPOTIFY_CLIENT_ID.
            let refused = cfg.resolve(env);
            debug_assert!(refused.is_empty(), "{refused:?}");
            Ok((cfg, ConfigSource::Defaults(path)))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read config {}", path.display())),
    }
}
