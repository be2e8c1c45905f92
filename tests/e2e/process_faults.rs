//! The process at its edges, through the binary: a second instance on the same data dir, a
//! hang-up, a log file that cannot be created, a journal deleted while the party runs, a
//! clock behind the journal (faketime), a journal damaged by the old failure path and one with
//! a line deleted by hand.
use crate::faults;
use crate::support;

use faults::{CONFIG, LIMIT, journal_lines, journaled_presses, start, start_real};
use std::process::{Command, Stdio};

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let data = dir.path().join("data");
    (dir, config, data)
}

fn run_to_end(data: &std::path::Path, config: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_second_instance_on_the_same_data_dir_stops_naming_the_first() {
    let (_dir, config, data) = setup();
    let first = start(&[], &data, &config, &[]);
    for args in [
        &["--headless", "--demo", "--bind", "127.0.0.1:0"][..],
        &["--no-attach", "--demo", "--bind", "127.0.0.1:0"][..],
    ] {
        let (code, err) = run_to_end(&data, &config, args);
        assert_ne!(code, 0, "{args:?}: {err}");
        assert!(
            err.contains(&format!("PID {}", first.pid())),
            "{args:?}: {err}"
        );
    }
    assert_eq!(first.press(1), 200, "the first party is untouched");
    assert!(first.stop().success());
}

#[test]
fn a_hang_up_stops_cleanly_like_sigterm() {
    let (_dir, config, data) = setup();
    let party = start(&[], &data, &config, &[]);
    assert_eq!(party.press(1), 200);
    assert!(data.join("instance.json").exists());
    let mut party = party;
    Command::new("kill")
        .args(["-s", "HUP", &party.pid().to_string()])
        .status()
        .unwrap();
    let status = party.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    assert!(
        !data.join("instance.json").exists(),
        "instance file removed"
    );
}

#[test]
fn a_log_file_that_cannot_be_created_is_an_error_naming_it() {
    let (_dir, config, data) = setup();
    // A directory where the log file should be: no filesystem trick needed, and root cannot
    // write through it either.
    std::fs::create_dir_all(data.join("logs").join("party-tui.log")).unwrap();
    let (code, err) = run_to_end(&data, &config, &["--headless", "--demo"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("party-tui.log") && err.contains("cannot create"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_journal_deleted_while_the_party_runs_is_restored() {
    let (_dir, config, data) = setup();
    let party = start(&[], &data, &config, &[]);
    for n in 0..5 {
        assert_eq!(party.press(n), 200);
    }
    let parties = data.join("demo").join("parties");
    for e in std::fs::read_dir(&parties).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "jsonl") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    for n in 5..8 {
        assert_eq!(party.press(n), 200);
    }
    assert!(party.log().contains("was deleted while the party ran"));
    assert!(party.stop().success());
    assert_eq!(
        journaled_presses(&data),
        8,
        "every press is back in the journal"
    );
}

#[test]
fn a_clock_behind_the_journal_keeps_party_time_running() {
    // libfaketime preloaded through `env`, which execs: the PID stays party-tui's, so the
    // test can stop it with SIGTERM (the `faketime` wrapper forks).
    let Some(lib) = libfaketime() else {
        return support::skip_or_fail("libfaketime is not installed (apt-get install faketime)");
    };
    let preload = format!("LD_PRELOAD={}", lib.display());
    let (_dir, config, data) = setup();
    // A 2 s debounce: two presses 3 s apart are two presses, unless party time stands still.
    std::fs::write(
        &config,
        CONFIG.replace("debounce_secs = 0", "debounce_secs = 2"),
    )
    .unwrap();
    let party = start_real(&[], &data, &config);
    assert_eq!(party.press(0), 200);
    assert!(party.stop().success());
    let before = last_at(&data);

    // The Pi comes back without a real-time clock: 30 minutes behind the journal.
    let party = start_real(&["env", &preload, "FAKETIME=-30m"], &data, &config);
    assert_eq!(party.press(1), 200);
    let first = last_at(&data);
    assert!(first >= before, "party time never runs backwards");
    let wait_until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    // Waiting out the debounce is the behaviour under test (party time must move with it).
    support::wait_until("3 s to pass", LIMIT, || {
        (std::time::Instant::now() >= wait_until).then_some(())
    });
    assert_eq!(party.press(2), 200);
    let second = last_at(&data);
    assert!(
        second - first >= 2_500,
        "party time moved on: {first} → {second}"
    );
    let results: Vec<String> = journal_lines(&data)
        .iter()
        .filter(|v| v["input"]["voter"] == "button:B1")
        .map(|v| {
            v["effects"][0]["result"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    // The press right after the restart may fall in the debounce (party time went on from
    // the journal's last entry); the one 3 s later must not: party time did not stand still.
    assert_eq!(results.len(), 3, "{results:?}");
    assert_ne!(results[2], "debounced", "{results:?}");
    assert!(party.log().contains("behind the journal"), "warned");
    assert!(party.stop().success());
}

fn libfaketime() -> Option<std::path::PathBuf> {
    std::fs::read_dir("/usr/lib")
        .ok()?
        .flatten()
        .find_map(|arch| {
            let p = arch.path().join("faketime").join("libfaketimeMT.so.1");
            p.exists().then_some(p)
        })
}

fn last_at(data: &std::path::Path) -> i64 {
    journal_lines(data).last().unwrap()["at"].as_i64().unwrap()
}

#[test]
fn a_journal_from_the_old_failure_path_is_repaired_and_a_deleted_line_is_recorded_as_missing() {
    let (_dir, config, data) = setup();
    let party = start(&[], &data, &config, &["--new-party"]);
    for n in 0..4 {
        assert_eq!(party.press(n), 200);
    }
    assert!(party.stop().success());
    let journal = std::fs::read_dir(data.join("demo").join("parties"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    // The old loop wrote no checksums.
    let lines: Vec<String> = text
        .lines()
        .map(|l| format!("{}}}", l.rsplit_once(r#","crc":""#).unwrap().0))
        .collect();
    // What it wrote on a full disk: a batch of the last two lines failed after the first and
    // half of the second (a torn line), and its retry was appended right onto it.
    let n = lines.len();
    let (a, b) = (&lines[n - 2], &lines[n - 1]);
    let damaged = format!(
        "{}\n{a}\n{}{a}\n{b}\n",
        lines[..n - 2].join("\n"),
        &b[..b.len() / 2],
    );
    std::fs::write(&journal, &damaged).unwrap();
    let again = start(&[], &data, &config, &[]);
    assert_eq!(again.presses_shown(), 4, "nothing acknowledged was lost");
    assert!(again.log().contains("repaired the journal"));
    assert!(again.stop().success());
    assert_eq!(journaled_presses(&data), 4);

    // A line deleted by hand (as the old error advised) no longer stops every start with the
    // next gap: the missing entry is recorded and the party starts without it.
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    let gone = lines.remove(n - 2);
    assert!(gone.contains("button:B1"), "{gone}");
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let again = start(&[], &data, &config, &[]);
    assert_eq!(again.presses_shown(), 3);
    assert!(
        again
            .log()
            .contains(&format!("1 entry missing before line {} (seq ", n - 1)),
        "{}",
        again.log()
    );
    assert!(again.stop().success());
    assert_eq!(
        journaled_presses(&data),
        3,
        "seqs run on past the gap entry"
    );
}
