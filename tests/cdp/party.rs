//! The real binary as the browser tests run it: headless demo on a free port, and polling
//! with a bound for what the page shows.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for anything the test waits on; a pass takes a second or two.
pub const LIMIT: Duration = Duration::from_secs(30);
/// How often a polled condition is checked again.
const POLL: Duration = Duration::from_millis(50);

/// The binary, headless, on a free port; killed when dropped.
pub struct Party {
    child: Child,
    pub url: String,
}

impl Party {
    pub fn start(dir: &Path) -> Party {
        let mut child = Command::new(env!("CARGO_BIN_EXE_party-tui"))
            .args([
                "--headless",
                "--demo",
                "--new-party",
                "--bind",
                "127.0.0.1:0",
            ])
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
}

impl Drop for Party {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
