//! Damage as a start meets it (`open_party`): set aside with its bytes kept, a gap entry in its
//! place saying what it held, every intact entry kept at the offset it had, and the party the
//! intact entries make.
use super::super::{Entry, Journal, Opened, open_party, write_line};
use crate::core::{
    Action, Gap, Input, Origin, Party, PlayerUpdate, Press, PressKind, Rules, Source, Timestamp,
    Track, TransportState, Voter,
};
use std::ops::Range;
use std::path::{Path, PathBuf};

const T0: i64 = 1_717_275_600_000;

fn at(seq: u64) -> Timestamp {
    Timestamp(T0 + seq as i64 * 1_000)
}

/// A new track every 10 inputs, else a guest liking: lines of 150–400 bytes, as at a party.
fn input(i: u64) -> Input {
    if i.is_multiple_of(10) {
        return Input::Player(PlayerUpdate {
            source: Source::Demo,
            player: "Demo".into(),
            state: TransportState::Playing,
            track: Some(Track {
                id: Some(format!("t{i}")),
                title: format!("Song {i}"),
                artist: "Band".into(),
                ..Track::default()
            }),
            position_ms: Some(0),
        });
    }
    Input::Press(Press {
        voter: Voter::guest(&format!("g{i}")),
        origin: Origin::Phone,
        kind: PressKind::Vote(Action::Like),
        battery: None,
    })
}

fn fresh() -> Party {
    Party::new("p", Rules::default())
}

/// A journal of `n` entries as the loop writes them (seq i on line i + 1).
fn journal(n: u64) -> (tempfile::TempDir, PathBuf, Vec<Entry>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut party = fresh();
    let entries: Vec<Entry> = (0..n)
        .map(|i| Entry {
            seq: i,
            at: at(i),
            effects: party.apply(&input(i), at(i)),
            input: input(i),
        })
        .collect();
    let (mut j, _) = Journal::open(&path).unwrap();
    j.append_batch(&entries).unwrap();
    (dir, path, entries)
}

/// The party that the entries `keep` says to keep build.
fn party_of(entries: &[Entry], keep: impl Fn(u64) -> bool) -> Party {
    let mut party = fresh();
    for e in entries.iter().filter(|e| keep(e.seq)) {
        party.apply(&e.input, e.at);
    }
    party
}

/// Where line `number` (1-based) is, its newline included.
fn span(bytes: &[u8], number: usize) -> Range<usize> {
    let mut start = 0;
    for _ in 1..number {
        start += bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    }
    let end = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    start..end
}

fn change(path: &Path, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    f(&mut bytes);
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn open(path: &Path) -> Opened {
    open_party(path, fresh).unwrap()
}

fn gap_lines(path: &Path) -> Vec<(usize, Entry)> {
    let text = std::fs::read(path).unwrap();
    text.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, super::super::read_line(l).unwrap()))
        .filter(|(_, e)| matches!(e.input, Input::Gap(_)))
        .collect()
}

/// Once set aside, the journal opens plainly: the gaps are recorded, nothing more is found.
fn reopens_plainly(path: &Path, gaps: &[Gap]) -> Opened {
    let again = open(path);
    assert!(again.set_aside.is_none());
    assert!(again.replayed.losses.found.is_empty());
    let recorded: Vec<Gap> = gaps.iter().filter(|g| g.entries > 0).cloned().collect();
    assert_eq!(again.replayed.losses.recorded, recorded);
    again
}

#[test]
fn a_flipped_bit_is_set_aside_with_its_bytes_and_every_offset_stays() {
    let (_dir, path, entries) = journal(30);
    let mut line = 0..0;
    let damaged = change(&path, |b| {
        line = span(b, 12);
        b[line.start + 40] ^= 0x04;
    });
    let opened = open(&path);
    let done = opened.set_aside.clone().expect("set aside");
    let gap = Gap {
        entries: 1,
        first_seq: 11,
        last_seq: 11,
        from: Some(at(10)),
        to: Some(at(12)),
        line: 12,
        lines: 1,
    };
    assert_eq!(done.gaps, vec![gap.clone()]);
    assert_eq!(opened.party, party_of(&entries, |s| s != 11));
    assert_eq!(opened.journal.next_seq(), 30);
    assert_eq!(opened.replayed.entries, 30, "29 intact entries and the gap");
    // The bytes as they were: the whole journal, and the damaged line with its number.
    assert_eq!(std::fs::read(&done.backup).unwrap(), damaged);
    let kept = std::fs::read(done.kept.as_ref().unwrap()).unwrap();
    let record = [b"12\t".as_slice(), &damaged[line.start..line.end]].concat();
    assert!(kept.starts_with(b"# "), "a header says what the file is");
    assert!(
        kept.ends_with(&record),
        "{}",
        String::from_utf8_lossy(&kept)
    );
    // The gap entry takes the damaged line's place and bytes: outlets' offsets still fit.
    let now = std::fs::read(&path).unwrap();
    assert_eq!(now.len(), damaged.len());
    assert_eq!(now[..line.start], damaged[..line.start]);
    assert_eq!(now[line.end..], damaged[line.end..]);
    let gaps = gap_lines(&path);
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].0, 12, "on the damaged line's own line");
    assert_eq!(gaps[0].1.seq, 11);
    assert_eq!(gaps[0].1.input, Input::Gap(gap.clone()));
    let note = opened.damage_note().unwrap();
    assert!(
        note.starts_with("1 damaged entry set aside at line 12 (seq 11, "),
        "{note}"
    );
    assert!(note.contains("p.jsonl.damaged-"), "{note}");

    let again = reopens_plainly(&path, &done.gaps);
    assert_eq!(again.party, opened.party);
    let note = again.damage_note().unwrap();
    assert!(
        note.starts_with("1 damaged entry set aside at line 12"),
        "{note}"
    );
}

#[test]
fn a_damaged_first_line_counts_from_seq_0() {
    let (_dir, path, entries) = journal(12);
    change(&path, |b| b[5] ^= 0x01);
    let opened = open(&path);
    let gaps = opened.set_aside.unwrap().gaps;
    assert_eq!(
        (
            gaps[0].first_seq,
            gaps[0].last_seq,
            gaps[0].from,
            gaps[0].to
        ),
        (0, 0, None, Some(at(1)))
    );
    assert_eq!(opened.party, party_of(&entries, |s| s != 0));
    reopens_plainly(&path, &gaps);
}

#[test]
fn a_damaged_last_line_next_to_a_torn_tail_never_reuses_a_seq() {
    for torn in [&b""[..], br#"{"seq":20,"at":17172"#] {
        let (_dir, path, entries) = journal(20);
        change(&path, |b| {
            let last = span(b, 20);
            b[last.start + 60] ^= 0x10;
            b.extend_from_slice(torn);
        });
        let opened = open(&path);
        assert_eq!(opened.recovery.torn_bytes, torn.len() as u64);
        let gap = opened.set_aside.as_ref().unwrap().gaps[0].clone();
        // Nothing after it to count by: at most what its bytes could hold.
        assert_eq!((gap.first_seq, gap.from, gap.to), (19, Some(at(18)), None));
        assert!(gap.entries >= 1 && gap.last_seq == 19 + gap.entries - 1);
        assert_eq!(opened.journal.next_seq(), gap.last_seq + 1);
        assert_eq!(opened.party, party_of(&entries, |s| s != 19));
        let note = opened.damage_note().unwrap();
        assert!(note.starts_with("up to "), "{note}");
        // The party goes on after it.
        let mut journal = opened.journal;
        let next = Entry {
            seq: journal.next_seq(),
            at: at(30),
            input: input(1),
            effects: Vec::new(),
        };
        journal.append_batch(std::slice::from_ref(&next)).unwrap();
        drop(journal);
        let again = reopens_plainly(&path, &[gap]);
        assert_eq!(again.replayed.entries, 19 + 1 + 1);
    }
}

#[test]
fn two_stretches_apart_are_two_gaps() {
    let (_dir, path, entries) = journal(60);
    change(&path, |b| {
        let a = span(b, 5);
        b[a.start + 30] ^= 0x02;
        // Lines 40 to 42 zeroed from inside 40 to inside 42: one stretch, three entries.
        let (from, to) = (span(b, 40).start + 10, span(b, 42).end - 10);
        b[from..to].fill(0);
    });
    let opened = open(&path);
    let gaps = opened.set_aside.as_ref().unwrap().gaps.clone();
    let seqs: Vec<(u64, u64, u64, u64)> = gaps
        .iter()
        .map(|g| (g.entries, g.first_seq, g.last_seq, g.line))
        .collect();
    assert_eq!(seqs, vec![(1, 4, 4, 5), (3, 39, 41, 40)]);
    assert_eq!(
        opened.party,
        party_of(&entries, |s| s != 4 && !(39..=41).contains(&s))
    );
    let lines = gap_lines(&path);
    assert_eq!(
        lines.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        vec![5, 40]
    );
    reopens_plainly(&path, &gaps);
}

/// The entries whose lines (newline included) lie wholly outside `zeroed` survive it.
fn survivors(bytes: &[u8], n: u64, zeroed: &Range<usize>) -> Vec<u64> {
    (0..n)
        .filter(|&seq| {
            let s = span(bytes, seq as usize + 1);
            s.end <= zeroed.start || s.start >= zeroed.end
        })
        .collect()
}

#[test]
fn a_zeroed_4_kib_block_loses_only_the_lines_it_touched() {
    // Aligned as a card fails, and ending exactly at a line's start (that line is whole).
    let (_dir, path, _) = journal(200);
    let bytes = std::fs::read(&path).unwrap();
    let aligned = 3 * 4096..4 * 4096;
    let start_of_line = span(&bytes, 150).start;
    for zeroed in [aligned, start_of_line - 4096..start_of_line] {
        let (_dir, path, entries) = journal(200);
        let kept = survivors(&std::fs::read(&path).unwrap(), 200, &zeroed);
        let original = change(&path, |b| b[zeroed.clone()].fill(0));
        let opened = open(&path);
        let gaps = opened.set_aside.as_ref().unwrap().gaps.clone();
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].entries, 200 - kept.len() as u64, "{zeroed:?}");
        assert_eq!(opened.party, party_of(&entries, |s| kept.contains(&s)));
        let now = std::fs::read(&path).unwrap();
        assert_eq!(now.len(), original.len(), "offsets stay");
        reopens_plainly(&path, &gaps);
    }
}

#[test]
fn a_line_cut_short_in_the_middle_is_set_aside_though_the_gap_is_longer() {
    let (_dir, path, entries) = journal(30);
    let damaged = change(&path, |b| {
        let s = span(b, 8);
        b.drain(s.start + 20..s.end - 1);
    });
    let opened = open(&path);
    let done = opened.set_aside.clone().unwrap();
    assert_eq!((done.gaps[0].first_seq, done.gaps[0].entries), (7, 1));
    assert_eq!(opened.party, party_of(&entries, |s| s != 7));
    let kept = std::fs::read(done.kept.unwrap()).unwrap();
    let cut = &damaged[span(&damaged, 8)];
    assert!(kept.ends_with(&[b"8\t", cut].concat()));
    reopens_plainly(&path, &done.gaps);
}

#[test]
fn a_line_deleted_by_hand_is_recorded_as_missing_and_the_party_starts() {
    // The old advice ("delete that line") led to "line 10 jumps from seq 8 to seq 10", forever.
    let (_dir, path, entries) = journal(20);
    change(&path, |b| {
        let s = span(b, 10);
        b.drain(s);
    });
    let opened = open(&path);
    let done = opened.set_aside.clone().unwrap();
    assert_eq!(
        (done.gaps[0].entries, done.gaps[0].lines, done.gaps[0].line),
        (1, 0, 10)
    );
    assert_eq!(done.kept, None, "no bytes to keep");
    assert!(
        opened
            .damage_note()
            .unwrap()
            .starts_with("1 entry missing before line 10 (seq 9, ")
    );
    assert_eq!(opened.party, party_of(&entries, |s| s != 9));
    reopens_plainly(&path, &done.gaps);
}

#[test]
fn damage_between_entries_that_follow_each_other_is_set_aside_without_a_gap_entry() {
    let (_dir, path, entries) = journal(10);
    change(&path, |b| {
        let s = span(b, 4);
        b.splice(s.start..s.start, b"garbage \x00\x01 here\n".iter().copied());
    });
    let opened = open(&path);
    let done = opened.set_aside.clone().unwrap();
    assert_eq!((done.gaps[0].entries, done.gaps[0].lines), (0, 1));
    assert!(gap_lines(&path).is_empty());
    assert_eq!(opened.party, party_of(&entries, |_| true));
    reopens_plainly(&path, &done.gaps);
}

#[test]
fn a_whole_line_this_version_cannot_read_is_an_error_and_nothing_is_touched() {
    let (_dir, path, _) = journal(10);
    let mut newer = Vec::new();
    let mut e: serde_json::Value = serde_json::to_value(Entry {
        seq: 10,
        at: at(10),
        input: Input::Tick,
        effects: Vec::new(),
    })
    .unwrap();
    e["input"] = serde_json::json!({"type": "from_the_future"});
    // Written with its checksum, as a newer party-tui would.
    let body = serde_json::to_vec(&e).unwrap();
    let crc = crc32fast::hash(&body[..body.len() - 1]);
    newer.extend_from_slice(&body[..body.len() - 1]);
    newer.extend_from_slice(format!(r#","crc":"{crc:08x}"}}"#).as_bytes());
    newer.push(b'\n');
    let before = change(&path, |b| {
        let s = span(b, 5);
        b.splice(s.start..s.start, newer.iter().copied());
    });
    let err = open_party(&path, fresh).err().expect("not damage: refused");
    let msg = format!("{err:#}");
    assert!(msg.contains("line 5 was written whole"), "{msg}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no backup, no kept bytes: {names:?}");
}

#[test]
fn a_gap_entry_is_a_journal_line_like_any_other() {
    let gap = Gap {
        entries: 3,
        first_seq: 4,
        last_seq: 6,
        from: Some(at(3)),
        to: None,
        line: 5,
        lines: 1,
    };
    let e = Entry {
        seq: 6,
        at: at(3),
        input: Input::Gap(gap),
        effects: Vec::new(),
    };
    let mut line = Vec::new();
    write_line(&mut line, &e).unwrap();
    let text = String::from_utf8(line.clone()).unwrap();
    assert!(
        text.starts_with(
            r#"{"seq":6,"at":1717275603000,"input":{"type":"gap","entries":3,"first_seq":4,"last_seq":6,"from":1717275603000,"line":5,"lines":1},"crc":""#
        ),
        "{text}"
    );
    // Padded with blanks, as set_aside pads it to a stretch's length: still the same entry.
    line.pop();
    line.extend_from_slice(b"    ");
    assert_eq!(super::super::read_line(&line).unwrap(), e);
    let mut p = fresh();
    assert!(p.apply(&e.input, e.at).is_empty(), "changes nothing");
    assert_eq!(p, fresh());
}

#[test]
fn a_stray_copy_of_old_lines_is_damage_and_no_intact_entry_goes() {
    // Lines 3 and 4 written again after line 10 (a misdirected write): checksummed lines going
    // back are no batch an older version retried, so `repair` must not drop lines 5 to 10.
    let (_dir, path, entries) = journal(20);
    change(&path, |b| {
        let copy = b[span(b, 3).start..span(b, 4).end].to_vec();
        let at = span(b, 10).end;
        b.splice(at..at, copy);
    });
    let opened = open(&path);
    assert!(opened.repaired.is_none());
    let done = opened.set_aside.clone().unwrap();
    assert_eq!(
        (done.gaps[0].entries, done.gaps[0].lines, done.gaps[0].line),
        (0, 2, 11)
    );
    assert_eq!(opened.party, party_of(&entries, |_| true));
    assert_eq!(opened.journal.next_seq(), 20);
    reopens_plainly(&path, &done.gaps);
}

#[test]
fn a_disk_that_refuses_the_rewrite_still_lets_the_party_start() {
    let (_dir, path, entries) = journal(30);
    let damaged = change(&path, |b| {
        let s = span(b, 12);
        b[s.start + 40] ^= 0x04;
    });
    // The rewrite's file cannot be made (as on a full or failing disk).
    let temp = path.with_file_name("p.jsonl.setting-aside");
    std::fs::create_dir(&temp).unwrap();
    let opened = open(&path);
    assert!(opened.set_aside.is_none());
    assert!(opened.set_aside_error.is_some());
    assert_eq!(opened.party, party_of(&entries, |s| s != 11));
    assert_eq!(opened.journal.next_seq(), 30);
    let note = opened.damage_note().unwrap();
    assert!(
        note.starts_with("1 damaged entry set aside at line 12 (seq 11, ")
            && note.contains(
                "; the journal could not be rewritten yet (the next start tries again): "
            ),
        "{note}"
    );
    drop(opened);
    assert_eq!(std::fs::read(&path).unwrap(), damaged, "untouched");
    // Once the disk takes it, the next start sets it aside.
    std::fs::remove_dir(&temp).unwrap();
    let again = open(&path);
    assert_eq!(again.set_aside.unwrap().gaps[0].first_seq, 11);
}
