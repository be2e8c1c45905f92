//! The app loop with the real journal, on tokio's paused clock: acknowledgements mean
//! durable, deadlines fire at exactly their time, skips reach the player, and a restart
//! replays to the identical party.
use crate::support;

use party_tui::app::engine::{EffectSinks, Engine};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::core::*;
use party_tui::journal::{Journal, replay};
use party_tui::players::PlayerCommand;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const T0: Timestamp = Timestamp(1_700_000_000_000);

fn play(n: u64) -> Input {
    support::sample::play(n)
}

fn skip(who: &str) -> Input {
    support::sample::vote(who, Action::Skip)
}

struct Running {
    inbox: Inbox,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    player: mpsc::Receiver<PlayerCommand>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Party>,
}

fn start(path: &Path, party: Party, last: Option<Timestamp>) -> Running {
    let (journal, _recovery) = Journal::open(path).unwrap();
    let (inbox, rx) = Inbox::new();
    let clock = Clock::starting_at(last.unwrap_or(T0), 1.0);
    let (snap_tx, snapshots) = watch::channel(Arc::new(party.snapshot(T0)));
    let (player_tx, player) = mpsc::channel(4);
    let sinks = EffectSinks {
        player: Some(player_tx),
        committed: None,
    };
    let shutdown = CancellationToken::new();
    let engine = Engine::new(party, journal, clock, sinks, snap_tx).resume_after(last);
    let task = tokio::spawn(engine.run(rx, shutdown.clone()));
    Running {
        inbox,
        snapshots,
        player,
        shutdown,
        task,
    }
}

fn journal_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_acknowledged_press_is_already_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let run = start(&path, Party::new("p", Rules::default()), None);
    run.inbox.submit(play(1)).await.unwrap();
    let effects = run.inbox.submit(skip("a")).await.unwrap();
    assert!(matches!(
        effects[..],
        [Effect::Press {
            result: PressResult::Counted,
            ..
        }]
    ));
    // No waiting: the reply came after the sync, so the line is there now.
    let lines = journal_lines(&path);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["input"]["voter"], "guest:a");
    assert_eq!(lines[1]["effects"][0]["result"], "counted");
}

#[tokio::test(start_paused = true)]
async fn the_vote_window_closes_at_exactly_45_seconds_of_party_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut run = start(&path, Party::new("p", Rules::default()), None);
    run.inbox.submit(play(1)).await.unwrap();
    // Paused time jumps straight to the loop's next deadline once everything is idle.
    run.snapshots
        .wait_for(|s| s.votes.window == Some(WindowState::Closed))
        .await
        .unwrap();
    let lines = journal_lines(&path);
    let closed = lines
        .iter()
        .find(|l| l["effects"][0]["window"] == "closed")
        .expect("window result journaled");
    assert_eq!(closed["input"]["type"], "tick");
    assert_eq!(closed["at"], T0.0 + 45_000);
}

#[tokio::test(start_paused = true)]
async fn a_decided_skip_reaches_the_player() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let mut run = start(&path, Party::new("p", Rules::default()), None);
    run.inbox.submit(play(1)).await.unwrap();
    for who in ["a", "b", "c"] {
        run.inbox.submit(skip(who)).await.unwrap();
    }
    match run.player.recv().await {
        Some(PlayerCommand::Skip { track }) => assert_eq!(track, "t1"),
        other => panic!("expected a skip, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_restart_replays_to_the_identical_party() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    let rules = Rules::default();
    let run = start(&path, Party::new("p", rules.clone()), None);
    let inputs = [
        play(1),
        skip("a"),
        skip("b"),
        Input::host(HostCommand::Keep(true)),
        skip("c"),
        play(2),
        skip("a"),
        Input::host(HostCommand::SetThreshold(Threshold::Percent(50))),
    ];
    for input in inputs {
        run.inbox.submit(input).await.unwrap();
        tokio::time::advance(std::time::Duration::from_secs(7)).await;
    }
    run.shutdown.cancel();
    let before = run.task.await.unwrap();

    let mut after = Party::new("p", rules);
    let replayed = replay(&mut after, &path).unwrap();
    assert_eq!(after, before);
    let last = replayed.last_at.unwrap();
    assert_eq!(after.snapshot(last), before.snapshot(last));

    // And the restarted loop carries on from there, never earlier in time.
    let run = start(&path, after, Some(last));
    run.inbox.submit(skip("b")).await.unwrap();
    let lines = journal_lines(&path);
    let newest = lines.last().unwrap();
    assert!(newest["at"].as_i64().unwrap() >= last.0);
    assert_eq!(newest["seq"], lines.len() as u64 - 1);
}
