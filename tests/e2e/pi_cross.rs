//! The Raspberry Pi's binaries do what a host does with them: aarch64 and armv7 builds (cross-
//! compiled with Debian's toolchains) run under qemu-user, and this machine's build runs
//! natively, through the same steps: `--version`, a headless demo party that answers
//! `/api/state` and takes a guest's vote, `report` on that party, and `doctor`.
//!
//! aarch64 runs the release build, the very binary the arm64 package ships (tests/pi_package.rs
//! packages it without building again); armv7 runs a dev build, which CI's two cores make in
//! about half a release build's time.
//! Where a cross toolchain, a Rust target or qemu is missing these skip, saying what to install;
//! with PARTY_TUI_REQUIRE_PRIVILEGED=1 (CI) they fail instead.
use crate::pi;
use crate::support;

use pi::Arch;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{skip_or_fail, wait_until};

/// Emulated, a debug build starts in seconds; CI's machine may be busy with other tests.
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn aarch64_binary_runs_a_party_under_qemu() {
    arm(&pi::AARCH64, "release");
}

#[test]
fn armv7_binary_runs_a_party_under_qemu() {
    arm(&pi::ARMV7, "dev");
}

#[test]
fn native_binary_runs_a_party() {
    host_does_a_party(None, Path::new(env!("CARGO_BIN_EXE_party-tui")));
}

fn arm(arch: &Arch, profile: &str) {
    if let Some(why) = pi::cannot_run(arch) {
        return skip_or_fail(&why);
    }
    let bin = pi::build(Some(arch.triple), profile);
    assert_eq!(
        elf_machine(&bin),
        match arch.deb_arch {
            "arm64" => EM_AARCH64,
            _ => EM_ARM,
        },
        "{} is not an {} binary",
        bin.display(),
        arch.triple
    );
    host_does_a_party(Some(arch), &bin);
}

const EM_ARM: u16 = 40;
const EM_AARCH64: u16 = 183;

/// The ELF header's e_machine: proof the test runs the foreign binary, not this machine's.
fn elf_machine(bin: &Path) -> u16 {
    let head = std::fs::read(bin).expect("binary");
    assert_eq!(&head[..4], b"\x7fELF", "{} is not ELF", bin.display());
    u16::from_le_bytes([head[18], head[19]])
}

fn host_does_a_party(arch: Option<&Arch>, bin: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // No simulated guests: the one vote in the journal is this test's.
    std::fs::write(
        &config,
        "[http]\nbind = \"127.0.0.1:0\"\n\n[demo]\nguests = 0\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| -> (i32, String) {
        let out = pi::command(arch, bin)
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run party-tui");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    };

    let (code, out) = run(&["--version"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.trim(),
        format!("party-tui {}", env!("CARGO_PKG_VERSION"))
    );

    let (code, out) = run(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok    data directory"), "{out}");
    // No player is configured here (the demo brings its own): a warning, not an error.
    assert!(out.contains("No errors"), "{out}");

    let party = Party::start(arch, bin, &config, &data);
    let url = party.url();
    // Opening the vote page issues a guest (a signed cookie); nothing else does.
    let (status, head, page) = http(&url, "GET", "/", None, None);
    assert_eq!(status, 200, "{head}{page}");
    let cookie = set_cookie(&head).expect("the vote page gives a new guest a cookie");
    let title = wait_until("the demo player to play a track", LIMIT, || {
        let (_, _, body) = http(&url, "GET", "/api/state", Some(&cookie), None);
        let v: Value = serde_json::from_str(&body).ok()?;
        v["now_playing"]["title"].as_str().map(str::to_string)
    });
    let (status, _, answer) = http(
        &url,
        "POST",
        "/api/vote",
        Some(&cookie),
        Some(r#"{"vote":"like"}"#),
    );
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["counted"], true, "{answer}");
    assert_eq!(answer["likes"], 1, "{answer}");
    party.stop();

    let (code, out) = run(&["report", "--demo", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(report["total_likes"], 1, "{out}");
    let liked: Vec<&str> = report["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["likes"] == 1)
        .filter_map(|t| t["title"].as_str())
        .collect();
    // The track may have changed between reading the state and voting: one like, on a track
    // the demo played.
    assert_eq!(liked.len(), 1, "{out}");
    eprintln!(
        "{}: liked {:?} (playing when asked: {title:?})",
        arch.map_or("native", |a| a.triple),
        liked[0]
    );
}

/// `party-tui --headless --demo`, stopped with SIGTERM like systemd does.
struct Party {
    child: Child,
    data: PathBuf,
}

impl Party {
    fn start(arch: Option<&Arch>, bin: &Path, config: &Path, data: &Path) -> Party {
        let child = pi::command(arch, bin)
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .args(["--headless", "--demo"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start party-tui");
        Party {
            child,
            data: data.to_path_buf(),
        }
    }

    /// Where it listens: from the instance file it writes once the port is bound.
    fn url(&self) -> String {
        let file = self.data.join("instance.json");
        let url = wait_until("the party's instance file", LIMIT, || {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
            v["url"].as_str().map(str::to_string)
        });
        url.trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        // qemu-user passes the signal on to the emulated program.
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "party-tui stopped with {status}");
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange: (status, head, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    json: Option<&str>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req += &format!("Cookie: {c}\r\n");
    }
    let body = json.unwrap_or("");
    if json.is_some() {
        req += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out += &rest[..n];
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `name=value` of the first Set-Cookie header.
fn set_cookie(head: &str) -> Option<String> {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("set-cookie").then_some(v)
        })
        .and_then(|v| v.trim().split(';').next())
        .map(str::to_string)
}
