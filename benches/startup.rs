//! `cargo bench --bench startup`: how long the real binary takes from exec to answering its
//! vote page with a journal of 1,000 and of 1,000,000 entries, with a checkpoint (as a clean
//! stop leaves it, and 9,999 entries behind, as a crash at worst leaves it) and without one
//! (a whole replay, as every start did before checkpoints); and a rollback after a failed
//! write (`journal::rebuild`) with and without. Prints figures for the README; asserts nothing.
use party_tui::core::*;
use party_tui::journal::{self, Entry, Journal, Position, checkpoint};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// Only its start() and free_port() here.
#[allow(dead_code)]
#[path = "support/binary.rs"]
mod binary;
#[path = "../tests/support/sample.rs"]
mod sample;

const T0: i64 = 1_700_000_000_000;
const RUNS: usize = 5;

/// Writes a journal of `n` entries of a busy evening (200 guests, a new track every
/// `per_track` entries) at `path`, saving a checkpoint after entry `n - behind`; returns the
/// party the whole journal makes.
fn write_party(path: &Path, n: u64, per_track: u64, behind: Option<u64>) -> Party {
    let (mut journal, _) = Journal::open(path).expect("open");
    let mut party = Party::new("bench", Rules::default());
    let mut chunk = Vec::with_capacity(4096);
    let mut at = Position::default();
    for i in 0..n {
        let input = if i == 0 {
            Input::Rules(Box::default())
        } else {
            sample::evening(i, per_track, 200)
        };
        let now = Timestamp(T0 + i as i64 * 250);
        chunk.push(Entry {
            seq: i,
            at: now,
            effects: party.apply(&input, now),
            input,
        });
        if chunk.len() == 4096 || behind.is_some_and(|b| i + 1 == n - b) || i + 1 == n {
            journal.append_batch(&chunk).expect("append");
            at = Position {
                len: journal.durable_len(),
                lines: i + 1,
                entries: i + 1,
                last_seq: Some(i),
                last_at: Some(now),
            };
            chunk.clear();
        }
        if behind.is_some_and(|b| i + 1 == n - b) {
            checkpoint::save(path, at, &party, &[]).expect("checkpoint");
        }
    }
    party
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Exec to the first answer of `/api/state`, `RUNS` times, each from the same files.
fn start_time(dir: &Path, journal: &Path) -> Duration {
    let saved: Vec<(PathBuf, Vec<u8>)> = [journal.to_path_buf(), checkpoint::path_for(journal)]
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
        .collect();
    // Each run appends to the journal and leaves a checkpoint: start every run, and leave,
    // with the files as they were.
    let restore = || {
        let _ = std::fs::remove_file(checkpoint::path_for(journal));
        for (p, b) in &saved {
            std::fs::write(p, b).unwrap();
        }
    };
    let mut times = Vec::new();
    for _ in 0..RUNS {
        restore();
        let port = binary::free_port();
        let started = Instant::now();
        let mut child = binary::start(dir, port, 1.0, "[demo]\nguests = 0\n");
        while !answers(port) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "party-tui did not start"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        times.push(started.elapsed());
        let _ = child.kill();
        let _ = child.wait();
    }
    restore();
    median(times)
}

fn answers(port: u16) -> bool {
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = conn.write_all(b"GET /api/state HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 12];
    conn.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

fn main() {
    let big: u64 = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // To look into one start by hand: `BENCH_WRITE=<dir> cargo bench --bench startup` leaves the
    // big party (with its checkpoint) in <dir>/data/demo and stops.
    if let Ok(dir) = std::env::var("BENCH_WRITE") {
        let parties = Path::new(&dir).join("data/demo/parties");
        std::fs::create_dir_all(&parties).unwrap();
        std::fs::write(parties.join("current"), "bench").unwrap();
        write_party(&parties.join("bench.jsonl"), big, 60, Some(0));
        return;
    }
    // A long night: 300 tracks however many votes (a track every 3,334 entries at 1,000,000),
    // and the extreme of the engine bench's shape, a track every 60 entries (16,667 tracks),
    // where the party's per-track tallies make the checkpoint 2 MB.
    let mut rows = Vec::new();
    let cases = [
        (1_000, 4, Some(0)),
        (big, big / 300, Some(0)),
        (big, big / 300, Some(9_999)),
        (big, 60, Some(0)),
        (1_000, 4, None),
        (big, big / 300, None),
    ];
    for (n, per_track, behind) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let parties = dir.path().join("data/demo/parties");
        std::fs::create_dir_all(&parties).unwrap();
        std::fs::write(parties.join("current"), "bench").unwrap();
        let path = parties.join("bench.jsonl");
        let party = write_party(&path, n, per_track, behind);
        let size = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let ckpt =
            std::fs::metadata(checkpoint::path_for(&path)).map_or(0.0, |m| m.len() as f64 / 1e3);
        let start = start_time(dir.path(), &path);
        // A rollback rebuilds from the same files in this process.
        let mut rebuilds = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let rebuilt =
                journal::rebuild(&path, || Party::new("bench", Rules::default())).unwrap();
            rebuilds.push(t.elapsed());
            assert_eq!(
                rebuilt, party,
                "a rebuild gives the party the journal makes"
            );
        }
        let how = match behind {
            Some(0) => "checkpoint at the end".to_string(),
            Some(b) => format!("checkpoint {b} entries behind"),
            None => "no checkpoint".to_string(),
        };
        println!(
            "{n:>9} entries, {:>5} tracks ({size:.0} MB journal, {ckpt:.0} KB checkpoint), {how}: start {:.0?}, rollback {:.1?}",
            n / per_track,
            start,
            median(rebuilds)
        );
        rows.push((n, per_track, behind, start));
    }
    let small = rows[0].3.as_secs_f64();
    for (n, per_track, behind, start) in &rows[1..4] {
        println!(
            "start with {n} entries, {} tracks, {}: {:.2}× the start with 1,000 (goal ≤ 2×)",
            n / per_track,
            if *behind == Some(0) {
                "clean stop"
            } else {
                "after a crash"
            },
            start.as_secs_f64() / small
        );
    }
}
