//! `cargo bench --bench soak`: the real binary, `--headless --demo --demo-speed 100`, for six
//! party hours (3.6 minutes) with a steady vote load from a few guests on loopback. Samples the
//! process's RSS and open file descriptors along the way (the curve is printed: both must stay
//! flat) and reports the journal's bytes per party hour. SOAK_PARTY_HOURS (default 6),
//! SOAK_SPEED (100) and SOAK_VOTES_PER_SEC (8: under the per-address limit of 10/s) tune it.
#[path = "support/binary.rs"]
mod binary;

use binary::{env_or, fds, free_port, rss_mb};
use std::path::Path;
use std::time::{Duration, Instant};

/// One sample every this much real time.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Guests taking turns to vote.
const GUESTS: u32 = 30;
/// The first samples are start-up (replay, first connections), not the trend.
const WARM_UP: Duration = Duration::from_secs(20);

struct Sample {
    real: Duration,
    rss_mb: f64,
    fds: usize,
}

fn main() {
    let hours: f64 = env_or("SOAK_PARTY_HOURS", 6.0);
    let speed: f64 = env_or("SOAK_SPEED", 100.0);
    let votes_per_sec: f64 = env_or("SOAK_VOTES_PER_SEC", 8.0);
    let real = Duration::from_secs_f64(hours * 3600.0 / speed);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    // One address sends every vote: the flood limit off, as in the other HTTP benches.
    let mut child = binary::start(dir.path(), port, speed, "[http]\nrate_limit_per_sec = 0\n");
    println!(
        "soak: {hours} party hours at --demo-speed {speed} ({:.0} s), {votes_per_sec} votes/s from {GUESTS} guests",
        real.as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let data = dir.path().join("data");
    let samples = rt.block_on(run(child.id(), &data, port, real, votes_per_sec));
    let _ = child.kill();
    let _ = child.wait();

    println!("  real s   RSS MB   fds");
    for s in &samples {
        println!(
            "  {:>6.0}  {:>7.1}  {:>4}",
            s.real.as_secs_f64(),
            s.rss_mb,
            s.fds
        );
    }
    let steady: Vec<&Sample> = samples.iter().filter(|s| s.real >= WARM_UP).collect();
    if let (Some(first), Some(last)) = (steady.first(), steady.last()) {
        let max_rss = steady.iter().map(|s| s.rss_mb).fold(0.0, f64::max);
        let max_fds = steady.iter().map(|s| s.fds).max().unwrap_or(0);
        println!(
            "  after warm-up: RSS {:.1} → {:.1} MB (max {max_rss:.1}), fds {} → {} (max {max_fds})",
            first.rss_mb, last.rss_mb, first.fds, last.fds
        );
    }
    let journal: u64 = journals(dir.path())
        .iter()
        .map(|p| p.metadata().map_or(0, |m| m.len()))
        .sum();
    println!(
        "  journal {journal} bytes: {:.0} bytes per party hour",
        journal as f64 / hours
    );
}

async fn run(pid: u32, data: &Path, port: u16, real: Duration, votes_per_sec: f64) -> Vec<Sample> {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/vote");
    binary::wait_up(&http, port).await;
    let t0 = Instant::now();
    let mut samples = Vec::new();
    let mut next_sample = t0;
    let mut vote_tick = tokio::time::interval(Duration::from_secs_f64(1.0 / votes_per_sec));
    let mut n = 0u64;
    let mut refused = 0u64;
    let mut key = None;
    while t0.elapsed() < real {
        if Instant::now() >= next_sample {
            samples.push(Sample {
                real: t0.elapsed(),
                rss_mb: rss_mb(pid),
                fds: fds(pid),
            });
            next_sample += SAMPLE_EVERY;
        }
        vote_tick.tick().await;
        // Guests are signed by the party's key: read it where the party keeps it.
        let key = key.get_or_insert_with(|| {
            party_tui::http::load_or_create_guest_key(data).expect("the party's guest key")
        });
        let guest = key.cookie_value(&format!("{:032x}", 0xa000 + n % GUESTS as u64));
        let vote = if (n / GUESTS as u64).is_multiple_of(2) {
            "like"
        } else {
            "skip"
        };
        let ok = http
            .post(&url)
            .header("Cookie", format!("pt_guest={guest}"))
            .json(&serde_json::json!({ "vote": vote }))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        refused += !ok as u64;
        n += 1;
    }
    samples.push(Sample {
        real: t0.elapsed(),
        rss_mb: rss_mb(pid),
        fds: fds(pid),
    });
    println!("  {n} votes sent, {refused} refused");
    samples
}

fn journals(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "jsonl")
                && !p.to_string_lossy().contains("dead")
                && p.parent().is_some_and(|d| !d.ends_with("export"))
            {
                found.push(p);
            }
        }
    }
    found
}
