//! End to end, as a person would: the real binary's dashboard in tmux, driven with keys.
use crate::support;

use std::path::Path;
use support::tmux::{LIMIT, Tmux};
use support::{have_command, skip_or_fail, wait_until};

/// A demo with no simulated guests, so nothing but the test's keys changes the party.
fn quiet_demo(dir: &Path) -> Vec<String> {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[demo]\nguests = 0\n").unwrap();
    [
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
        "--demo",
        "--new-party",
        "--bind",
        "127.0.0.1:0",
    ]
    .map(String::from)
    .to_vec()
}

fn playlist_titles() -> Vec<String> {
    party_tui::players::demo::playlist()
        .into_iter()
        .map(|t| t.title)
        .collect()
}

#[test]
fn the_demo_dashboard_shows_the_track_skips_on_s_and_quits_on_q() {
    if !have_command("tmux") {
        return skip_or_fail("tmux is not installed (apt-get install tmux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let args = quiet_demo(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let titles = playlist_titles();
    let tmux = Tmux::start(dir.path(), (100, 30), &args);

    let screen = tmux.wait_for(&titles[0]);
    assert!(screen.contains("0/3"), "skip counter shown:\n{screen}");
    tmux.keys("s");
    tmux.wait_for(&titles[1]);
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.screen());

    // The host's skip is in the journal, before the second track began.
    let parties = dir.path().join("demo").join("parties");
    let journal = std::fs::read_dir(&parties)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a journal");
    let text = std::fs::read_to_string(journal).unwrap();
    let skip = text.find("skip_now").expect("skip_now journaled");
    let second = text.find(&titles[1]).expect("second track journaled");
    assert!(skip < second);
}

#[test]
fn at_80x24_the_help_overlay_opens_and_closes() {
    if !have_command("tmux") {
        return skip_or_fail("tmux is not installed (apt-get install tmux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let args = quiet_demo(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let tmux = Tmux::start(dir.path(), (80, 24), &args);
    tmux.wait_for(&playlist_titles()[0]);
    tmux.keys("?");
    let help = tmux.wait_for("reset this track");
    assert!(help.contains("quit"), "{help}");
    tmux.keys("Escape");
    wait_until("the help overlay to close", LIMIT, || {
        (!tmux.screen().contains("reset this track")).then_some(())
    });
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0);
}
