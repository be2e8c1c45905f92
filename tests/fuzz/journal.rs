//! Journals, randomly corrupted and truncated, then opened and replayed as a start does. Damage
//! never stops a start: the outcome is the party of exactly the entries that are still whole
//! (each read as it was written, never as a different entry: every line carries a checksum),
//! with every line that survived verbatim among them, and gap entries standing for the rest.
//! Only a line this version cannot read although whole would be a clear error naming the line.
use crate::mutate::{JSON, Op, apply};
use party_tui::core::*;
use party_tui::journal::{Entry, open_party, read_entries, write_line};
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

/// How the damaged journals came out (a run prints them; README, issues 17 and 23).
static REFUSED: AtomicU64 = AtomicU64::new(0);
static WHOLE: AtomicU64 = AtomicU64::new(0);
static SET_ASIDE: AtomicU64 = AtomicU64::new(0);
static ENTRIES_LOST: AtomicU64 = AtomicU64::new(0);

#[derive(Clone, Debug)]
enum Damage {
    /// Power cut: the file ends anywhere.
    Truncate(u16),
    /// Bytes changed anywhere (a bad sector, a stray write), maybe then cut.
    Mutate(Vec<Op>, Option<u16>),
    /// A block of zeros (a failing SD card), anywhere, up to 4 KiB.
    Zeros(u16, u16),
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
        (any::<u16>(), 1u16..4096).prop_map(|(p, n)| Damage::Zeros(p, n)),
    ]
}

/// Whether `line` (with its newline) stands whole somewhere in `bytes` (complete lines).
fn stands_whole(bytes: &[u8], line: &[u8]) -> bool {
    let framed = [b"\n", line].concat();
    let padded = [b"\n", bytes].concat();
    padded.windows(framed.len()).any(|w| w == framed)
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
            let (entries, _) = entries(&script);
            let mut good = Vec::new();
            let mut lines = Vec::new();
            for e in &entries {
                let mut line = Vec::new();
                write_line(&mut line, e).unwrap();
                good.extend_from_slice(&line);
                lines.push(line);
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
                Damage::Zeros(p, n) => {
                    let mut b = good.clone();
                    let at = (*p as usize * b.len()) >> 16;
                    let end = (at + *n as usize).min(b.len());
                    b[at..end].fill(0);
                    b
                }
            };
            // A directory of its own: a start keeps files beside the journal.
            let sub = dir.path().join("case");
            let _ = std::fs::remove_dir_all(&sub);
            std::fs::create_dir_all(&sub).unwrap();
            let path = sub.join("party.jsonl");
            std::fs::write(&path, &bytes).unwrap();
            // The bytes after the last newline are torn; every line before that still stands
            // whole must be kept.
            let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let opened = match open_party(&path, || Party::new("fuzz", Rules::default())) {
                Ok(opened) => opened,
                Err(e) => {
                    let msg = format!("{e:#}");
                    if !msg.contains("party.jsonl") || !msg.contains("line") {
                        return Err(format!("unclear error: {msg}"));
                    }
                    REFUSED.fetch_add(1, Ordering::Relaxed);
                    return Ok(());
                }
            };
            // What the journal holds now: entries as they were written, in order, and gaps.
            let mut kept = Vec::new();
            let mut next = 0;
            let read = read_entries(&path, |e| kept.push(e)).map_err(|e| format!("{e:#}"))?;
            let mut serial = Party::new("fuzz", Rules::default());
            for e in &kept {
                let first = match &e.input {
                    Input::Gap(g) => g.first_seq,
                    _ => {
                        let original = entries.get(e.seq as usize);
                        if original != Some(e) {
                            return Err(format!("entry {} read as {e:?}", e.seq));
                        }
                        e.seq
                    }
                };
                if first != next && !(next == 0 && first > 0 && e.seq == first) {
                    return Err(format!("seq {first} after {next}: the seqs do not run on"));
                }
                next = e.seq + 1;
                serial.apply(&e.input, e.at);
            }
            if !read.found.is_empty() {
                return Err(format!("damage left after a start: {:?}", read.found));
            }
            if opened.party != serial {
                return Err("the party is not the one its entries make".into());
            }
            for (e, line) in entries.iter().zip(&lines) {
                let held = kept
                    .iter()
                    .any(|k| k.seq == e.seq && !matches!(k.input, Input::Gap(_)));
                if stands_whole(&bytes[..complete], line) && !held {
                    return Err(format!("entry {} stood whole but was not kept", e.seq));
                }
            }
            match &opened.set_aside {
                Some(done) => {
                    SET_ASIDE.fetch_add(1, Ordering::Relaxed);
                    let lost: u64 = done.gaps.iter().map(|g| g.entries).sum();
                    ENTRIES_LOST.fetch_add(lost, Ordering::Relaxed);
                }
                None => {
                    WHOLE.fetch_add(1, Ordering::Relaxed);
                }
            }
            // Once set aside, a start is plain.
            drop(opened);
            let again = open_party(&path, || Party::new("fuzz", Rules::default()))
                .map_err(|e| format!("{e:#}"))?;
            if again.set_aside.is_some() || again.repaired.is_some() || again.party != serial {
                return Err("a second start found more to do".into());
            }
            Ok(())
        },
    );
    println!(
        "journal: of {cases} damaged journals {} started with damage set aside ({} entries lost \
         in all, each one named by a gap entry), {} started as they were (a torn tail dropped, \
         or bytes changed that changed no entry), {} were refused with an error naming the line; \
         none read an entry differently and none lost a line that stood whole (a case fails \
         otherwise)",
        SET_ASIDE.load(Ordering::Relaxed),
        ENTRIES_LOST.load(Ordering::Relaxed),
        WHOLE.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed),
    );
}
