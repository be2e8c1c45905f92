//! The recorded MQTT fixtures in ../shared/fixtures/mqtt (never copied into the repo): our
//! Home Assistant rules checker gives HA's own recorded verdicts, every recorded config passes
//! it, our command parsing takes the payloads HA sends, and our SmartREST reader and writer
//! agree with the recorded Cumulocity lines. Skips (and says so) in a fresh clone.
use party_tui::config::Config;
use party_tui::core::HostCommand;
use party_tui::outlets::mqtt::ha::{Ha, button_id};
use party_tui::outlets::mqtt::ha_rules::{Verdict, check, check_event};
use party_tui::outlets::mqtt::smartrest::{C8y, line, parse_line};
use serde_json::Value;

macro_rules! fixtures_or_skip {
    () => {
        match crate::support::recorded_fixtures("mqtt") {
            Some(d) => d,
            None => return,
        }
    };
}

fn json(dir: &std::path::Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

#[test]
fn discovery_verdicts_match_home_assistant() {
    let dir = fixtures_or_skip!();
    let cases = json(&dir, "ha_discovery_cases.json");
    let prefix = cases["discovery_prefix"].as_str().unwrap();
    for case in cases["discovery"].as_array().unwrap() {
        let (topic, payload) = (
            case["topic"].as_str().unwrap(),
            case["payload"].as_str().unwrap(),
        );
        let verdict = check(prefix, topic, payload);
        let ok = match case["expect"].as_str().unwrap() {
            "accepted" => matches!(verdict, Verdict::Accepted(_)),
            "rejected" => matches!(verdict, Verdict::Rejected(_)),
            "ignored" => verdict == Verdict::Ignored,
            other => panic!("unknown expectation {other}"),
        };
        assert!(
            ok,
            "{topic} {payload}: HA says {}, we say {verdict:?} ({})",
            case["expect"], case["source"]
        );
    }
}

#[test]
fn event_states_match_home_assistant() {
    let dir = fixtures_or_skip!();
    let cases = json(&dir, "ha_discovery_cases.json");
    let mut config = Value::Null;
    let mut checked = 0;
    for case in cases["state"].as_array().unwrap() {
        if let Some(c) = case.get("entity_config") {
            config = c.clone();
        }
        if config.get("event_types").is_none() {
            continue;
        }
        let got = check_event(&config, case["payload"].as_str().unwrap(), false);
        match case["expect"].as_str().unwrap() {
            "accepted" => assert!(got.is_ok(), "{case}: {got:?}"),
            _ => assert_eq!(got.unwrap_err(), case["log"].as_str().unwrap(), "{case}"),
        }
        checked += 1;
    }
    assert!(checked >= 6);
}

#[test]
fn every_recorded_config_passes_the_checker() {
    let dir = fixtures_or_skip!();
    let files = [
        (
            "ha_sensor_config.json",
            "homeassistant/sensor/sensorBedroomT/config",
        ),
        (
            "ha_sensor_json_attributes_config.json",
            "homeassistant/sensor/rssi/config",
        ),
        (
            "ha_binary_sensor_config.json",
            "homeassistant/binary_sensor/garden/config",
        ),
        (
            "ha_button_config.json",
            "homeassistant/button/reboot/config",
        ),
        (
            "ha_event_config.json",
            "homeassistant/event/doorbell/config",
        ),
        (
            "ha_number_config.json",
            "homeassistant/number/threshold/config",
        ),
        (
            "ha_switch_abbreviated_tilde_config.json",
            "homeassistant/switch/irrigation/config",
        ),
        (
            "ha_device_discovery_config.json",
            "homeassistant/device/bla/config",
        ),
        (
            "ha_device_discovery_abbreviated_config.json",
            "homeassistant/device/kitchen/config",
        ),
    ];
    for (file, topic) in files {
        let payload = std::fs::read_to_string(dir.join(file)).unwrap();
        let Verdict::Accepted(c) = check("homeassistant", topic, payload.trim_end()) else {
            panic!(
                "{file} refused: {:?}",
                check("homeassistant", topic, &payload)
            );
        };
        if file.contains("tilde") {
            assert_eq!(c["command_topic"], "homeassistant/switch/irrigation/set");
            assert_eq!(c["state_topic"], "homeassistant/switch/irrigation/state");
        }
        if file == "ha_device_discovery_abbreviated_config.json" {
            assert_eq!(c["device"]["identifiers"], "ea334450945afc");
            assert_eq!(
                c["origin"]["support_url"],
                "https://bla2mqtt.example.com/support"
            );
        }
    }
}

#[test]
fn we_take_the_commands_home_assistant_sends() {
    let dir = fixtures_or_skip!();
    let cases = json(&dir, "ha_discovery_cases.json");
    let ha = Ha::new("node", "party-tui", "homeassistant", true, &[]);
    for case in cases["commands"].as_array().unwrap() {
        let payload = case["publish"]["payload"].as_str().unwrap();
        let action = case["action"].as_str().unwrap();
        if action.starts_with("number.set_value") && !payload.starts_with('{') {
            let got = ha
                .command("party-tui/node/cmd/skip_threshold", payload)
                .unwrap();
            let whole = payload.parse::<f64>().unwrap().fract() == 0.0;
            assert_eq!(got.is_ok(), whole, "{payload}: {got:?}");
        }
        if action == "button.press" && payload == "PRESS" {
            assert_eq!(
                ha.command("party-tui/node/cmd/skip", payload),
                Some(Ok(HostCommand::SkipNow))
            );
        }
    }
    let birth = &cases["birth_and_will"]["birth"];
    assert_eq!(ha.status_topic(), birth["topic"].as_str().unwrap());
}

/// `(topic, line)` records of a SmartREST examples file.
fn records(text: &str) -> Vec<(String, String)> {
    let mut topic = String::new();
    let mut out = Vec::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix("# topic: ") {
            topic = t.trim().to_string();
        } else if !l.starts_with('#') && !l.trim().is_empty() {
            out.push((topic.clone(), l.to_string()));
        }
    }
    out
}

#[test]
fn smartrest_lines_read_and_write_like_the_recorded_ones() {
    let dir = fixtures_or_skip!();
    let up = std::fs::read_to_string(dir.join("cumulocity_upstream_examples.txt")).unwrap();
    for (_, l) in records(&up) {
        let fields = parse_line(&l);
        assert_eq!(
            parse_line(&line(
                &fields.iter().map(String::as_str).collect::<Vec<_>>()
            )),
            fields,
            "{l}"
        );
        if !l.contains('"') {
            assert_eq!(
                line(&fields.iter().map(String::as_str).collect::<Vec<_>>()),
                l
            );
        }
    }
    let down = std::fs::read_to_string(dir.join("cumulocity_downstream_examples.txt")).unwrap();
    for (topic, l) in records(&down) {
        let fields = parse_line(&l);
        if topic != "s/ds" || fields[0] != "511" {
            continue;
        }
        let cfg = Config::default();
        let c8y = C8y::new(&fields[1], &cfg.buttons);
        let (answer_on, cmd) = c8y.operation(&l).expect("a command for this device");
        assert_eq!(answer_on, "s/us");
        // None of the recorded commands is one of ours: refused, the command quoted whole.
        let why = cmd.unwrap_err();
        assert!(why.contains(&fields[2].to_ascii_lowercase()), "{l}: {why}");
    }
}

#[test]
fn dash_children_are_named_as_the_constructed_layout() {
    let dir = fixtures_or_skip!();
    let text = std::fs::read_to_string(dir.join("cumulocity_dash_button_constructed.txt")).unwrap();
    let (_, child) = records(&text)
        .into_iter()
        .find(|(_, l)| l.starts_with("101,"))
        .unwrap();
    let cfg = Config::parse("[[button]]\nname = \"Dash\"\nmac = \"00:00:5E:00:53:01\"\n").unwrap();
    assert_eq!(button_id(&cfg.buttons[0]), parse_line(&child)[1]);
    let ours = C8y::new("pi", &cfg.buttons).on_connect();
    assert!(
        ours.iter()
            .any(|m| m.payload.starts_with(&format!("{child},"))),
        "{ours:?}"
    );
}
