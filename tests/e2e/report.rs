//! `report` on a journal recorded by a test party, compared with the counts we know it holds.
use crate::support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal, PartyStore};
use party_tui::report::Report;
use support::sample::press;

const T0: i64 = 1_700_000_000_000;

fn play(n: u64) -> Input {
    support::sample::play(n)
}

#[test]
fn a_recorded_party_reports_its_tracks_presses_and_timeline() {
    let rules = Rules {
        buttons: vec![ButtonRule {
            name: "Kitchen".into(),
            actions: ButtonActions::Always(Action::Like),
            debounce: None,
        }],
        ..Rules::default()
    };
    let mut party = Party::new("p", rules);
    let guest = |g: &str, a| press(Voter::guest(g), Origin::Phone, a);
    let kitchen = press(Voter::button("Kitchen"), Origin::Dash, Action::Like);
    // (minutes from the start, input)
    let script = [
        (0, play(1)),
        (0, guest("a", Action::Like)),
        (0, guest("b", Action::Like)),
        (0, kitchen.clone()),
        (4, play(2)),
        (4, guest("a", Action::Skip)),
        (4, guest("b", Action::Skip)),
        (4, guest("c", Action::Skip)), // third skip vote: skipped
        (12, play(3)),
        (12, guest("a", Action::Like)),
        (13, kitchen),
        (13, guest("a", Action::Like)), // duplicate: not counted
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let (mut journal, _) = Journal::open(&path).unwrap();
    let entries: Vec<Entry> = script
        .into_iter()
        .enumerate()
        .map(|(seq, (min, input))| {
            let at = Timestamp(T0 + min * 60_000 + seq as i64);
            let effects = party.apply(&input, at);
            Entry {
                seq: seq as u64,
                at,
                input,
                effects,
            }
        })
        .collect();
    journal.append_batch(&entries).unwrap();

    let r = Report::from_journal("p", &path).unwrap();
    let tracks: Vec<_> = r
        .tracks
        .iter()
        .map(|t| (t.title.as_str(), t.likes, t.skip_votes, t.outcome.as_str()))
        .collect();
    assert_eq!(
        tracks,
        [
            ("Song 1", 3, 0, "played"),
            ("Song 2", 0, 3, "skipped by votes"),
            ("Song 3", 2, 0, "still playing"),
        ]
    );
    assert_eq!(
        (r.total_likes, r.total_skip_votes, r.skips_fired),
        (5, 3, 1)
    );
    assert_eq!(r.presses_by_button.get("Kitchen"), Some(&2));
    assert_eq!(r.presses_by_origin.get("phone"), Some(&7));
    assert_eq!(r.likes_timeline, [3, 2]);
    assert_eq!(r.timeline_bucket_min, 10);
    assert_eq!(r.most_liked(1)[0].title, "Song 1");
    let csv = r.to_csv();
    assert!(
        csv.contains("\"Song 2\",\"Band\",\"Album\",\"t2\",0,3,0,\"skipped by votes\""),
        "{csv}"
    );
    let text = r.to_text_in(&chrono::Utc);
    assert!(
        text.contains("Most skipped\n  Song 2 — Band: 3 skip votes, skipped after 0:00\n"),
        "{text}"
    );
}

/// `party-tui report` shows the party under `[party] name`, as the vote page does, and under
/// the journal's name when none is set.
#[test]
fn the_cli_report_uses_the_configured_party_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = PartyStore::open(dir.path()).unwrap();
    let journal_name = store.new_party().unwrap();
    let (mut journal, _) = Journal::open(&store.path(&journal_name)).unwrap();
    let mut party = Party::new(&journal_name, Rules::default());
    let at = Timestamp(T0);
    let input = play(1);
    let effects = party.apply(&input, at);
    journal
        .append_batch(&[Entry {
            seq: 0,
            at,
            input,
            effects,
        }])
        .unwrap();
    let report = |config_text: &str, format: &str| {
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_text).unwrap();
        support::stdout_of(
            std::process::Command::new(env!("CARGO_BIN_EXE_party-tui"))
                .arg("--config")
                .arg(&config)
                .arg("--data-dir")
                .arg(dir.path())
                .args(["report", "--format", format]),
        )
    };
    let named = "[party]\nname = \"Anna's 30th & co\"\n";
    assert!(report(named, "text").starts_with("Party Anna's 30th & co\n"));
    let json: serde_json::Value = serde_json::from_str(&report(named, "json")).unwrap();
    assert_eq!(json["party"], "Anna's 30th & co");
    assert!(report(named, "html").contains("<h1>Anna's 30th &amp; co</h1>"));
    // Unset or blank: the journal's name.
    for unnamed in ["", "[party]\nname = \" \"\n"] {
        let text = report(unnamed, "text");
        assert!(
            text.starts_with(&format!("Party {journal_name}\n")),
            "{text}"
        );
    }
}
