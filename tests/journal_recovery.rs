//! Crash recovery: a torn last line is dropped and reported, a batch cut between write and
//! sync keeps its complete lines, and corruption is an error naming the line: from `replay`
//! anywhere, from `Journal::open` in the last line (the only one it parses).
use party_tui::core::*;
use party_tui::journal::{Entry, Journal, replay};
use std::io::Write;

fn entry(seq: u64, who: &str) -> Entry {
    Entry {
        seq,
        at: Timestamp(1_000 + seq as i64),
        input: Input::Press(Press {
            voter: Voter::guest(who),
            origin: Origin::Phone,
            kind: PressKind::Vote(Action::Like),
            battery: None,
        }),
        effects: Vec::new(),
    }
}

fn append_raw(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn a_torn_last_line_is_dropped_reported_and_writing_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, rec) = Journal::open(&path).unwrap();
    assert_eq!((rec.entries, rec.torn_bytes), (0, 0));
    j.append_batch(&[entry(0, "a"), entry(1, "b"), entry(2, "c")])
        .unwrap();
    drop(j);
    append_raw(&path, br#"{"seq":3,"at":1003,"inp"#);

    let (mut j, rec) = Journal::open(&path).unwrap();
    assert_eq!(rec.entries, 3);
    assert_eq!(rec.torn_bytes, 23);
    assert!(rec.torn_note().unwrap().contains("23 bytes"));
    assert_eq!(j.next_seq(), 3);
    j.append_batch(&[entry(3, "d")]).unwrap();
    let mut p = Party::new("p", Rules::default());
    assert_eq!(replay(&mut p, &path).unwrap().entries, 4);
    assert!(std::fs::read_to_string(&path).unwrap().ends_with("\n"));
}

#[test]
fn a_batch_cut_between_write_and_sync_keeps_only_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&[entry(0, "a")]).unwrap();
    drop(j);
    // The second batch reached the page cache only in part when the power went.
    let mut batch = Vec::new();
    for e in [entry(1, "b"), entry(2, "c")] {
        serde_json::to_writer(&mut batch, &e).unwrap();
        batch.push(b'\n');
    }
    let cut = batch.len() - 10;
    append_raw(&path, &batch[..cut]);

    let (j, rec) = Journal::open(&path).unwrap();
    assert_eq!((rec.entries, j.next_seq()), (2, 2));
    let mut p = Party::new("p", Rules::default());
    let r = replay(&mut p, &path).unwrap();
    assert_eq!(r.entries, 2);
    assert_eq!(r.last_at, Some(Timestamp(1_001)));
}

#[test]
fn corruption_before_the_last_line_is_a_replay_error_that_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&[entry(0, "a")]).unwrap();
    drop(j);
    let mut good = serde_json::to_vec(&entry(2, "b")).unwrap();
    good.push(b'\n');
    append_raw(&path, &[&b"not json\n"[..], &good].concat());
    // Open reads only the last line, so it opens; replay, which runs at every start, finds it.
    let (j, rec) = Journal::open(&path).unwrap();
    assert_eq!((rec.entries, j.next_seq()), (3, 3));
    let mut p = Party::new("p", Rules::default());
    let err = replay(&mut p, &path).expect_err("a corrupt journal must not replay silently");
    let msg = format!("{err:#}");
    assert!(msg.contains("p.jsonl: line 2 is corrupt: "), "{msg}");
}

#[test]
fn a_corrupt_last_line_fails_open_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&[entry(0, "a"), entry(1, "b")]).unwrap();
    drop(j);
    // Complete (newline-terminated) but not JSON: not a torn line, so it is not dropped.
    append_raw(&path, b"{\"seq\":2,\"at\"\n\n");
    let err = Journal::open(&path)
        .err()
        .expect("open needs the last line for the next seq");
    let msg = format!("{err:#}");
    assert!(msg.contains("p.jsonl: line 3 is corrupt"), "{msg}");
}
