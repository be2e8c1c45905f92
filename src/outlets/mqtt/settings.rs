//! `[mqtt]` (Home Assistant, any broker) and `[cumulocity]` in config.toml. Strict like the rest
//! of the config; passwords have their own type whose Debug never shows them, and come from the
//! file or from PARTY_TUI_MQTT_PASSWORD / PARTY_TUI_C8Y_PASSWORD (the environment wins).
use crate::support::env::Env;
use serde::Deserialize;
use std::path::PathBuf;

pub(crate) const MQTT_PASSWORD_ENV: &str = "PARTY_TUI_MQTT_PASSWORD";
pub(crate) const C8Y_PASSWORD_ENV: &str = "PARTY_TUI_C8Y_PASSWORD";

/// The broker password: never in a log line (`Debug` is redacted by the type).
pub type Password = crate::support::secret::Secret<String>;

/// `[mqtt]`: Home Assistant discovery, states, events and commands over any MQTT broker.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://host:1883` or `mqtts://host:8883`.
    pub url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Password>,
    /// Default `party-tui-<hostname>`.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default = "default_topic_prefix")]
    pub topic_prefix: String,
    #[serde(default = "default_discovery_prefix")]
    pub discovery_prefix: String,
    /// false: publish only, no Skip/Keep/Reset buttons, switch or number.
    #[serde(default = "yes")]
    pub commands: bool,
    /// A PEM file with the CA that signed the broker's certificate (else the system's roots).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// `[cumulocity]`: the party as a Cumulocity IoT device, each button a child device.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CumulocityConfig {
    /// `mqtts://<tenant domain>:8883` or `mqtt://…:1883`.
    pub url: String,
    pub tenant: String,
    pub user: String,
    #[serde(default)]
    pub password: Option<Password>,
    /// The device's external id (`c8y_Serial`); default `party-tui-<hostname>`.
    #[serde(default)]
    pub device_id: Option<String>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_topic_prefix() -> String {
    "party-tui".into()
}
fn default_discovery_prefix() -> String {
    "homeassistant".into()
}
fn yes() -> bool {
    true
}

/// Where a broker is, from its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl Broker {
    pub(crate) fn parse(key: &str, url: &str) -> Result<Broker, String> {
        let bad = || {
            format!("{key} = \"{url}\" must be like \"mqtt://host:1883\" or \"mqtts://host:8883\"")
        };
        let (tls, rest) = match url.split_once("://") {
            Some(("mqtt" | "tcp", rest)) => (false, rest),
            Some(("mqtts" | "ssl", rest)) => (true, rest),
            _ => return Err(bad()),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') || rest.contains('@') || rest.is_empty() {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h, p.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (rest, if tls { 8883 } else { 1883 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Broker {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

/// `party-tui-<hostname>`, reduced to the characters every id here allows (`[a-zA-Z0-9_-]`).
pub(crate) fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = safe_id(host.trim());
    if host.is_empty() {
        "party-tui".into()
    } else {
        format!("party-tui-{host}")
    }
}

/// Keep `[a-zA-Z0-9_-]`, turn everything else into `_` (HA topics, Cumulocity ids).
pub(crate) fn safe_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl MqttConfig {
    pub fn broker(&self) -> Result<Broker, String> {
        Broker::parse("[mqtt] url", &self.url)
    }
    pub fn password(&self, env: Option<String>) -> Option<Password> {
        env.filter(|p| !p.is_empty())
            .map(Password::new)
            .or_else(|| self.password.clone())
    }
    pub(crate) fn client_id(&self) -> String {
        self.client_id.clone().unwrap_or_else(default_id)
    }
    /// Config loading: every check, and the password read once (the environment wins).
    pub(crate) fn resolve(&mut self, env: Env<'_>) -> Result<(), String> {
        self.validate()?;
        self.password = self.password(env(MQTT_PASSWORD_ENV));
        Ok(())
    }
    /// Checks what serde cannot: topic prefixes without wildcards.
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.broker()?;
        for (key, v) in [
            ("topic_prefix", &self.topic_prefix),
            ("discovery_prefix", &self.discovery_prefix),
        ] {
            if v.is_empty() || v.contains(['#', '+']) || v.starts_with('/') || v.ends_with('/') {
                return Err(format!(
                    "[mqtt] {key} = \"{v}\" must be a topic without wildcards or outer slashes"
                ));
            }
        }
        Ok(())
    }
}

impl CumulocityConfig {
    pub fn broker(&self) -> Result<Broker, String> {
        Broker::parse("[cumulocity] url", &self.url)
    }
    pub fn password(&self, env: Option<String>) -> Option<Password> {
        env.filter(|p| !p.is_empty())
            .map(Password::new)
            .or_else(|| self.password.clone())
    }
    /// Config loading: every check, and the password read once (the environment wins).
    pub(crate) fn resolve(&mut self, env: Env<'_>) -> Result<(), String> {
        self.validate()?;
        self.password = self.password(env(C8Y_PASSWORD_ENV));
        Ok(())
    }
    pub(crate) fn device_id(&self) -> String {
        self.device_id.clone().unwrap_or_else(default_id)
    }
    /// `<tenant>/<user>`, as Cumulocity wants the MQTT username.
    pub fn username(&self) -> String {
        format!("{}/{}", self.tenant, self.user)
    }
    pub(crate) fn validate(&self) -> Result<(), String> {
        self.broker()?;
        let id = self.device_id();
        // ':' separates the fields of a Cumulocity client id.
        if id.is_empty() || id.contains([':', '/', '#', '+']) {
            return Err(format!(
                "[cumulocity] device_id = \"{id}\" must not be empty or hold ':', '/', '#', '+'"
            ));
        }
        if self.tenant.is_empty() || self.user.is_empty() {
            return Err("[cumulocity] `tenant` and `user` must not be empty".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let b = |u| Broker::parse("[mqtt] url", u);
        assert_eq!(
            b("mqtt://homeassistant.local:1883").unwrap(),
            Broker {
                host: "homeassistant.local".into(),
                port: 1883,
                tls: false
            }
        );
        assert_eq!(b("mqtts://t1.example.com").unwrap().port, 8883);
        assert!(b("mqtts://t1.example.com").unwrap().tls);
        assert_eq!(b("mqtt://127.0.0.1:42/").unwrap().port, 42);
        assert_eq!(b("mqtt://[::1]:1884").unwrap().host, "::1");
        for bad in [
            "http://x:1",
            "mqtt://",
            "mqtt://x:notaport",
            "x:1883",
            "mqtt://u:p@x:1",
        ] {
            let e = b(bad).unwrap_err();
            assert!(e.contains("[mqtt] url"), "{e}");
        }
    }

    #[test]
    fn env_password_wins_and_debug_hides_it() {
        let cfg: MqttConfig = toml::from_str("url = \"mqtt://x\"\npassword = \"hunter2\"").unwrap();
        assert_eq!(cfg.password(None).unwrap().expose(), "hunter2");
        assert_eq!(cfg.password(Some("env".into())).unwrap().expose(), "env");
        assert!(!format!("{cfg:?}").contains("hunter2"));
        assert_eq!(cfg.topic_prefix, "party-tui");
        assert_eq!(cfg.discovery_prefix, "homeassistant");
        assert!(cfg.commands);
    }

    #[test]
    fn unknown_keys_name_the_key() {
        let e = toml::from_str::<CumulocityConfig>(
            "url = \"mqtts://x\"\ntenant = \"t1\"\nuser = \"u\"\ndevcie_id = \"a\"",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("devcie_id"), "{e}");
    }

    #[test]
    fn ids_are_checked() {
        let c: CumulocityConfig = toml::from_str(
            "url = \"mqtt://x\"\ntenant = \"t1\"\nuser = \"u\"\ndevice_id = \"a:b\"",
        )
        .unwrap();
        assert!(c.validate().unwrap_err().contains("device_id"));
        assert_eq!(c.username(), "t1/u");
        assert_eq!(safe_id("pi.local:1"), "pi_local_1");
    }
}
