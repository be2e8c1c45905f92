//! `[[button]]` and `[capture]` of config.toml: which buttons the party has, what each press
//! means, and where Dash buttons are listened for. A leaf: serde, std and core only.
use crate::core::{Action, ButtonActions, Step};
use serde::Deserialize;
use std::time::Duration;

/// `[capture]`: where Dash buttons are listened for.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureConfig {
    /// The network interface to sniff; None: the default route's interface.
    pub interface: Option<String>,
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
