//! Wiring: open the party, replay its journal, start the player and adapters, run the loop,
//! show the dashboard (or wait for a signal when headless), and stop everything cleanly.
pub mod commit;
pub mod engine;

use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::config::Config;
use crate::core::{HostCommand, Input, Party, Timestamp};
use crate::journal::PartyStore;
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
    let rules = cfg.rules();
    let fresh = {
        let (name, rules) = (name.clone(), rules.clone());
        move || Party::new(name.clone(), rules.clone())
    };
    let opened = crate::journal::open_party(&path, fresh.clone())
        .with_context(|| format!("cannot replay {}", path.display()))?;
    let (party, journal, recovery, replayed) = (
        opened.party,
        opened.journal,
        opened.recovery,
        opened.replayed,
    );
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
            cfg.demo.press_interval(),
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
    let (committed_tx, committed_rx) = watch::channel(journal.durable_len());
    let files = crate::outlets::PartyFiles {
        party: &name,
        journal: &path,
        store_dir: &store_dir,
        vote_url: vote_url.as_deref(),
    };
    crate::outlets::spawn(
        &cfg,
        files,
        &inbox,
        &clock,
        &committed_rx,
        &shutdown,
        &mut tasks,
    )
    .await;
    let mqtt = crate::outlets::mqtt::Wiring {
        cfg: &cfg,
        files: crate::outlets::PartyFiles {
            party: &name,
            journal: &path,
            store_dir: &store_dir,
            vote_url: vote_url.as_deref(),
        },
        inbox: &inbox,
        clock: &clock,
        committed: &committed_rx,
        snapshots: &snap_rx,
        shutdown: &shutdown,
    };
    crate::outlets::mqtt::spawn(mqtt, &mut tasks).await;

    let sinks = EffectSinks {
        player: Some(player_tx),
        committed: Some(committed_tx),
    };
    // After a failed write the engine rolls the party back to what the journal holds.
    let rebuild = {
        let path = path.clone();
        Box::new(move || -> Result<Party> {
            let mut party = fresh();
            crate::journal::replay(&mut party, &path)?;
            Ok(party)
        })
    };
    let engine = Engine::new(party, journal, clock.clone(), sinks, snap_tx)
        .with_rebuild(rebuild)
        .resume_after(replayed.last_at);
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
    if let Some(repaired) = &opened.repaired {
        inbox
            .health("journal", crate::core::HealthLevel::Warn, repaired.note())
            .await;
    }
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
        // The dashboard signs the host's phone in with links it mints under the admin token.
        let host = match (
            &vote_url,
            crate::http::load_or_create_admin_token(&opts.data_dir),
        ) {
            (Some(url), Ok(token)) => Some(crate::dashboard::host::HostAccess {
                token: token.into(),
                link_base: url.clone(),
                api_base: url.clone(),
            }),
            _ => None,
        };
        let ui = crate::dashboard::UiState {
            vote_url,
            host,
            party_code: cfg.http.party_code.clone().filter(|c| !c.trim().is_empty()),
            ..crate::dashboard::UiState::default()
        };
        crate::dashboard::run(snap_rx, cmd_tx, clock, ui, shutdown.clone()).await
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
        // A closed ssh session sends SIGHUP: stop as cleanly as for SIGTERM (journal synced,
        // instance file removed) instead of dying where we stand.
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut hup = signal(SignalKind::hangup()).expect("SIGHUP handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The vote page and webhooks. A busy port is reported (status line, log, stderr when
/// headless) and retried rather than stopping the party: the dashboard and the buttons on the
/// wire still work without it, and the page comes up once the port frees. Returns the vote
/// page's address when it is up already.
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
    let guest_key = crate::http::load_or_create_guest_key(&opts.data_dir)
        .with_context(|| format!("cannot create the guest key in {}", opts.data_dir.display()))?;
    // A taken port is retried in the server task; the party runs on meanwhile.
    let (data_dir, headless) = (opts.data_dir.clone(), opts.headless);
    let up = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => Some(announce(l, bind, &data_dir, inbox, None).await),
        Err(_) => None,
    };
    let url = up.as_ref().map(|u| u.2.clone());
    let state = crate::http::HttpState::new(
        inbox.clone(),
        snapshots.clone(),
        crate::buttons::ButtonDirectory::from_config(&cfg.buttons),
        token,
        cfg.http.party_code.clone(),
        clock.clone(),
    )
    .with_limits(&cfg.http.limits())
    .with_guest_key(guest_key)
    .with_host_sessions(&opts.data_dir)
    .with_party_name(cfg.party.name.clone())
    .with_hooks(crate::http::routes_hooks::HookDirectory::from_config(
        &cfg.hooks,
        &|k| std::env::var(k).ok(),
    ));
    let state = match crate::requests::searcher(cfg, opts.demo) {
        Some(searcher) => state.with_search(searcher),
        None => state,
    }
    .with_recap(
        &crate::report::display_name(cfg.party.name.as_deref(), party),
        journal.to_path_buf(),
    );
    let (inbox, shutdown) = (inbox.clone(), shutdown.clone());
    tasks.spawn(async move {
        let (listener, _instance, _url) = match up {
            Some(up) => up,
            None => match crate::http::listen::bind_with_retry(bind, &inbox, headless, &shutdown)
                .await
            {
                Some(l) => announce(l, bind, &data_dir, &inbox, Some(headless)).await,
                None => return,
            },
        };
        if let Err(e) = crate::http::serve(listener, state, shutdown).await {
            tracing::error!(error = %e, "http server failed");
            inbox
                .health("http", HealthLevel::Error, format!("stopped: {e}"))
                .await;
        }
    });
    Ok(url)
}

/// The vote page is up: write the instance file and tell the host. `late` is Some(headless)
/// when it came up after start (then a headless run says so on stderr, as it said the error).
async fn announce(
    listener: tokio::net::TcpListener,
    bind: std::net::SocketAddr,
    data_dir: &std::path::Path,
    inbox: &Inbox,
    late: Option<bool>,
) -> (
    tokio::net::TcpListener,
    Option<crate::support::instance::InstanceGuard>,
    String,
) {
    let bound = listener.local_addr().unwrap_or(bind);
    let url = crate::support::netinfo::vote_url(bound);
    // A second `party-tui` on this machine (the host over ssh) finds this instance and attaches
    // instead of starting a rival party. The file goes when the server stops.
    let local = if bound.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let instance =
        crate::support::instance::write_instance(data_dir, &format!("http://{local}"), &url)
            .map_err(|e| tracing::warn!("no instance file, so no attaching: {e:#}"))
            .ok();
    // The QR code view was set up at start; a page that came up late is shown by address only.
    let qr = if late.is_some() {
        ""
    } else {
        " (v shows its QR code)"
    };
    inbox
        .health(
            "http",
            crate::core::HealthLevel::Ok,
            format!("vote page on {url}{qr}"),
        )
        .await;
    if late == Some(true) {
        eprintln!("party-tui: vote page on {url}");
    }
    (listener, instance, url)
}
