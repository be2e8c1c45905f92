//! `party-tui` (and `party-tui run`): lock the data dir and run the party, or, when a party
//! already runs from it, attach a second dashboard to that party.
use super::cli::RunArgs;
use super::lock;
use crate::app;
use crate::config::{Config, ConfigSource};
use crate::dashboard::attach::{self, Target};
use crate::support::instance::find_running;
use anyhow::Result;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

pub(super) fn run(
    cfg: Config,
    source: ConfigSource,
    data_dir: PathBuf,
    args: RunArgs,
) -> Result<()> {
    let (_guard, log_path) = crate::support::logging::init(&data_dir)?;
    tracing::info!(%source, log = %log_path.display(), "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("party-tui-rt")
        .build()?;
    let outcome = runtime.block_on(async {
        // A dashboard started while a party runs here becomes a second view of that party;
        // anything else started beside it stops, naming it: one party per data dir.
        let mut _lock = None;
        let attach_to = match &args.attach {
            Some(url) => Some(Target::Url(url.clone())),
            None => match lock::lock(&data_dir)? {
                Ok(lock) => {
                    _lock = Some(lock);
                    None
                }
                Err(held) if !args.headless && !args.no_attach => {
                    match find_running(&data_dir).await {
                        Some(_) => Some(Target::Local(data_dir.clone())),
                        None => anyhow::bail!(
                            "{held} (it does not serve its vote page, so \
                             this dashboard cannot attach)"
                        ),
                    }
                }
                Err(held) => anyhow::bail!("{held}"),
            },
        };
        if let Some(url) = attach_to {
            let token = match args.token.clone() {
                Some(t) => t,
                None => crate::http::load_or_create_admin_token(&data_dir)?,
            };
            tracing::info!(?url, "attaching to a running party");
            return attach::attach(url, token).await;
        }
        // Bound here, after the lock: a port another program holds is not an error but
        // retried by the party, which reports it on the status line (http/listen.rs).
        let listener = app::Listener::bind(args.bind.unwrap_or(cfg.http.bind)).await;
        let shutdown = CancellationToken::new();
        if args.headless {
            // Headless, only a signal stops the party; the dashboard has its own quit.
            tokio::spawn(cancel_on_signal(shutdown.clone()));
        }
        let opts = app::RunOptions {
            demo: args.demo,
            demo_speed: args.demo_speed,
            headless: args.headless,
            new_party: args.new_party,
            data_dir,
        };
        app::run(cfg, opts, listener, shutdown).await
    });
    // A blocking read (the terminal's input thread, a capture socket) must not keep the
    // process alive after the party has stopped and the journal is closed.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    outcome
}

/// SIGINT, SIGTERM or SIGHUP stop the party.
async fn cancel_on_signal(shutdown: CancellationToken) {
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
    shutdown.cancel();
}
