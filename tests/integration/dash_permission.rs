//! Without CAP_NET_RAW the capture must not start, and must say exactly how to grant it, both as
//! the error and on the status line. As root we drop the capability with setpriv and re-run this
//! binary's helper; without it we can call the capture directly.
use crate::support;

use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::buttons::spawn_capture;
use std::process::Command;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The helper's test name, from the test binary's root (the binary names tests so).
const HELPER: &str = "dash_permission::open_capture_helper";
const ENV_RUN: &str = "DASH_TEST_OPEN_CAPTURE";
const CAP_NET_RAW_BIT: u32 = 13;

/// Not a test of its own: re-run by the test below with CAP_NET_RAW dropped.
#[test]
#[ignore = "helper run by without_cap_net_raw_the_capture_says_how_to_grant_it"]
fn open_capture_helper() {
    if std::env::var(ENV_RUN).is_ok() {
        print!("{}", try_capture());
    }
}

/// Try to capture on loopback; return the error and the health report, one per line.
fn try_capture() -> String {
    let (inbox, mut rx) = Inbox::new();
    let err = match spawn_capture(
        Some("lo".into()),
        Vec::new(),
        Duration::from_secs(10),
        inbox,
        CancellationToken::new(),
    ) {
        Ok(_) => return "capture started\n".into(),
        Err(e) => e,
    };
    let health = match rx.try_recv() {
        Ok(Msg::Health(h)) => format!("{:?}: {}", h.level, h.detail),
        other => format!("no health report: {other:?}"),
    };
    format!("error: {err}\nhealth: {health}\n")
}

fn have_cap_net_raw() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_NET_RAW_BIT) != 0)
}

#[test]
fn without_cap_net_raw_the_capture_says_how_to_grant_it() {
    let exe = std::env::current_exe().unwrap().canonicalize().unwrap();
    let said = if have_cap_net_raw() {
        if !support::have_command("setpriv") {
            return support::skip_or_fail("setpriv (util-linux) is needed to drop CAP_NET_RAW");
        }
        let out = Command::new("setpriv")
            .args(["--inh-caps=-net_raw", "--bounding-set=-net_raw", "--"])
            .arg(&exe)
            .args([HELPER, "--exact", "--ignored", "--nocapture"])
            .env(ENV_RUN, "1")
            .output()
            .expect("run setpriv");
        if !out.status.success() {
            return support::skip_or_fail(&format!(
                "cannot drop CAP_NET_RAW here: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        try_capture()
    };
    let hint = format!(
        "button capture needs CAP_NET_RAW: sudo setcap cap_net_raw=ep {}",
        exe.display()
    );
    assert!(said.contains(&format!("error: {hint}\n")), "{said}");
    assert!(said.contains(&format!("health: Error: {hint}\n")), "{said}");
}
