//! Crash recovery: a torn last line is dropped and reported, a batch cut between write and
//! sync keeps its complete lines, and corruption is never read as an entry: `replay` steps over
//! it anywhere and names it, `Journal::open` names it in the last line (the only one it
//! parses), and a start sets it aside (src/journal/set_aside_tests.rs has the details).
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
fn corruption_before_the_last_line_is_stepped_over_by_replay_and_named() {
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
    let replayed = replay(&mut p, &path).expect("damage never stops a replay");
    assert_eq!(replayed.entries, 2);
    let gap = &replayed.losses.found[0];
    assert_eq!((gap.line, gap.entries, gap.first_seq), (2, 1, 1));
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

/// The journal's bytes with one byte of line `number` (1-based) changed to `to`.
fn change_byte(path: &std::path::Path, number: usize, what: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let line = &mut lines[number - 1];
    assert!(line.contains(what), "{line}");
    *line = line.replacen(what, to, 1);
    std::fs::write(path, lines.join("\n")).unwrap();
}

#[test]
fn every_line_carries_a_checksum_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    let written = [entry(0, "a"), entry(1, "b")];
    j.append_batch(&written).unwrap();
    drop(j);
    let text = std::fs::read_to_string(&path).unwrap();
    for (line, e) in text.lines().zip(&written) {
        let (body, crc) = line.rsplit_once(r#","crc":""#).expect(line);
        assert_eq!(crc, format!("{:08x}\"}}", crc32fast::hash(body.as_bytes())));
        assert_eq!(&party_tui::journal::read_line(line.as_bytes()).unwrap(), e);
        // Still JSON Lines of entries for any tool.
        assert_eq!(&serde_json::from_str::<Entry>(line).unwrap(), e);
    }
    let (j, rec) = Journal::open(&path).unwrap();
    assert_eq!((rec.entries, j.next_seq()), (2, 2));
}

#[test]
fn a_journal_from_before_checksums_opens_replays_and_carries_on_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut old = Vec::new();
    for e in [entry(0, "a"), entry(1, "b")] {
        serde_json::to_writer(&mut old, &e).unwrap();
        old.push(b'\n');
    }
    std::fs::write(&path, &old).unwrap();
    let (mut j, rec) = Journal::open(&path).unwrap();
    assert_eq!(
        (rec.entries, j.next_seq()),
        (2, 2),
        "next seq from an old last line"
    );
    j.append_batch(&[entry(2, "c")]).unwrap();
    drop(j);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(std::str::from_utf8(&old).unwrap()),
        "old lines stay as they were"
    );
    assert!(text.lines().last().unwrap().contains(r#""crc":"#));

    let opened = party_tui::journal::open_party(&path, || Party::new("p", Rules::default()))
        .expect("old lines, then new ones");
    assert_eq!(opened.replayed.entries, 3);
    assert_eq!(opened.journal.next_seq(), 3);
    let mut serial = Party::new("p", Rules::default());
    for e in [entry(0, "a"), entry(1, "b"), entry(2, "c")] {
        serial.apply(&e.input, e.at);
    }
    assert_eq!(opened.party, serial);
}

#[test]
fn a_changed_byte_in_a_complete_line_is_never_read_as_another_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&[entry(0, "a"), entry(1, "bob"), entry(2, "c")])
        .unwrap();
    drop(j);
    // Without the checksum this read as a vote from guest "rob": a silently different party.
    change_byte(&path, 2, "bob", "rob");
    let (j, _) = Journal::open(&path).expect("open parses only the last line");
    drop(j);
    let mut p = Party::new("p", Rules::default());
    let replayed = replay(&mut p, &path).unwrap();
    assert_eq!(replayed.entries, 2, "not as guest rob's vote");
    assert_eq!(replayed.losses.found[0].line, 2);
    let mut serial = Party::new("p", Rules::default());
    for e in [entry(0, "a"), entry(2, "c")] {
        serial.apply(&e.input, e.at);
    }
    assert_eq!(p, serial);

    // As a start meets it: set aside, and the party starts.
    let opened = party_tui::journal::open_party(&path, || Party::new("p", Rules::default()))
        .expect("a damaged line never stops a start");
    let note = opened.damage_note().unwrap();
    assert!(
        note.contains("1 damaged entry set aside at line 2"),
        "{note}"
    );
    assert_eq!(opened.party, serial);

    // The last line is the one open reads: open names it, a start sets it aside.
    let (mut j, _) = {
        std::fs::remove_file(&path).unwrap();
        Journal::open(&path).unwrap()
    };
    j.append_batch(&[entry(0, "a"), entry(1, "b")]).unwrap();
    drop(j);
    change_byte(&path, 2, "1001", "1007");
    let err = Journal::open(&path)
        .err()
        .expect("open checks the last line");
    assert!(
        format!("{err:#}").contains("p.jsonl: line 2 is damaged"),
        "{err:#}"
    );
    let opened = party_tui::journal::open_party(&path, || Party::new("p", Rules::default()))
        .expect("a damaged last line never stops a start");
    let gap = &opened.set_aside.as_ref().unwrap().gaps[0];
    assert_eq!((gap.line, gap.first_seq, gap.to), (2, 1, None));
    assert_eq!(opened.journal.next_seq(), gap.last_seq + 1);
}

#[test]
fn a_torn_line_with_a_checksum_is_dropped_like_any_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&[entry(0, "a"), entry(1, "b")]).unwrap();
    drop(j);
    let mut line = Vec::new();
    party_tui::journal::write_line(&mut line, &entry(2, "c")).unwrap();
    // All but the newline: complete JSON with a matching checksum, yet never synced whole.
    let torn = &line[..line.len() - 1];
    append_raw(&path, torn);
    let mut p = Party::new("p", Rules::default());
    assert_eq!(
        replay(&mut p, &path).unwrap().entries,
        2,
        "replay leaves it out"
    );
    let (j, rec) = Journal::open(&path).unwrap();
    assert_eq!((rec.entries, rec.torn_bytes), (2, torn.len() as u64));
    assert_eq!(j.next_seq(), 2);
    drop(j);
    // Cut inside the checksum, or with a damaged byte: a torn tail all the same.
    for cut in [line.len() - 6, line.len() / 2] {
        append_raw(&path, &line[..cut]);
        let (_, rec) = Journal::open(&path).unwrap();
        assert_eq!((rec.entries, rec.torn_bytes), (2, cut as u64));
    }
    let mut damaged = torn.to_vec();
    damaged[20] ^= 1;
    append_raw(&path, &damaged);
    let (_, rec) = Journal::open(&path).unwrap();
    assert_eq!(rec.torn_bytes, damaged.len() as u64);
    assert_eq!(
        replay(&mut Party::new("p", Rules::default()), &path)
            .unwrap()
            .entries,
        2
    );
}
