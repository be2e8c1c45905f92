//! `[mqtt]` and `[cumulocity]` as config.toml documents them: the commented examples parse
//! once uncommented, and a typo is an error that names the key and its line.
use party_tui::config::Config;

/// The commented block that starts with `# [section]`, uncommented.
fn example(section: &str) -> String {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap();
    let start = text
        .find(&format!("\n# [{section}]\n"))
        .expect("documented")
        + 1;
    text[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim_start())
        // Keys and the table header; the prose between them stays a comment.
        .filter(|l| {
            l.starts_with('[')
                || l.split_once(" = ")
                    .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_documented_examples_parse() {
    let cfg = Config::parse(&example("mqtt")).unwrap();
    let m = cfg.mqtt.unwrap();
    assert_eq!(m.url, "mqtt://homeassistant.local:1883");
    assert_eq!(m.client_id.as_deref(), Some("party-tui-<hostname>"));
    assert!(m.commands);
    m.broker().unwrap();
    let cfg = Config::parse(&example("cumulocity")).unwrap();
    let c = cfg.cumulocity.unwrap();
    assert_eq!(c.username(), "t12345/party-device");
    assert!(c.broker().unwrap().tls);
    // The shipped file itself has neither.
    let shipped = Config::parse(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap(),
    )
    .unwrap();
    assert!(shipped.mqtt.is_none() && shipped.cumulocity.is_none());
}

#[test]
fn typos_name_the_key_and_line() {
    let e = Config::parse("[mqtt]\nurl = \"mqtt://x\"\ndiscovery_prefx = \"ha\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("discovery_prefx") && e.contains("line 3"), "{e}");
    let e = Config::parse("[cumulocity]\nurl = \"mqtt://x\"\ntenant = \"t1\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("user"), "a missing key is named: {e}");
}
