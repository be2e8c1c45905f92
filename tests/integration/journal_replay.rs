//! Replay parses blocks of the journal on several threads and applies them in order: the party
//! it rebuilds, the entries it counts and the line a corruption is reported at must be those of
//! a plain line-by-line replay, whatever the block boundaries.
use crate::support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal, replay};
use std::io::Write;
use std::path::Path;

/// A new track every 50 inputs, else guests voting: ~250 bytes a line with its effects.
fn input(i: u64) -> Input {
    support::sample::evening(i, 50, 97)
}

fn at(i: u64) -> Timestamp {
    Timestamp(1_000_000 + i as i64 * 300)
}

/// Journals `inputs` as the loop does and returns the party a serial apply builds.
fn write_journal(path: &Path, inputs: &[Input]) -> Party {
    let (mut journal, _) = Journal::open(path).unwrap();
    let mut party = Party::new("p", Rules::default());
    let entries: Vec<Entry> = (0..inputs.len() as u64)
        .map(|i| Entry {
            seq: i,
            at: at(i),
            effects: party.apply(&inputs[i as usize], at(i)),
            input: inputs[i as usize].clone(),
        })
        .collect();
    for batch in entries.chunks(1000) {
        journal.append_batch(batch).unwrap();
    }
    party
}

fn append_raw(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Enough lines (over 10 MiB) for several blocks (of 1 MiB; 4 MiB was tried), so each of two
/// parsers gets more than one.
const MANY: u64 = 50_000;

#[test]
fn a_journal_of_many_blocks_replays_to_the_party_a_serial_apply_builds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let inputs: Vec<Input> = (0..MANY).map(input).collect();
    let before = write_journal(&path, &inputs);
    assert!(std::fs::metadata(&path).unwrap().len() > 10 << 20);

    let mut after = Party::new("p", Rules::default());
    let replayed = replay(&mut after, &path).unwrap();
    assert_eq!(replayed.entries, MANY);
    assert_eq!(replayed.last_at, Some(at(MANY - 1)));
    assert_eq!(after, before);
    let (journal, recovery) = Journal::open(&path).unwrap();
    assert_eq!((recovery.entries, journal.next_seq()), (MANY, MANY));
}

/// Where line `number` (1-based) starts.
fn line_start(bytes: &[u8], number: usize) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .nth(number - 2)
        .map_or(0, |(i, _)| i + 1)
}

#[test]
fn damage_deep_in_the_journal_is_stepped_over_and_named_by_its_absolute_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let inputs: Vec<Input> = (0..MANY).map(input).collect();
    write_journal(&path, &inputs);
    let mut bytes = std::fs::read(&path).unwrap();
    // The first line after 9 MiB loses its opening brace (which its checksum tells): past the
    // first block of each of two parsers, so its number adds up lines of blocks parsed
    // elsewhere. Then a 4 KiB block of zeros across the 1 MiB block boundary (the stretch
    // spans two parsers' blocks), and a flipped bit in the very last line.
    let newlines = |bytes: &[u8], end: usize| bytes[..end].iter().filter(|&&b| b == b'\n').count();
    let start = 9 << 20;
    let start = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let brace_seq = newlines(&bytes, start) as u64;
    bytes[start] = b'x';
    let last = line_start(&bytes, MANY as usize);
    bytes[last + 30] ^= 0x08;
    let zeroed = (1 << 20) - 2048..(1 << 20) + 2048;
    let first_zeroed = newlines(&bytes, zeroed.start) + 1;
    // The seqs of the lines the zeros touched: from the one they start in to the one after
    // the newline they stop before.
    let zeroed_seqs = first_zeroed as u64 - 1..=newlines(&bytes, zeroed.end) as u64;
    bytes[zeroed].fill(0);
    std::fs::write(&path, &bytes).unwrap();
    // Lines are numbered as the file is now: the newlines the zeros took are gone.
    let brace = newlines(&bytes, start) + 1;
    let last_line = newlines(&bytes, bytes.len()) as u64;

    let mut party = Party::new("p", Rules::default());
    let replayed = replay(&mut party, &path).expect("damage never stops a replay");
    let found = &replayed.losses.found;
    let lines: Vec<u64> = found.iter().map(|g| g.line).collect();
    assert_eq!(lines, vec![first_zeroed as u64, brace as u64, last_line]);
    // What each stretch lost, from its intact neighbours.
    let zero = &found[0];
    assert_eq!(zero.first_seq..=zero.last_seq, zeroed_seqs);
    assert_eq!((found[1].first_seq, found[1].entries), (brace_seq, 1));
    assert_eq!((found[2].first_seq, found[2].to), (MANY - 1, None));
    let lost = |seq: u64| zeroed_seqs.contains(&seq) || seq == brace_seq || seq == MANY - 1;
    let kept = (0..MANY).filter(|&s| !lost(s)).count() as u64;
    assert_eq!(replayed.entries, kept);

    // The party those entries build, applied one by one.
    let mut serial = Party::new("p", Rules::default());
    let mut seen = 0;
    party_tui::journal::read_entries(&path, |e| {
        seen += 1;
        serial.apply(&e.input, e.at);
    })
    .map(|losses| assert_eq!(&losses.found, found, "the report reads the same losses"))
    .unwrap();
    assert_eq!(seen, kept);
    assert_eq!(party, serial);
    assert_eq!(party_tui::journal::inspect(&path).unwrap(), replayed);

    // A start records them, and then replays them as recorded, to the same party.
    let opened =
        party_tui::journal::open_party(&path, || Party::new("p", Rules::default())).unwrap();
    assert_eq!(&opened.set_aside.as_ref().unwrap().gaps, found);
    assert_eq!(&opened.replayed.losses.recorded, found);
    assert_eq!(opened.party, serial);
}

#[test]
fn empty_lines_are_skipped_but_keep_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    write_journal(&path, &[input(0), input(1)]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.splice(0..0, b"\n\n".iter().copied());
    bytes.extend(b"\n");
    std::fs::write(&path, &bytes).unwrap();

    let (journal, recovery) = Journal::open(&path).unwrap();
    assert_eq!((recovery.entries, journal.next_seq()), (2, 2));
    let mut party = Party::new("p", Rules::default());
    assert_eq!(replay(&mut party, &path).unwrap().entries, 2);

    append_raw(&path, b"{}\n");
    let err = Journal::open(&path).err().expect("a last line with no seq");
    assert!(format!("{err:#}").contains("line 6 is corrupt"), "{err:#}");
    let replayed = replay(&mut Party::new("p", Rules::default()), &path).unwrap();
    assert_eq!(replayed.losses.found[0].line, 6);
}

#[test]
fn a_line_longer_than_a_block_replays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut long = input(0);
    if let Input::Player(PlayerUpdate {
        track: Some(track), ..
    }) = &mut long
    {
        track.title = "la".repeat(3 << 20);
    }
    let inputs = [input(1), long, input(2), input(3)];
    let before = write_journal(&path, &inputs);
    assert!(std::fs::metadata(&path).unwrap().len() > 6 << 20);

    let mut after = Party::new("p", Rules::default());
    assert_eq!(replay(&mut after, &path).unwrap().entries, 4);
    assert_eq!(after, before);
}

#[test]
fn replay_leaves_out_a_torn_last_line_even_before_open_drops_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let before = write_journal(&path, &[input(0), input(1)]);
    // A whole entry, but without its newline the write may not have finished.
    let torn = serde_json::to_vec(&Entry {
        seq: 2,
        at: at(2),
        input: input(2),
        effects: Vec::new(),
    })
    .unwrap();
    append_raw(&path, &torn);
    let mut after = Party::new("p", Rules::default());
    let replayed = replay(&mut after, &path).unwrap();
    assert_eq!((replayed.entries, replayed.last_at), (2, Some(at(1))));
    assert_eq!(after, before);
}

#[test]
fn a_missing_journal_replays_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.jsonl");
    let replayed = replay(&mut Party::new("p", Rules::default()), &missing).unwrap();
    assert_eq!((replayed.entries, replayed.last_at), (0, None));
    assert!(!missing.exists());
}
