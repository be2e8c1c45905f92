//! Logs go to a file in the data dir, never to the screen (the dashboard owns the terminal).
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub(crate) const LOG_FILE: &str = "party-tui.log";

/// Install the file logger. Keep the guard alive until exit or the last lines are lost.
pub(crate) fn init(data_dir: &Path) -> Result<(WorkerGuard, PathBuf)> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create log dir {}", dir.display()))?;
    // Opened here, not by tracing-appender's `rolling::never`, which panics when it cannot
    // create the file (a read-only filesystem, a root-owned logs dir).
    let path = dir.join(LOG_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot create the log file {}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter =
        EnvFilter::try_from_env("PARTY_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // rspotify logs every request with its headers, bearer token included: keep it quiet
    // whatever PARTY_TUI_LOG says, so no Spotify secret reaches the log file.
    let filter = filter
        .add_directive("rspotify=warn".parse().expect("valid directive"))
        .add_directive("rspotify_http=warn".parse().expect("valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    Ok((guard, path))
}
