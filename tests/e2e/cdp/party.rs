//! The real binary as a browser test's peer: a headless demo party on a free port, what it
//! journaled, and polling for what it shows.
#![allow(dead_code)]
use crate::support::headless;
use crate::support::inproc::{InProcess, Start};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Upper bound for anything a browser test waits on; a pass takes a second or two.
pub const LIMIT: Duration = Duration::from_secs(30);
/// How often a polled condition is checked again.
const POLL: Duration = Duration::from_millis(50);

/// A headless demo party (a new one each time) on a free port, stopped when dropped: in this
/// process through `app::run` unless a test needs the binary (its command line, environment
/// variables, or a kill as a power cut).
pub struct Party {
    run: Run,
    pub url: String,
}

enum Run {
    InProcess(InProcess),
    Binary(Child),
    Stopped,
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
        let start = Start {
            bind: bind.parse().expect("host:port"),
            demo: true,
            new_party: true,
        };
        let party = InProcess::start(dir, start);
        Party {
            url: party.url.clone(),
            run: Run::InProcess(party),
        }
    }

    /// The binary with `config`, for a test that kills it as a power cut would.
    pub fn start_binary_configured(dir: &Path, config: &str) -> Party {
        std::fs::write(dir.join("config.toml"), config).expect("write config.toml");
        Party::start_with(dir, "127.0.0.1:0", &[], &[])
    }

    /// The binary with more command-line arguments and environment variables (secrets a config
    /// names: they are the process's own, so not for a party in the test's process).
    pub fn start_with(dir: &Path, bind: &str, args: &[&str], env: &[(&str, &str)]) -> Party {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_party-tui"));
        cmd.args(["--headless", "--demo", "--new-party", "--bind", bind])
            .args(args)
            .arg("--data-dir")
            .arg(dir)
            .arg("--config")
            .arg(dir.join("config.toml"))
            .envs(env.iter().copied());
        let (child, _stderr, instance) = headless::start(&mut cmd, dir, LIMIT);
        Party {
            run: Run::Binary(child),
            url: instance.vote_url,
        }
    }

    /// Stops the party, keeping its files: the binary as a power cut or a crash would, a party
    /// in this process as a signal would.
    pub fn kill(&mut self) {
        match std::mem::replace(&mut self.run, Run::Stopped) {
            Run::InProcess(party) => {
                let _ = party.stop();
            }
            Run::Binary(mut child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Run::Stopped => {}
        }
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
