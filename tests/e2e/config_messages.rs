//! Config mistakes a new host made, each refused with a message that names the key (or the
//! buttons), the value and the right form; and `check-config` in sentences, not debug output.
use party_tui::config::load;
use std::path::Path;
use std::process::Command;

fn path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/config")
        .join(name)
}

fn error_of(name: &str) -> String {
    format!(
        "{:#}",
        load(Some(&path(name))).expect_err("must be rejected")
    )
}

#[test]
fn each_mistake_reads_as_what_to_change() {
    let cases: [(&str, &str); 8] = [
        (
            "dup_names.toml",
            "two buttons are named `kitchen` (and `Kitchen`): give each [[button]] its own name",
        ),
        (
            "dup_mac.toml",
            "buttons `Kitchen` and `Sofa` have the same mac `68:37:e9:12:34:56`: each button needs its own",
        ),
        (
            "no_id.toml",
            "button `Kitchen` has no `mac`, `serial` or `id`, so nothing can press it",
        ),
        (
            "two_players.toml",
            "both [sonos] and [spotify] are set: keep the one party-tui should follow",
        ),
        (
            "threshold_bool.toml",
            r#"line 2: `skip_threshold = true` is not valid: skip_threshold must be a count like 3 or a share like "40%""#,
        ),
        (
            "window_string.toml",
            r#"line 2: `vote_window_secs = "45"` is not valid: vote_window_secs must be a whole number of seconds, like 45"#,
        ),
        (
            "artists_string.toml",
            r#"line 2: `protected_artists = "ABBA"` is not valid: protected_artists must be a list of names in brackets, like ["ABBA", "Queen"]"#,
        ),
        (
            "bind_port.toml",
            r#"line 2: `bind = "8080"` is not valid: bind must be an address and port in quotes, like "0.0.0.0:8080""#,
        ),
    ];
    for (file, want) in cases {
        let e = error_of(file);
        assert!(e.contains(want), "{file}:\n{e}\nwanted: {want}");
        assert!(e.contains(file), "{file}: the file is named: {e}");
        for raw in [
            "untagged enum",
            "expected u64",
            "expected a sequence",
            "invalid socket address syntax",
        ] {
            assert!(!e.contains(raw), "{file}: serde's words leak: {e}");
        }
    }
}

#[test]
fn check_config_describes_the_party_in_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[party]\nname = \"Anna's 30th\"\nskip_threshold = 3\nvote_window_secs = 45\n\n\
         [http]\nbind = \"0.0.0.0:8080\"\nparty_code = \"disco\"\n\n\
         [[button]]\nname = \"Kitchen\"\nmac = \"68:37:e9:12:34:56\"\naction = \"like\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("check-config")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for want in [
        "Party name for guests: Anna's 30th",
        "Rule: 3 skip votes in the first 45 s of a song skip it.",
        "Host's reset (r): clears the song's skip votes; its likes stay.",
        "Player: none: add [sonos] or [spotify]",
        "Vote page: http://<this machine>:8080/",
        "Party code: disco",
        "Kitchen      Dash button 68:37:e9:12:34:56: every press is a like",
        "No problems found.",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(!text.contains("Rules {"), "debug output: {text}");
}
