//! Pure: a journal entry's effects → CompetitionLabs-style events, one event per effect.
//!
//! Every event has a stable id `"<party>:<seq>:<effect index>"`, sent in the `batchId` field
//! (override with `[export.fields] event_id = "relatesToExternal"`). The same journal line always
//! gives the same ids, so a receiver can drop the duplicates that at-least-once delivery after
//! a crash can cause.
//!
//! | effect          | memberRefId           | action                         | entityRefId     | sourceValue |
//! |-----------------|-----------------------|--------------------------------|-----------------|-------------|
//! | Play            | room / player name    | transport state (`playing`)    | track id, else title | 1      |
//! | Press           | button name, `guest:<id>`, `host` | like/skip/keep, else raw click (`SINGLE`) | track key | 1 |
//! | SkipDecided     | `party` (or `host`)   | `skipped`                      | track key       | skip votes  |
//! | WindowResult    | `party`               | `window_won` / `window_closed` | track key       | skip votes  |
//! | TrackFinished   | `party`               | `finished`                     | track key       | likes       |
//! | TriggerFired    | `party`               | `trigger`                      | track key       | likes       |
//! | Host            | `host`                | `host_command`                 | command name    | 1           |
//! | SkipFailed / TriggerFailed | `party`    | `skip_failed` / `trigger_failed` | track / trigger | 1       |
//! | RulesChanged    | `party`               | `rules_changed`                | `rules`         | rules changed |
use super::settings::{FieldNames, MetadataFormat};
use crate::core::{Effect, HostCommand, Timestamp, Track};
use crate::journal::Entry;
use serde_json::{Map, Value, json};

/// The member for events the party as a whole caused (skips, windows, triggers).
pub(crate) const PARTY_MEMBER: &str = "party";
/// The entity when nothing was playing.
pub(crate) const NO_TRACK: &str = "none";

/// One event before it is given field names.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: String,
    pub member_ref_id: String,
    pub action: String,
    pub entity_ref_id: String,
    pub source_value: i64,
    pub at: Timestamp,
    /// In a fixed order so request bodies are reproducible.
    pub metadata: Vec<(&'static str, Value)>,
}

pub(crate) fn event_id(party: &str, seq: u64, index: usize) -> String {
    format!("{party}:{seq}:{index}")
}

/// ISO 8601, UTC, milliseconds: `2018-04-02T18:21:07.123+00:00` (the recorded form).
pub(crate) fn iso_millis(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.as_millis())
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// All events of one journal line, in effect order.
pub(crate) fn events_of(party: &str, entry: &Entry) -> Vec<Event> {
    entry
        .effects
        .iter()
        .enumerate()
        .map(|(i, effect)| map_effect(event_id(party, entry.seq, i), entry.at, effect))
        .collect()
}

fn track_key(track: Option<&Track>) -> String {
    track.map_or_else(|| NO_TRACK.to_string(), |t| t.key())
}

/// "0:03:12", as the Sonos-era exporter sent track lengths.
fn hms(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn track_meta(track: &Track, meta: &mut Vec<(&'static str, Value)>) {
    meta.push(("title", json!(track.title)));
    meta.push(("artist", json!(track.artist)));
    meta.push(("album", json!(track.album)));
    if let Some(ms) = track.duration_ms {
        meta.push(("track_length", json!(hms(ms))));
    }
}

/// The action's name from the one table (`core::command_names`), its value here.
fn host_command_name(cmd: &HostCommand) -> (&'static str, Value) {
    let value = match cmd {
        HostCommand::Keep(on) => json!(on),
        HostCommand::SetThreshold(t) => json!(t.to_string()),
        HostCommand::SetWindow(secs) => json!(secs),
        HostCommand::ApproveRequest(id) | HostCommand::RejectRequest(id) => json!(id),
        HostCommand::SkipNow
        | HostCommand::ResetVotes
        | HostCommand::PauseVoting
        | HostCommand::ResumeVoting
        | HostCommand::PlayPrevious => Value::Null,
    };
    (cmd.kind().action(), value)
}

pub fn map_effect(id: String, at: Timestamp, effect: &Effect) -> Event {
    let mut meta = Vec::new();
    let (member, action, entity, value): (String, String, String, i64) = match effect {
        Effect::Play {
            source,
            player,
            state,
            track,
            new_track,
        } => {
            if let Some(t) = track {
                track_meta(t, &mut meta);
            }
            meta.push(("source", json!(source)));
            meta.push(("new_track", json!(new_track)));
            // The track id where the source has one, else its title (as the seed did).
            let entity = match track {
                Some(t) => {
                    t.id.clone()
                        .filter(|id| !id.is_empty())
                        .unwrap_or(t.title.clone())
                }
                None => NO_TRACK.into(),
            };
            (player.clone(), json_label(state), entity, 1)
        }
        Effect::Press {
            voter,
            origin,
            click,
            action,
            result,
            track,
            likes,
            skips,
            battery,
        } => {
            meta.push(("origin", json!(origin)));
            if let Some(name) = voter.button_name() {
                meta.push(("button", json!(name)));
            }
            if let Some(c) = click {
                meta.push(("click", json!(c)));
            }
            if let Some(b) = battery {
                meta.push(("battery", json!(b)));
            }
            meta.push(("outcome", json!(result)));
            meta.push(("likes", json!(likes)));
            meta.push(("skips", json!(skips)));
            let member = voter.button_name().unwrap_or(&voter.0).to_string();
            let act = match (action, click) {
                (Some(a), _) => a.label().to_string(),
                (None, Some(c)) => json_label(c),
                (None, None) => "press".into(),
            };
            let entity = track.clone().unwrap_or_else(|| NO_TRACK.into());
            (member, act, entity, 1)
        }
        Effect::SkipDecided {
            track,
            title,
            likes,
            skips,
            needed,
            by_host,
        } => {
            meta.push(("title", json!(title)));
            meta.push(("likes", json!(likes)));
            meta.push(("skips", json!(skips)));
            meta.push(("needed", json!(needed)));
            meta.push(("by", json!(if *by_host { "host" } else { "votes" })));
            let member = if *by_host { "host" } else { PARTY_MEMBER };
            (
                member.into(),
                "skipped".into(),
                track.clone(),
                *skips as i64,
            )
        }
        Effect::WindowResult {
            track,
            window,
            likes,
            skips,
            needed,
        } => {
            meta.push(("likes", json!(likes)));
            meta.push(("skips", json!(skips)));
            meta.push(("needed", json!(needed)));
            let action = format!("window_{}", window.label());
            (PARTY_MEMBER.into(), action, track.clone(), *skips as i64)
        }
        Effect::TrackFinished {
            track,
            title,
            artist,
            likes,
            skips,
            result,
        } => {
            meta.push(("title", json!(title)));
            meta.push(("artist", json!(artist)));
            meta.push(("likes", json!(likes)));
            meta.push(("skips", json!(skips)));
            meta.push(("result", json!(result)));
            let member = PARTY_MEMBER.into();
            (member, "finished".into(), track.clone(), *likes as i64)
        }
        Effect::TriggerFired {
            trigger,
            track,
            likes,
            skips,
            button,
            battery,
            step,
            press_count: _,
            hook,
            requester,
        } => {
            meta.push(("trigger", json!(trigger)));
            if let Some(r) = requester {
                meta.push(("requester", json!(r)));
            }
            if let Some(s) = step {
                meta.push(("step", json!(s)));
            }
            if let Some(h) = hook {
                meta.push(("hook", json!(h)));
            }
            if let Some(t) = track {
                meta.push(("title", json!(t.title)));
                meta.push(("artist", json!(t.artist)));
            }
            meta.push(("likes", json!(likes)));
            meta.push(("skips", json!(skips)));
            if let Some(b) = button {
                meta.push(("button", json!(b)));
            }
            if let Some(b) = battery {
                meta.push(("battery", json!(b)));
            }
            let entity = track_key(track.as_ref());
            (PARTY_MEMBER.into(), "trigger".into(), entity, *likes as i64)
        }
        Effect::Host { command, by } => {
            let (name, value) = host_command_name(command);
            if !value.is_null() {
                meta.push(("value", value));
            }
            if !by.is_host() {
                meta.push(("by", json!(by.label())));
            }
            ("host".into(), "host_command".into(), name.into(), 1)
        }
        Effect::SkipFailed { track, reason } => {
            meta.push(("reason", json!(reason)));
            (PARTY_MEMBER.into(), "skip_failed".into(), track.clone(), 1)
        }
        Effect::TriggerFailed { trigger, reason } => {
            meta.push(("reason", json!(reason)));
            let action = "trigger_failed".into();
            (PARTY_MEMBER.into(), action, trigger.clone(), 1)
        }
        Effect::Notice { hook, text, .. } => {
            meta.push(("text", json!(text)));
            (PARTY_MEMBER.into(), "notice".into(), hook.clone(), 1)
        }
        Effect::RulesChanged { changes } => {
            meta.push(("changes", json!(changes)));
            let n = changes.len() as i64;
            (
                PARTY_MEMBER.into(),
                "rules_changed".into(),
                "rules".into(),
                n,
            )
        }
        Effect::Request(ev) => {
            meta.push(("request_id", json!(ev.id())));
            let member = ev
                .voter()
                .map_or_else(|| PARTY_MEMBER.to_string(), |v| v.0.clone());
            let entity = format!("request:{}", ev.id());
            (member, format!("request_{}", ev.kind()), entity, 1)
        }
    };
    Event {
        id,
        member_ref_id: member,
        action,
        entity_ref_id: entity,
        source_value: value,
        at,
        metadata: meta,
    }
}

/// The serde name of a unit enum variant ("playing", "no_media", "SINGLE").
fn json_label<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The request-body form of one event. In the list form values are strings, as the
/// `[{key, value}]` deployments expect; the map form keeps JSON types.
pub fn render(event: &Event, names: &FieldNames, format: MetadataFormat) -> Value {
    let mut obj = Map::with_capacity(7);
    obj.insert(names.member_ref_id.clone(), json!(event.member_ref_id));
    obj.insert(names.action.clone(), json!(event.action));
    obj.insert(names.entity_ref_id.clone(), json!(event.entity_ref_id));
    obj.insert(names.source_value.clone(), json!(event.source_value));
    obj.insert(
        names.transaction_timestamp.clone(),
        json!(iso_millis(event.at)),
    );
    obj.insert(names.event_id.clone(), json!(event.id));
    let metadata = match format {
        MetadataFormat::Map => Value::Object(
            event
                .metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
        MetadataFormat::List => Value::Array(
            event
                .metadata
                .iter()
                .map(|(k, v)| json!({"key": k, "value": as_text(v)}))
                .collect(),
        ),
    };
    obj.insert(names.metadata.clone(), metadata);
    Value::Object(obj)
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
