//! The dashboard: a ratatui view of the party snapshot plus the host's keys.
//! `draw` and `keys::on_key` are pure; this file only owns the terminal and the event loop.
pub mod attach;
pub mod draw;
pub(crate) mod help;
pub mod host;
pub(crate) mod keys;
pub(crate) mod log;
pub(crate) mod notice;
pub(crate) mod now_playing;
pub(crate) mod party;
pub(crate) mod qr;
pub(crate) mod requests;
pub(crate) mod status;
pub(crate) mod votes;

use crate::bus::clock::Clock;
use crate::core::{HostCommand, Snapshot};
use anyhow::Context;
use chrono::FixedOffset;
use crossterm::event::{Event, EventStream};
use futures::{Stream, StreamExt};
use keys::KeyOutcome;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// How often the progress bar and the vote countdown move on their own (a period, not a rate).
pub const REDRAW_TICK: Duration = Duration::from_secs(1);

/// Which clock the log's times are shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Zone {
    /// The machine's local time (the host reads the log against the wall clock).
    #[default]
    Local,
    /// A fixed offset; tests use UTC so snapshots do not depend on the machine.
    Fixed(FixedOffset),
}

impl Zone {
    pub fn utc() -> Self {
        Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset is valid"))
    }
}

/// View state that is not party state: overlays and display choices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UiState {
    /// The key help overlay is open.
    pub help: bool,
    /// The vote page's QR code overlay is open (`v`).
    pub qr: bool,
    /// Where guests vote, when the HTTP server runs.
    pub vote_url: Option<String>,
    /// The party code guests type, shown beside the vote address (None: no code).
    pub party_code: Option<String>,
    /// Signing the host's phone in (`h`); None without the vote page.
    pub host: Option<host::HostAccess>,
    /// The one-time host link on screen (`h`), as a QR code.
    pub host_link: Option<String>,
    /// A short answer to the last key (e.g. "not sent: disconnected"), until the next key.
    pub notice: Option<String>,
    pub zone: Zone,
}

pub(crate) async fn run(
    snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: mpsc::Sender<HostCommand>,
    clock: Clock,
    ui: UiState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    // try_init enters the alternate screen and raw mode and installs a panic hook that restores
    // the terminal before the panic message prints (else the message lands on the alt screen).
    let mut terminal = ratatui::try_init()
        .context("cannot set up the terminal for the dashboard (try --headless)")?;
    // Restores on quit and on error alike; the panic hook covers unwinding from elsewhere.
    let _restore = RestoreOnDrop;
    let events = EventStream::new();
    let result = event_loop(
        &mut terminal,
        events,
        snapshots,
        commands,
        clock,
        ui,
        shutdown,
    )
    .await;
    drop(terminal);
    result
}

struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The loop behind `run`, over any backend and event stream so tests can drive it.
/// It draws only when something changed: a snapshot, a key, a resize or the 1 s tick.
pub async fn event_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: mpsc::Sender<HostCommand>,
    clock: Clock,
    mut ui: UiState,
    shutdown: CancellationToken,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let mut tick = tokio::time::interval(REDRAW_TICK);
    // After a stall, one catch-up redraw is enough.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut snap = snapshots.borrow_and_update().clone();
    let mut dirty = true;
    loop {
        if dirty {
            terminal
                .draw(|frame| draw::draw(frame, &snap, &ui, clock.now()))
                .context("cannot draw the dashboard")?;
            dirty = false;
        }
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(()),
            changed = snapshots.changed() => {
                if changed.is_err() {
                    // The engine dropped its sender: normal during shutdown, a failure otherwise.
                    if shutdown.is_cancelled() {
                        return Ok(());
                    }
                    anyhow::bail!("the party engine stopped; see the log file");
                }
                snap = snapshots.borrow_and_update().clone();
                dirty = true;
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => {
                    let before = ui.clone();
                    ui.notice = None;
                    match keys::on_key(key, &snap, &mut ui) {
                        KeyOutcome::Quit => {
                            shutdown.cancel();
                            return Ok(());
                        }
                        // An attached view that lost the party says so instead of queueing
                        // a command the host would think was done.
                        KeyOutcome::Command(cmd) if crate::dashboard::attach::is_disconnected(&snap) => {
                            ui.notice = Some(format!(
                                "not sent: disconnected from the party ({})",
                                cmd.plain()
                            ));
                        }
                        KeyOutcome::Command(cmd) => send(&commands, cmd),
                        KeyOutcome::HostLink => {
                            // Each press mints a new link: the last one may have been used.
                            ui.host_link = ui.host.as_ref().map(host::HostAccess::new_link);
                            ui.qr = false;
                            ui.help = false;
                        }
                        KeyOutcome::SignOutHosts => {
                            if let Some(h) = &ui.host {
                                h.spawn_sign_out();
                            }
                            ui.host_link = None;
                        }
                        KeyOutcome::None => {}
                    }
                    dirty = ui != before;
                }
                // Terminal::draw resizes its buffers itself; it only needs a redraw.
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("cannot read terminal input"),
                None => anyhow::bail!("terminal input closed"),
            },
            _ = tick.tick() => dirty = true,
        }
    }
}

/// Never wait on a full queue: the dashboard must keep drawing. The log shows what was applied.
fn send(commands: &mpsc::Sender<HostCommand>, cmd: HostCommand) {
    match commands.try_send(cmd) {
        Ok(()) => {}
        Err(TrySendError::Full(cmd)) => tracing::warn!(?cmd, "host command dropped: queue full"),
        Err(TrySendError::Closed(cmd)) => tracing::warn!(?cmd, "host command dropped: loop gone"),
    }
}
