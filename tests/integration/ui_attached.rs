//! An attached dashboard that lost its party: the panels freeze at the moment it was lost,
//! keys are answered "not sent: disconnected" instead of being queued, and a wrong admin
//! token is named as such (and not retried forever).
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc::unbounded;
use party_tui::bus::clock::Clock;
use party_tui::core::*;
use party_tui::dashboard::{UiState, Zone, draw::draw, event_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const LOST_AT: Timestamp = Timestamp::from_millis(1_717_276_443_000);

fn lost_snapshot() -> Snapshot {
    let mut snap = Snapshot {
        at: LOST_AT,
        party: "attached-test".into(),
        ..Snapshot::default()
    };
    snap.now_playing = Some(NowPlaying {
        track: Track {
            title: "Dancing Queen".into(),
            artist: "ABBA".into(),
            album: "Arrival".into(),
            duration_ms: Some(231_000),
            ..Track::default()
        },
        state: TransportState::Playing,
        source: Source::Demo,
        player: "Demo".into(),
        position_ms: 60_000,
        position_at: LOST_AT,
    });
    snap.votes.window = Some(WindowState::Open);
    snap.votes.window_closes_at = Some(LOST_AT + std::time::Duration::from_secs(20));
    snap.votes.needed = 3;
    snap.health.push(SourceHealth {
        name: party_tui::dashboard::attach::ATTACHED.into(),
        level: HealthLevel::Error,
        detail: "disconnected from http://127.0.0.1:8080 (the party stopped); retrying in 1.0 s"
            .into(),
    });
    snap
}

/// Runs the dashboard's loop over `snap` with one key pressed; returns the screen and what
/// was sent to the party.
async fn after_key(snap: Snapshot, ui: UiState, c: char) -> (String, Vec<HostCommand>) {
    let (_snap_tx, snap_rx) = watch::channel(Arc::new(snap));
    let (cmd_tx, mut cmd_rx) = mpsc::channel(16);
    let (ev_tx, ev_rx) = unbounded();
    let shutdown = CancellationToken::new();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    ev_tx
        .unbounded_send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        ))))
        .unwrap();
    let stop = shutdown.clone();
    let run = tokio::spawn(async move {
        event_loop(
            &mut terminal,
            ev_rx,
            snap_rx,
            cmd_tx,
            Clock::starting_at(LOST_AT, 1.0),
            ui,
            stop,
        )
        .await
        .unwrap();
        terminal
    });
    // The loop draws after the key; the paused clock's tick comes only after that.
    tokio::time::sleep(party_tui::dashboard::REDRAW_TICK).await;
    shutdown.cancel();
    let screen = run.await.unwrap().backend().to_string();
    let mut sent = Vec::new();
    while let Ok(c) = cmd_rx.try_recv() {
        sent.push(c);
    }
    (screen, sent)
}

fn screen_at(snap: &Snapshot, now: Timestamp) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let ui = UiState {
        zone: Zone::utc(),
        ..UiState::default()
    };
    t.draw(|f| draw(f, snap, &ui, now)).unwrap();
    t.backend().to_string()
}

#[test]
fn the_panels_freeze_while_disconnected() {
    let snap = lost_snapshot();
    let at_loss = screen_at(&snap, LOST_AT);
    assert!(at_loss.contains("20 s left"), "{at_loss}");
    assert!(at_loss.contains("01:00 /"), "{at_loss}");
    // A minute later nothing has moved.
    assert_eq!(
        screen_at(&snap, LOST_AT + std::time::Duration::from_secs(60)),
        at_loss
    );
    // Connected again, time runs.
    let mut live = snap.clone();
    live.health.clear();
    let later = screen_at(&live, LOST_AT + std::time::Duration::from_secs(5));
    assert!(later.contains("15 s left"), "{later}");
}

#[tokio::test(start_paused = true)]
async fn keys_are_answered_not_sent_while_disconnected() {
    let (screen, sent) = after_key(lost_snapshot(), UiState::default(), 's').await;
    assert!(sent.is_empty(), "nothing may be queued: {sent:?}");
    assert!(
        screen.contains("not sent: disconnected from the party (skip now)"),
        "{screen}"
    );
}

#[tokio::test]
async fn a_wrong_token_is_named_and_not_retried() {
    use axum::routing::get;
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/api/admin/snapshots",
        get(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { (axum::http::StatusCode::UNAUTHORIZED, "wrong admin token") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let (tx, mut rx) = watch::channel(Arc::new(Snapshot::default()));
    let follow = tokio::spawn(party_tui::dashboard::attach::follow_url(
        url,
        "not-the-token".into(),
        tx,
    ));
    let snap = loop {
        rx.changed().await.unwrap();
        let s = rx.borrow_and_update().clone();
        if party_tui::dashboard::attach::is_disconnected(&s) {
            break s;
        }
    };
    assert!(
        snap.health[0]
            .detail
            .starts_with("wrong admin token: run `party-tui admin-token` on the Pi"),
        "{:?}",
        snap.health
    );
    // The follower gave up: retrying cannot fix a wrong token.
    tokio::time::timeout(std::time::Duration::from_secs(10), follow)
        .await
        .expect("the follower stops on a wrong token")
        .unwrap();
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn h_shows_a_fresh_host_link_that_the_party_accepts() {
    let mut snap = lost_snapshot();
    snap.health.clear();
    let token = "0123456789abcdef".to_string();
    let ui = UiState {
        host: Some(party_tui::dashboard::host::HostAccess {
            token: token.clone().into(),
            link_base: "http://10.0.0.2:8080/".into(),
            api_base: "http://127.0.0.1:8080".into(),
        }),
        ..UiState::default()
    };
    let (screen, _) = after_key(snap, ui, 'h').await;
    assert!(screen.contains("Host phone"), "{screen}");
    let link = screen
        .split('"')
        .flat_map(|l| l.split(|c: char| c == '│' || c.is_whitespace()))
        .find(|w| w.starts_with("http://10.0.0.2:8080/h/"))
        .unwrap_or_else(|| panic!("no link on screen:\n{screen}"));
    // The party (holding the same token) signs a phone in with it, once.
    let sessions = party_tui::http::host_auth::HostSessions::default();
    let ticket = link.rsplit('/').next().unwrap();
    let now = party_tui::http::host_auth::wall_secs();
    assert!(sessions.redeem(&token, ticket, "p", now).is_ok());
    assert!(sessions.redeem(&token, ticket, "p", now).is_err());
}
