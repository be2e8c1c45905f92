//! Home Assistant's MQTT discovery rules, as a checker: what HA does with a message on a
//! discovery topic (accept, reject with a reason, ignore, remove). Written from HA's discovery
//! code as documented in the recorded fixtures (topic regex, abbreviations, `~`, required keys
//! per component, availability), so our own configs can be checked without running HA, and
//! the checker itself is checked against HA's recorded cases (`tests/integration/mqtt_fixtures.rs`).
use serde_json::{Map, Value};

#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// The config as HA reads it (abbreviations expanded, `~` replaced).
    Accepted(Value),
    /// An empty payload: the entity is removed.
    Removed,
    /// Not a discovery message HA acts on (not `…/config`, or not a component it knows).
    Ignored,
    Rejected(String),
}

pub(crate) const COMPONENTS: &[&str] = &[
    "alarm_control_panel",
    "binary_sensor",
    "button",
    "camera",
    "climate",
    "cover",
    "device_automation",
    "device_tracker",
    "event",
    "fan",
    "humidifier",
    "image",
    "lawn_mower",
    "light",
    "lock",
    "notify",
    "number",
    "scene",
    "select",
    "sensor",
    "siren",
    "switch",
    "tag",
    "text",
    "update",
    "vacuum",
    "valve",
    "water_heater",
];

const ROOT_ABBREVIATIONS: &[(&str, &str)] = &[
    ("stat_t", "state_topic"),
    ("cmd_t", "command_topic"),
    ("val_tpl", "value_template"),
    ("json_attr_t", "json_attributes_topic"),
    ("avty", "availability"),
    ("avty_t", "availability_topic"),
    ("pl_avail", "payload_available"),
    ("pl_not_avail", "payload_not_available"),
    ("uniq_id", "unique_id"),
    ("dev_cla", "device_class"),
    ("unit_of_meas", "unit_of_measurement"),
    ("stat_cla", "state_class"),
    ("pl_prs", "payload_press"),
    ("pl_on", "payload_on"),
    ("pl_off", "payload_off"),
    ("evt_typ", "event_types"),
    ("exp_aft", "expire_after"),
    ("ent_cat", "entity_category"),
    ("en", "enabled_by_default"),
    ("dev", "device"),
    ("o", "origin"),
    ("cmps", "components"),
    ("p", "platform"),
    ("e", "encoding"),
];
const DEVICE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("ids", "identifiers"),
    ("mf", "manufacturer"),
    ("mdl", "model"),
    ("mdl_id", "model_id"),
    ("sw", "sw_version"),
    ("hw", "hw_version"),
    ("sn", "serial_number"),
    ("cns", "connections"),
    ("cu", "configuration_url"),
    ("sa", "suggested_area"),
];
const ORIGIN_ABBREVIATIONS: &[(&str, &str)] = &[
    ("name", "name"),
    ("sw", "sw_version"),
    ("url", "support_url"),
];
const AVAILABILITY_ABBREVIATIONS: &[(&str, &str)] = &[
    ("t", "topic"),
    ("pl_avail", "payload_available"),
    ("pl_not_avail", "payload_not_available"),
    ("val_tpl", "value_template"),
];
/// Options a device-discovery root passes down to components that do not set them.
const SHARED: &[&str] = &[
    "availability",
    "availability_topic",
    "availability_mode",
    "payload_available",
    "payload_not_available",
    "state_topic",
    "command_topic",
    "qos",
    "encoding",
];

fn ascii_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn word(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// (component, node_id, object_id) of a discovery topic.
pub(crate) type TopicParts<'a> = (&'a str, Option<&'a str>, &'a str);

/// The parts of a topic after `<prefix>/`, as HA's TOPIC_MATCHER reads them.
pub(crate) fn parse_topic<'a>(
    prefix: &str,
    topic: &'a str,
) -> Result<Option<TopicParts<'a>>, String> {
    let Some(rest) = topic.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
        return Ok(None);
    };
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.last() != Some(&"config") {
        return Ok(None);
    }
    let illegal = || {
        Err(format!(
            "Received message on illegal discovery topic '{topic}'"
        ))
    };
    let (component, node, object) = match parts.as_slice() {
        [c, o, _] => (*c, None, *o),
        [c, n, o, _] => (*c, Some(*n), *o),
        _ => return illegal(),
    };
    if !word(component) || !ascii_id(object) || node.is_some_and(|n| !ascii_id(n)) {
        return illegal();
    }
    Ok(Some((component, node, object)))
}

fn expand(obj: &mut Map<String, Value>, table: &[(&str, &str)]) {
    for (short, long) in table {
        if short != long
            && let Some(v) = obj.remove(*short)
        {
            obj.insert(long.to_string(), v);
        }
    }
}

/// Abbreviations (root, device, origin, availability items) and the `~` base topic.
fn normalise(obj: &mut Map<String, Value>) {
    expand(obj, ROOT_ABBREVIATIONS);
    for (key, table) in [
        ("device", DEVICE_ABBREVIATIONS),
        ("origin", ORIGIN_ABBREVIATIONS),
    ] {
        if let Some(Value::Object(inner)) = obj.get_mut(key) {
            expand(inner, table);
        }
    }
    let base = obj.get("~").and_then(Value::as_str).map(str::to_string);
    if let Some(Value::Array(items)) = obj.get_mut("availability") {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            expand(item, AVAILABILITY_ABBREVIATIONS);
            if let (Some(b), Some(Value::String(t))) = (&base, item.get_mut("topic")) {
                *t = replace_base(t, b);
            }
        }
    }
    if let Some(b) = base {
        for (k, v) in obj.iter_mut() {
            if let (true, Value::String(t)) = (k.ends_with("topic"), v) {
                *t = replace_base(t, &b);
            }
        }
    }
}

fn replace_base(t: &str, base: &str) -> String {
    if let Some(rest) = t.strip_prefix('~') {
        format!("{base}{rest}")
    } else if let Some(rest) = t.strip_suffix('~') {
        format!("{rest}{base}")
    } else {
        t.to_string()
    }
}

/// A topic HA subscribes to: `+` and `#` only as whole levels, `#` only last.
pub(crate) fn valid_subscribe_topic(t: &str) -> bool {
    let levels: Vec<&str> = t.split('/').collect();
    !t.is_empty()
        && levels.iter().enumerate().all(|(i, l)| {
            (!l.contains('#') || (*l == "#" && i == levels.len() - 1))
                && (!l.contains('+') || *l == "+")
        })
}

/// A topic HA publishes to: no wildcards at all.
pub(crate) fn valid_publish_topic(t: &str) -> bool {
    !t.is_empty() && !t.contains(['#', '+'])
}

fn check_entity(component: &str, c: &Map<String, Value>) -> Result<(), String> {
    let need = |k: &str| match c.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
        _ => Err(format!(
            "required key not provided @ data['{k}'] ({component})"
        )),
    };
    let sub = |k: &str| -> Result<(), String> {
        match c.get(k) {
            Some(Value::String(t)) if !valid_subscribe_topic(t) => {
                Err(format!("{k} `{t}` is not a valid MQTT topic"))
            }
            _ => Ok(()),
        }
    };
    for k in ["state_topic", "json_attributes_topic", "availability_topic"] {
        sub(k)?;
    }
    if let Some(Value::String(t)) = c.get("command_topic")
        && !valid_publish_topic(t)
    {
        return Err(format!("command_topic `{t}` is not a valid publish topic"));
    }
    match component {
        "sensor" | "binary_sensor" => {
            need("state_topic")?;
        }
        "event" => {
            need("state_topic")?;
            match c.get("event_types") {
                Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {}
                _ => return Err("event_types must be a non-empty list of strings".into()),
            }
        }
        "button" | "number" | "switch" => {
            need("command_topic")?;
        }
        _ => {}
    }
    if component == "number" {
        let min = c.get("min").and_then(Value::as_f64).unwrap_or(1.0);
        let max = c.get("max").and_then(Value::as_f64).unwrap_or(100.0);
        if min >= max {
            return Err(format!("number: min {min} must be below max {max}"));
        }
    }
    if c.contains_key("availability") && c.contains_key("availability_topic") {
        return Err("use availability_topic or availability, not both".into());
    }
    if let Some(q) = c.get("qos") {
        let n = q
            .as_u64()
            .or_else(|| q.as_str().and_then(|s| s.parse().ok()));
        if !matches!(n, Some(0..=2)) {
            return Err(format!("qos {q} must be 0, 1 or 2"));
        }
    }
    if let Some(d) = c.get("device") {
        let ok = d
            .get("identifiers")
            .is_some_and(|i| i.is_string() || i.as_array().is_some_and(|a| !a.is_empty()))
            || d.get("connections")
                .is_some_and(|c| c.as_array().is_some_and(|a| !a.is_empty()));
        if !ok {
            return Err("device needs identifiers or connections".into());
        }
    }
    Ok(())
}

/// What HA does with `payload` on `topic` under `prefix`.
pub fn check(prefix: &str, topic: &str, payload: &str) -> Verdict {
    let (component, _node, _object) = match parse_topic(prefix, topic) {
        Ok(Some(t)) => t,
        Ok(None) => return Verdict::Ignored,
        Err(why) => return Verdict::Rejected(why),
    };
    if component != "device" && !COMPONENTS.contains(&component) {
        return Verdict::Ignored;
    }
    if payload.is_empty() {
        return Verdict::Removed;
    }
    let mut obj = match serde_json::from_str::<Value>(payload) {
        Ok(Value::Object(o)) => o,
        _ => return Verdict::Rejected("Unable to parse JSON".into()),
    };
    normalise(&mut obj);
    if component != "device" {
        return match check_entity(component, &obj) {
            Ok(()) => Verdict::Accepted(Value::Object(obj)),
            Err(why) => Verdict::Rejected(why),
        };
    }
    let bad =
        |why: &str| Verdict::Rejected(format!("Invalid MQTT device discovery payload, {why}"));
    if !obj.get("device").is_some_and(Value::is_object) {
        return bad("required key not provided @ data['device']");
    }
    if !obj
        .get("origin")
        .and_then(|o| o.get("name"))
        .is_some_and(Value::is_string)
    {
        return bad("required key not provided @ data['origin']['name']");
    }
    let shared: Map<String, Value> = SHARED
        .iter()
        .filter_map(|k| obj.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let Some(Value::Object(cmps)) = obj.get_mut("components") else {
        return bad("expected a dictionary for dictionary value @ data['components']");
    };
    for (id, c) in cmps.iter_mut() {
        let Some(c) = c.as_object_mut() else {
            return bad(&format!(
                "expected a dictionary @ data['components']['{id}']"
            ));
        };
        expand(c, ROOT_ABBREVIATIONS);
        let Some(platform) = c
            .get("platform")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return bad(&format!(
                "required key not provided @ data['components']['{id}']['platform']"
            ));
        };
        if c.len() == 1 || matches!(platform.as_str(), "device_automation" | "tag") {
            continue;
        }
        if !c.contains_key("unique_id") {
            return bad(&format!(
                "required key not provided @ data['components']['{id}']['unique_id']"
            ));
        }
        for (k, v) in &shared {
            c.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Err(why) = check_entity(&platform, c) {
            return bad(&why);
        }
    }
    Verdict::Accepted(Value::Object(obj))
}

/// What HA does with a message on an event entity's state topic.
pub fn check_event(config: &Value, payload: &str, retained: bool) -> Result<String, String> {
    if retained {
        return Err("retained event messages are ignored".into());
    }
    let v: Value = serde_json::from_str(payload)
        .map_err(|_| "No valid JSON event payload detected".to_string())?;
    let Some(t) = v.get("event_type") else {
        return Err("`event_type` missing in JSON event payload".into());
    };
    let allowed = config
        .get("event_types")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match t.as_str() {
        Some(s) if allowed.iter().any(|a| a.as_str() == Some(s)) => Ok(s.to_string()),
        _ => Err("Invalid event type".into()),
    }
}

/// party-tui's own promises on top of HA's rules: a unique_id, a `default_entity_id` of the
/// component's domain (never the deprecated `object_id`), the availability topic, a device.
pub fn check_ours(component: &str, config: &Value) -> Result<(), String> {
    let get = |k: &str| config.get(k).and_then(Value::as_str);
    get("unique_id").ok_or("no unique_id")?;
    let id = get("default_entity_id").ok_or("no default_entity_id")?;
    match id.split_once('.') {
        Some((domain, rest))
            if domain == component
                && !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') => {}
        _ => {
            return Err(format!(
                "default_entity_id `{id}` is not `{component}.<id>`"
            ));
        }
    }
    if config.get("object_id").is_some() {
        return Err("the deprecated object_id is set".into());
    }
    get("availability_topic").ok_or("no availability_topic")?;
    config.get("device").ok_or("no device")?;
    Ok(())
}
