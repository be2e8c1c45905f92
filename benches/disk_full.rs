//! `sudo cargo bench --bench disk_full` (root: it mounts a tmpfs): a long party whose journal's
//! disk fills up under a steady vote load and is freed again, through the real binary.
//!
//! The party's journal (`<data>/demo`) lives on a tmpfs of its own; before the binary starts,
//! a 489,000-entry evening is written into it (BENCH_ENTRIES; 200 guests voting, a new track
//! every 2,000 entries, BENCH_PER_TRACK, so about 245 tracks). Then `party-tui --headless
//! --demo` runs on it while 100 web-button presses a second (BENCH_RATE) arrive from spread
//! loopback addresses: a few seconds with room, then the tmpfs is filled with a file until the
//! kernel says ENOSPC, BENCH_FULL_SECS (default 20) of refusals, then the file is deleted.
//! Printed: the party's CPU while the disk is full (from /proc, all its threads), the latency
//! of the 503s and of the accepted presses, how long after the space came back the first press
//! was accepted, how many rollbacks the log reports, and whether a restart counts exactly what
//! the journal holds. Asserts only what must never happen (an acknowledged press missing from
//! the journal, a restart counting something else); the goals are for the README.
#[path = "../tests/faults/mod.rs"]
mod faults;
#[path = "../tests/support/mod.rs"]
mod support;

use party_tui::config::Config;
use party_tui::core::{Party, Timestamp};
use party_tui::journal::{Entry, Journal, PartyStore};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Threads sending the paced presses: enough that a slow answer never delays the next press.
const SENDERS: usize = 16;
/// Time between the generated journal's entries (489,000 of them span about 3.4 hours).
const ENTRY_GAP_MS: i64 = 25;

fn main() {
    let entries: u64 = env_or("BENCH_ENTRIES", 489_000);
    let per_track: u64 = env_or("BENCH_PER_TRACK", 2_000);
    let rate: u64 = env_or("BENCH_RATE", 100);
    let full_secs: u64 = env_or("BENCH_FULL_SECS", 20);
    let disk_mb: u64 = env_or("BENCH_DISK_MB", 400);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, faults::CONFIG).expect("config");
    let data = dir.path().join("data");
    let disk = data.join("demo");
    std::fs::create_dir_all(&disk).expect("data dir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={disk_mb}m")])
        .arg("party-tui-bench")
        .arg(&disk)
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        println!("disk_full: cannot mount a tmpfs here (run it as root); nothing measured");
        return;
    }
    let _unmount = Unmount(disk.clone());

    let started = Instant::now();
    let journal = write_evening(&disk, entries, per_track);
    println!(
        "disk_full: {entries} entries ({:.0} MB) written in {:.1?}; tmpfs {disk_mb} MB; \
         {rate} presses/s",
        journal.metadata().map_or(0, |m| m.len()) as f64 / 1e6,
        started.elapsed()
    );

    let started = Instant::now();
    let party = faults::start(&[], &data, &config, &[]);
    println!("  start with {entries} entries: {:.2?}", started.elapsed());
    let pid = party.pid();

    let load = Load::start(party.addr, rate);
    std::thread::sleep(Duration::from_secs(5));

    let filler = disk.join("filler");
    let filled_at = Instant::now();
    let filled = fill(&filler);
    println!("  tmpfs filled ({} MB of zeros)", filled / 1_000_000);
    // The journal keeps space reserved ahead of its end (256 KiB): votes still go in for a
    // while after the disk is full. "While full" starts with the first refusal.
    let refused_at = load.wait_for(filled_at, 503, Duration::from_secs(120));
    let cpu_refused = cpu_secs(pid);
    println!(
        "  first refusal {:.1?} after the disk filled",
        refused_at - filled_at
    );
    // The rollback itself (one rebuild of the party) happens around the first refusal; the
    // steady state is what the rest of the outage costs.
    std::thread::sleep(Duration::from_secs(3));
    let (steady_from, cpu_steady) = (Instant::now(), cpu_secs(pid));
    std::thread::sleep(Duration::from_secs(full_secs));
    let (full_until, cpu_full) = (Instant::now(), cpu_secs(pid));

    std::fs::remove_file(&filler).expect("free the disk");
    let freed_at = Instant::now();
    let accepted_at = load.wait_for(freed_at, 200, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(5));
    let shots = load.stop();

    let before: Vec<_> = shots.iter().filter(|s| s.done < filled_at).collect();
    let during: Vec<_> = shots
        .iter()
        .filter(|s| s.done >= refused_at && s.done < freed_at)
        .collect();
    let after: Vec<_> = shots.iter().filter(|s| s.done >= accepted_at).collect();
    let refusals: Vec<Duration> = during
        .iter()
        .filter(|s| s.status == 503)
        .map(|s| s.took)
        .collect();
    let accepted_during = during.iter().filter(|s| s.status == 200).count();
    let other: Vec<u16> = shots
        .iter()
        .filter(|s| s.status != 200 && s.status != 503)
        .map(|s| s.status)
        .collect();
    let ok = |v: &[&Shot]| -> Vec<Duration> {
        v.iter()
            .filter(|s| s.status == 200)
            .map(|s| s.took)
            .collect()
    };
    let acked = shots.iter().filter(|s| s.status == 200).count() as u64;
    let log = party.log();
    let rollbacks = log.matches("party rolled back").count();

    let full_for = full_until - refused_at;
    println!(
        "  while full ({:.1?} from the first refusal): CPU {:.1} % of a core in all, {:.1} % \
         after the first 3 s (goal ≤ 5 %); {} refused, {accepted_during} accepted; 503 {} \
         (goal p95 ≤ 20 ms)",
        full_for,
        100.0 * (cpu_full - cpu_refused) / full_for.as_secs_f64(),
        100.0 * (cpu_full - cpu_steady) / (full_until - steady_from).as_secs_f64(),
        refusals.len(),
        percentiles(refusals),
    );
    println!("  rollbacks (rebuilds of the party) in the log: {rollbacks}");
    println!(
        "  first press accepted {:.2?} after the space came back (goal ≤ 1 s)",
        accepted_at - freed_at
    );
    println!(
        "  accepted before the disk filled: {}; after it was freed: {}",
        percentiles(ok(&before)),
        percentiles(ok(&after))
    );
    if !other.is_empty() {
        println!("  other answers: {} (0 = no connection)", other.len());
    }

    let status = party.stop();
    assert!(status.success(), "clean exit: {status}");
    let journaled = faults::journaled_presses(&data);
    assert_eq!(
        journaled, acked,
        "the journal holds exactly the acknowledged"
    );
    let again = faults::start(&[], &data, &config, &[]);
    let shown = again.presses_shown();
    assert_eq!(shown, journaled, "a restart counts its journal");
    assert!(again.stop().success());
    println!(
        "  {acked} presses acknowledged, {journaled} in the journal, {shown} counted after a \
         restart"
    );
}

/// A busy evening written straight into the party store under `store` as the binary's next
/// start will find it: the demo's current party, rules from the bench's config.
fn write_evening(store: &Path, entries: u64, per_track: u64) -> PathBuf {
    let store = PartyStore::open(store).expect("party store");
    let name = store.new_party().expect("new party");
    let path = store.path(&name);
    let rules = Config::parse(faults::CONFIG).expect("bench config").rules();
    let mut party = Party::new(name, rules);
    let (mut journal, _) = Journal::open(&path).expect("open journal");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64;
    // Ends a minute before now, as if the party had been restarted just now.
    let t0 = now - 60_000 - entries as i64 * ENTRY_GAP_MS;
    let mut batch = Vec::with_capacity(4096);
    for seq in 0..entries {
        let input = support::sample::evening(seq, per_track, 200);
        let at = Timestamp(t0 + seq as i64 * ENTRY_GAP_MS);
        let effects = party.apply(&input, at);
        batch.push(Entry {
            seq,
            at,
            input,
            effects,
        });
        if batch.len() == batch.capacity() {
            journal.append_batch(&batch).expect("append");
            batch.clear();
        }
    }
    journal.append_batch(&batch).expect("append");
    path
}

/// Writes zeros to `path` until the filesystem is full; how many bytes went in.
fn fill(path: &Path) -> u64 {
    let mut file = std::fs::File::create(path).expect("filler");
    let mut written = 0;
    // Large writes first, then pages, so not even one more page is left.
    for chunk in [1 << 20, 4096] {
        let zeros = vec![0u8; chunk];
        while file.write_all(&zeros).is_ok() {
            written += chunk as u64;
        }
    }
    written
}

/// User plus system CPU seconds of the process, all its threads.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf reads a constant of the system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / hz
}

/// One press: its HTTP status, how long it took, and when the answer came.
struct Shot {
    status: u16,
    took: Duration,
    done: Instant,
}

/// Presses at a steady pace from `SENDERS` threads; each press is sent when it is due.
struct Load {
    stop: Arc<AtomicBool>,
    shots: Arc<Mutex<Vec<Shot>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(addr: std::net::SocketAddr, rate: u64) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let shots = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let gap = Duration::from_secs(1) / rate as u32;
        let threads = (0..SENDERS)
            .map(|_| {
                let (stop, shots, next) = (stop.clone(), shots.clone(), next.clone());
                std::thread::spawn(move || {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let due = start + gap * n;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let sent = Instant::now();
                        let status = faults::press_at(addr, n);
                        let done = Instant::now();
                        shots.lock().unwrap().push(Shot {
                            status,
                            took: done - sent,
                            done,
                        });
                    }
                })
            })
            .collect();
        Load {
            stop,
            shots,
            threads,
        }
    }

    /// When the first answer with `status` after `since` came.
    fn wait_for(&self, since: Instant, status: u16, limit: Duration) -> Instant {
        support::wait_until(&format!("a {status} answer"), limit, || {
            self.shots
                .lock()
                .unwrap()
                .iter()
                .filter(|s| s.status == status && s.done >= since)
                .map(|s| s.done)
                .min()
        })
    }

    fn stop(self) -> Vec<Shot> {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
        std::mem::take(&mut *self.shots.lock().unwrap())
    }
}

fn percentiles(mut v: Vec<Duration>) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "p50 {:.1?}, p95 {:.1?}, max {:.1?} ({} answers)",
        at(0.5),
        at(0.95),
        v[v.len() - 1],
        v.len()
    )
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
