//! Journals, randomly corrupted and truncated, then opened and replayed as a start does. The
//! outcome must be a clear error naming the file and line, or the party of a prefix of the
//! original entries (truncation drops the torn tail): every line carries a checksum, so a line
//! changed anywhere is refused, never read as a different entry.
use crate::mutate::{JSON, Op, apply};
use party_tui::core::*;
use party_tui::journal::{Entry, Journal, replay, write_line};
use proptest::collection::vec;
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

fn track(n: u64) -> PlayerUpdate {
    PlayerUpdate {
        source: Source::Demo,
        player: "Demo".into(),
        state: TransportState::Playing,
        track: Some(Track {
            id: Some(format!("demo:{n}")),
            title: format!("Song {n}"),
            artist: "Band".into(),
            album: String::new(),
            duration_ms: Some(180_000),
            artist_ids: Vec::new(),
            art_uri: None,
        }),
        position_ms: None,
    }
}

fn press(who: u64, action: Action) -> Input {
    Input::Press(Press {
        voter: Voter::guest(&format!("g{who}")),
        origin: Origin::Phone,
        kind: PressKind::Vote(action),
        battery: None,
    })
}

/// The inputs of a small party: tracks, likes and skip votes from a few guests, ticks.
fn inputs(script: &[(u8, u8)]) -> Vec<Input> {
    script
        .iter()
        .map(|&(kind, who)| match kind % 5 {
            0 => Input::Player(track(who as u64 % 4)),
            1 | 2 => press(who as u64 % 6, Action::Like),
            3 => press(who as u64 % 6, Action::Skip),
            _ => Input::Tick,
        })
        .collect()
}

/// A party exercised by a few inputs (used by the config target: rules from any config).
pub fn exercise(party: &mut Party, start: Timestamp) {
    let script: Vec<(u8, u8)> = (0..24).map(|i| (i as u8, (i * 7) as u8)).collect();
    for (i, input) in inputs(&script).iter().enumerate() {
        let at = start + std::time::Duration::from_secs(i as u64 * 20);
        party.apply(input, at);
        let _ = party.next_deadline();
    }
}

fn entries(script: &[(u8, u8)]) -> (Vec<Entry>, Party) {
    let mut party = Party::new("fuzz", Rules::default());
    let entries = inputs(script)
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let at = Timestamp::from_millis(1_700_000_000_000 + i as i64 * 7_000);
            let effects = party.apply(&input, at);
            Entry {
                seq: i as u64,
                at,
                input,
                effects,
            }
        })
        .collect();
    (entries, party)
}

const JOURNAL_CI_CASES: u32 = 400;

/// How the damaged journals came out (a run prints them; README, issue 17).
static REFUSED: AtomicU64 = AtomicU64::new(0);
static PREFIX: AtomicU64 = AtomicU64::new(0);
static DAMAGED_YET_READ: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Debug)]
enum Damage {
    /// Power cut: the file ends anywhere.
    Truncate(u16),
    /// Bytes changed anywhere (a bad sector, a stray write), maybe then cut.
    Mutate(Vec<Op>, Option<u16>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let op =
        (any::<u16>(), any::<u8>(), any::<u8>(), 0u16..80).prop_map(|(p, b, k, n)| match k % 6 {
            0 => Op::Flip(p, b),
            1 => Op::Insert(p, b),
            2 => Op::Token(p, b),
            3 => Op::Delete(p, n),
            4 => Op::Repeat(p, n, 1 + b % 3),
            _ => Op::Flip(p, 0x20),
        });
    prop_oneof![
        any::<u16>().prop_map(Damage::Truncate),
        (vec(op, 1..4), proptest::option::of(any::<u16>())).prop_map(|(o, t)| Damage::Mutate(o, t)),
    ]
}

#[test]
fn journal_corrupted_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let script = vec((any::<u8>(), any::<u8>()), 1..40);
    // A case writes a file and replays it on threads: ~15 ms unoptimised, so CI runs fewer.
    let cases = crate::cases_or(JOURNAL_CI_CASES);
    crate::fuzz_n(
        "journal replay",
        cases,
        (script, damage()),
        |(script, damage)| {
            let (entries, whole) = entries(&script);
            let mut good = Vec::new();
            for e in &entries {
                write_line(&mut good, e).unwrap();
            }
            let bytes = match &damage {
                Damage::Truncate(p) => good[..(*p as usize * good.len()) >> 16].to_vec(),
                Damage::Mutate(ops, cut) => {
                    let mut b = apply(&good, ops, JSON);
                    if let Some(p) = cut {
                        b.truncate((*p as usize * (b.len() + 1)) >> 16);
                    }
                    b
                }
            };
            let path = dir.path().join("party.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            // The bytes after the last newline are torn; the complete lines before must read as
            // they were written, or not at all.
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let intact = bytes[..complete] == good[..complete.min(good.len())];
            let whole_lines = bytes[..complete].iter().filter(|&&b| b == b'\n').count();
            let opened = Journal::open(&path);
            let mut party = Party::new("fuzz", Rules::default());
            let replayed = opened.and_then(|_| replay(&mut party, &path));
            match replayed {
                Err(e) if intact => return Err(format!("an intact journal refused: {e:#}")),
                Err(e) => {
                    let msg = format!("{e:#}");
                    if !msg.contains("party.jsonl") || !msg.contains("line") {
                        return Err(format!("unclear error: {msg}"));
                    }
                    REFUSED.fetch_add(1, Ordering::Relaxed);
                }
                Ok(r) => {
                    let kept = r.entries as usize;
                    if kept > entries.len() {
                        return Err(format!("{kept} entries replayed from {}", entries.len()));
                    }
                    // Replay rebuilds effects rather than reading them: the party is the proof.
                    let (_, prefix) = self::entries(&script[..kept]);
                    if party != prefix {
                        return Err(format!("a silently different party ({kept} entries)"));
                    }
                    if intact && (kept != whole_lines || kept == entries.len() && party != whole) {
                        return Err("an intact journal replayed short".into());
                    }
                    if intact {
                        PREFIX.fetch_add(1, Ordering::Relaxed);
                    } else {
                        // Changed bytes that change nothing: an empty line inserted, say.
                        DAMAGED_YET_READ.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        },
    );
    println!(
        "journal: of {cases} damaged journals {} were refused with an error naming the line, {} \
         replayed as an intact prefix (torn tail dropped), {} replayed as the original party's \
         prefix despite changed bytes; none silently differently (a case fails otherwise)",
        REFUSED.load(Ordering::Relaxed),
        PREFIX.load(Ordering::Relaxed),
        DAMAGED_YET_READ.load(Ordering::Relaxed),
    );
}
