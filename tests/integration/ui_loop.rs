//! The dashboard's event loop driven through a TestBackend and a scripted key stream:
//! keys become host commands, `q` quits and cancels the party, shutdown stops the loop.
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::{UnboundedSender, unbounded};
use party_tui::bus::clock::Clock;
use party_tui::core::*;
use party_tui::dashboard::{UiState, event_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const START: Timestamp = Timestamp::from_millis(1_717_276_443_000);

fn key(tx: &UnboundedSender<std::io::Result<Event>>, code: KeyCode, modifiers: KeyModifiers) {
    tx.unbounded_send(Ok(Event::Key(KeyEvent::new(code, modifiers))))
        .unwrap();
}

fn char_key(tx: &UnboundedSender<std::io::Result<Event>>, c: char) {
    key(tx, KeyCode::Char(c), KeyModifiers::NONE);
}

fn paused_snapshot() -> Snapshot {
    let mut snap = Snapshot {
        party: "loop-test".into(),
        ..Snapshot::default()
    };
    snap.votes.paused = true;
    snap.votes.threshold = Threshold::Count(3);
    snap
}

#[tokio::test(start_paused = true)]
async fn keys_send_commands_and_q_quits() {
    let (_snap_tx, snap_rx) = watch::channel(Arc::new(paused_snapshot()));
    let (cmd_tx, mut cmd_rx) = mpsc::channel(16);
    let (ev_tx, ev_rx) = unbounded();
    let shutdown = CancellationToken::new();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    // Queued before the loop starts, so the order is fixed and nothing waits on timing.
    for c in ['s', 'p', '+', 'x', '?', 'q', 'r'] {
        char_key(&ev_tx, c);
    }
    let clock = Clock::starting_at(START, 1.0);
    event_loop(
        &mut terminal,
        ev_rx,
        snap_rx,
        cmd_tx,
        clock,
        UiState::default(),
        shutdown.clone(),
    )
    .await
    .unwrap();

    assert!(shutdown.is_cancelled(), "q must cancel the party too");
    let mut sent = Vec::new();
    while let Ok(cmd) = cmd_rx.try_recv() {
        sent.push(cmd);
    }
    // `r` came after `q`: the loop had already returned.
    assert_eq!(
        sent,
        vec![
            HostCommand::SkipNow,
            HostCommand::ResumeVoting,
            HostCommand::SetThreshold(Threshold::Count(4)),
        ]
    );
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("Keys (Esc closes)"),
        "help was open when q came:\n{screen}"
    );
    assert!(screen.contains("loop-test"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_quits() {
    let (_snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (cmd_tx, _cmd_rx) = mpsc::channel(16);
    let (ev_tx, ev_rx) = unbounded();
    let shutdown = CancellationToken::new();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    key(&ev_tx, KeyCode::Char('c'), KeyModifiers::CONTROL);
    let clock = Clock::starting_at(START, 1.0);
    event_loop(
        &mut terminal,
        ev_rx,
        snap_rx,
        cmd_tx,
        clock,
        UiState::default(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    assert!(shutdown.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_the_loop_and_new_snapshots_are_drawn() {
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (cmd_tx, _cmd_rx) = mpsc::channel(16);
    // The sender stays alive: no keys arrive, the loop must still stop on shutdown.
    let (_ev_tx, ev_rx) = unbounded::<std::io::Result<Event>>();
    let shutdown = CancellationToken::new();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let clock = Clock::starting_at(START, 1.0);
    let stopper = shutdown.clone();
    let driver = async move {
        snap_tx.send_replace(Arc::new(Snapshot {
            party: "fresh-party".into(),
            ..Snapshot::default()
        }));
        // Paused time: this advances to the next redraw tick instantly, after the loop has
        // taken the new snapshot (changed() is ready before any tick).
        tokio::time::sleep(party_tui::dashboard::REDRAW_TICK * 2).await;
        stopper.cancel();
        snap_tx
    };
    let (result, _snap_tx) = tokio::join!(
        event_loop(
            &mut terminal,
            ev_rx,
            snap_rx,
            cmd_tx,
            clock,
            UiState::default(),
            shutdown
        ),
        driver
    );
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("fresh-party"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn engine_gone_without_shutdown_is_an_error() {
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    drop(snap_tx);
    let (cmd_tx, _cmd_rx) = mpsc::channel(16);
    let (_ev_tx, ev_rx) = unbounded::<std::io::Result<Event>>();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let clock = Clock::starting_at(START, 1.0);
    let err = event_loop(
        &mut terminal,
        ev_rx,
        snap_rx,
        cmd_tx,
        clock,
        UiState::default(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("engine stopped"), "{err:#}");
}
