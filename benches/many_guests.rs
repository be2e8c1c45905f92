//! `cargo bench --bench many_guests`: 1,000 vote pages open on the live stream (/api/events)
//! while 200 guests vote again and again through the real router, engine and journal (group
//! commit and fsync), on loopback. Reports the p99 vote latency (goal ≤ 20 ms), the p99 time
//! for a change to reach every open page (probes: a new guest's like, timed until all pages
//! show it), and the process's peak RSS (goal ≤ 50 MB; the pages' client side included).
//! PAGES (default 1000), VOTERS (200), BENCH_SECS (10) and PROBES (20) tune it.
/// The allocator the party-tui binary uses (src/main.rs), for the server side measured here.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/party.rs"]
mod party;

use party::start_party;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const GOAL_VOTE_P99: Duration = Duration::from_millis(20);
const GOAL_RSS_MB: f64 = 50.0;
/// A probe not seen by every page within this long counts as this long (and says so).
const PROBE_LIMIT: Duration = Duration::from_secs(10);
/// Between probes, so each starts from a quiet party (the stream sends at most 4 events/s).
const PROBE_GAP: Duration = Duration::from_millis(600);

fn main() {
    let pages: usize = env_or("PAGES", 1000);
    let voters: usize = env_or("VOTERS", 200);
    let secs: u64 = env_or("BENCH_SECS", 10);
    let probes: usize = env_or("PROBES", 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async {
        let stop = CancellationToken::new();
        // Guests are signed by the server's key: the bench signs its own with the same key.
        let key = party_tui::http::GuestKey::random();
        let addr = start_party(&dir.path().join("guests.jsonl"), key.clone(), stop.clone()).await;
        let rss_idle = rss_mb();
        // Each page keeps the highest like count it was shown, plus one (0: no event yet).
        let seen: Arc<Vec<AtomicU32>> = Arc::new((0..pages).map(|_| AtomicU32::new(0)).collect());
        let changed = Arc::new(Notify::new());
        for i in 0..pages {
            let (seen, changed) = (seen.clone(), changed.clone());
            let cookie = key.cookie_value(&format!("{:032x}", i + 1));
            tokio::spawn(page(addr, i, cookie, seen, changed));
        }
        let connected = wait_all(&seen, 1, &changed, PROBE_LIMIT).await;
        assert!(connected, "not every page got its first event");
        println!(
            "many_guests: {pages} pages open on /api/events (RSS {rss_idle:.1} MB before, {:.1} MB after)",
            rss_mb()
        );

        // Load: VOTERS guests voting again and again for BENCH_SECS.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(voters)
            .build()
            .unwrap();
        let until = Instant::now() + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for g in 0..voters {
            let http = http.clone();
            let cookie = key.cookie_value(&format!("{:032x}", 1_000_000 + g));
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                let mut n = 0u32;
                while Instant::now() < until {
                    let t = Instant::now();
                    let vote = if n % 2 == 0 { "like" } else { "skip" };
                    let ok = post_vote(&http, addr, &cookie, vote).await;
                    took.push(t.elapsed());
                    assert!(ok, "vote refused");
                    n += 1;
                }
                took
            }));
        }
        let mut took: Vec<Duration> = Vec::new();
        for t in tasks {
            took.extend(t.await.unwrap());
        }
        took.sort();
        let p = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
        let rss_load = rss_mb();
        println!(
            "  {} votes by {voters} guests in {secs} s ({:.0}/s): p50 {:.2} ms, p99 {:.2} ms (goal <= {} ms: {})",
            took.len(),
            took.len() as f64 / secs as f64,
            ms(p(0.5)),
            ms(p(0.99)),
            GOAL_VOTE_P99.as_millis(),
            verdict(p(0.99) <= GOAL_VOTE_P99)
        );

        // Fan-out: a new guest's like, timed until every page shows it.
        let mut reach = Vec::new();
        let mut likes = current_likes(&http, addr).await;
        for k in 0..probes {
            tokio::time::sleep(PROBE_GAP).await;
            let t = Instant::now();
            assert!(post_vote(&http, addr, &key.cookie_value(&format!("{:032x}", 2_000_000 + k)), "like").await);
            likes += 1;
            let all = wait_all(&seen, likes + 1, &changed, PROBE_LIMIT).await;
            reach.push(if all { t.elapsed() } else { PROBE_LIMIT });
        }
        reach.sort();
        let q = |x: f64| reach[((reach.len() - 1) as f64 * x) as usize];
        let peak = peak_rss_mb();
        println!(
            "  a change reaches all {pages} pages: p50 {:.1} ms, p99 {:.1} ms ({probes} probes)",
            ms(q(0.5)),
            ms(q(0.99))
        );
        println!(
            "  RSS {rss_load:.1} MB after the load, peak {peak:.1} MB (goal <= {GOAL_RSS_MB} MB: {})",
            verdict(peak <= GOAL_RSS_MB)
        );
        stop.cancel();
    });
}

/// One vote page: GET /api/events as its own guest, reading "likes" from each state event.
async fn page(
    addr: SocketAddr,
    i: usize,
    cookie: String,
    seen: Arc<Vec<AtomicU32>>,
    changed: Arc<Notify>,
) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: pt_guest={cookie}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let mut text = String::new();
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        // Events end with a blank line; the newest complete one decides.
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(likes) = likes_in(&event) {
                seen[i].fetch_max(likes + 1, Ordering::Relaxed);
                changed.notify_waiters();
            }
        }
    }
}

fn likes_in(event: &str) -> Option<u32> {
    let at = event.find("\"likes\":")? + "\"likes\":".len();
    let digits: String = event[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Whether every page shows at least `likes` within `limit`.
async fn wait_all(seen: &[AtomicU32], likes: u32, changed: &Notify, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let notified = changed.notified();
        if seen.iter().all(|s| s.load(Ordering::Relaxed) >= likes) {
            return true;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return false;
        }
    }
}

async fn post_vote(http: &reqwest::Client, addr: SocketAddr, guest: &str, vote: &str) -> bool {
    http.post(format!("http://{addr}/api/vote"))
        .header("Cookie", format!("pt_guest={guest}"))
        .json(&serde_json::json!({ "vote": vote }))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn current_likes(http: &reqwest::Client, addr: SocketAddr) -> u32 {
    let v: serde_json::Value = http
        .get(format!("http://{addr}/api/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["votes"]["likes"].as_u64().unwrap_or(0) as u32
}

fn status_kb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn rss_mb() -> f64 {
    status_kb("VmRSS:") / 1024.0
}

fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
