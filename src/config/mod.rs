//! config.toml: strict serde structs with defaults. Unknown keys and bad values are errors that
//! name the key and line (toml's span-aware errors); a missing file means defaults, said aloud.
pub mod check;
pub mod notify;
pub mod trigger;
pub use crate::config::notify::{HookConfig, HookDo, Pairs};
pub use crate::config::trigger::TriggerConfig;
use crate::core::{Action, ButtonActions, ButtonRule, Rules, Step, Threshold, TriggerRule};
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
}

/// `[capture]`: where Dash buttons are listened for.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    /// The network interface to sniff; None: the default route's interface.
    pub interface: Option<String>,
}

/// `[sonos]`: the room (found by SSDP) or the speaker's description URL, exactly one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSonos")]
pub struct SonosConfig {
    pub room: Option<String>,
    pub url: Option<String>,
    /// Where the event listener binds (default: all interfaces, a free port); the speaker
    /// must reach this address.
    pub callback_addr: Option<std::net::SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSonos {
    room: Option<String>,
    url: Option<String>,
    callback_addr: Option<std::net::SocketAddr>,
}

impl TryFrom<RawSonos> for SonosConfig {
    type Error = String;
    fn try_from(r: RawSonos) -> Result<Self, String> {
        match (&r.room, &r.url) {
            (Some(_), Some(_)) | (None, None) => {
                return Err("[sonos]: give exactly one of `room` and `url`".into());
            }
            (Some(room), None) if room.trim().is_empty() => {
                return Err("[sonos]: `room` must not be empty".into());
            }
            (None, Some(url)) if !url.starts_with("http://") => {
                return Err(format!(
                    "[sonos]: `url = \"{url}\"` must be like \"http://192.168.1.20:1400/xml/device_description.xml\""
                ));
            }
            _ => {}
        }
        Ok(SonosConfig {
            room: r.room,
            url: r.url,
            callback_addr: r.callback_addr,
        })
    }
}

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
        let limits = crate::http::HttpLimits::default();
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
    pub fn limits(&self) -> crate::http::HttpLimits {
        crate::http::HttpLimits {
            rate_limit: (self.rate_limit_per_sec > 0.0).then_some(crate::http::RateLimit {
                burst: self.rate_limit_burst.max(1),
                per_sec: self.rate_limit_per_sec,
            }),
            new_guests_per_hour: self.new_guests_per_hour,
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
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

/// One `[[button]]`: a Dash (mac), an AWS IoT button (serial) or a bt.tn web-link button (id).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "RawButton")]
pub struct ButtonConfig {
    pub name: String,
    pub mac: Option<String>,
    pub serial: Option<String>,
    pub id: Option<String>,
    pub actions: ButtonActions,
    pub debounce: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawButton {
    name: String,
    mac: Option<String>,
    serial: Option<String>,
    id: Option<String>,
    action: Option<Action>,
    sequence: Option<Vec<RawStep>>,
    single: Option<Action>,
    double: Option<Action>,
    long: Option<Action>,
    debounce_secs: Option<u64>,
}

impl TryFrom<RawButton> for ButtonConfig {
    type Error = String;
    fn try_from(r: RawButton) -> Result<Self, String> {
        if r.name.trim().is_empty() {
            return Err("button `name` must not be empty".into());
        }
        let by_click = r.single.is_some() || r.double.is_some() || r.long.is_some();
        let actions = match (r.action, r.sequence, by_click) {
            (Some(a), None, false) => ButtonActions::Always(a),
            (None, Some(seq), false) if !seq.is_empty() => {
                ButtonActions::Sequence(seq.into_iter().map(Step::from).collect())
            }
            (None, Some(_), false) => {
                return Err(format!(
                    "button `{}`: `sequence` must list at least one action",
                    r.name
                ));
            }
            (None, None, true) => ButtonActions::ByClick {
                single: r.single,
                double: r.double,
                long: r.long,
            },
            // Nothing said: the common IoT layout, which also makes a Dash (single only) a like.
            (None, None, false) => ButtonActions::ByClick {
                single: Some(Action::Like),
                double: Some(Action::Skip),
                long: Some(Action::Keep),
            },
            _ => {
                return Err(format!(
                    "button `{}`: use one of `action`, `sequence`, or `single`/`double`/`long`",
                    r.name
                ));
            }
        };
        if let Some(mac) = &r.mac {
            validate_mac(mac).map_err(|e| format!("button `{}`: {e}", r.name))?;
        }
        Ok(ButtonConfig {
            name: r.name,
            mac: r.mac.map(|m| m.to_ascii_lowercase()),
            serial: r.serial,
            id: r.id,
            actions,
            debounce: r.debounce_secs.map(Duration::from_secs),
        })
    }
}

/// A sequence step: `"like"`, or `{ action = "like", notify = ["chat"] }` (either part optional).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawStep {
    Action(Action),
    Step {
        action: Option<Action>,
        #[serde(default)]
        notify: Vec<String>,
    },
}

impl From<RawStep> for Step {
    fn from(r: RawStep) -> Step {
        match r {
            RawStep::Action(a) => Step::from(a),
            RawStep::Step { action, notify } => Step { action, notify },
        }
    }
}

fn validate_mac(mac: &str) -> Result<(), String> {
    let parts: Vec<&str> = mac.split(':').collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`mac = \"{mac}\"` is not a MAC address like \"68:37:e9:12:34:56\""
        ))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Simulated guests pressing like and skip.
    pub guests: u32,
    /// Average seconds (party time) between two simulated presses.
    pub press_interval_secs: f64,
}

impl DemoConfig {
    /// The interval as a duration: at least 0.1 s, and a day when the value is not finite
    /// (`inf` and `nan` are valid TOML floats; `Duration::from_secs_f64` panics on them).
    pub fn press_interval(&self) -> Duration {
        const SHORTEST: f64 = 0.1;
        const LONGEST: f64 = 86_400.0;
        let secs = self.press_interval_secs;
        Duration::from_secs_f64(if secs.is_nan() {
            LONGEST
        } else {
            secs.clamp(SHORTEST, LONGEST)
        })
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            guests: 12,
            press_interval_secs: 4.0,
        }
    }
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, toml::de::Error> {
        let cfg: Config = toml::from_str(text)?;
        cfg.check_names()
            .map_err(<toml::de::Error as serde::de::Error>::custom)?;
        Ok(cfg)
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

/// Load from `--config PATH` (must exist) or the default path (may be missing).
pub fn load(explicit: Option<&Path>) -> Result<(Config, ConfigSource)> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (crate::support::paths::default_config_file()?, false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let cfg = Config::parse(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {}",
                    path.display(),
                    crate::config::check::explain(&text, &e)
                )
            })?;
            cfg.check_env(&|k| std::env::var(k).ok())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let problems = crate::config::check::problems(&cfg);
            if !problems.is_empty() {
                anyhow::bail!("{}: {}", path.display(), problems.join("; "));
            }
            Ok((cfg, ConfigSource::File(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok((Config::default(), ConfigSource::Defaults(path)))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read config {}", path.display())),
    }
}
