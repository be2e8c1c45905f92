//! The past stays as it happened through a real start: a trigger added to config.toml between
//! two runs does not fire (nor show as fired) for the tracks that started before it, the change
//! itself is journaled and shown once, and a clean stop leaves a checkpoint the next start
//! goes on from.
use crate::support::inproc::InProcess;
use serde_json::Value;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

async fn state(http: &reqwest::Client, party: &InProcess) -> Value {
    let res = http
        .get(format!("{}api/state", party.url))
        .send()
        .await
        .unwrap();
    res.json().await.unwrap()
}

fn log_texts(state: &Value) -> Vec<String> {
    state["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_string())
        .collect()
}

fn journal_lines(dir: &std::path::Path) -> Vec<Value> {
    let parties = dir.join("demo/parties");
    let name = std::fs::read_to_string(parties.join("current")).unwrap();
    let text = std::fs::read_to_string(parties.join(format!("{}.jsonl", name.trim()))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn a_trigger_added_between_runs_fires_for_nothing_that_already_happened() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[demo]\nguests = 0\n").unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();

    let party = InProcess::demo(dir.path());
    for _ in 0..3 {
        let res = http
            .post(format!("{}api/admin/skip", party.url))
            .bearer_auth(&party.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // Three skips, then three new tracks reported by the demo player.
    let deadline = Instant::now() + LIMIT;
    while journal_lines(dir.path())
        .iter()
        .filter(|l| {
            l["effects"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["new_track"] == true))
        })
        .count()
        < 4
    {
        assert!(Instant::now() < deadline, "the demo never moved on");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    party.stop().unwrap();
    let before = journal_lines(dir.path());
    assert_eq!(
        before[0]["input"]["type"], "rules",
        "a new party's first entry: its rules"
    );
    let parties = dir.path().join("demo/parties");
    assert!(
        std::fs::read_dir(&parties).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "checkpoint")),
        "a clean stop leaves a checkpoint"
    );

    std::fs::write(
        &config,
        "[demo]\nguests = 0\n\n[[trigger]]\nname = \"ntfy\"\non = \"track_start\"\n",
    )
    .unwrap();
    let party = InProcess::demo(dir.path());
    let deadline = Instant::now() + LIMIT;
    let texts = loop {
        let texts = log_texts(&state(&http, &party).await);
        if texts.iter().any(|t| t.contains("rules changed")) {
            break texts;
        }
        assert!(Instant::now() < deadline, "no rules line: {texts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        texts
            .iter()
            .any(|t| t == "party rules changed: trigger ntfy added"),
        "{texts:?}"
    );
    let shown = texts.iter().filter(|t| t.contains("ntfy fired")).count();
    party.stop().unwrap();
    let after = journal_lines(dir.path());
    assert_eq!(&after[..before.len()], &before[..], "the past is untouched");
    let new = &after[before.len()..];
    assert_eq!(new[0]["input"]["type"], "rules", "the change comes first");
    assert_eq!(
        new.iter().filter(|l| l["input"]["type"] == "rules").count(),
        1,
        "one rules entry for one change"
    );
    // The demo starts its playlist again at a start, so the trigger fires for that track, once
    // per track started since: never for one before.
    let effects = |lines: &[Value], kind: &str, field: Option<&str>| {
        lines
            .iter()
            .flat_map(|l| l["effects"].as_array().cloned().unwrap_or_default())
            .filter(|e| e["effect"] == kind && field.is_none_or(|f| e[f] == true))
            .count()
    };
    let fired = effects(new, "trigger_fired", None);
    assert_eq!(
        fired,
        effects(new, "play", Some("new_track")),
        "once per new track"
    );
    assert_eq!(effects(&before, "trigger_fired", None), 0);
    assert!(
        shown <= fired,
        "the log shows only journaled firings: {texts:?}"
    );
}
