//! `cargo bench --bench engine`: core apply throughput, journal append with group commit,
//! replay of a 1,000,000-event journal, and a start that sets a damaged block of it aside.
//! Prints figures for the README; asserts nothing.
use party_tui::core::*;
use party_tui::journal::{Entry, Journal, open_party, replay};
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

#[path = "../tests/support/sample.rs"]
mod sample;

/// A realistic evening: a new track every 60 inputs, 200 guests liking and voting to skip.
fn input(i: u64) -> Input {
    sample::evening(i, 60, 200)
}

fn at(i: u64) -> Timestamp {
    Timestamp(T0 + i as i64 * 250)
}

fn rate(n: u64, d: Duration) -> String {
    format!("{:.0}/s", n as f64 / d.as_secs_f64())
}

fn main() {
    let n: u64 = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);

    // 1. Core apply throughput (no IO).
    let mut party = Party::new("bench", Rules::default());
    let inputs: Vec<Input> = (0..n).map(input).collect();
    let start = Instant::now();
    let mut effects = 0usize;
    for (i, inp) in inputs.iter().enumerate() {
        effects += party.apply(inp, at(i as u64)).len();
    }
    let d = start.elapsed();
    println!(
        "apply: {n} inputs in {d:.2?} = {} ({effects} effects)",
        rate(n, d)
    );

    // 2. Journal append: one sync per batch (group commit) against one per entry.
    let dir = tempfile::tempdir().expect("temp dir");
    for batch in [1usize, 64, 1024] {
        let path = dir.path().join(format!("append-{batch}.jsonl"));
        let (mut journal, _) = Journal::open(&path).expect("open");
        let total = (batch * 32).clamp(256, 32_768) as u64;
        let mut party = Party::new("bench", Rules::default());
        let entries: Vec<Entry> = (0..total)
            .map(|i| Entry {
                seq: i,
                at: at(i),
                input: inputs[i as usize % inputs.len()].clone(),
                effects: party.apply(&inputs[i as usize % inputs.len()], at(i)),
            })
            .collect();
        let start = Instant::now();
        for chunk in entries.chunks(batch) {
            journal.append_batch(chunk).expect("append");
        }
        let d = start.elapsed();
        println!(
            "journal append, batch {batch:>4}: {total} entries in {d:.2?} = {} ({:.2?} per sync)",
            rate(total, d),
            d / (total as u32 / batch as u32).max(1)
        );
    }

    // 3. Replay of an n-event journal through Party::apply, as a restart does.
    let path = dir.path().join("replay.jsonl");
    {
        let (mut journal, _) = Journal::open(&path).expect("open");
        let mut party = Party::new("bench", Rules::default());
        let mut chunk = Vec::with_capacity(4096);
        for (i, inp) in inputs.iter().enumerate() {
            let i = i as u64;
            chunk.push(Entry {
                seq: i,
                at: at(i),
                effects: party.apply(inp, at(i)),
                input: inp.clone(),
            });
            if chunk.len() == 4096 {
                journal.append_batch(&chunk).expect("append");
                chunk.clear();
            }
        }
        journal.append_batch(&chunk).expect("append");
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    let mut party = Party::new("bench", Rules::default());
    let done = replay(&mut party, &path).expect("replay");
    let d = start.elapsed();
    println!(
        "replay: {} events ({:.0} MB) in {d:.2?} = {} (goal: 1,000,000 in ≤ 1 s)",
        done.entries,
        size as f64 / 1e6,
        rate(done.entries, d)
    );
    let start = Instant::now();
    let (_, rec) = Journal::open(&path).expect("open");
    println!(
        "journal open (scan for torn tail): {} entries in {:.2?}",
        rec.entries,
        start.elapsed()
    );

    // 4. A start that finds a 4 KiB block of zeros mid-journal (a failing SD card): replay
    // finds it, the journal is rewritten once with a gap entry, opened and replayed again.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("journal");
        f.seek(SeekFrom::Start((size / 2) & !4095)).expect("seek");
        f.write_all(&[0; 4096]).expect("zeros");
    }
    let start = Instant::now();
    let opened = open_party(&path, || Party::new("bench", Rules::default())).expect("start");
    let d = start.elapsed();
    let lost: u64 = opened
        .set_aside
        .as_ref()
        .map_or(0, |s| s.gaps.iter().map(|g| g.entries).sum());
    println!(
        "start with a zeroed 4 KiB block: {lost} entries set aside, {} replayed, in {d:.2?} \
         (a plain start: open + replay above)",
        opened.replayed.entries
    );
    let start = Instant::now();
    let again = open_party(&path, || Party::new("bench", Rules::default())).expect("start");
    println!(
        "the next start (gap recorded): {} entries in {:.2?}",
        again.replayed.entries,
        start.elapsed()
    );
}
