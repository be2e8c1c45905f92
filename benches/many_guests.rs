//! `cargo bench --bench many_guests`: 1,000 vote pages open on the live stream (/api/events)
//! while 200 guests vote again and again, against the real binary (`--headless --demo`, the
//! demo's own guests off, one track playing, the flood limit off) on loopback, each page and
//! each guest from its own loopback address as phones would be. Reports the p99 vote latency
//! (goal ≤ 20 ms), the p99 time for a change to reach every open page (probes: a new guest's
//! like, timed until all pages show it), and the party-tui process's RSS and peak RSS (goal
//! ≤ 50 MB; the clients run in the bench's own process, not counted).
//! The votes run twice: at a set pace (VOTE_RATE, default 2,000 votes/s in all, each vote timed
//! from when it was due), then as fast as the guests can.
//! PAGES (default 1000), VOTERS (200), VOTE_RATE, BENCH_SECS (10) and PROBES (20) tune it.
#[path = "support/binary.rs"]
mod binary;

use binary::env_or;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::Notify;

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
    let rate: u32 = env_or("VOTE_RATE", 2000);
    let dir = tempfile::tempdir().expect("temp dir");
    // Guests are signed by the party's key: made here first, the party loads it.
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let key = party_tui::http::load_or_create_guest_key(&data).expect("guest key");
    let port = binary::free_port();
    let mut child = binary::start(dir.path(), port, 0.1, CONFIG);
    let pid = child.id();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async {
        binary::wait_up(&reqwest::Client::new(), port).await;
        let rss_idle = binary::rss_mb(pid);
        // Each page keeps the highest like count it was shown, plus one (0: no event yet).
        let seen: Arc<Vec<AtomicU32>> = Arc::new((0..pages).map(|_| AtomicU32::new(0)).collect());
        let changed = Arc::new(Notify::new());
        for i in 0..pages {
            let (seen, changed) = (seen.clone(), changed.clone());
            let cookie = key.cookie_value(&format!("{:032x}", i + 1));
            tokio::spawn(page(addr, client_ip(1, i), i, cookie, seen, changed));
        }
        let connected = wait_all(&seen, 1, &changed, PROBE_LIMIT).await;
        assert!(connected, "not every page got its first event");
        println!(
            "many_guests: {pages} pages open on /api/events (party-tui RSS {rss_idle:.1} MB before, {:.1} MB after; {} open fds)",
            binary::rss_mb(pid),
            binary::fds(pid)
        );

        // Each guest's phone: its own address and connection.
        let phones: Vec<(reqwest::Client, String)> = (0..voters)
            .map(|g| {
                let http = reqwest::Client::builder()
                    .local_address(client_ip(2, g))
                    .build()
                    .unwrap();
                (http, key.cookie_value(&format!("{:032x}", 1_000_000 + g)))
            })
            .collect();
        // Load at a set pace (VOTE_RATE votes/s in all: far busier than a real party), each
        // vote timed from when it was due, so a slow answer delays the ones after it too.
        let took = load(&phones, addr, secs, Some(rate)).await;
        let rss_load = binary::rss_mb(pid);
        report_votes(&format!("{rate} votes/s from {voters} guests"), &took, secs);
        // Then as fast as they can: each guest votes again the moment it is answered (the
        // latency is then 200 / rate by Little's law, a throughput figure more than a delay).
        let took = load(&phones, addr, secs, None).await;
        report_votes(&format!("{voters} guests as fast as they can"), &took, secs);
        let http = reqwest::Client::new();

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
        let peak = binary::status_mb(pid, "VmHWM:");
        println!(
            "  a change reaches all {pages} pages: p50 {:.1} ms, p99 {:.1} ms ({probes} probes)",
            ms(q(0.5)),
            ms(q(0.99))
        );
        println!(
            "  party-tui RSS {rss_load:.1} MB after the load, peak {peak:.1} MB (goal <= {GOAL_RSS_MB} MB: {})",
            verdict(peak <= GOAL_RSS_MB)
        );
    });
    let _ = child.kill();
    let _ = child.wait();
}

/// Every guest votes (like, skip, like…) for `secs`: every `voters / rate` seconds when paced,
/// else again as soon as answered. Returns each vote's time from due to answered.
async fn load(
    phones: &[(reqwest::Client, String)],
    addr: SocketAddr,
    secs: u64,
    rate: Option<u32>,
) -> Vec<Duration> {
    let start = tokio::time::Instant::now();
    let until = start + Duration::from_secs(secs);
    let period = rate.map(|r| Duration::from_secs_f64(phones.len() as f64 / f64::from(r.max(1))));
    let guests = phones.len() as f64;
    let mut tasks = Vec::new();
    for (g, (http, cookie)) in phones.iter().cloned().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            // Spread the guests over the period rather than all at once.
            let mut due = start + period.map_or(Duration::ZERO, |p| p.mul_f64(g as f64 / guests));
            let mut n = 0u32;
            while due < until {
                tokio::time::sleep_until(due).await;
                let vote = if n.is_multiple_of(2) { "like" } else { "skip" };
                let ok = post_vote(&http, addr, &cookie, vote).await;
                let now = tokio::time::Instant::now();
                took.push(now - due);
                assert!(ok, "vote refused");
                n += 1;
                due = match period {
                    Some(p) => due + p,
                    None => now,
                };
            }
            took
        }));
    }
    let mut took = Vec::new();
    for t in tasks {
        took.extend(t.await.unwrap());
    }
    took.sort();
    took
}

fn report_votes(what: &str, took: &[Duration], secs: u64) {
    let p = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    println!(
        "  {what}: {} votes in {secs} s ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms (goal <= {} ms: {})",
        took.len(),
        took.len() as f64 / secs as f64,
        ms(p(0.5)),
        ms(p(0.99)),
        GOAL_VOTE_P99.as_millis(),
        verdict(p(0.99) <= GOAL_VOTE_P99)
    );
}

/// One track all along (demo time at a tenth of real time), no simulated guests, no skip
/// (a track change would reset the counts the probes follow), no flood limit (the load is
/// the point).
const CONFIG: &str =
    "[party]\nskip_threshold = 1000000\n\n[demo]\nguests = 0\n\n[http]\nrate_limit_per_sec = 0\n";

/// A loopback address of its own for client `i` of kind `kind` (1: pages, 2: voters):
/// 127.kind.x.y, as many phones are many addresses (and the per-address limits see them so).
fn client_ip(kind: u8, i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        kind,
        (i / 250) as u8,
        (i % 250 + 1) as u8,
    ))
}

/// One vote page: GET /api/events as its own guest, reading "likes" from each state event.
async fn page(
    addr: SocketAddr,
    from: IpAddr,
    i: usize,
    cookie: String,
    seen: Arc<Vec<AtomicU32>>,
    changed: Arc<Notify>,
) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind a loopback address");
    let mut s = socket.connect(addr).await.expect("connect");
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
