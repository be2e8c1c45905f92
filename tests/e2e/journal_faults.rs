//! The journal under real faults, through the whole program: a write error (a file-size limit
//! set and lifted on the running process with prlimit) and a full disk (a tmpfs filled up and
//! freed, as root). In both: every press answered 200 is in the journal and counted, every
//! press answered otherwise is in neither, the party recovers by itself once writing works,
//! and a restart replays the journal to the same counts.
use crate::faults;
use crate::support;

use faults::{CONFIG, LIMIT, Party, journaled_presses, press_until_refused, start};
use std::path::Path;
use std::process::Command;

/// Presses until one is answered 200 again (the party recovered by itself).
fn press_until_accepted(party: &Party, start: u32) -> u32 {
    let mut n = start;
    support::wait_until("a press to be accepted again", LIMIT, || {
        n += 1;
        (party.press(n) == 200).then_some(())
    });
    n + 1
}

/// Once the fault is on: refused while it lasts, recovered by itself once `lift` ends it.
/// Returns how many presses were acknowledged in all.
fn refuse_then_recover(party: &Party, acked: u64, next: u32, lift: impl FnOnce()) -> u64 {
    let mut acked = acked;
    for n in next..next + 5 {
        assert_eq!(party.press(n), 503, "press {n} while writes fail");
    }
    support::wait_until("the journal error in the log", LIMIT, || {
        party.log().contains("journal append failed").then_some(())
    });
    assert_eq!(
        party.presses_shown(),
        acked,
        "only acknowledged presses count"
    );

    lift();
    let n = press_until_accepted(party, next + 5);
    acked += 1;
    for n in n..n + 5 {
        assert_eq!(party.press(n), 200, "writes work again");
        acked += 1;
    }
    assert_eq!(party.presses_shown(), acked);
    support::wait_until("the recovery in the log", LIMIT, || {
        party
            .log()
            .contains("journal writes work again")
            .then_some(())
    });
    // One failure, one rebuild of the party: the refused presses never reached the journal's
    // writer (before, each of them failed a write and replayed the journal again).
    let log = party.log();
    assert_eq!(log.matches("journal append failed").count(), 1, "{log}");
    acked
}

/// SIGTERM, then a restart on the same data dir: the journal replays to the same count.
fn restart_and_check(party: Party, config: &Path, acked: u64) {
    let data = party.data.clone();
    let status = party.stop();
    assert!(status.success(), "clean exit after a fault: {status}");
    assert_eq!(
        journaled_presses(&data),
        acked,
        "journal holds exactly the acknowledged"
    );
    let again = start(&[], &data, config, &[]);
    assert_eq!(
        again.presses_shown(),
        acked,
        "restart replays to the same count"
    );
    assert!(again.stop().success());
}

#[test]
fn a_write_error_refuses_votes_loses_nothing_and_heals_by_itself() {
    if !support::have_command("prlimit") {
        return support::skip_or_fail("prlimit is not installed (apt-get install util-linux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let data = dir.path().join("data");
    // Files may not grow past 48 KiB: the journal's next write fails (EFBIG) a few hundred
    // presses in, between lines, as any write error would.
    // Soft limit only, so the test can lift it without privileges.
    let party = start(
        &["prlimit", "--fsize=49152:unlimited", "--"],
        &data,
        &config,
        &[],
    );
    let (acked, status, next) = press_until_refused(&party, 0, 5_000);
    assert_eq!(status, 503, "a refused press is a 503, not a crash");
    assert!(
        acked > 10,
        "some presses went in before the limit ({acked})"
    );
    let pid = party.pid().to_string();
    let acked = refuse_then_recover(&party, acked, next, || {
        let lifted = Command::new("prlimit")
            .args(["--pid", &pid, "--fsize=unlimited"])
            .status()
            .unwrap();
        assert!(lifted.success());
    });
    restart_and_check(party, &config, acked);
}

#[test]
fn a_full_disk_refuses_votes_loses_nothing_and_heals_once_freed() {
    if !nix_is_root() {
        return support::skip_or_fail("mounting a tmpfs needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let data = dir.path().join("data");
    // The demo's journals live in <data>/demo: that is the small disk; the log stays outside,
    // where the test can read it.
    let disk = data.join("demo");
    std::fs::create_dir_all(&disk).unwrap();
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=2m",
            "party-tui-full",
            disk.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    if !mounted.success() {
        return support::skip_or_fail("cannot mount a tmpfs here");
    }
    let _unmount = Unmount(disk.clone());
    let party = start(&[], &data, &config, &[]);
    let (mut acked, mut next) = (0, 0);
    for n in 0..20 {
        assert_eq!(party.press(n), 200);
        acked += 1;
        next = n + 1;
    }
    // Fill what is left of the disk.
    let filler = disk.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", filler.display()), "bs=4k"])
        .stderr(std::process::Stdio::null())
        .status();
    let (more, status, next) = press_until_refused(&party, next, 20_000);
    acked += more;
    assert_eq!(status, 503);
    support::wait_until("disk full on the status line (log)", LIMIT, || {
        party.log().contains("disk full").then_some(())
    });
    let acked = refuse_then_recover(&party, acked, next, || {
        std::fs::remove_file(&filler).unwrap();
    });
    restart_and_check(party, &config, acked);
}

/// The whole data dir on a small tmpfs, the log file included, as on a Pi's one SD card: the
/// log loses the lines the full disk cannot take, whole (one cut short is cut off again), and
/// says how many once there is room; the journal loses nothing acknowledged.
#[test]
fn a_full_disk_under_the_log_too_drops_whole_log_lines_and_counts_them() {
    if !nix_is_root() {
        return support::skip_or_fail("mounting a tmpfs needs root");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "party-tui-full"])
        .arg(&data)
        .status()
        .unwrap();
    if !mounted.success() {
        return support::skip_or_fail("cannot mount a tmpfs here");
    }
    let _unmount = Unmount(data.clone());
    let party = start(&[], &data, &config, &[]);
    let mut acked = 0;
    for n in 0..20 {
        assert_eq!(party.press(n), 200);
        acked += 1;
    }
    let filler = data.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", &format!("of={}", filler.display()), "bs=4k"])
        .stderr(std::process::Stdio::null())
        .status();
    // The log's last page still has room: leave it 20 bytes, so the next line the party logs
    // fits only in part (written here as a whole line of our own while the party is quiet).
    let log_path = data.join("logs").join("party-tui.log");
    let len = std::fs::metadata(&log_path).unwrap().len();
    let page = 4096;
    let pad = (page - len % page) % page;
    if pad > 21 {
        let line = format!("{}\n", "x".repeat(pad as usize - 21));
        std::fs::OpenOptions::new()
            .append(true)
            .open(&log_path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
            .unwrap();
    }
    let (more, status, next) = press_until_refused(&party, 20, 20_000);
    acked += more;
    assert_eq!(status, 503);
    for n in next..next + 5 {
        assert_eq!(party.press(n), 503, "press {n} while the disk is full");
    }
    assert_eq!(party.presses_shown(), acked);
    std::fs::remove_file(&filler).unwrap();
    let n = press_until_accepted(&party, next + 5);
    acked += 1;
    assert_eq!(party.press(n), 200);
    acked += 1;
    support::wait_until("the recovery in the log", LIMIT, || {
        party
            .log()
            .contains("journal writes work again")
            .then_some(())
    });
    let log = party.log();
    assert!(log.ends_with('\n'), "torn end: {log}");
    let mut dropped = 0;
    for line in log.lines() {
        if line.starts_with('x') {
            continue; // the test's own
        }
        assert!(is_log_line(line), "not a whole log line: {line:?}");
        if let Some((n, _)) = line
            .split_once(": ")
            .and_then(|(_, m)| m.split_once(" log line"))
        {
            dropped += n.parse::<u32>().unwrap_or(0);
        }
    }
    // At least the failure's own lines (the error, the status line) did not fit.
    assert!(dropped >= 2, "no dropped lines counted: {log}");
    assert!(log.contains("dropped while the disk was full"), "{log}");
    restart_and_check(party, &config, acked);
}

/// `<RFC 3339 time>Z <LEVEL> <target>: …`, with no second line glued to it.
fn is_log_line(line: &str) -> bool {
    let Some((time, rest)) = line.split_once("Z ") else {
        return false;
    };
    let level = rest.trim_start().split(' ').next().unwrap_or("");
    // Exactly `2026-12-06T05:32:59.970325`: a torn part glued in front would not be.
    let shape = "dddd-dd-ddTdd:dd:dd.dddddd";
    time.len() == shape.len()
        && time.bytes().zip(shape.bytes()).all(|(c, s)| {
            if s == b'd' {
                c.is_ascii_digit()
            } else {
                c == s
            }
        })
        && ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level)
        && !rest.contains("Z  INFO ")
        && !rest.contains("Z  WARN ")
        && !rest.contains("Z ERROR ")
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
