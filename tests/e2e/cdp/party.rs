//! The real binary as a browser test's peer: a headless demo party on a free port, what it
//! journaled, and polling for what it shows.
#![allow(dead_code)]
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for anything a browser test waits on; a pass takes a second or two.
pub const LIMIT: Duration = Duration::from_secs(30);
/// How often a polled condition is checked again.
const POLL: Duration = Duration::from_millis(50);

/// The binary, headless, on a free port; killed when dropped.
pub struct Party {
    child: Child,
    pub url: String,
}

impl Party {
    /// `dir` holds the data and `config.toml`.
    pub fn start(dir: &Path) -> Party {
        Party::start_on(dir, "127.0.0.1:0")
    }

    /// Writes `config` to `dir`'s config.toml first.
    pub fn start_configured(dir: &Path, config: &str) -> Party {
        std::fs::write(dir.join("config.toml"), config).expect("write config.toml");
        Party::start(dir)
    }

    /// On a given address (to come back where a stopped party was).
    pub fn start_on(dir: &Path, bind: &str) -> Party {
        Party::start_with(dir, bind, &[], &[])
    }

    /// With more command-line arguments and environment variables (secrets a config names).
    pub fn start_with(dir: &Path, bind: &str, args: &[&str], env: &[(&str, &str)]) -> Party {
        let mut child = Command::new(env!("CARGO_BIN_EXE_party-tui"))
            .args(["--headless", "--demo", "--new-party", "--bind", bind])
            .args(args)
            .arg("--data-dir")
            .arg(dir)
            .arg("--config")
            .arg(dir.join("config.toml"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start party-tui");
        let lines = super::drain_lines(child.stderr.take().expect("piped stderr"));
        let mut party = Party {
            child,
            url: String::new(),
        };
        let mut seen = Vec::new();
        // The binary prints this line once its socket listens: the port without a race.
        party.url = loop {
            match lines.recv_timeout(LIMIT) {
                Ok(line) => match line.strip_prefix("party-tui: vote page on ") {
                    Some(url) => break url.trim().to_string(),
                    None => seen.push(line),
                },
                Err(_) => panic!("party-tui printed no vote URL:\n{}", seen.join("\n")),
            }
        };
        party
    }

    /// Stops the party (as a power cut or a crash would), keeping its files.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls `check` until it gives a value, failing after `LIMIT`.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < LIMIT,
            "timed out after {LIMIT:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// The party's state as guests get it, if it answers. `url` ends in `/`.
pub async fn state(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(format!("{url}api/state"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Waits for the demo to play a track and returns its title. `url` ends in `/`.
pub async fn first_track(http: &reqwest::Client, url: &str) -> String {
    eventually("the demo to play a track", async || {
        let s = state(http, url).await?;
        s["now_playing"]["title"].as_str().map(str::to_string)
    })
    .await
}

/// The journals of the demo parties in `data_dir` (the demo keeps its parties under demo/).
pub fn demo_journals(data_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data_dir.join("demo").join("parties"))
        .expect("parties dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect()
}

/// Every entry of a journal, as JSON.
pub fn read_journal(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line is JSON"))
        .collect()
}

/// Every entry of the (first) demo party's journal in `data_dir`.
pub fn demo_journal(data_dir: &Path) -> Vec<Value> {
    read_journal(demo_journals(data_dir).first().expect("a journal"))
}
