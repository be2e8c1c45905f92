//! `cargo bench --bench http_votes`: votes per second through the real HTTP stack (router,
//! inbox, engine, journal with group commit and fsync) under wrk, against a bare axum
//! hello-world on the same machine. Two runs: a new guest for every vote (each a counted like,
//! so the current track gathers tens of thousands of voters), and 200 guests voting again and
//! again (a house party: mostly duplicates, each still journaled and answered). A 2xx is only
//! sent after the journal sync; the bench checks the journal holds every acknowledged vote.
//! Needs `wrk` (Debian: apt-get install wrk). BENCH_SECS (default 10) and BENCH_CONNECTIONS
//! (default 200) tune it; BENCH_ONLY=new or BENCH_ONLY=guests runs one vote run alone (for a
//! profiler).
/// The allocator the party-tui binary uses (src/main.rs), for the server side measured here.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/party.rs"]
mod party;

use party::start_party;
use party_tui::http;
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The goals from issue 4: at least half the bare server's rate, p99 within 10 ms.
const GOAL_RATIO: f64 = 0.5;
/// Issue 17's goal for a new guest every vote (each one a new voter the party keeps).
const GOAL_RATIO_NEW_GUESTS: f64 = 0.3;
const GOAL_P99_MS: f64 = 10.0;

/// POST /api/vote as guest number `n % GUESTS` of each wrk thread (GUESTS 0: a new guest every
/// request). Guest cookies are signed by the server (src/http/guests.rs), so the bench signs
/// them ahead with the server's key, as `GET /` would issue them, one file of cookies per wrk
/// thread; without a mint limit or flood limit that is what many phones would hold.
const VOTE_SCRIPT: &str = r#"
local guests = GUESTS
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local cookies = {}
function init(args)
  for line in io.lines("DIR/guests-" .. tid .. ".txt") do
    cookies[#cookies + 1] = line
  end
end
local n = 0
local headers = { ["Content-Type"] = "application/json" }
local body = '{"vote":"like"}'
function request()
  n = n + 1
  local g = n
  if guests > 0 then g = n % guests end
  headers["Cookie"] = cookies[(g % #cookies) + 1]
  return wrk.format("POST", "/api/vote", headers, body)
end
"#;

/// What wrk measured.
#[derive(Debug, Default)]
struct Figures {
    requests: u64,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
    socket_errors: String,
    /// Server CPU time per request (user + system, all threads).
    server_cpu_us: f64,
}

/// A house party's worth of guests per wrk thread for the second run: each votes once on
/// the track, every later press is a duplicate (still journaled and answered).
const PARTY_GUESTS_PER_THREAD: u32 = 100;

fn main() {
    if !have_wrk() {
        println!("http_votes: wrk is not installed (apt-get install wrk); nothing measured");
        return;
    }
    let secs: u32 = env_or("BENCH_SECS", 10);
    let conns: u32 = env_or("BENCH_CONNECTIONS", 200);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    println!(
        "http_votes: wrk -t2 -c{conns} -d{secs}s --latency, journals on {} ({})",
        dir.path().display(),
        fs_type(dir.path())
    );

    let key = http::GuestKey::random();
    // Enough new guests for the first run at twice the last measured rate (22 k/s); past
    // that the pool repeats and votes become duplicates.
    let per_thread = 25_000 * secs as usize;
    sign_guests(dir.path(), &key, per_thread);

    // BENCH_ONLY=guests (or new) measures one vote run alone, for a profiler.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let shutdown = CancellationToken::new();
    let hello = rt.block_on(start_hello(shutdown.clone()));
    let bare = if only.is_empty() {
        let bare = wrk(hello, &script(dir.path(), 0), secs, conns);
        report("bare axum hello-world", &bare);
        bare
    } else {
        Figures::default()
    };
    shutdown.cancel();

    let runs = [
        (
            "new",
            "POST /api/vote, a new guest every vote",
            0,
            GOAL_RATIO_NEW_GUESTS,
        ),
        (
            "guests",
            "POST /api/vote, 200 guests voting again and again",
            PARTY_GUESTS_PER_THREAD,
            GOAL_RATIO,
        ),
    ];
    let runs = runs
        .into_iter()
        .filter(|(name, ..)| only.is_empty() || only == *name);
    for (i, (_, what, guests, goal)) in runs.enumerate() {
        let journal = dir.path().join(format!("bench-{i}.jsonl"));
        let shutdown = CancellationToken::new();
        let addr = rt.block_on(start_party(&journal, key.clone(), shutdown.clone()));
        let votes = wrk(addr, &script(dir.path(), guests), secs, conns);
        report(what, &votes);
        if bare.requests > 0 {
            let ratio = votes.per_sec / bare.per_sec;
            println!(
                "  {ratio:.2}x the bare rate (goal >= {goal}x: {}); p99 {:.2} ms (goal <= {GOAL_P99_MS} ms: {}); {:.1}x the bare server's CPU per request",
                verdict(ratio >= goal),
                votes.p99_ms,
                verdict(votes.p99_ms <= GOAL_P99_MS),
                votes.server_cpu_us / bare.server_cpu_us
            );
        }
        // Durability: every acknowledged vote is already in the journal (the reply waits
        // for the sync), so the journal holds at least as many presses as wrk got 2xx.
        let acknowledged = votes.requests - votes.non_2xx;
        let (journaled, counted) = journaled_likes(&journal);
        println!(
            "  journal: {journaled} phone presses ({counted} counted likes) for {acknowledged} acknowledged votes"
        );
        assert!(
            journaled >= acknowledged,
            "acknowledged votes missing from the journal"
        );
        assert_eq!(votes.non_2xx, 0, "some votes were refused");
        shutdown.cancel();
    }
}

/// The wrk script for `guests` guests per thread (0: a new guest every request).
fn script(dir: &Path, guests: u32) -> std::path::PathBuf {
    let path = dir.join(format!("votes-{guests}.lua"));
    let text = VOTE_SCRIPT
        .replace("GUESTS", &guests.to_string())
        .replace("DIR", &dir.display().to_string());
    std::fs::write(&path, text).expect("write wrk script");
    path
}

/// `per_thread` signed guest cookies for each of wrk's two threads.
fn sign_guests(dir: &Path, key: &http::GuestKey, per_thread: usize) {
    for tid in 1..=2 {
        let mut text = String::with_capacity(per_thread * 110);
        for _ in 0..per_thread {
            text.push_str("pt_guest=");
            text.push_str(&key.issue().1);
            text.push('\n');
        }
        std::fs::write(dir.join(format!("guests-{tid}.txt")), text).expect("write guests");
    }
}

/// The floor: axum answering every request with a small JSON body, no work behind it.
async fn start_hello(shutdown: CancellationToken) -> SocketAddr {
    let app = axum::Router::new().fallback(|| async { r#"{"result":"counted"}"# });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    });
    addr
}

fn wrk(addr: SocketAddr, script: &Path, secs: u32, conns: u32) -> Figures {
    let cpu_before = server_cpu();
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}/api/vote"))
        .output()
        .expect("run wrk");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut f = parse_wrk(&text);
    f.server_cpu_us = (server_cpu() - cpu_before).as_secs_f64() * 1e6 / f.requests.max(1) as f64;
    f
}

/// CPU time of this process (the server side: wrk is a child and not counted). Per request it
/// says what the server costs whatever else loads the machine, which wrk's rate alone cannot.
fn server_cpu() -> std::time::Duration {
    // SAFETY: getrusage only writes the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| {
        std::time::Duration::from_secs(t.tv_sec as u64)
            + std::time::Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn parse_wrk(text: &str) -> Figures {
    let mut f = Figures::default();
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", latency] => f.p50_ms = millis(latency),
            ["99%", latency] => f.p99_ms = millis(latency),
            [n, "requests", "in", ..] => f.requests = n.parse().unwrap_or(0),
            ["Requests/sec:", r] => f.per_sec = r.parse().unwrap_or(0.0),
            ["Non-2xx", "or", "3xx", "responses:", n] => f.non_2xx = n.parse().unwrap_or(0),
            ["Socket", "errors:", ..] => f.socket_errors = line.to_string(),
            _ => {}
        }
    }
    assert!(f.requests > 0, "cannot read wrk's output:\n{text}");
    f
}

/// wrk prints latencies as 812.00us, 4.21ms or 1.02s.
fn millis(s: &str) -> f64 {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().unwrap_or(f64::NAN) * scale
}

fn report(what: &str, f: &Figures) {
    println!(
        "{what}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} requests, {} non-2xx, server CPU {:.1} µs per request{}",
        f.per_sec,
        f.p50_ms,
        f.p99_ms,
        f.requests,
        f.non_2xx,
        f.server_cpu_us,
        if f.socket_errors.is_empty() {
            String::new()
        } else {
            format!(", {}", f.socket_errors)
        }
    );
}

/// Phone presses in the journal, and how many the core counted.
fn journaled_likes(path: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(path).expect("read journal");
    let mut presses = 0;
    let mut counted = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("journal line is JSON");
        if v["input"]["type"] == "press" {
            presses += 1;
            if v["effects"]
                .as_array()
                .is_some_and(|fx| fx.iter().any(|e| e["result"] == "counted"))
            {
                counted += 1;
            }
        }
    }
    (presses, counted)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn have_wrk() -> bool {
    std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok()
}

fn fs_type(dir: &Path) -> String {
    std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(dir)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
