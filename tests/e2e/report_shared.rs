//! A report worth sharing, from a party journal written here: its date, start, end and
//! length, when each song played, outcomes in words, repeats merged in the rankings, "Most
//! skipped" ordered by how fast the party wanted a song gone, no empty headings, CSV with
//! timestamps and ids. And odd clocks never panic nor print without bound.
use crate::support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal};
use party_tui::report::{MAX_TIMELINE_BUCKETS, Report};
use std::path::Path;
use support::sample::{play, vote};

/// Sat 1 Jun 2024, 21:00 UTC.
const T0: i64 = 1_717_275_600_000;

/// Runs (ms from T0, input) through a real party and writes its journal; returns the report.
fn record(dir: &Path, script: &[(i64, Input)]) -> Report {
    let mut party = Party::new("2024-06-01_2100", Rules::default());
    let path = dir.join("p.jsonl");
    let (mut journal, _) = Journal::open(&path).unwrap();
    let entries: Vec<Entry> = script
        .iter()
        .enumerate()
        .map(|(seq, (ms, input))| {
            let at = Timestamp(T0.saturating_add(*ms));
            Entry {
                seq: seq as u64,
                at,
                effects: party.apply(input, at),
                input: input.clone(),
            }
        })
        .collect();
    journal.append_batch(&entries).unwrap();
    Report::from_journal("2024-06-01_2100", &path).unwrap()
}

const MIN: i64 = 60_000;

fn evening() -> Vec<(i64, Input)> {
    let skip3 = |at: i64| {
        ["x", "y", "z"]
            .into_iter()
            .map(move |g| (at, vote(g, Action::Skip)))
    };
    let mut s = vec![
        (0, play(1)),
        (MIN, vote("a", Action::Like)),
        (MIN, vote("b", Action::Like)),
        (3 * MIN, play(2)),
    ];
    // Song 2: skipped after 40 s.
    s.extend(skip3(3 * MIN + 40_000));
    s.push((4 * MIN, play(3)));
    // Song 3: skipped after 5 s: the party wanted it gone faster.
    s.extend(skip3(4 * MIN + 5_000));
    s.push((5 * MIN, play(1)));
    // Song 1 again: one more like (merged with its first play in the rankings).
    s.push((6 * MIN, vote("c", Action::Like)));
    s.push((2 * 60 * MIN + 15 * MIN, play(4)));
    s
}

#[test]
fn the_text_report_is_worth_sharing() {
    let dir = tempfile::tempdir().unwrap();
    let r = record(dir.path(), &evening());
    let text = r.to_text_in(&chrono::Utc);
    insta::assert_snapshot!(text);
    assert!(
        text.contains("Sat 1 Jun 2024, 21:00 – 23:15 (2 h 15 min)"),
        "{text}"
    );
    assert!(text.contains("Song 1 — Band (played 2×)"), "{text}");
    // Phones only: no empty "Presses per button" heading.
    assert!(!text.contains("Presses per button"), "{text}");
    let most_skipped = text.split("Most skipped\n").nth(1).unwrap();
    let first = most_skipped.lines().next().unwrap();
    assert_eq!(first, "  Song 3 — Band: 3 skip votes, skipped after 0:05");
}

#[test]
fn csv_and_json_carry_times_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let r = record(dir.path(), &evening());
    let csv = r.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "played_at,title,artist,album,track_id,likes,skip_votes,skipped_after_secs,outcome"
    );
    assert_eq!(
        lines[2],
        "2024-06-01T21:03:00+00:00,\"Song 2\",\"Band\",\"Album\",\"t2\",0,3,40,\"skipped by votes\""
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["started_at"], T0);
    assert_eq!(json["tracks"][0]["track_id"], "t1");
    assert_eq!(json["tracks"][0]["played_at"], T0);
    assert_eq!(json["tracks"][3]["outcome"], "played");
}

#[test]
fn odd_clocks_never_panic_nor_print_without_bound() {
    let dir = tempfile::tempdir().unwrap();
    let twenty_years = 20 * 365 * 24 * 60 * MIN;
    for script in [
        // A clock that jumped twenty years ahead mid-party.
        vec![
            (0, play(1)),
            (MIN, vote("a", Action::Like)),
            (twenty_years, play(2)),
            (twenty_years, vote("b", Action::Like)),
        ],
        // …and back before the start.
        vec![
            (0, play(1)),
            (-twenty_years, vote("a", Action::Like)),
            (-twenty_years, play(2)),
        ],
        // The ends of the clock.
        vec![
            (i64::MIN, play(1)),
            (0, vote("a", Action::Like)),
            (i64::MAX, play(2)),
            (i64::MAX, vote("b", Action::Like)),
        ],
        vec![
            (i64::MAX, play(1)),
            (i64::MAX, vote("a", Action::Like)),
            (i64::MIN, play(2)),
            (i64::MIN, vote("b", Action::Like)),
        ],
    ] {
        let r = record(dir.path(), &script);
        std::fs::remove_file(dir.path().join("p.jsonl")).unwrap();
        assert!(
            r.likes_timeline.len() <= MAX_TIMELINE_BUCKETS + 1,
            "{:?}",
            r.likes_timeline.len()
        );
        let text = r.to_text_in(&chrono::Utc);
        assert!(text.lines().count() < 100, "{text}");
        r.to_text();
        r.to_csv();
        serde_json::to_string(&r).unwrap();
    }
}

#[test]
fn parties_points_at_the_demo_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo_parties = dir.path().join("demo").join("parties");
    std::fs::create_dir_all(&demo_parties).unwrap();
    std::fs::write(demo_parties.join("2024-06-01_2100.jsonl"), "").unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_party-tui"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--config")
            .arg(dir.path().join("none.toml"))
            .args(args)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    std::fs::write(dir.path().join("none.toml"), "").unwrap();
    let (out, err) = run(&["parties"]);
    assert_eq!(out, "");
    assert!(err.contains("party-tui parties --demo"), "{err}");
    let (out, _) = run(&["parties", "--demo"]);
    assert_eq!(out.trim(), "2024-06-01_2100");
}
