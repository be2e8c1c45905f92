//! The fake Spotify and a rig that runs the real watcher against it on paused tokio time.
#![allow(dead_code)]
pub mod fake;
pub mod search;
pub mod sim;

use fake::Fake;
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::{AdapterResult, Input, PlayerUpdate, SourceHealth, Timestamp};
use party_tui::players::PlayerCommand;
use party_tui::players::spotify::token::{Token, TokenStore};
use party_tui::players::spotify::{SpotifyConfig, run_player};
use sim::{Sim, SimTrack};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Party time at the start of every test (any fixed instant will do).
pub const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

#[derive(Clone, Debug)]
pub enum Event {
    Update(PlayerUpdate),
    Health(SourceHealth),
    Result(AdapterResult),
}

pub struct Rig {
    pub fake: Fake,
    pub rx: mpsc::Receiver<Msg>,
    pub cmds: mpsc::Sender<PlayerCommand>,
    pub shutdown: CancellationToken,
    pub store: TokenStore,
    pub dir: tempfile::TempDir,
    pub task: tokio::task::JoinHandle<()>,
}

pub fn config(fake: &Fake, token_file: std::path::PathBuf) -> SpotifyConfig {
    SpotifyConfig {
        client_id: Some("fake-client".into()),
        api_base_url: fake.api_base(),
        auth_base_url: fake.auth_base(),
        token_file: Some(token_file),
        ..Default::default()
    }
}

/// The watcher running against a fake whose account plays `tracks`; `login` writes the token
/// file first (expiring in `expires_in`), as `party-tui spotify login` would have.
pub async fn rig_with(tracks: Vec<SimTrack>, login: Option<Duration>) -> Rig {
    let fake = Fake::start(Sim::new(tracks, Instant::now())).await;
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("spotify_token.json"));
    if let Some(expires_in) = login {
        let (access, refresh) = fake.issue();
        let token = Token {
            access_token: access.into(),
            refresh_token: refresh.into(),
            expires_at: T0 + expires_in,
            scope: String::new(),
        };
        store.save(&token).unwrap();
    }
    let (inbox, rx) = Inbox::new();
    let (cmds, cmd_rx) = mpsc::channel(8);
    let shutdown = CancellationToken::new();
    let cfg = config(&fake, store.path().to_path_buf());
    let clock = Clock::starting_at(T0, 1.0);
    let task = tokio::spawn(run_player(cfg, inbox, cmd_rx, clock, shutdown.clone()));
    Rig {
        fake,
        rx,
        cmds,
        shutdown,
        store,
        dir,
        task,
    }
}

pub async fn rig(tracks: Vec<SimTrack>) -> Rig {
    rig_with(tracks, Some(Duration::from_secs(3600))).await
}

impl Rig {
    /// The next message from the watcher within `limit` (tokio time), with when it arrived.
    pub async fn next_event(&mut self, limit: Duration) -> Option<(Instant, Event)> {
        let msg = tokio::time::timeout(limit, self.rx.recv()).await.ok()??;
        let ev = match msg {
            Msg::Health(h) => Event::Health(h),
            Msg::Input {
                input: Input::Player(u),
                ..
            } => Event::Update(u),
            Msg::Input {
                input: Input::Result(r),
                ..
            } => Event::Result(r),
            Msg::Input { input, .. } => panic!("the watcher sent {input:?}"),
        };
        Some((Instant::now(), ev))
    }

    /// Wait (up to `limit`) for an update matching `want`.
    pub async fn update_where(
        &mut self,
        limit: Duration,
        want: impl Fn(&PlayerUpdate) -> bool,
    ) -> (Instant, PlayerUpdate) {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left).await {
                Some((at, Event::Update(u))) if want(&u) => return (at, u),
                Some(_) => {}
                None => panic!("no matching update within {limit:?}"),
            }
        }
    }

    pub async fn track_update(&mut self, key: &str, limit: Duration) -> (Instant, PlayerUpdate) {
        self.update_where(limit, |u| {
            u.track.as_ref().and_then(|t| t.id.as_deref()) == Some(key)
        })
        .await
    }

    pub async fn health_where(
        &mut self,
        limit: Duration,
        want: impl Fn(&SourceHealth) -> bool,
    ) -> SourceHealth {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left).await {
                Some((_, Event::Health(h))) if want(&h) => return h,
                Some(_) => {}
                None => panic!("no matching health within {limit:?}"),
            }
        }
    }

    pub async fn result(&mut self, limit: Duration) -> AdapterResult {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_event(left).await {
                Some((_, Event::Result(r))) => return r,
                Some(_) => {}
                None => panic!("no adapter result within {limit:?}"),
            }
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap();
        self.fake.stop();
    }
}
