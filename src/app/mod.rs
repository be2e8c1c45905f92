//! Wiring: open the party, replay its journal, start the player and adapters, run the loop,
//! show the dashboard (or wait for the shutdown when headless), and stop everything cleanly.
//! The socket and the shutdown come from the caller (cmd/run.rs binds and wires the signals),
//! so a test runs a whole party in-process on port 0 and stops it at will.
mod checkpoints;
pub(crate) mod commit;
mod effects;
pub mod engine;
mod outage;
mod serve;

use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::config::Config;
use crate::core::{HealthLevel, HostCommand, Input, Party, Snapshot, Timestamp};
pub use crate::http::listen::Listener;
use crate::journal::{Opened, PartyStore};
use crate::players::{self, PlayerCommand};
use anyhow::{Context, Result};
use engine::{EffectSinks, Engine};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// How long tasks get to finish after quit before we stop waiting for them.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub demo: bool,
    pub demo_speed: f64,
    pub headless: bool,
    pub new_party: bool,
    pub data_dir: PathBuf,
}

/// What the parts of the wiring share, built once in `run` and lent to each step instead of
/// passing the handles one by one.
struct Wiring {
    cfg: Config,
    opts: RunOptions,
    /// The party's name and its journal file.
    name: String,
    journal: PathBuf,
    /// Where the party store lives (`<data>/demo` for the demo).
    store_dir: PathBuf,
    clock: Clock,
    inbox: Inbox,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Cancelled when the party stops, whoever stops it; every task watches it.
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
    /// The vote page's address once it is up (None while its port is taken).
    vote_url: Option<String>,
}

/// Runs the party until `shutdown` is cancelled (headless) or the host quits the dashboard.
/// `listener` is the vote page's socket, bound by the caller.
pub async fn run(
    cfg: Config,
    opts: RunOptions,
    listener: Listener,
    shutdown: CancellationToken,
) -> Result<()> {
    let (store_dir, name, journal, opened) = open_party(&cfg, &opts)?;
    let clock = party_clock(&opts, opened.replayed.last_at);
    let (inbox, rx) = Inbox::new();
    // Before any adapter can send: the rules in force are the first thing journaled, so the
    // inputs after them are judged by them, now and in every replay.
    let rules = cfg.rules();
    if opened.party.needs_rules(&rules) {
        let _ = inbox.send(Input::Rules(Box::new(rules))).await;
    }
    let (snap_tx, snap_rx) = watch::channel(Arc::new(opened.party.snapshot(clock.now())));
    let mut w = Wiring {
        cfg,
        opts,
        name,
        journal,
        store_dir,
        clock,
        inbox,
        snapshots: snap_rx,
        // Our own stop (the dashboard's quit) must not cancel the caller's token.
        shutdown: shutdown.child_token(),
        tasks: JoinSet::new(),
        vote_url: None,
    };
    let (player_tx, player_rx) = mpsc::channel::<PlayerCommand>(16);
    spawn_player(&mut w, player_rx).await;
    w.vote_url = serve::spawn_http(&mut w, listener).await?;
    // The exporter and webhooks read the journal; the loop wakes them after each commit.
    let (committed_tx, committed_rx) = watch::channel(opened.journal.durable_len());
    spawn_outlets(&mut w, &committed_rx).await;
    let sinks = EffectSinks {
        player: Some(player_tx),
        committed: Some(committed_tx),
    };
    let damage = opened.damage_note();
    let Opened {
        party,
        journal,
        recovery,
        replayed,
        repaired,
        ..
    } = opened;
    let base = crate::journal::Position {
        len: journal.durable_len(),
        lines: recovery.lines,
        entries: recovery.entries,
        last_seq: journal.next_seq().checked_sub(1),
        last_at: replayed.last_at,
    };
    let checkpoints = checkpoints::Checkpoints::new(
        w.journal.clone(),
        base,
        journal.next_seq(),
        replayed.losses.recorded.clone(),
    );
    let engine = Engine::new(party, journal, w.clock.clone(), sinks, snap_tx)
        .with_rebuild(rebuild(&w))
        .with_checkpoints(checkpoints)
        .resume_after(replayed.last_at);
    let engine_task = tokio::spawn(engine.run(rx, w.shutdown.clone()));
    let _capture = spawn_capture(&w);
    if let Some(repaired) = &repaired {
        w.inbox
            .health("journal", HealthLevel::Warn, repaired.note())
            .await;
    }
    if let Some(note) = damage {
        // Its own entry: the engine's "journal" entry comes and goes with write failures.
        w.inbox
            .health("journal damage", HealthLevel::Warn, note)
            .await;
    }
    if let Some(torn) = recovery.torn_note() {
        w.inbox.health("journal", HealthLevel::Warn, torn).await;
    }
    let outcome = front(&mut w, replayed.entries).await;
    stop(w, engine_task).await;
    outcome
}

/// Opens (or starts) the party and replays its journal: the store dir, the party's name, its
/// journal file and what replaying found.
fn open_party(cfg: &Config, opts: &RunOptions) -> Result<(PathBuf, String, PathBuf, Opened)> {
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
    let opened = crate::journal::open_party(&path, || Party::new(name.clone(), rules.clone()))
        .with_context(|| format!("cannot replay {}", path.display()))?;
    tracing::info!(party = %name, replayed = ?opened.replayed, recovery = ?opened.recovery, "party opened");
    Ok((store_dir, name, path, opened))
}

/// After a failed write the engine rolls the party back to what the journal holds.
fn rebuild(w: &Wiring) -> engine::Rebuild {
    let (name, rules, path) = (w.name.clone(), w.cfg.rules(), w.journal.clone());
    Box::new(move || crate::journal::rebuild(&path, || Party::new(name.clone(), rules.clone())))
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

/// The player that plays (demo, Sonos or Spotify), and the demo's simulated guests.
async fn spawn_player(w: &mut Wiring, player_rx: mpsc::Receiver<PlayerCommand>) {
    let (cfg, inbox, clock, shutdown) = (&w.cfg, &w.inbox, &w.clock, &w.shutdown);
    if w.opts.demo {
        let list = players::demo::playlist();
        w.tasks.spawn(players::demo::run_player(
            list,
            inbox.clone(),
            player_rx,
            clock.clone(),
            shutdown.clone(),
        ));
        w.tasks.spawn(players::demo::run_guests(
            cfg.demo.guests,
            cfg.demo.press_interval(),
            inbox.clone(),
            w.snapshots.clone(),
            clock.clone(),
            shutdown.clone(),
        ));
    } else if let Some(sonos) = cfg.sonos.clone() {
        w.tasks.spawn(players::sonos::run_player(
            sonos,
            inbox.clone(),
            player_rx,
            clock.clone(),
            shutdown.clone(),
        ));
    } else if let Some(spotify) = cfg.spotify.clone() {
        w.tasks.spawn(players::spotify::run_player(
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
                HealthLevel::Warn,
                "none configured: add [sonos] or [spotify], or run --demo",
            )
            .await;
    }
}

/// The exporter, trigger webhooks and MQTT: everything that tails the committed journal.
async fn spawn_outlets(w: &mut Wiring, committed_rx: &watch::Receiver<u64>) {
    let (cfg, inbox, clock, shutdown) = (&w.cfg, &w.inbox, &w.clock, &w.shutdown);
    let files = crate::outlets::PartyFiles {
        party: &w.name,
        journal: &w.journal,
        store_dir: &w.store_dir,
        vote_url: w.vote_url.as_deref(),
    };
    crate::outlets::spawn(
        crate::outlets::Sections {
            export: cfg.export.as_ref(),
            triggers: &cfg.triggers,
        },
        files,
        inbox,
        clock,
        committed_rx,
        shutdown,
        &mut w.tasks,
    )
    .await;
    let mqtt = crate::outlets::mqtt::Wiring {
        mqtt: cfg.mqtt.as_ref(),
        cumulocity: cfg.cumulocity.as_ref(),
        buttons: &cfg.buttons,
        files: crate::outlets::PartyFiles {
            party: &w.name,
            journal: &w.journal,
            store_dir: &w.store_dir,
            vote_url: w.vote_url.as_deref(),
        },
        inbox,
        clock,
        committed: committed_rx,
        snapshots: &w.snapshots,
        shutdown,
    };
    crate::outlets::mqtt::spawn(mqtt, &mut w.tasks).await;
}

/// Dash buttons on the wire. Without permission the party runs on; the capture has put the
/// reason (and the setcap line) on the status line.
fn spawn_capture(w: &Wiring) -> Option<std::thread::JoinHandle<()>> {
    // The capture only collapses each press's burst of packets; the per-button debounce is
    // the party's own rule, so repeats reach the journal and the log as "debounced".
    let dash = crate::buttons::dash_buttons(&w.cfg.buttons);
    if dash.is_empty() {
        return None;
    }
    crate::buttons::spawn_capture(
        w.cfg.capture.interface.clone(),
        dash,
        Duration::ZERO,
        w.inbox.clone(),
        w.shutdown.clone(),
    )
    .map_err(|e| tracing::warn!("Dash button capture not running: {e}"))
    .ok()
}

/// What the host sees until the party stops: stderr lines and the shutdown when headless,
/// else the dashboard until its quit.
async fn front(w: &mut Wiring, replayed: u64) -> Result<()> {
    if w.opts.headless {
        // Scripts and tests start us on port 0 and read the port from this line; the
        // socket is already listening when it is printed.
        if let Some(url) = &w.vote_url {
            eprintln!("party-tui: vote page on {url}");
        }
        eprintln!(
            "party-tui: party {} running headless ({replayed} events replayed); Ctrl-C stops it",
            w.name
        );
        w.shutdown.cancelled().await;
        return Ok(());
    }
    let (cmd_tx, cmd_rx) = mpsc::channel::<HostCommand>(16);
    w.tasks
        .spawn(forward_host_commands(cmd_rx, w.inbox.clone()));
    // The dashboard signs the host's phone in with links it mints under the admin token.
    let host = match (
        &w.vote_url,
        crate::http::load_or_create_admin_token(&w.opts.data_dir),
    ) {
        (Some(url), Ok(token)) => Some(crate::dashboard::host::HostAccess {
            token: token.into(),
            link_base: url.clone(),
            api_base: url.clone(),
        }),
        _ => None,
    };
    let ui = crate::dashboard::UiState {
        vote_url: w.vote_url.clone(),
        host,
        party_code: w
            .cfg
            .http
            .party_code
            .clone()
            .filter(|c| !c.trim().is_empty()),
        ..crate::dashboard::UiState::default()
    };
    let (snapshots, clock) = (w.snapshots.clone(), w.clock.clone());
    crate::dashboard::run(snapshots, cmd_tx, clock, ui, w.shutdown.clone()).await
}

async fn forward_host_commands(mut rx: mpsc::Receiver<HostCommand>, inbox: Inbox) {
    while let Some(cmd) = rx.recv().await {
        if inbox.send(Input::host(cmd)).await.is_err() {
            return;
        }
    }
}

/// Cancels every task and waits for them, within `SHUTDOWN_GRACE`.
async fn stop(w: Wiring, engine_task: JoinHandle<Party>) {
    let Wiring {
        shutdown,
        inbox,
        mut tasks,
        ..
    } = w;
    shutdown.cancel();
    drop(inbox);
    let stop = async {
        let _ = engine_task.await;
        while tasks.join_next().await.is_some() {}
    };
    if tokio::time::timeout(SHUTDOWN_GRACE, stop).await.is_err() {
        tracing::warn!("some tasks did not stop within {SHUTDOWN_GRACE:?}");
    }
}
