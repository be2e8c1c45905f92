//! A damaged journal through the whole program: a flipped bit, a 4 KiB block of zeros (a
//! failing SD card) and a line cut short in the middle of a 3,000-line party. Before a start,
//! `report`, `parties` and `doctor` name what was lost; the party then starts by itself with
//! every intact entry counted, keeps the damaged bytes beside the journal, says so on the status
//! line, serves `/recap`, carries on, and starts plainly again.
use crate::faults::{self, CONFIG, LIMIT, Party};
use crate::support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const NAME: &str = "2026-05-01_2000";
const ENTRIES: u64 = 3_000;
const PER_TRACK: u64 = 50;

/// Button B1 as CONFIG has it (a web button that likes), pressed; a new track every 50.
fn input(i: u64) -> Input {
    if i.is_multiple_of(PER_TRACK) {
        return support::sample::play(i / PER_TRACK);
    }
    Input::Press(Press {
        voter: Voter::button("B1"),
        origin: Origin::WebButton,
        kind: PressKind::Click(ClickKind::Single),
        battery: None,
    })
}

fn is_press(seq: u64) -> bool {
    !seq.is_multiple_of(PER_TRACK)
}

/// The party's journal as the loop writes it, two seconds an entry, ending an hour ago.
fn write_party(data: &Path) -> std::path::PathBuf {
    let parties = data.join("parties");
    std::fs::create_dir_all(&parties).unwrap();
    std::fs::write(parties.join("current"), NAME).unwrap();
    let path = parties.join(format!("{NAME}.jsonl"));
    let rules = Rules {
        buttons: vec![ButtonRule {
            name: "B1".into(),
            actions: ButtonActions::Always(Action::Like),
            debounce: None,
        }],
        ..Rules::default()
    };
    let mut party = party_tui::core::Party::new(NAME, rules);
    let now = chrono::Utc::now().timestamp_millis();
    let t0 = now - 3_600_000 - ENTRIES as i64 * 2_000;
    let entries: Vec<Entry> = (0..ENTRIES)
        .map(|i| {
            let at = Timestamp(t0 + i as i64 * 2_000);
            Entry {
                seq: i,
                at,
                effects: party.apply(&input(i), at),
                input: input(i),
            }
        })
        .collect();
    let (mut journal, _) = Journal::open(&path).unwrap();
    journal.append_batch(&entries).unwrap();
    path
}

/// Where line `number` (1-based) is, its newline included.
fn span(bytes: &[u8], number: usize) -> Range<usize> {
    let start = match number {
        1 => 0,
        n => {
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .nth(n - 2)
                .unwrap()
                .0
                + 1
        }
    };
    start..start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1
}

/// Damages the journal three ways; returns the seqs whose lines survive whole.
fn damage(path: &Path) -> Vec<u64> {
    let mut bytes = std::fs::read(path).unwrap();
    let mut spans: Vec<Range<usize>> = Vec::new();
    for (i, _) in bytes.iter().enumerate().filter(|&(_, &b)| b == b'\n') {
        spans.push(spans.last().map_or(0, |s| s.end)..i + 1);
    }
    // A flipped bit in line 500, a 4 KiB block of zeros on a 4 KiB boundary mid-file, and
    // line 2,500 cut after 25 bytes.
    let flipped = spans[499].clone();
    bytes[flipped.start + 40] ^= 0x04;
    let zeroed = ((bytes.len() / 2) & !4095)..((bytes.len() / 2) & !4095) + 4096;
    bytes[zeroed.clone()].fill(0);
    let cut = spans[2499].clone();
    assert!(cut.start > zeroed.end);
    bytes.drain(cut.start + 25..cut.end - 1);
    std::fs::write(path, &bytes).unwrap();
    (0..ENTRIES)
        .filter(|&seq| {
            let s = &spans[seq as usize];
            seq != 499 && seq != 2499 && (s.end <= zeroed.start || s.start >= zeroed.end)
        })
        .collect()
}

fn run(data: &Path, config: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// `report`, `parties` and `doctor` name the three stretches (at these lines) and what they
/// lost; the figures leave them out.
fn commands_name_the_damage(data: &Path, config: &Path, lines: &[u64], kept_presses: u64) {
    let (code, report) = run(data, config, &["report"]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("Journal damage (not counted above)"),
        "{report}"
    );
    for line in lines {
        assert!(
            report.contains(&format!("set aside at line {line} (seq ")),
            "line {line}: {report}"
        );
    }
    let (code, json) = run(data, config, &["report", "--format", "json"]);
    assert_eq!(code, 0, "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["damage"].as_array().unwrap().len(), lines.len());
    assert_eq!(json["presses_by_button"]["B1"], kept_presses);

    let (code, parties) = run(data, config, &["parties"]);
    assert_eq!(code, 0, "{parties}");
    let mut out = parties.lines();
    assert_eq!(out.next(), Some(NAME), "{parties}");
    for line in lines {
        assert!(
            parties.contains(&format!("damaged entry set aside at line {line} "))
                || parties.contains(&format!("damaged entries set aside at line {line} ")),
            "line {line}: {parties}"
        );
    }

    let (code, doctor) = run(data, config, &["doctor"]);
    assert_eq!(code, 1, "a finding, not \"No errors\": {doctor}");
    assert!(
        doctor.contains(&format!("FAIL  journal of party {NAME}: ")),
        "{doctor}"
    );
    assert!(doctor.contains("check it (dmesg, fsck"), "{doctor}");
    assert!(!doctor.contains("No errors"), "{doctor}");
}

/// The status line's entries as the attached dashboard gets them (the admin snapshot stream),
/// until one named `name` shows.
fn status_entry(addr: SocketAddr, token: &str, name: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    // HTTP/1.0: the stream comes plain, not chunked.
    write!(
        stream,
        "GET /api/admin/snapshots HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let deadline = Instant::now() + LIMIT;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while Instant::now() < deadline {
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) if line.ends_with('\n') => {}
            // A read timeout between snapshots: what came so far stays, the rest follows.
            _ => continue,
        }
        let whole = std::mem::take(&mut line);
        let Some(json) = whole.strip_prefix("data:") else {
            continue;
        };
        let snap: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        if let Some(h) = snap["health"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
        {
            return h["detail"].as_str().unwrap().to_string();
        }
    }
    panic!("no status entry {name:?} within {LIMIT:?}");
}

fn files_beside(data: &Path, part: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(data.join("parties"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(part))
        .collect()
}

#[test]
fn a_damaged_journal_never_ends_the_night() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    // The doctor's port check must pass: only the journal is wrong here.
    std::fs::write(
        &config,
        format!("{CONFIG}\n[http]\nbind = \"127.0.0.1:0\"\n"),
    )
    .unwrap();
    let path = write_party(&data);
    let kept = damage(&path);
    let kept_presses = kept.iter().filter(|&&s| is_press(s)).count() as u64;
    assert!(
        ENTRIES - kept.len() as u64 > 10,
        "the zeros took a dozen lines"
    );
    // Numbered as the damaged file is: the zeros took newlines, so line 2,500 moved up.
    let damaged = std::fs::read(&path).unwrap();
    let zero_line = {
        let first = (0..ENTRIES)
            .find(|s| !kept.contains(s) && *s != 499)
            .unwrap();
        first + 1
    };
    let cut_line = damaged
        .split(|&b| b == b'\n')
        .position(|l| l.len() == 25)
        .unwrap() as u64
        + 1;
    let lines = [500, zero_line, cut_line];
    commands_name_the_damage(&data, &config, &lines, kept_presses);

    // The party starts by itself, every intact entry counted.
    let party = faults::start_real(&[], &data, &config);
    assert_eq!(party.presses_shown(), kept_presses);
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let status = status_entry(party.addr, token.trim(), "journal damage");
    // Short, for a status line: how many, where, when, and where the bytes are.
    let lost = ENTRIES - kept.len() as u64;
    assert!(
        status.starts_with(&format!(
            "{lost} damaged entries set aside at lines 500, {zero_line} and {cut_line} ("
        )),
        "{status}"
    );
    assert!(
        status.contains(&format!("; bytes kept in {NAME}.jsonl.damaged-")),
        "{status}"
    );
    // The bytes kept verbatim with their line numbers, the journal as it was kept whole.
    let kept_files = files_beside(&data, ".jsonl.damaged-");
    assert_eq!(kept_files.len(), 1);
    let kept_bytes = std::fs::read(&kept_files[0]).unwrap();
    for line in lines {
        let bytes = &damaged[span(&damaged, line as usize)];
        let record = [format!("{line}\t").as_bytes(), bytes].concat();
        assert!(
            kept_bytes.windows(record.len()).any(|w| w == record),
            "line {line}, verbatim"
        );
    }
    assert!(
        kept_bytes.windows(4096).any(|w| w == [0; 4096]),
        "the zeros"
    );
    let backups = files_beside(&data, ".jsonl.before-set-aside-");
    assert_eq!(std::fs::read(&backups[0]).unwrap(), damaged);
    // Three gap entries in the journal say what was lost.
    let gaps: Vec<serde_json::Value> = journal(&path)
        .into_iter()
        .filter(|v| v["input"]["type"] == "gap")
        .collect();
    assert_eq!(gaps.len(), 3);
    let lost: u64 = gaps
        .iter()
        .map(|g| g["input"]["entries"].as_u64().unwrap())
        .sum();
    assert_eq!(lost, ENTRIES - kept.len() as u64);
    // The recap is there for the guests, saying what it leaves out.
    let (status_code, recap) = faults::request(
        party.addr,
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        "GET",
        "/recap",
    );
    assert_eq!(status_code, 200, "{recap}");
    assert!(recap.contains("Not counted here: "), "{recap}");
    // The night goes on: a press is counted, and journaled after the gaps with the next seq.
    assert_eq!(party.press(1), 200);
    assert_eq!(party.presses_shown(), kept_presses + 1);
    restart_plainly(
        party,
        &config,
        kept_presses + 1,
        &status[..status.find(';').unwrap()],
    );
    commands_name_the_damage(&data, &config, &lines, kept_presses + 1);
}

/// The journal's entries (its empty lines, where a stretch's lines were, left out).
fn journal(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Seqs run one by one, a gap entry standing for its range (its own seq is its last).
fn seqs_run_on(path: &Path) {
    let mut next = 0;
    for e in journal(path) {
        let first = match e["input"]["type"].as_str() {
            Some("gap") => e["input"]["first_seq"].as_u64().unwrap(),
            _ => e["seq"].as_u64().unwrap(),
        };
        assert_eq!(first, next, "{e}");
        next = e["seq"].as_u64().unwrap() + 1;
    }
}

/// Stopped and started again: the same count, nothing more set aside, and the status line
/// still says what the journal lost (`said`).
fn restart_plainly(party: Party, config: &Path, presses: u64, said: &str) {
    let data = party.data.clone();
    assert!(party.stop().success());
    seqs_run_on(&data.join("parties").join(format!("{NAME}.jsonl")));
    let again = faults::start_real(&[], &data, config);
    assert_eq!(again.presses_shown(), presses);
    assert_eq!(files_beside(&data, ".jsonl.damaged-").len(), 1);
    let token = std::fs::read_to_string(data.join("admin-token")).unwrap();
    let status = status_entry(again.addr, token.trim(), "journal damage");
    assert_eq!(status, said);
    assert!(again.stop().success());
}
