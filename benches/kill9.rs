//! `cargo bench --bench kill9`: kill -9 under full vote load, again and again. Each cycle
//! starts `party-tui --headless --demo` on the same data dir, presses a web button from many
//! threads (spread over loopback addresses, so the per-address flood limit is not what is
//! measured), kills the process with SIGKILL at a random moment and starts it again. After
//! every restart: no acknowledged press is missing from the journal, and the restarted party
//! counts exactly what its journal holds. BENCH_CYCLES (default 20) and BENCH_THREADS
//! (default 8) tune it.
// The party harnesses find the binary through instance.json (tests/support/headless.rs).
#[path = "../tests/faults/mod.rs"]
mod faults;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let cycles: u32 = env_or("BENCH_CYCLES", 20);
    let threads: u32 = env_or("BENCH_THREADS", 8);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, faults::CONFIG).expect("config");
    let data = dir.path().join("data");
    let next = Arc::new(AtomicU32::new(0));
    let mut acked_total = 0u64;
    let mut worst_gap = 0i64;
    let started = Instant::now();
    let mut seed = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    println!("kill9: {cycles} cycles, {threads} pressing threads");
    for cycle in 0..cycles {
        let party = faults::start(&[], &data, &config, &[]);
        let shown = party.presses_shown();
        let journaled = faults::journaled_presses(&data);
        assert_eq!(
            shown, journaled,
            "cycle {cycle}: restarted party counts its journal"
        );
        assert!(
            journaled >= acked_total,
            "cycle {cycle}: {acked_total} acknowledged, {journaled} journaled"
        );
        worst_gap = worst_gap.max(journaled as i64 - acked_total as i64);

        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicU64::new(0));
        let load: Vec<_> = (0..threads)
            .map(|_| {
                let (stop, acked, next, addr) =
                    (stop.clone(), acked.clone(), next.clone(), party.addr);
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if faults::press_at(addr, n) == 200 {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        // A random moment between 0.2 and 2 s into the load.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(200 + seed % 1800);
        std::thread::sleep(wait);
        let mut party = party;
        let _ = party.child.kill(); // SIGKILL
        let _ = party.child.wait();
        stop.store(true, Ordering::Relaxed);
        for t in load {
            let _ = t.join();
        }
        let got = acked.load(Ordering::Relaxed);
        acked_total += got;
        println!("  cycle {cycle:2}: killed after {wait:?}, {got} presses acknowledged");
    }
    let party = faults::start(&[], &data, &config, &[]);
    let journaled = faults::journaled_presses(&data);
    assert_eq!(party.presses_shown(), journaled);
    assert!(journaled >= acked_total);
    drop(party);
    println!(
        "kill9: {acked_total} presses acknowledged over {cycles} kills in {:?}; {journaled} in \
         the journal; 0 acknowledged missing; at most {worst_gap} journaled but unanswered \
         (killed between sync and answer); every restart counted its journal exactly",
        started.elapsed()
    );
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
