//! config.toml: the documented example with keys switched on and values swapped for hostile
//! ones of every TOML type, then everything the program derives from a config that parsed
//! (rules, a party applying inputs under them, export and demo intervals).
use crate::fuzz;
use crate::journal::exercise;
use crate::mutate::{TOML, mutated_text};
use party_tui::config::Config;
use party_tui::core::{Party, Timestamp};
use proptest::collection::vec;
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../config.toml");

/// Every section and key the example documents, switched on (written from config.toml).
const ALL_ON: &str = r#"
[party]
skip_threshold = "40%"
skip_threshold_min = 2
active_voter_minutes = 30
skip_margin = 2
vote_window_secs = 45
debounce_secs = 10
sequence_window_secs = 5
protected_artists = ["ABBA"]
protected_tracks = ["spotify:track:1"]

[[button]]
name = "Kitchen"
mac = "68:37:e9:12:34:56"
sequence = ["like", "like", "skip"]
debounce_secs = 3

[[button]]
name = "Sofa"
serial = "G030JF0512345678"
single = "like"
double = "skip"
long = "keep"

[[trigger]]
name = "party-favourite"
likes_at_least = 5
url = "http://192.168.1.20:5000/hooks/favourite"
method = "POST"
body = '{"text": "{track} by {artist} has {likes} likes"}'

[[trigger]]
name = "low"
battery_below = 0.2

[capture]
interface = "wlan0"

[http]
bind = "0.0.0.0:8080"
party_code = "disco"

[sonos]
url = "http://192.168.1.20:1400/xml/device_description.xml"
callback_addr = "0.0.0.0:3400"

[demo]
guests = 12
press_interval_secs = 4.0

[export]
base_url = "https://app.competitionlabs.com"
space = "my-space"
api_key = "..."
metadata_format = "map"
flush_interval_secs = 1.0

[export.fields]
member_ref_id = "memberRefId"
event_id = "batchId"
"#;

fn all_on() -> String {
    ALL_ON.to_string()
}

fn hostile_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        Just(u64::MAX.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        prop_oneof![
            Just("inf"),
            Just("-inf"),
            Just("nan"),
            Just("-0.0"),
            Just("1e308")
        ]
        .prop_map(str::to_string),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<String>().prop_map(|s| format!("{s:?}").replace("\\u{", "\\u00").replace('}', "")),
        "\"[a-z0-9:./ -]{0,20}\"",
        Just("[]".to_string()),
        Just("[\"like\", \"skip\", \"keep\", \"ignore\"]".to_string()),
        Just("{}".to_string()),
    ]
}

/// Derive everything the program derives from a parsed config.
fn derive(cfg: &Config) {
    let rules = cfg.rules();
    let _ = cfg.demo.press_interval();
    if let Some(export) = &cfg.export {
        let _ = export.flush_interval();
        let _ = export.events_url();
    }
    let mut party = Party::new("fuzz", rules);
    exercise(&mut party, Timestamp::from_millis(1_700_000_000_000));
}

#[test]
fn config_structured() {
    let base = all_on();
    Config::parse(&base).expect("the example with every key on parses");
    let lines = base.lines().count();
    let swaps = vec((0..lines, hostile_value()), 1..6);
    fuzz("config toml (structured)", swaps, |swaps| {
        let mut text: Vec<String> = base.lines().map(str::to_string).collect();
        for (i, value) in swaps {
            if let Some((key, _)) = text[i].split_once(" = ") {
                text[i] = format!("{key} = {value}");
            }
        }
        match Config::parse(&text.join("\n")) {
            Ok(cfg) => derive(&cfg),
            Err(e) if e.to_string().trim().is_empty() => {
                return Err("an error without words".into());
            }
            Err(_) => {}
        }
        Ok(())
    });
}

#[test]
fn config_mutated() {
    let seeds = vec![EXAMPLE.as_bytes().to_vec(), all_on().into_bytes()];
    fuzz("config toml (mutated)", mutated_text(seeds, TOML), |text| {
        if let Ok(cfg) = Config::parse(&text) {
            derive(&cfg);
        }
        Ok(())
    });
}

/// Found by config_structured: `flush_interval_secs = nan` parsed and then panicked the
/// exporter (Duration::from_secs_f64(NaN)); likewise `press_interval_secs = inf` in --demo.
#[test]
fn regression_non_finite_intervals() {
    for v in ["nan", "inf", "-inf", "-nan", "1e308", "-1.0"] {
        let text = format!(
            "[demo]\npress_interval_secs = {v}\n[export]\nbase_url = \"http://127.0.0.1:1\"\nspace = \"s\"\nflush_interval_secs = {v}\n"
        );
        let cfg = Config::parse(&text).unwrap();
        let flush = cfg.export.unwrap().flush_interval();
        let press = cfg.demo.press_interval();
        for d in [flush, press] {
            assert!(d >= std::time::Duration::from_millis(10), "{v}: {d:?}");
            assert!(d <= std::time::Duration::from_secs(86_400), "{v}: {d:?}");
        }
    }
}

/// Found by config_structured: `active_voter_minutes = 18446744073709551615` overflowed
/// minutes × 60 and panicked while building the rules.
#[test]
fn regression_huge_active_voter_minutes() {
    let cfg = Config::parse("[party]\nactive_voter_minutes = 18446744073709551615\n").unwrap();
    let mut party = Party::new("p", cfg.rules());
    exercise(&mut party, Timestamp::from_millis(0));
}
