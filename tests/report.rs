//! `report` on a journal recorded by a test party, compared with the counts we know it holds.
mod support;

use party_tui::core::*;
use party_tui::journal::{Entry, Journal};
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
