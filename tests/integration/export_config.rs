//! `[export]` in config.toml: absent by default (the shipped file equals the defaults), and the
//! documented, commented-out example parses to what it says once uncommented.
use party_tui::config::Config;
use party_tui::outlets::{FieldNames, MetadataFormat};

fn shipped() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap()
}

#[test]
fn shipped_config_exports_nothing() {
    assert!(Config::parse(&shipped()).unwrap().export.is_none());
}

#[test]
fn the_documented_example_parses_once_uncommented() {
    let text = shipped();
    let start = text
        .find("# [export]\n")
        .expect("documented [export] block");
    let block: String = text[start..]
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.starts_with('[') || l.split_once(" = ").is_some_and(|(k, _)| !k.contains(' '))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let cfg = Config::parse(&block).unwrap_or_else(|e| panic!("{e}\n{block}"));
    let export = cfg.export.expect("[export] parsed");
    assert_eq!(
        export.events_url(),
        "https://app.competitionlabs.com/api/my-space/events"
    );
    assert_eq!(export.metadata_format, MetadataFormat::Map);
    assert_eq!(export.fields, FieldNames::default());
    assert_eq!(export.flush_interval().as_secs(), 1);
    assert!(export.validate().is_ok());
    // The key is in the example but never in Debug output.
    assert!(!format!("{export:?}").contains("\"...\""));
}

#[test]
fn a_typo_in_export_names_the_key() {
    let e = Config::parse("[export]\nbase_url = \"http://x\"\nspace = \"s\"\nflush_secs = 2\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("flush_secs"), "{e}");
    let e = Config::parse(
        "[export]\nbase_url = \"http://x\"\nspace = \"s\"\n[export.fields]\nid = \"x\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`id`") || e.contains("id"), "{e}");
}
