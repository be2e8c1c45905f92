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
