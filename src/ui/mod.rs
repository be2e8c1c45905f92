//! The dashboard. (Placeholder until the ratatui dashboard lands: `--headless` works.)
use crate::clock::Clock;
use crate::core::{HostCommand, Snapshot};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Default)]
pub struct UiState {}

pub async fn run(
    _snapshots: watch::Receiver<Arc<Snapshot>>,
    _commands: mpsc::Sender<HostCommand>,
    _clock: Clock,
    _ui: UiState,
    _shutdown: CancellationToken,
) -> anyhow::Result<()> {
    anyhow::bail!("the dashboard is not built yet; run with --headless")
}
