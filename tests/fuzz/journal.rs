//! Journals, randomly corrupted and truncated, then opened and replayed as a start does. The
//! outcome must be a clear error, or a party equal to the one the surviving lines make:
//! truncation drops the torn tail and gives the uncorrupted prefix's party; a damaged line
//! before the end is an error naming it; a line still readable as an entry is applied as read
//! (without a checksum the journal cannot tell that edit from the original).
use crate::mutate::{JSON, Op, apply};
use party_tui::core::*;
use party_tui::journal::{Entry, Journal, replay};
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

/// What of an entry makes the party: replay rebuilds effects rather than reading them, and a
/// damaged `seq` or `effects` cannot change the party (the exporter reads those itself).
#[derive(serde::Deserialize)]
struct PartyPart {
    at: Timestamp,
    input: Input,
}

/// The party the given lines make when each is read as an entry; None when one is not one.
fn party_of_lines(lines: &[&[u8]]) -> Option<Party> {
    let mut party = Party::new("fuzz", Rules::default());
    for line in lines {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let e: PartyPart = serde_json::from_slice(line).ok()?;
        party.apply(&e.input, e.at);
    }
    Some(party)
}

/// Whether every line reads as a whole entry (seq and effects included) and the seqs run one
/// by one, as the party loop writes them: a missing or repeated line is damage replay names.
fn strict_lines(lines: &[&[u8]]) -> bool {
    let mut seqs = Vec::new();
    for l in lines {
        if l.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(l) {
            Ok(e) => seqs.push(e.seq),
            Err(_) => return false,
        }
    }
    seqs.windows(2).all(|w| w[0].checked_add(1) == Some(w[1]))
}

const JOURNAL_CI_CASES: u32 = 400;

static UNDETECTABLE: AtomicU64 = AtomicU64::new(0);

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
                serde_json::to_writer(&mut good, e).unwrap();
                good.push(b'\n');
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
            // What must survive: every complete line; the bytes after the last newline are torn.
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let lines: Vec<&[u8]> = bytes[..complete].split(|&b| b == b'\n').collect();
            let lines = &lines[..lines.len().saturating_sub(1)];
            let expected = party_of_lines(lines);
            let opened = Journal::open(&path);
            let mut party = Party::new("fuzz", Rules::default());
            let replayed = opened.and_then(|_| replay(&mut party, &path));
            match (replayed, expected) {
                (Err(e), None) => {
                    let msg = format!("{e:#}");
                    if !msg.contains("party.jsonl") || !msg.contains("line") {
                        return Err(format!("unclear error: {msg}"));
                    }
                }
                // Journal::open reads the last line's seq: refusing a damaged one is right.
                (Err(e), Some(_)) if strict_lines(lines) => {
                    return Err(format!("an intact journal refused: {e:#}"));
                }
                (Err(e), Some(_)) => {
                    let msg = format!("{e:#}");
                    if !msg.contains("party.jsonl") || !msg.contains("line") {
                        return Err(format!("unclear error: {msg}"));
                    }
                }
                (Ok(_), None) => return Err("a corrupt line was skipped silently".into()),
                (Ok(_), Some(expected)) => {
                    if party != expected {
                        return Err("the replayed party differs from its lines".into());
                    }
                    if matches!(damage, Damage::Truncate(_))
                        || complete == good.len() && bytes[..complete] == good[..]
                    {
                        // The uncorrupted prefix: the same entries applied to a fresh party.
                        let kept = lines.len();
                        let (_, prefix) = self::entries(&script[..kept]);
                        if party != prefix || (kept == entries.len() && party != whole) {
                            return Err("not the uncorrupted prefix's party".into());
                        }
                    } else if bytes[..complete] != good[..complete.min(good.len())] {
                        UNDETECTABLE.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        },
    );
    println!(
        "journal: {} damaged journals still read as valid entries (edits no checksum guards)",
        UNDETECTABLE.load(Ordering::Relaxed)
    );
}
