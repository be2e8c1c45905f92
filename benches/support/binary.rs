//! The real party-tui binary as a bench's server: started headless on the demo with a config
//! the bench writes, measured from /proc like any other process.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `party-tui --headless --demo --demo-speed <speed>` with `config` as its config.toml, its
/// data in `dir/data`, serving on 127.0.0.1:`port`.
pub fn start(dir: &Path, port: u16, speed: f64, config: &str) -> Child {
    let path = dir.join("config.toml");
    std::fs::write(&path, config).expect("write config");
    Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--headless")
        .arg("--demo")
        .args(["--demo-speed", &speed.to_string()])
        .arg("--config")
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env("HOME", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start party-tui")
}

/// Waits until the party answers `/api/state` (start-up: journal, key, listener).
pub async fn wait_up(http: &reqwest::Client, port: u16) {
    let started = Instant::now();
    while http
        .get(format!("http://127.0.0.1:{port}/api/state"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "party-tui did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().unwrap().port()
}

/// A line of /proc/<pid>/status in MB ("VmRSS:", "VmHWM:" for the peak).
pub fn status_mb(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

pub fn rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmRSS:")
}

pub fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
