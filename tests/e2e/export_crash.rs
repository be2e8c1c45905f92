//! Crash test: `party-tui --headless --demo` with fast guests exports to a fake events API; it
//! is killed with SIGKILL while the fake holds back its answer to an export request, then
//! restarted. Every event in the journal reaches the fake at least once, none is lost, and the
//! duplicates the crash causes share their ids (and are identical).
use crate::fake_events;

use fake_events::{FakeEvents, wait_for};
use party_tui::journal::Entry;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn start(config: &Path, data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["--headless", "--demo", "--demo-speed", "20"])
        .env_remove("PARTY_TUI_EXPORT_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start party-tui")
}

/// The current demo party's journal.
fn journal(data: &Path) -> PathBuf {
    let parties = data.join("demo/parties");
    let name = std::fs::read_to_string(parties.join("current")).unwrap();
    parties.join(format!("{}.jsonl", name.trim()))
}

/// Every event id in the journal's complete lines (a torn last line is not an event yet).
fn journal_ids(path: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let party = path.file_stem().unwrap().to_str().unwrap();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete
        .lines()
        .map(|l| serde_json::from_str::<Entry>(l).expect("journal line"))
        .flat_map(|e| (0..e.effects.len()).map(move |i| format!("{party}:{}:{i}", e.seq)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_export_loses_nothing_and_duplicates_share_ids() {
    let fake = FakeEvents::start("party", "crash-key").await;
    // A slow receiver, so a request is in flight when we kill.
    fake.with(|i| i.delay = Duration::from_millis(150));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[demo]\nguests = 20\npress_interval_secs = 0.2\n\n[http]\nbind = \"127.0.0.1:0\"\n\n\
             [export]\nbase_url = \"{}\"\nspace = \"party\"\napi_key = \"crash-key\"\n\
             flush_interval_secs = 0.2\n",
            fake.base_url()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");

    let mut first = start(&config, &data);
    wait_for("votes exported and an answer pending", LIMIT, || {
        let received = fake.with(|i| i.events.len());
        (received >= 100 && fake.fake.in_flight.load(Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before_crash = journal_ids(&journal(&data));
    let cursor_at_crash = std::fs::read_to_string(data.join("demo/export").join(format!(
        "{}.cursor",
        journal(&data).file_stem().unwrap().to_str().unwrap()
    )))
    .unwrap_or_default();

    let mut second = start(&config, &data);
    let missing = |want: &HashSet<String>| {
        let got = fake.ids();
        want.iter().filter(|id| !got.contains(*id)).count()
    };
    wait_for("every event from before the crash", LIMIT, || {
        (missing(&before_crash) == 0).then_some(())
    })
    .await;
    // And the restarted party keeps exporting what it journals now.
    let later = wait_for("the restarted party to journal more", LIMIT, || {
        let now = journal_ids(&journal(&data));
        (now.len() > before_crash.len() + 50).then_some(now)
    })
    .await;
    wait_for("every event journaled after the restart", LIMIT, || {
        (missing(&later) == 0).then_some(())
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();

    let (events, violations) = fake.with(|i| (i.events.clone(), i.violations.clone()));
    assert!(violations.is_empty(), "{violations:?}");
    let mut by_id: HashMap<&str, Vec<&Value>> = HashMap::new();
    for e in &events {
        by_id.entry(fake_events::id_of(e)).or_default().push(e);
    }
    let dups: Vec<_> = by_id.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(
        !dups.is_empty(),
        "the answer held back at the kill must be sent again (cursor was {cursor_at_crash})"
    );
    eprintln!(
        "{} journal events before the kill, {} in all; {} received, {} ids sent twice",
        before_crash.len(),
        later.len(),
        events.len(),
        dups.len()
    );
    for (id, copies) in dups {
        assert!(
            copies.iter().all(|c| c == &copies[0]),
            "{id} differs between copies"
        );
    }
    // Nothing arrives that the journal does not hold.
    let ids: HashSet<String> = by_id.keys().map(|s| s.to_string()).collect();
    let final_journal = journal_ids(&journal(&data));
    assert!(ids.is_subset(&final_journal));
}
