//! Every parser that reads outside bytes, fuzzed: structure-aware inputs built from each
//! format, and mutations of seed payloads (our own, written from the formats, plus every
//! recorded payload in ../shared/fixtures when it exists). Each target must never panic and
//! never hang; journals must replay to a clear error, a dropped torn tail, or the right party.
//!
//! CI runs a few thousand cases of each (a few seconds). The long runs set
//! PARTY_TUI_FUZZ_CASES (the README gives the command and the figures measured).
mod buttons;
mod config;
mod journal;
mod mqtt;
mod mutate;
mod notify;
mod requests;
mod sonos;
mod spotify;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cases per target when PARTY_TUI_FUZZ_CASES is not set: enough to catch the shallow bugs on
/// every CI run while all targets together stay within seconds.
const CI_CASES: u32 = 1_000;
/// One input taking this long is a hang, not a slow parser (the slowest take ~1 ms).
const HANG: Duration = Duration::from_secs(2);

pub fn cases() -> u32 {
    cases_or(CI_CASES)
}

/// PARTY_TUI_FUZZ_CASES, else `ci` (a target slower per case than the parsers takes fewer).
pub fn cases_or(ci: u32) -> u32 {
    std::env::var("PARTY_TUI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(ci)
}

/// Run `check` on `cases()` inputs from `strategy`; the first failure is shrunk and reported.
pub fn fuzz<S: Strategy>(name: &str, strategy: S, check: impl Fn(S::Value) -> Result<(), String>)
where
    S::Value: std::fmt::Debug,
{
    fuzz_n(name, cases(), strategy, check)
}

pub fn fuzz_n<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), String>,
) where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Shrinking a million-case failure must not take longer than finding it.
        max_shrink_iters: 2_000,
        ..Config::default()
    });
    let started = Instant::now();
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let result = runner.run(&strategy, |input| {
        let t = Instant::now();
        let r = check(input).map_err(TestCaseError::fail);
        let took = t.elapsed();
        slowest.set(slowest.get().max(took));
        if took > HANG {
            return Err(TestCaseError::fail(format!("took {took:?}: a hang")));
        }
        r
    });
    println!(
        "fuzz {name}: {cases} inputs in {:.1?}, slowest {:?}",
        started.elapsed(),
        slowest.get()
    );
    if let Err(e) = result {
        panic!("fuzz {name}: {e}");
    }
}

/// The recorded payloads under ../shared/fixtures/<dir> whose names end with one of `exts`;
/// empty (and said) in a fresh clone.
pub fn fixtures(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let root = match std::env::var_os("PARTY_TUI_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
    };
    let dir = root.join(dir);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "fuzz: no recorded payloads at {} (skipped as seeds)",
            dir.display()
        );
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| exts.iter().any(|x| p.to_string_lossy().ends_with(x)))
        .collect();
    found.sort();
    found.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}
