//! The real binary as a browser test's peer: a headless demo party on a free port.
#![allow(dead_code)]
use std::path::Path;
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

    /// On a given address (to come back where a stopped party was).
    pub fn start_on(dir: &Path, bind: &str) -> Party {
        let mut child = Command::new(env!("CARGO_BIN_EXE_party-tui"))
            .args(["--headless", "--demo", "--new-party", "--bind", bind])
            .arg("--data-dir")
            .arg(dir)
            .arg("--config")
            .arg(dir.join("config.toml"))
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
