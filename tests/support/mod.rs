//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]
use std::time::{Duration, Instant};

pub mod headless;
pub mod inproc;
pub mod sample;
pub mod tmux;

/// CI sets PARTY_TUI_REQUIRE_PRIVILEGED=1: there a test that cannot run must fail, not skip.
pub fn require_privileged() -> bool {
    std::env::var("PARTY_TUI_REQUIRE_PRIVILEGED").is_ok_and(|v| v == "1")
}

/// Skip (print why) or, in CI, fail.
pub fn skip_or_fail(why: &str) {
    if require_privileged() {
        panic!("cannot run here and PARTY_TUI_REQUIRE_PRIVILEGED=1: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// The recorded payloads of `kind` in ../shared/fixtures (never copied into the repo), like any
/// other peer: None after `skip_or_fail` where they are missing (a fresh clone skips, saying
/// so; CI fails). PARTY_TUI_FIXTURES overrides the fixtures root; a worktree may sit one level
/// deeper than the main checkout, so both places are looked at.
pub fn recorded_fixtures(kind: &str) -> Option<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = match std::env::var_os("PARTY_TUI_FIXTURES") {
        Some(dir) => vec![std::path::PathBuf::from(dir).join(kind)],
        None => vec![
            root.join("../shared/fixtures").join(kind),
            root.join("../../shared/fixtures").join(kind),
        ],
    };
    let found = candidates.iter().find(|d| d.is_dir()).cloned();
    if found.is_none() {
        skip_or_fail(&format!(
            "no recorded payloads at {}",
            candidates[0].display()
        ));
    }
    found
}

pub fn have_command(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `cmd` (the binary, usually) to the end and gives its stdout; fails with its stderr
/// when it does not succeed.
pub fn stdout_of(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("run the command");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Wait for a condition another process brings about, checking every `step`. This is
/// synchronisation on an observable condition with a deadline, not a sleep standing in for it.
pub fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        if start.elapsed() > limit {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
