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

#[test]
fn a_corrupt_line_deep_in_the_journal_is_named_by_its_absolute_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let inputs: Vec<Input> = (0..MANY).map(input).collect();
    write_journal(&path, &inputs);
    let mut bytes = std::fs::read(&path).unwrap();
    // The first line after 9 MiB loses its opening brace (which its checksum tells): past the
    // first block of each of two parsers, so its number adds up lines of blocks parsed elsewhere.
    let start = 9 << 20;
    let start = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let number = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    bytes[start] = b'x';
    std::fs::write(&path, &bytes).unwrap();

    Journal::open(&path).expect("the last line is fine");
    let mut party = Party::new("p", Rules::default());
    let err = replay(&mut party, &path).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("p.jsonl: line {number} is damaged: ")),
        "{msg}"
    );
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
    let err = replay(&mut Party::new("p", Rules::default()), &path).unwrap_err();
    assert!(format!("{err:#}").contains("line 6 is corrupt"), "{err:#}");
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
