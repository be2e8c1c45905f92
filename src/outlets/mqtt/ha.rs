//! Pure: Home Assistant MQTT discovery for the party. The snapshot in, `(topic, payload,
//! retain, qos)` out: the discovery configs (retained), the entities' last-value states
//! (retained, rebuilt from the current snapshot on every connect and HA birth) and, from the
//! journal, one event message per press on the button's `event` entity (never retained).
//! Topics follow HA's discovery regex: ids are `[a-zA-Z0-9_-]+` (a MAC without colons).
use super::Message;
use super::settings::safe_id;
use crate::buttons::ButtonConfig;
use crate::core::{
    CommandKind, Effect, HostCommand, Origin, PressResult, Snapshot, Threshold, WindowState,
};
use crate::journal::Entry;
use crate::outlets::mapping::event_id;
use serde_json::{Value, json};

/// What a press can be on an `event` entity.
pub(crate) const EVENT_TYPES: [&str; 6] = ["like", "skip", "keep", "ignore", "debounced", "press"];
/// HA keeps at most 255 characters of a state.
const MAX_STATE: usize = 255;
/// The skip threshold's range on the number entity.
const THRESHOLD_MAX: u32 = 50;

/// The names everything is derived from.
#[derive(Clone, Debug)]
pub struct Ha {
    /// Node id: the client id as a topic segment (`party-tui-pi`).
    pub node: String,
    /// `<topic_prefix>/<node>`: where states, events and commands live.
    pub base: String,
    pub discovery_prefix: String,
    pub commands: bool,
    /// (object id suffix, display name) of every configured button.
    pub buttons: Vec<(String, String)>,
}

/// A button's id in topics and in Cumulocity: MAC (lower case, no colons), serial, bt.tn id,
/// else its name, reduced to `[a-zA-Z0-9_-]`.
pub fn button_id(b: &ButtonConfig) -> String {
    let raw = match (&b.mac, &b.serial, &b.id) {
        (Some(mac), _, _) => mac.replace(':', "").to_ascii_lowercase(),
        (None, Some(serial), _) => serial.clone(),
        (None, None, Some(id)) => id.clone(),
        _ => b.name.clone(),
    };
    safe_id(&raw)
}

impl Ha {
    pub fn new(
        client_id: &str,
        topic_prefix: &str,
        discovery_prefix: &str,
        commands: bool,
        buttons: &[ButtonConfig],
    ) -> Ha {
        let node = safe_id(client_id);
        Ha {
            base: format!("{topic_prefix}/{node}"),
            node,
            discovery_prefix: discovery_prefix.to_string(),
            commands,
            buttons: buttons
                .iter()
                .map(|b| (button_id(b), b.name.clone()))
                .collect(),
        }
    }

    pub(crate) fn availability_topic(&self) -> String {
        format!("{}/availability", self.base)
    }
    /// HA's birth and will (`online` / `offline`).
    pub fn status_topic(&self) -> String {
        format!("{}/status", self.discovery_prefix)
    }
    pub fn config_topic(&self, component: &str, object: &str) -> String {
        format!(
            "{}/{component}/{}/{object}/config",
            self.discovery_prefix, self.node
        )
    }
    /// Every config topic of this node (to find ones left from removed buttons).
    pub(crate) fn own_configs_filter(&self) -> String {
        format!("{}/+/{}/+/config", self.discovery_prefix, self.node)
    }
    fn topic(&self, leaf: &str) -> String {
        format!("{}/{leaf}", self.base)
    }
    /// One of ours under `cmd/` (while commands are on): what arrives there must be fresh.
    pub(crate) fn is_command_topic(&self, topic: &str) -> bool {
        self.commands
            && topic
                .strip_prefix(&self.base)
                .is_some_and(|rest| rest.starts_with("/cmd/"))
    }
    pub(crate) fn command_topics(&self) -> Vec<String> {
        if !self.commands {
            return Vec::new();
        }
        vec![self.topic("cmd/#")]
    }

    /// The retained availability message and this connection's will.
    pub(crate) fn availability(&self, online: bool) -> Message {
        let payload = if online { "online" } else { "offline" };
        Message::retained(self.availability_topic(), payload)
    }

    fn device(&self) -> Value {
        json!({
            "identifiers": [self.node],
            "name": "party-tui",
            "manufacturer": "party-tui",
            "model": "party-tui",
            "sw_version": env!("CARGO_PKG_VERSION"),
        })
    }

    /// One entity's config: the common keys plus `extra`.
    fn entity(&self, component: &str, object: &str, name: &str, extra: Value) -> Message {
        let unique = format!("{}_{object}", self.node);
        let mut cfg = json!({
            "name": name,
            "unique_id": unique,
            "default_entity_id": format!("{component}.{}", unique.replace('-', "_").to_ascii_lowercase()),
            "availability_topic": self.availability_topic(),
            "device": self.device(),
            "origin": { "name": "party-tui", "sw_version": env!("CARGO_PKG_VERSION") },
        });
        if let (Some(obj), Value::Object(more)) = (cfg.as_object_mut(), extra) {
            obj.extend(more);
        }
        Message::retained(self.config_topic(component, object), cfg.to_string())
    }

    /// Every discovery config, for the configured buttons and the ones that report a battery.
    pub fn configs(&self, snap: &Snapshot) -> Vec<Message> {
        let mut out = vec![
            self.entity("sensor", "now_playing", "Now playing", json!({
                "state_topic": self.topic("now_playing"),
                "json_attributes_topic": self.topic("now_playing/attributes"),
                "icon": "mdi:music",
            })),
            self.entity("sensor", "likes", "Likes", json!({
                "state_topic": self.topic("likes"), "state_class": "measurement", "icon": "mdi:thumb-up",
            })),
            self.entity("sensor", "skip_votes", "Skip votes", json!({
                "state_topic": self.topic("skip_votes"),
                "json_attributes_topic": self.topic("skip_votes/attributes"),
                "state_class": "measurement", "icon": "mdi:thumb-down",
            })),
            self.entity("sensor", "skip_votes_needed", "Skip votes needed", json!({
                "state_topic": self.topic("skip_votes_needed"), "icon": "mdi:gavel",
            })),
            self.entity("sensor", "likes_tonight", "Likes tonight", json!({
                "state_topic": self.topic("likes_tonight"), "state_class": "total_increasing", "icon": "mdi:heart",
            })),
            self.entity("binary_sensor", "vote_window", "Vote window open", json!({
                "state_topic": self.topic("vote_window"), "icon": "mdi:timer-sand",
            })),
        ];
        if self.commands {
            out.push(self.entity(
                "switch",
                ha_object(CommandKind::PauseVoting),
                "Voting paused",
                json!({
                    "state_topic": self.topic(ha_object(CommandKind::PauseVoting)),
                    "command_topic": self.topic(&format!("cmd/{}", ha_object(CommandKind::PauseVoting))),
                    "icon": "mdi:pause-circle",
                }),
            ));
            out.push(self.entity(
                "number",
                ha_object(CommandKind::SetThreshold),
                "Skip threshold",
                json!({
                    "state_topic": self.topic(ha_object(CommandKind::SetThreshold)),
                    "command_topic": self.topic(&format!("cmd/{}", ha_object(CommandKind::SetThreshold))),
                    "min": 1, "max": THRESHOLD_MAX, "step": 1, "mode": "box",
                }),
            ));
            for (kind, name) in [
                (CommandKind::SkipNow, "Skip"),
                (CommandKind::Keep, "Keep"),
                (CommandKind::ResetVotes, "Reset votes"),
            ] {
                let object = ha_object(kind);
                out.push(self.entity(
                    "button",
                    object,
                    name,
                    json!({
                        "command_topic": self.topic(&format!("cmd/{object}")),
                        "payload_press": "PRESS",
                    }),
                ));
            }
        } else {
            out.push(self.entity(
                "binary_sensor",
                "voting_paused",
                "Voting paused",
                json!({
                    "state_topic": self.topic("voting_paused"),
                }),
            ));
        }
        let events = json!({ "event_types": EVENT_TYPES, "device_class": "button" });
        for (id, name) in &self.buttons {
            let mut extra = events.clone();
            extra["state_topic"] = json!(self.topic(&format!("event/{id}")));
            out.push(self.entity("event", &format!("button_{id}"), name, extra));
            if snap
                .buttons
                .iter()
                .any(|b| &b.name == name && b.battery.is_some())
            {
                out.push(self.entity("sensor", &format!("battery_{id}"), &format!("{name} battery"), json!({
                    "state_topic": self.topic(&format!("battery/{id}")),
                    "device_class": "battery", "unit_of_measurement": "%", "state_class": "measurement",
                })));
            }
        }
        let mut phones = events;
        phones["state_topic"] = json!(self.topic("event/phones"));
        out.push(self.entity("event", "phones", "Phones", phones));
        out
    }

    /// A retained config found on the broker that no longer belongs (a removed button):
    /// the empty retained message that removes it.
    pub fn stale(&self, topic: &str, snap: &Snapshot) -> Option<Message> {
        let wanted = self.configs(snap);
        let ours = topic.starts_with(&format!("{}/", self.discovery_prefix))
            && topic.contains(&format!("/{}/", self.node));
        let object = topic.rsplit('/').nth(1)?;
        let removable = object.starts_with("button_") || object.starts_with("battery_");
        (ours && removable && !wanted.iter().any(|m| m.topic == topic))
            .then(|| Message::retained(topic.to_string(), ""))
    }

    /// The last-value state of every entity (retained, so HA has it whenever it subscribes).
    pub(crate) fn states(&self, snap: &Snapshot) -> Vec<Message> {
        let v = &snap.votes;
        let on = |b: bool| if b { "ON" } else { "OFF" };
        let (playing, attrs) = match &snap.now_playing {
            Some(np) => {
                let t = &np.track;
                let text = if t.artist.is_empty() {
                    t.title.clone()
                } else {
                    format!("{} — {}", t.title, t.artist)
                };
                let attrs = json!({
                    "title": t.title, "artist": t.artist, "album": t.album,
                    "source": np.source.label(), "player": np.player, "state": np.state.label(),
                    "duration": t.duration_ms.map(|ms| ms / 1000),
                });
                (text, attrs)
            }
            None => ("nothing playing".to_string(), json!({})),
        };
        let threshold = match v.threshold {
            Threshold::Count(n) => n,
            Threshold::Percent(_) => v.needed,
        };
        let mut out = vec![
            (self.topic("now_playing"), truncate(&playing, MAX_STATE)),
            (self.topic("now_playing/attributes"), attrs.to_string()),
            (self.topic("likes"), v.likes.to_string()),
            (self.topic("skip_votes"), v.skips.to_string()),
            (
                self.topic("skip_votes/attributes"),
                json!({ "needed": v.needed }).to_string(),
            ),
            (self.topic("skip_votes_needed"), v.needed.to_string()),
            (self.topic("likes_tonight"), snap.totals.likes.to_string()),
            (
                self.topic("vote_window"),
                on(v.window == Some(WindowState::Open)).into(),
            ),
            (self.topic("voting_paused"), on(v.paused).into()),
        ];
        if self.commands {
            out.push((self.topic("skip_threshold"), threshold.to_string()));
        }
        for (id, name) in &self.buttons {
            if let Some(b) = snap.buttons.iter().find(|b| &b.name == name)
                && let Some(level) = b.battery
            {
                let pct = (level.clamp(0.0, 1.0) * 100.0).round() as u32;
                out.push((self.topic(&format!("battery/{id}")), pct.to_string()));
            }
        }
        out.into_iter()
            .map(|(t, p)| Message::retained(t, p))
            .collect()
    }

    /// Pure: the event messages of one journal line (presses by configured buttons and phones).
    pub fn events(&self, party: &str, entry: &Entry) -> Vec<Message> {
        let mut out = Vec::new();
        for (i, effect) in entry.effects.iter().enumerate() {
            let Effect::Press {
                voter,
                origin,
                click,
                action,
                result,
                likes,
                skips,
                battery,
                ..
            } = effect
            else {
                continue;
            };
            let target = match voter.button_name() {
                Some(name) => self
                    .buttons
                    .iter()
                    .find(|(_, n)| n == name)
                    .map(|(id, _)| id.as_str()),
                None if matches!(origin, Origin::Phone | Origin::Demo) => Some("phones"),
                None => None,
            };
            let Some(target) = target else { continue };
            let event_type = match (result, action) {
                (PressResult::Debounced, _) => "debounced",
                (_, Some(a)) => a.label(),
                (_, None) => "press",
            };
            let mut payload = json!({
                "event_type": event_type,
                "id": event_id(party, entry.seq, i),
                "outcome": result.label(),
                "origin": origin.label(),
                "likes": likes,
                "skips": skips,
            });
            if let Some(c) = click {
                payload["click"] = json!(c);
            }
            if let Some(b) = battery {
                payload["battery"] = json!(b);
            }
            if target == "phones" {
                payload["voter"] = json!(voter.to_string());
            }
            out.push(Message {
                topic: self.topic(&format!("event/{target}")),
                payload: payload.to_string(),
                retain: false,
                qos: 1,
            });
        }
        out
    }

    /// An incoming command, if `topic` is one of ours and the payload makes sense.
    pub fn command(&self, topic: &str, payload: &str) -> Option<Result<HostCommand, String>> {
        if !self.commands {
            return None;
        }
        let leaf = topic.strip_prefix(&format!("{}/cmd/", self.base))?;
        let p = payload.trim();
        // The entity names come from the one table (`core::command_names`).
        Some(match CommandKind::from_ha_object(leaf) {
            Some(CommandKind::SkipNow) => Ok(HostCommand::SkipNow),
            Some(CommandKind::Keep) => Ok(HostCommand::Keep(true)),
            Some(CommandKind::ResetVotes) => Ok(HostCommand::ResetVotes),
            Some(CommandKind::PauseVoting | CommandKind::ResumeVoting) => match p {
                "ON" => Ok(HostCommand::PauseVoting),
                "OFF" => Ok(HostCommand::ResumeVoting),
                _ => Err(format!("{leaf}: `{p}` is neither ON nor OFF")),
            },
            Some(CommandKind::SetThreshold) => match p.parse::<f64>() {
                Ok(n) if n.fract() == 0.0 && (1.0..=THRESHOLD_MAX as f64).contains(&n) => {
                    Ok(HostCommand::SetThreshold(Threshold::Count(n as u32)))
                }
                _ => Err(format!(
                    "{leaf}: `{p}` is not a whole number 1–{THRESHOLD_MAX}"
                )),
            },
            _ => Err(format!("unknown command topic `{leaf}`")),
        })
    }
}

/// The entity a command has on Home Assistant (its state and `cmd/` topics are named after it).
fn ha_object(kind: CommandKind) -> &'static str {
    kind.ha_object()
        .expect("commands offered on Home Assistant have an entity")
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
#[path = "ha_tests.rs"]
mod tests;
