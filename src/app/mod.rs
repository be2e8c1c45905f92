//! Wiring: open the party, replay its journal, start the player and adapters, run the loop,
//! show the dashboard (or wait for a signal when headless), and stop everything cleanly.
pub mod engine;

use crate::clock::Clock;
use crate::config::Config;
use crate::core::{HostCommand, Input, Party, Timestamp};
use crate::inbox::Inbox;
use crate::journal::{Journal, PartyStore};
use crate::players::{self, PlayerCommand};
use anyhow::{Context, Result};
use engine::{EffectSinks, Engine};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long tasks get to finish after quit before we stop waiting for them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub demo: bool,
    pub demo_speed: f64,
    pub headless: bool,
    pub new_party: bool,
    pub data_dir: PathBuf,
    /// `--bind`, overriding `[http] bind`.
    pub bind: Option<std::net::SocketAddr>,
}

pub async fn run(cfg: Config, opts: RunOptions) -> Result<()> {
    // The demo keeps its own parties so it never mixes into a real evening's journal.
    let store_dir = if opts.demo {
        opts.data_dir.join("demo")
    } else {
        opts.data_dir.clone()
    };
    let store = PartyStore::open(&store_dir)?;
    let name = if opts.new_party {
        store.new_party()?
    } else {
        store.current_or_new()?
    };
    let path = store.path(&name);
    let mut party = Party::new(name.clone(), cfg.rules());
    let (journal, recovery) = Journal::open(&path)?;
    let replayed = crate::journal::replay(&mut party, &path)
        .with_context(|| format!("cannot replay {}", path.display()))?;
    tracing::info!(party = %name, ?replayed, ?recovery, "party opened");
    let clock = party_clock(&opts, replayed.last_at);

    let shutdown = CancellationToken::new();
    let (inbox, rx) = Inbox::new();
    let (snap_tx, snap_rx) = watch::channel(Arc::new(party.snapshot(clock.now())));
    let (player_tx, player_rx) = mpsc::channel::<PlayerCommand>(16);
    let mut tasks = JoinSet::new();

    if opts.demo {
        let list = players::demo::playlist();
        tasks.spawn(players::demo::run_player(
            list,
            inbox.clone(),
            player_rx,
            clock.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(players::demo::run_guests(
            cfg.demo.guests,
            Duration::from_secs_f64(cfg.demo.press_interval_secs.max(0.1)),
            inbox.clone(),
            snap_rx.clone(),
            clock.clone(),
            shutdown.clone(),
        ));
    } else if let Some(sonos) = cfg.sonos.clone() {
        tasks.spawn(players::sonos::run_player(
            sonos,
            inbox.clone(),
            player_rx,
            clock.clone(),
            shutdown.clone(),
        ));
    } else if let Some(spotify) = cfg.spotify.clone() {
        tasks.spawn(players::spotify::run_player(
            spotify,
            inbox.clone(),
            player_rx,
            clock.clone(),
            shutdown.clone(),
        ));
    } else {
        drop(player_rx);
        inbox
            .health(
                "player",
                crate::core::HealthLevel::Warn,
                "none configured: add [sonos] or [spotify], or run --demo",
            )
            .await;
    }

    let journal_of = (name.as_str(), path.as_path());
    let vote_url = spawn_http(
        &cfg, &opts, journal_of, &inbox, &snap_rx, &clock, &shutdown, &mut tasks,
    )
    .await?;

    // The exporter and webhooks read the journal; the loop wakes them after each commit.
    let (committed_tx, committed_rx) = watch::channel(0u64);
    let files = crate::export::PartyFiles {
        party: &name,
        journal: &path,
        store_dir: &store_dir,
    };
    crate::export::spawn(
        &cfg,
        files,
        &inbox,
        &clock,
        &committed_rx,
        &shutdown,
        &mut tasks,
    )
    .await;

    let sinks = EffectSinks {
        player: Some(player_tx),
        committed: Some(committed_tx),
    };
    let engine =
        Engine::new(party, journal, clock.clone(), sinks, snap_tx).resume_after(replayed.last_at);
    let engine_task = tokio::spawn(engine.run(rx, shutdown.clone()));
    // Dash buttons on the wire. Without permission the party runs on; the capture has put
    // the reason (and the setcap line) on the status line.
    // The capture only collapses each press's burst of packets; the per-button debounce is
    // the party's own rule, so repeats reach the journal and the log as "debounced".
    let dash = crate::buttons::dash_buttons(&cfg);
    let _capture = if dash.is_empty() {
        None
    } else {
        crate::buttons::spawn_capture(
            cfg.capture.interface.clone(),
            dash,
            Duration::ZERO,
            inbox.clone(),
            shutdown.clone(),
        )
        .map_err(|e| tracing::warn!("Dash button capture not running: {e}"))
        .ok()
    };
    if let Some(torn) = recovery.torn_note() {
        inbox
            .health("journal", crate::core::HealthLevel::Warn, torn)
            .await;
    }

    let outcome = if opts.headless {
        // Scripts and tests start us on port 0 and read the port from this line; the
        // socket is already listening when it is printed.
        if let Some(url) = &vote_url {
            eprintln!("party-tui: vote page on {url}");
        }
        eprintln!(
            "party-tui: party {name} running headless ({} events replayed); Ctrl-C stops it",
            replayed.entries
        );
        wait_for_signal().await;
        Ok(())
    } else {
        let (cmd_tx, cmd_rx) = mpsc::channel::<HostCommand>(16);
        tasks.spawn(forward_host_commands(cmd_rx, inbox.clone()));
        let ui = crate::ui::UiState {
            vote_url,
            ..crate::ui::UiState::default()
        };
        crate::ui::run(snap_rx, cmd_tx, clock, ui, shutdown.clone()).await
    };

    shutdown.cancel();
    drop(inbox);
    let stop = async {
        let _ = engine_task.await;
        while tasks.join_next().await.is_some() {}
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, stop).await.is_err() {
        tracing::warn!("some tasks did not stop within {SHUTDOWN_GRACE:?}");
    }
    outcome
}

/// Real parties run on the wall clock. A fast demo runs ahead of it, so a restarted demo
/// continues from where its journal ends instead of freezing until the wall clock catches up.
fn party_clock(opts: &RunOptions, last: Option<Timestamp>) -> Clock {
    if !opts.demo {
        return Clock::system();
    }
    let wall = Clock::system().now();
    Clock::starting_at(last.map_or(wall, |l| l.max(wall)), opts.demo_speed)
}

async fn forward_host_commands(mut rx: mpsc::Receiver<HostCommand>, inbox: Inbox) {
    while let Some(cmd) = rx.recv().await {
        if inbox.send(Input::host(cmd)).await.is_err() {
            return;
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The vote page and webhooks. A busy port is reported on the status line rather than
/// stopping the party: the dashboard and the buttons on the wire still work without it.
#[allow(clippy::too_many_arguments)]
async fn spawn_http(
    cfg: &Config,
    opts: &RunOptions,
    (party, journal): (&str, &std::path::Path),
    inbox: &Inbox,
    snapshots: &watch::Receiver<Arc<crate::core::Snapshot>>,
    clock: &Clock,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) -> Result<Option<String>> {
    use crate::core::HealthLevel;
    let bind = opts.bind.unwrap_or(cfg.http.bind);
    let token = crate::http::load_or_create_admin_token(&opts.data_dir).with_context(|| {
        format!(
            "cannot create the admin token in {}",
            opts.data_dir.display()
        )
    })?;
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%bind, error = %e, "http server not started");
            inbox
                .health(
                    "http",
                    HealthLevel::Error,
                    format!("cannot listen on {bind}: {e} (set [http] bind or --bind)"),
                )
                .await;
            return Ok(None);
        }
    };
    let bound = listener.local_addr().unwrap_or(bind);
    let url = crate::netinfo::vote_url(bound);
    // A second `party-tui` on this machine (the host over ssh) finds this instance and attaches
    // instead of starting a rival party. The file goes when the server stops.
    let local = if bound.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let instance = crate::remote::write_instance(&opts.data_dir, &format!("http://{local}"), &url)
        .map_err(|e| tracing::warn!("no instance file, so no attaching: {e:#}"))
        .ok();
    let state = crate::http::HttpState::new(
        inbox.clone(),
        snapshots.clone(),
        crate::buttons::ButtonDirectory::from_config(&cfg.buttons),
        token,
        cfg.http.party_code.clone(),
        clock.clone(),
    );
    let state = match crate::requests::searcher(cfg, opts.demo) {
        Some(searcher) => state.with_search(searcher),
        None => state,
    }
    .with_recap(party, journal.to_path_buf());
    inbox
        .health(
            "http",
            HealthLevel::Ok,
            format!("vote page on {url} (v shows its QR code)"),
        )
        .await;
    let (inbox, shutdown) = (inbox.clone(), shutdown.clone());
    tasks.spawn(async move {
        let _instance = instance;
        if let Err(e) = crate::http::serve(listener, state, shutdown).await {
            tracing::error!(error = %e, "http server failed");
            inbox
                .health("http", HealthLevel::Error, format!("stopped: {e}"))
                .await;
        }
    });
    Ok(Some(url))
}
