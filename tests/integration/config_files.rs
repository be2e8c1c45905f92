//! config.toml parsing: the shipped example, a full valid file, and invalid files whose errors
//! must name the key and the line.
use party_tui::config::{Config, load};
use party_tui::core::{Action, ButtonActions, Threshold, TriggerCondition};
use std::path::Path;

fn file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/config")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn error_of(name: &str) -> String {
    Config::parse(&file(name))
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn shipped_example_is_exactly_the_defaults() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap();
    let cfg = Config::parse(&text).unwrap();
    assert_eq!(cfg.rules(), Config::default().rules());
    assert_eq!(cfg.demo.guests, Config::default().demo.guests);
}

#[test]
fn full_file_gives_the_rules_it_says() {
    let cfg = Config::parse(&file("full.toml")).unwrap();
    let rules = cfg.rules();
    assert_eq!(rules.skip_threshold, Threshold::Percent(40));
    assert_eq!(rules.skip_threshold_min, 3);
    assert_eq!(rules.skip_margin, Some(2));
    assert_eq!(rules.vote_window.as_secs(), 60);
    assert_eq!(cfg.buttons[0].mac.as_deref(), Some("68:37:e9:12:34:56"));
    assert_eq!(
        rules.buttons[0].actions,
        ButtonActions::Always(Action::Like)
    );
    assert_eq!(
        rules.buttons[1].actions,
        ButtonActions::Sequence(vec![
            Action::Like.into(),
            Action::Like.into(),
            Action::Skip.into()
        ])
    );
    assert_eq!(rules.buttons[1].debounce.unwrap().as_secs(), 2);
    assert_eq!(
        rules.buttons[2].actions,
        ButtonActions::ByClick {
            single: Some(Action::Like),
            double: Some(Action::Skip),
            long: Some(Action::Keep)
        }
    );
    assert_eq!(rules.triggers[0].when, TriggerCondition::LikesAtLeast(5));
    assert_eq!(rules.triggers[1].when, TriggerCondition::BatteryBelow(0.2));
}

#[test]
fn unknown_key_names_key_and_line() {
    let e = error_of("typo.toml");
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("vote_windw_secs"), "{e}");
}

#[test]
fn bad_threshold_quotes_the_value_and_line() {
    let e = error_of("bad_threshold.toml");
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("140%"), "{e}");
}

#[test]
fn conflicting_button_actions_are_refused() {
    let e = error_of("two_actions.toml");
    assert!(e.contains("Kitchen") && e.contains("one of"), "{e}");
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn bad_mac_is_refused() {
    let e = error_of("bad_mac.toml");
    assert!(e.contains("68:37:e9:12:34") && e.contains("MAC"), "{e}");
}

#[test]
fn missing_explicit_file_is_an_error_but_missing_default_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let e = load(Some(&missing)).unwrap_err().to_string();
    assert!(e.contains("nope.toml"), "{e}");
}

#[test]
fn load_prefixes_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, "[party]\nskip_threshold = 0\n").unwrap();
    let e = format!("{:#}", load(Some(&p)).unwrap_err());
    assert!(e.contains("c.toml") && e.contains("line 2"), "{e}");
}

#[test]
fn http_limits_default_in_the_example_and_bad_values_name_the_key() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap();
    let shipped = Config::parse(&text).unwrap().http.limits();
    assert_eq!(shipped, party_tui::http::HttpLimits::default());
    let cfg = Config::parse(
        "[http]\nrate_limit_per_sec = 0\nnew_guests_per_hour = 500\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
    )
    .unwrap();
    let limits = cfg.http.limits();
    assert_eq!(limits.rate_limit, None, "0 turns the flood limit off");
    assert_eq!(limits.new_guests_per_hour, 500);
    assert_eq!(limits.trusted_proxies.len(), 2);
    for (text, key) in [
        ("[http]\nrate_limit_per_sec = -1\n", "rate_limit_per_sec"),
        ("[http]\nrate_limit_per_sec = nan\n", "rate_limit_per_sec"),
        (
            "[http]\ntrusted_proxies = [\"my-tunnel\"]\n",
            "trusted_proxies",
        ),
        ("[http]\nnew_guests_per_hour = -2\n", "new_guests_per_hour"),
    ] {
        let e = Config::parse(text).expect_err(text).to_string();
        assert!(e.contains(key) && e.contains("line 2"), "{text}: {e}");
    }
}
