//! `cargo bench --bench footprint`: what the dashboard costs a Raspberry Pi. The demo party at
//! normal speed runs in a tmux pane (a real terminal, redrawn as on the Pi's screen) for
//! FOOTPRINT_SECS (default 60) seconds; the bench reads the process's CPU time and peak RSS
//! (VmHWM) from /proc. It measures this machine's release build natively and, where the cross
//! toolchains and qemu-user are installed, the aarch64 and armv7 release builds under qemu
//! (there the figures are qemu's: the emulator's own memory and translation cost included, so
//! they bound the Pi's from above rather than equal them). Under qemu the party runs
//! `--headless`: Debian 12's qemu-user (7.2) does not emulate the TCGETS2 ioctl the terminal
//! setup makes (ENOSYS), so the dashboard itself cannot start there. FOOTPRINT_ARCH=native|aarch64|armv7
//! measures one; FOOTPRINT_NO_BUILD=1 measures the release binaries already in target/ as they
//! are. Goals (issue 18): ≤ 1% of one core, peak RSS ≤ 25 MB.
#[path = "../tests/pi/mod.rs"]
mod pi;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const GOAL_CPU_PERCENT: f64 = 1.0;
const GOAL_RSS_MB: f64 = 25.0;
const SIZE: (u16, u16) = (120, 40);

fn main() {
    let secs: u64 = std::env::var("FOOTPRINT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let only = std::env::var("FOOTPRINT_ARCH").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if !have("tmux") {
        eprintln!("footprint: needs tmux (apt-get install tmux)");
        return;
    }
    println!(
        "the demo at normal speed for {secs} s in a {}x{} tmux pane (native: the dashboard; \
         qemu: headless):",
        SIZE.0, SIZE.1
    );
    let release = |triple: Option<&str>| {
        if std::env::var_os("FOOTPRINT_NO_BUILD").is_some() {
            let mut bin = pi::target_dir();
            bin.extend(triple);
            bin.join("release/party-tui")
        } else {
            pi::build(triple, "release")
        }
    };
    if wanted("native") {
        let bin = release(None);
        measure("x86-64 dashboard", None, &bin, secs);
    }
    for (name, arch) in [("aarch64", &pi::AARCH64), ("armv7", &pi::ARMV7)] {
        if !wanted(name) {
            continue;
        }
        if let Some(why) = pi::cannot_run(arch) {
            println!("{name}: not measured: {why}");
            continue;
        }
        let bin = release(Some(arch.triple));
        measure(&format!("{name}, qemu, headless"), Some(arch), &bin, secs);
    }
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn measure(label: &str, arch: Option<&pi::Arch>, bin: &Path, secs: u64) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[http]\nbind = \"127.0.0.1:0\"\n").unwrap();
    let data = dir.path().join("data");
    let argv: Vec<String> = pi::command(arch, bin)
        .get_program()
        .to_str()
        .into_iter()
        .map(str::to_string)
        .chain(
            pi::command(arch, bin)
                .get_args()
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .chain(["--config".into(), config.display().to_string()])
        .chain(["--data-dir".into(), data.display().to_string()])
        .chain(["--demo".into(), "--no-attach".into()])
        .chain(arch.map(|_| "--headless".to_string()))
        .collect();
    let cmd = argv
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let socket = format!("pi-footprint-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-f", "/dev/null", "-L", &socket])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    // `exec`: the pane's process is party-tui itself (or qemu running it), not a shell.
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "fp",
        "-x",
        &SIZE.0.to_string(),
        "-y",
        &SIZE.1.to_string(),
        &format!("TERM=xterm-256color exec {cmd}"),
    ]);
    assert!(started.status.success(), "tmux: {started:?}");
    let pid: u32 = String::from_utf8_lossy(&tmux(&["list-panes", "-F", "#{pane_pid}"]).stdout)
        .trim()
        .parse()
        .expect("pane pid");
    let ticks = clock_ticks();
    let cpu0 = cpu_ticks(pid);
    let t0 = Instant::now();
    // The measurement is this much wall time; nothing is being waited for.
    std::thread::sleep(Duration::from_secs(secs));
    let cpu1 = cpu_ticks(pid);
    let wall = t0.elapsed().as_secs_f64();
    let hwm_kb = vm_hwm_kb(pid);
    let screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
    tmux(&["kill-server"]);
    let (Some(c0), Some(c1), Some(hwm)) = (cpu0, cpu1, hwm_kb) else {
        println!("{label}: the dashboard exited early; last screen:\n{screen}");
        return;
    };
    let cpu = (c1 - c0) as f64 / ticks / wall * 100.0;
    let rss = hwm as f64 / 1024.0;
    let size = std::fs::metadata(bin)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    println!(
        "{label:<24} CPU {cpu:5.2}% of one core (goal ≤ {GOAL_CPU_PERCENT}%: {}), peak RSS \
         {rss:5.1} MB (goal ≤ {GOAL_RSS_MB} MB: {}), binary {size:.1} MB unstripped",
        if cpu <= GOAL_CPU_PERCENT {
            "met"
        } else {
            "missed"
        },
        if rss <= GOAL_RSS_MB { "met" } else { "missed" },
    );
    if arch.is_none() {
        assert!(
            screen.lines().filter(|l| !l.trim().is_empty()).count() > 5,
            "the pane shows no dashboard:\n{screen}"
        );
    }
}

/// utime + stime of a process, in clock ticks (None once it has gone).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name (which may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}
