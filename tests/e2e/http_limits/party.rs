//! The party the HTTP limit tests talk to: in this process through `app::run`, or the binary
//! (found through its instance.json) where the process itself is under test.
use super::LIMIT;
use crate::support::headless;
use crate::support::inproc::{InProcess, Start};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A headless demo party: in this process through `app::run`, or the binary where a test
/// needs the process itself (a file-descriptor limit, its stderr).
pub(super) struct Party {
    run: Run,
    pub(super) addr: SocketAddr,
}

enum Run {
    InProcess(#[allow(dead_code)] InProcess),
    Binary {
        child: Child,
        stderr: headless::Stderr,
    },
}

impl Party {
    /// In this process on `bind` (port 0: any) with `config`; returns once the page answers.
    pub(super) fn start(data: &Path, config: &str, bind: &str) -> Party {
        std::fs::write(data.join("config.toml"), config).unwrap();
        let start = Start {
            bind: bind.parse().unwrap(),
            ..Start::default()
        };
        let party = InProcess::start(data, start);
        Party {
            addr: party.addr,
            run: Run::InProcess(party),
        }
    }

    /// The binary, under `prlimit --nofile` when `nofile` is set; waits for the vote page
    /// when `wait_for_page`.
    pub(super) fn start_with(
        data: &Path,
        config: &str,
        bind: &str,
        nofile: Option<u64>,
        wait_for_page: bool,
    ) -> Party {
        std::fs::write(data.join("config.toml"), config).unwrap();
        let exe = env!("CARGO_BIN_EXE_party-tui");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = cmd
            .args(["--headless", "--demo", "--bind", bind])
            .arg("--data-dir")
            .arg(data)
            .arg("--config")
            .arg(data.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start party-tui");
        let stderr = headless::Stderr::take(&mut child);
        let mut party = Party {
            run: Run::Binary { child, stderr },
            addr: "0.0.0.0:0".parse().unwrap(),
        };
        if wait_for_page {
            party.wait_for_page(data, LIMIT);
        }
        party
    }

    /// The next stderr line of the binary containing `needle`, waiting at most `limit`.
    pub(super) fn wait_for_line(&mut self, needle: &str, limit: Duration) -> String {
        match &mut self.run {
            Run::Binary { stderr, .. } => stderr.wait_for_line(needle, limit),
            Run::InProcess(_) => panic!("a party in this process has no stderr of its own"),
        }
    }

    /// The binary writes its instance file once its socket listens: the port without a race.
    pub(super) fn wait_for_page(&mut self, data: &Path, limit: Duration) {
        let Run::Binary { child, stderr } = &mut self.run else {
            return;
        };
        self.addr = headless::wait_for_instance(child, stderr, data, limit).addr();
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        if let Run::Binary { child, .. } = &mut self.run {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
