//! MQTT messages the program reads: Home Assistant's commands, birth and retained configs on
//! our node (`Ha::command`, `Ha::stale`, as `ha_run.rs` sees them, plus the discovery checker
//! `ha_rules`), and Cumulocity SmartREST lines on `s/ds` (`parse_line`, `C8y::operation`, as
//! `c8y_run.rs` sees them).
use crate::mutate::{JSON, mutated};
use crate::{fixtures, fuzz};
use party_tui::config::Config;
use party_tui::core::snapshot::ButtonStatus;
use party_tui::core::{HostCommand, Snapshot, Threshold};
use party_tui::outlets::mqtt::ha::Ha;
use party_tui::outlets::mqtt::ha_rules::{Verdict, check, check_event};
use party_tui::outlets::mqtt::smartrest::{C8y, field, line, parse_line};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

const PREFIX: &str = "homeassistant";
const DEVICE: &str = "party-tui-pi";
/// Ids of the configured buttons as topics and Cumulocity name them (MAC without colons,
/// serial, bt.tn id).
const CHILDREN: [&str; 3] = ["00005e005301", "G030PT022", "bttn-77"];

fn buttons() -> Vec<party_tui::buttons::ButtonConfig> {
    Config::parse(
        r#"
[[button]]
name = "Kitchen Dash"
mac = "00:00:5E:00:53:01"
[[button]]
name = "Sofa, left"
serial = "G030PT022"
[[button]]
name = "Door"
id = "bttn-77"
"#,
    )
    .expect("the buttons parse")
    .buttons
}

fn ha(commands: bool) -> Ha {
    Ha::new(
        "party-tui-pi.local",
        "party-tui",
        PREFIX,
        commands,
        &buttons(),
    )
}

/// A snapshot where one button reports a battery, so a battery entity exists.
fn snapshot() -> Snapshot {
    Snapshot {
        buttons: vec![ButtonStatus {
            name: "Sofa, left".into(),
            last_seen: None,
            presses: 1,
            battery: Some(0.5),
        }],
        ..Snapshot::default()
    }
}

fn c8y() -> C8y {
    C8y::new(DEVICE, &buttons())
}

/// Whitespace that `trim` takes away around a payload.
fn pad() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\r\n".to_string()),
        Just("\n ".to_string()),
    ]
}

/// `stale` may only ever clear a config of ours that we no longer announce, with an empty
/// retained message on that very topic.
fn check_stale(ha: &Ha, topic: &str, snap: &Snapshot, wanted: &[String]) -> Result<(), String> {
    match ha.stale(topic, snap) {
        None => Ok(()),
        Some(m) if m.topic != topic || !m.payload.is_empty() || !m.retain => {
            Err(format!("clearing `{topic}` with {m:?}"))
        }
        Some(_) if !topic.starts_with(&format!("{PREFIX}/")) => Err(format!(
            "clearing `{topic}`, not under the discovery prefix"
        )),
        Some(_) if wanted.iter().any(|w| w == topic) => {
            Err(format!("clearing `{topic}`, which we announce"))
        }
        Some(_) => Ok(()),
    }
}

#[derive(Clone, Debug)]
enum Where {
    Ours,
    /// Under another prefix (another node, another tool).
    Elsewhere(String),
}

/// Commands on HA's command topics: the leaf and payload as HA sends them (button `PRESS`,
/// switch `ON`/`OFF`, number `42` or `42.0`), padded, and anything else; topics of ours and
/// of others; commands on and off.
#[test]
fn ha_commands_structured() {
    let leaf = prop_oneof![
        Just("skip".to_string()),
        Just("keep".to_string()),
        Just("reset_votes".to_string()),
        Just("voting_paused".to_string()),
        Just("skip_threshold".to_string()),
        "[a-z_/+#]{0,16}",
        any::<String>(),
    ];
    let number = (-5i64..60, 0u8..4).prop_map(|(n, form)| match form {
        0 => (n.to_string(), Some(n)),
        1 => (format!("{n}.0"), Some(n)),
        2 => (format!("{n}.5"), None),
        _ => (format!("{n}x"), None),
    });
    let payload = prop_oneof![
        Just(("ON".to_string(), None)),
        Just(("OFF".to_string(), None)),
        Just(("PRESS".to_string(), None)),
        Just(("on".to_string(), None)),
        number,
        any::<String>().prop_map(|s| (s, None)),
    ];
    let place = prop_oneof![
        4 => Just(Where::Ours),
        1 => "[a-z0-9_/-]{0,24}".prop_map(Where::Elsewhere),
    ];
    let ours = ha(true);
    let off = ha(false);
    let snap = snapshot();
    let wanted: Vec<String> = ours.configs(&snap).into_iter().map(|m| m.topic).collect();
    fuzz(
        "ha commands (structured)",
        (leaf, payload, place, pad(), pad(), any::<bool>()),
        |(leaf, (payload, number), place, before, after, commands)| {
            let under = format!("{}/cmd/", ours.base);
            let topic = match &place {
                Where::Ours => format!("{under}{leaf}"),
                Where::Elsewhere(p) => format!("{p}/cmd/{leaf}"),
            };
            let sent = format!("{before}{payload}{after}");
            let ha = if commands { &ours } else { &off };
            let got = ha.command(&topic, &sent);
            check_stale(ha, &topic, &snap, &wanted)?;
            let fail = |why: &str| Err(format!("{why}: `{topic}` `{sent}` gave {got:?}"));
            if !commands || !topic.starts_with(&under) {
                return match got {
                    None => Ok(()),
                    Some(_) => fail("not ours, yet taken"),
                };
            }
            let Some(got) = got else {
                return fail("ours, yet ignored");
            };
            let want = match leaf.as_str() {
                "skip" => Some(HostCommand::SkipNow),
                "keep" => Some(HostCommand::Keep(true)),
                "reset_votes" => Some(HostCommand::ResetVotes),
                "voting_paused" if payload == "ON" => Some(HostCommand::PauseVoting),
                "voting_paused" if payload == "OFF" => Some(HostCommand::ResumeVoting),
                "skip_threshold" => number
                    .filter(|n| (1..=50).contains(n))
                    .map(|n| HostCommand::SetThreshold(Threshold::Count(n as u32))),
                _ => None,
            };
            match (got, want) {
                (Ok(g), Some(w)) if g == w => Ok(()),
                (Err(e), None) if !e.is_empty() => Ok(()),
                // Any other text that reads as a whole number in range is a threshold.
                (Ok(HostCommand::SetThreshold(Threshold::Count(n))), None)
                    if leaf == "skip_threshold" && (1..=50).contains(&n) && number.is_none() =>
                {
                    Ok(())
                }
                (g, w) => Err(format!("`{topic}` `{sent}`: got {g:?}, want {w:?}")),
            }
        },
    );
}

/// Topic and payload in one buffer, split at the first line break.
fn message(topic: &str, payload: &str) -> Vec<u8> {
    format!("{topic}\n{payload}").into_bytes()
}

fn ha_seeds(ha: &Ha) -> Vec<Vec<u8>> {
    let cmd = |leaf: &str| format!("{}/cmd/{leaf}", ha.base);
    let mut seeds = vec![
        message(&cmd("skip"), "PRESS"),
        message(&cmd("keep"), "PRESS"),
        message(&cmd("reset_votes"), "PRESS"),
        message(&cmd("voting_paused"), "ON"),
        message(&cmd("voting_paused"), "OFF"),
        message(&cmd("skip_threshold"), "7"),
        message(&cmd("skip_threshold"), "42.0"),
        message(&ha.status_topic(), "online"),
        message(&ha.status_topic(), "offline"),
        message(
            &ha.config_topic("event", "button_gone"),
            r#"{"name":"Gone","unique_id":"party-tui-pi_button_gone","state_topic":"party-tui/party-tui-pi/event/gone","event_types":["like","skip"]}"#,
        ),
        message(
            &format!("{PREFIX}/switch/irrigation/config"),
            r#"{"~":"homeassistant/switch/irrigation","name":"garden","cmd_t":"~/set","stat_t":"~/state"}"#,
        ),
        message(
            &format!("{}/event/phones", ha.base),
            r#"{"event_type":"like","id":"p-1-0"}"#,
        ),
    ];
    // Recorded discovery configs, on a config topic of our node and on one of another.
    let configs = fixtures("mqtt", &["_config.json"]);
    for (i, body) in configs.iter().enumerate() {
        let body = String::from_utf8_lossy(body);
        let topic = if i % 2 == 0 {
            ha.config_topic("sensor", &format!("battery_x{i}"))
        } else {
            format!("{PREFIX}/sensor/other/thing{i}/config")
        };
        seeds.push(message(&topic, &body));
    }
    // HA's own test cases: discovery, state and command messages with their topics.
    for cases in fixtures("mqtt", &["ha_discovery_cases.json"]) {
        let Ok(v) = serde_json::from_slice::<Value>(&cases) else {
            println!("fuzz: ha_discovery_cases.json does not read as JSON (skipped as seeds)");
            continue;
        };
        let pairs = ["/discovery", "/state"]
            .iter()
            .filter_map(|k| v.pointer(k).and_then(Value::as_array))
            .flatten()
            .map(|c| (c.get("topic"), c.get("payload")))
            .chain(
                v.pointer("/commands")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| (c.pointer("/publish/topic"), c.pointer("/publish/payload"))),
            )
            .chain(
                ["/birth_and_will/birth", "/birth_and_will/will"]
                    .iter()
                    .filter_map(|k| v.pointer(k))
                    .map(|c| (c.get("topic"), c.get("payload"))),
            );
        for (t, p) in pairs {
            if let (Some(Value::String(t)), Some(Value::String(p))) = (t, p) {
                seeds.push(message(t, p));
            }
        }
    }
    seeds
}

/// Whatever arrives on a subscribed topic, as `HaRun::incoming` handles it, and the discovery
/// checker on the same message: seeds of ours and HA's recorded messages, mutated.
#[test]
fn ha_messages_mutated() {
    let ha = ha(true);
    let snap = snapshot();
    let configs = ha.configs(&snap);
    let wanted: Vec<String> = configs.iter().map(|m| m.topic.clone()).collect();
    let event: Value = configs
        .iter()
        .find(|m| m.topic.contains("/event/"))
        .map(|m| serde_json::from_str(&m.payload).expect("our config is JSON"))
        .expect("an event entity");
    let under = format!("{}/cmd/", ha.base);
    fuzz(
        "ha messages (mutated)",
        mutated(ha_seeds(&ha), JSON),
        |buf| {
            let cut = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
            let topic = String::from_utf8_lossy(&buf[..cut]).into_owned();
            let payload = buf.get(cut + 1..).unwrap_or_default();
            let text = String::from_utf8_lossy(payload);
            // HA's birth (`online` on the status topic) only makes us announce again.
            if topic == ha.status_topic() {
            } else if topic.ends_with("/config") {
                if !payload.is_empty() {
                    check_stale(&ha, &topic, &snap, &wanted)?;
                }
            } else {
                match ha.command(&topic, &text) {
                    Some(_) if !topic.starts_with(&under) => {
                        return Err(format!("`{topic}` is not ours, yet taken"));
                    }
                    Some(Err(e)) if e.is_empty() => return Err("an error without words".into()),
                    _ => {}
                }
            }
            match check(PREFIX, &topic, &text) {
                Verdict::Rejected(why) if why.is_empty() => {
                    return Err("a rejection without words".into());
                }
                Verdict::Removed if !text.is_empty() => {
                    return Err(format!("`{text}` removes an entity"));
                }
                _ => {}
            }
            match check_event(&event, &text, false) {
                Ok(t)
                    if !["like", "skip", "keep", "ignore", "debounced", "press"]
                        .contains(&t.as_str()) =>
                {
                    Err(format!("event type `{t}` is not one we declared"))
                }
                Err(e) if e.is_empty() => Err("an error without words".into()),
                _ => Ok(()),
            }
        },
    );
}

/// How a SmartREST field is quoted on the way in.
#[derive(Clone, Copy, Debug)]
enum Quoting {
    /// Quoted only where the rules need it, `""` inside (thin-edge.io, our own writer).
    AsNeeded,
    /// Always quoted, `""` inside.
    Doubled,
    /// Always quoted, `\"` inside (what the platform sends on `s/ds`).
    Backslash,
}

fn quote(s: &str, q: Quoting) -> String {
    match q {
        Quoting::AsNeeded => field(s),
        Quoting::Doubled => format!("\"{}\"", s.replace('"', "\"\"")),
        Quoting::Backslash => format!("\"{}\"", s.replace('"', "\\\"")),
    }
}

/// Text of a field as the platform can send it: anything but a line break (sent as the two
/// characters `\n`) and a backslash (which makes `\"` ambiguous at the end of a field).
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~&&[^\\\\]]{0,24}",
        "[^\\\\\n\r]{0,24}",
        "[,\" \ta-z]{0,12}",
    ]
}

/// `511` operations built from the static template: for the device, a child or someone else,
/// every command in any case and padding, any text, each quoting, trailing fields and a
/// second line; and other templates. The operation read is the one generated.
#[test]
fn smartrest_operations_structured() {
    let c8y = c8y();
    let target = prop_oneof![
        Just(DEVICE.to_string()),
        (0..CHILDREN.len()).prop_map(|i| CHILDREN[i].to_string()),
        "[A-Za-z0-9_:-]{0,16}",
    ];
    let word = prop_oneof![
        (0usize..5, any::<u8>()).prop_map(|(i, case)| {
            let w = ["skip", "keep", "reset", "pause", "resume"][i];
            // Mixed case: the platform's UI sends what the user typed.
            w.chars()
                .enumerate()
                .map(|(k, c)| {
                    if case >> (k % 8) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        }),
        field_text(),
    ];
    let quoting = prop_oneof![
        Just(Quoting::AsNeeded),
        Just(Quoting::Doubled),
        Just(Quoting::Backslash)
    ];
    let template = prop_oneof![
        8 => Just("511".to_string()),
        1 => prop_oneof![Just("510".to_string()), Just("513".to_string()), Just("5110".to_string()), Just(" 511".to_string())],
    ];
    let pad = prop_oneof![Just(""), Just(" "), Just("  "), Just("\t")];
    fuzz(
        "smartrest operations (structured)",
        (
            template,
            target,
            word,
            (pad.clone(), pad),
            (quoting.clone(), quoting),
            vec(field_text(), 0..3),
            prop::option::of(field_text()),
        ),
        |(template, target, word, (before, after), (qt, qw), extra, next)| {
            let text = format!("{before}{word}{after}");
            let mut fields = vec![template.clone(), quote(&target, qt), quote(&text, qw)];
            fields.extend(extra.iter().map(|f| field(f)));
            let mut payload = fields.join(",");
            if let Some(n) = &next {
                payload.push('\n');
                payload.push_str(&line(&["511", DEVICE, n]));
            }
            let got = c8y.operation(&payload);
            let fail = |why: &str| Err(format!("{why}: `{payload}` gave {got:?}"));
            let topic = if target == DEVICE {
                "s/us".to_string()
            } else if CHILDREN.contains(&target.as_str()) {
                format!("s/us/{target}")
            } else {
                return match got {
                    None => Ok(()),
                    Some(_) => fail("not for us, yet taken"),
                };
            };
            if template != "511" {
                return match got {
                    None => Ok(()),
                    Some(_) => fail("not a 511, yet taken"),
                };
            }
            let Some((t, cmd)) = got.clone() else {
                return fail("ours, yet ignored");
            };
            if t != topic {
                return fail(&format!("answered on {t}, not {topic}"));
            }
            let want = match text.trim().to_ascii_lowercase().as_str() {
                "skip" => Some(HostCommand::SkipNow),
                "keep" => Some(HostCommand::Keep(true)),
                "reset" => Some(HostCommand::ResetVotes),
                "pause" => Some(HostCommand::PauseVoting),
                "resume" => Some(HostCommand::ResumeVoting),
                _ => None,
            };
            match (cmd, want) {
                (Ok(g), Some(w)) if g == w => Ok(()),
                (Err(e), None) if e.contains(&text.trim().to_ascii_lowercase()) => Ok(()),
                _ => fail("the wrong command"),
            }
        },
    );
}

fn smartrest_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        "511,party-tui-pi,skip",
        "511,party-tui-pi,\" Keep \"",
        "511,00005e005301,reset",
        "511,G030PT022,\"pause\"",
        "511,bttn-77,resume,extra,\"a,b\"",
        "511,party-tui-pi,\"echo \\\"hello\\\"\"",
        "511,party-tui-pi,\"say \"\"hi\"\", then skip\"",
        "510,party-tui-pi",
        "513,party-tui-pi,\"val1=1\\nval2=2\"",
        "511,someone-else,skip\n511,party-tui-pi,skip\n511,party-tui-pi,keep",
        "40,999,No static template for this message id",
    ]
    .map(|s| s.as_bytes().to_vec())
    .into();
    // The recorded lines (both directions: a line we send must read too), one per seed.
    for file in fixtures(
        "mqtt",
        &[
            "cumulocity_downstream_examples.txt",
            "cumulocity_upstream_examples.txt",
            "cumulocity_dash_button_constructed.txt",
        ],
    ) {
        let text = String::from_utf8_lossy(&file);
        seeds.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| l.as_bytes().to_vec()),
        );
    }
    seeds
}

/// Whatever arrives on `s/ds`, line by line as `C8yRun` reads it. Fields read back through
/// our own writer read the same (where no backslash makes `\"` ambiguous).
#[test]
fn smartrest_lines_mutated() {
    let c8y = c8y();
    fuzz(
        "smartrest lines (mutated)",
        mutated(smartrest_seeds(), SMARTREST),
        |buf| {
            let payload = String::from_utf8_lossy(&buf);
            for l in payload.lines() {
                let fields = parse_line(l);
                if fields.is_empty() {
                    return Err(format!("`{l}` has no fields"));
                }
                if !fields.iter().any(|f| f.contains('\\')) {
                    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
                    let again = parse_line(&line(&refs));
                    if again != fields {
                        return Err(format!("`{l}` read {fields:?}, written and read {again:?}"));
                    }
                }
                match c8y.operation(l) {
                    None => {}
                    Some((topic, _)) if fields[0] != "511" => {
                        return Err(format!("`{l}` is not a 511, yet answered on {topic}"));
                    }
                    Some((topic, _))
                        if topic != "s/us"
                            && !CHILDREN.iter().any(|c| topic == format!("s/us/{c}")) =>
                    {
                        return Err(format!("`{l}` answered on {topic}"));
                    }
                    Some((_, Err(e))) if e.is_empty() => {
                        return Err("an error without words".into());
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        },
    );
}

/// Tokens that bend SmartREST CSV: quotes and their escapes, separators, templates, ids.
const SMARTREST: &[&str] = &[
    ",",
    "\"",
    "\"\"",
    "\\\"",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\t",
    " ",
    "511",
    "510",
    "party-tui-pi",
    "00005e005301",
    "skip",
    "KEEP",
    "\u{0}",
    "\u{feff}",
    "é",
];
