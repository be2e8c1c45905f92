//! The real router and engine as the app wires them, for the HTTP benches.
use party_tui::app::engine::{EffectSinks, Engine};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::buttons::ButtonDirectory;
use party_tui::core::*;
use party_tui::http::{self, HttpState};
use party_tui::journal::Journal;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The real router and engine, as the app wires them, with the flood and new-guest limits off
/// (`[http] rate_limit_per_sec = 0`, `new_guests_per_hour = 0`: the load comes from one
/// address), guests signed with `key`, one long track playing.
pub async fn start_party(
    journal_path: &Path,
    key: http::GuestKey,
    shutdown: CancellationToken,
) -> SocketAddr {
    let clock = Clock::system();
    let mut party = Party::new("bench", Rules::default());
    let (journal, _) = Journal::open(journal_path).expect("open journal");
    let (inbox, rx) = Inbox::new();
    let (snap_tx, snapshots) = watch::channel(Arc::new(party.snapshot(clock.now())));
    let sinks = EffectSinks {
        player: None,
        committed: None,
    };
    // Something to like: one long track, so the whole run votes on it.
    party.apply(&playing(), clock.now());
    let engine = Engine::new(party, journal, clock.clone(), sinks, snap_tx);
    tokio::spawn(engine.run(rx, shutdown.clone()));
    let state = HttpState::new(
        inbox,
        snapshots,
        ButtonDirectory::default(),
        "0123456789abcdef0123456789abcdef".into(),
        None,
        clock,
    )
    .with_limits(&http::HttpLimits {
        rate_limit: None,
        new_guests_per_hour: 0,
        // wrk's 200 connections come from one address: as a trusted proxy it may hold more
        // than one address's 32 (its votes carry no X-Forwarded-For, so they count as its own).
        trusted_proxies: vec![std::net::IpAddr::from([127, 0, 0, 1])],
    })
    .with_guest_key(key);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(http::serve(listener, state, shutdown));
    addr
}

pub fn playing() -> Input {
    Input::Player(PlayerUpdate {
        source: Source::Demo,
        player: "Demo".into(),
        state: TransportState::Playing,
        track: Some(Track {
            id: Some("bench:1".into()),
            title: "Bench".into(),
            artist: "Band".into(),
            duration_ms: Some(4 * 3600 * 1000),
            ..Track::default()
        }),
        position_ms: Some(0),
    })
}
