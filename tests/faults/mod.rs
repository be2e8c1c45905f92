//! A party-tui process to hurt: started headless on a data dir the test controls, pressed
//! through its web-button endpoint, read through its API, its log and its journal.
#![allow(dead_code)]
use crate::support::headless;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

pub const LIMIT: Duration = Duration::from_secs(30);

/// A demo party with no simulated guests and one web button that likes, without debounce, so
/// every press is one journal line and one answer.
pub const CONFIG: &str = "[demo]\nguests = 0\n\n[[button]]\nname = \"B1\"\nid = \"b1\"\n\
                          action = \"like\"\ndebounce_secs = 0\n";

pub struct Party {
    pub child: Child,
    pub addr: SocketAddr,
    pub data: PathBuf,
}

impl Drop for Party {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `prefix… party-tui --headless --demo` on `data` and waits for its vote page.
pub fn start(prefix: &[&str], data: &Path, config: &Path, extra: &[&str]) -> Party {
    let mut args = vec!["--demo"];
    args.extend_from_slice(extra);
    start_with(prefix, data, config, &args)
}

/// The same for a real party (no player configured: presses are still journaled).
pub fn start_real(prefix: &[&str], data: &Path, config: &Path) -> Party {
    start_with(prefix, data, config, &[])
}

fn start_with(prefix: &[&str], data: &Path, config: &Path, extra: &[&str]) -> Party {
    let bin = env!("CARGO_BIN_EXE_party-tui");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["--headless", "--bind", "127.0.0.1:0"])
        .args(extra);
    // Found through its instance.json; its stderr is drained so it never blocks on the pipe.
    let (child, _stderr, instance) = headless::start(&mut cmd, data, LIMIT);
    Party {
        child,
        addr: instance.addr(),
        data: data.to_path_buf(),
    }
}

impl Party {
    /// Presses B1 from the n-th loopback address (spread so the per-address flood limit is
    /// not what the test measures); the HTTP status, or 0 if the connection failed.
    pub fn press(&self, n: u32) -> u16 {
        press_at(self.addr, n)
    }

    pub fn state(&self) -> serde_json::Value {
        let (status, body) = request(
            self.addr,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            "GET",
            "/api/state",
        );
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("state is JSON")
    }

    /// B1's press count as the running party shows it.
    pub fn presses_shown(&self) -> u64 {
        self.state()["buttons"][0]["presses"].as_u64().unwrap_or(0)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("logs").join("party-tui.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM and the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

/// Presses B1 on the party at `addr` from the n-th loopback address.
pub fn press_at(addr: SocketAddr, n: u32) -> u16 {
    let from = IpAddr::V4(Ipv4Addr::new(
        127,
        (n / 50_000 % 250) as u8,
        (n / 200 % 250) as u8 + 1,
        (n % 200) as u8 + 2,
    ));
    request(addr, from, "POST", "/button/b1").0
}

/// The journals under `data` (demo or real), line by line.
pub fn journal_lines(data: &Path) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let dirs = [data.join("demo").join("parties"), data.join("parties")];
    for e in dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "jsonl") {
            let text = std::fs::read_to_string(e.path()).unwrap();
            assert!(text.is_empty() || text.ends_with('\n'), "torn journal");
            for (i, line) in text.lines().enumerate() {
                out.push(
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1)),
                );
            }
        }
    }
    out
}

/// Journaled presses of B1, checking seqs run one by one.
pub fn journaled_presses(data: &Path) -> u64 {
    let lines = journal_lines(data);
    for pair in lines.windows(2) {
        assert_eq!(
            pair[1]["seq"].as_u64(),
            pair[0]["seq"].as_u64().map(|s| s + 1),
            "seqs run one by one"
        );
    }
    lines
        .iter()
        .filter(|v| v["input"]["type"] == "press" && v["input"]["voter"] == "button:B1")
        .count() as u64
}

/// A minimal HTTP/1.1 exchange from a chosen loopback source address.
pub fn request(to: SocketAddr, from: IpAddr, method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let socket = match bind_from(from) {
        Ok(s) => s,
        Err(_) => return (0, String::new()),
    };
    if socket.connect(&to.into()).is_err() {
        return (0, String::new());
    }
    let mut stream: std::net::TcpStream = socket.into();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut resp = String::new();
    let _ = stream.read_to_string(&mut resp);
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn bind_from(from: IpAddr) -> std::io::Result<socket2::Socket> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    Ok(socket)
}

/// Presses until one is answered otherwise than 200; returns (acknowledged, that status).
pub fn press_until_refused(party: &Party, start: u32, most: u32) -> (u64, u16, u32) {
    let mut acked = 0;
    for n in start..start + most {
        match party.press(n) {
            200 => acked += 1,
            other => return (acked, other, n + 1),
        }
    }
    panic!("{most} presses all answered 200: the fault never showed");
}
