//! A second dashboard attached to a running party over HTTP: snapshots from the admin stream,
//! keys sent as admin commands. Lets the host ssh in while the Pi's screen shows the party.
use crate::bus::clock::Clock;
use crate::core::{HealthLevel, HostCommand, Snapshot, SourceHealth};
use crate::support::instance::read_instance;
use anyhow::{Context, Result};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// The status entry an attached view adds; Error while disconnected.
pub const ATTACHED: &str = "attached";
const WRONG_TOKEN: &str =
    "wrong admin token: run `party-tui admin-token` on the Pi and attach with --token";

/// Whether this snapshot is an attached view's last one before it lost the party: its panels
/// are frozen at that moment and keys are not sent.
pub fn is_disconnected(snap: &Snapshot) -> bool {
    snap.health
        .iter()
        .any(|h| h.name == ATTACHED && h.level == HealthLevel::Error)
}

/// Why the stream ended, where the caller acts on it.
#[derive(Debug, thiserror::Error)]
#[error("{WRONG_TOKEN}")]
struct WrongToken;

/// Where the attached view finds the party.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// A URL given on the command line.
    Url(String),
    /// The instance running on this machine: re-read on every reconnect, because a restarted
    /// party may listen on another port.
    Local(PathBuf),
}

impl Target {
    fn url(&self) -> Option<String> {
        match self {
            Target::Url(u) => Some(u.clone()),
            Target::Local(dir) => read_instance(dir).map(|i| i.url),
        }
        .map(|u| u.trim_end_matches('/').to_string())
    }

    /// The address guests use: a local instance's LAN address (its loopback URL would be
    /// useless in a QR code), else the URL we were given.
    fn vote_url(&self, base: &str) -> String {
        match self {
            Target::Local(dir) => read_instance(dir).and_then(|i| i.vote_url),
            Target::Url(_) => None,
        }
        .unwrap_or_else(|| format!("{base}/"))
    }
}

/// Runs the attached dashboard until the host quits.
pub(crate) async fn attach(target: Target, token: String) -> Result<()> {
    let base = target.url().context("no running party to attach to")?;
    let vote_url = target.vote_url(&base);
    let shutdown = CancellationToken::new();
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (cmd_tx, cmd_rx) = mpsc::channel::<HostCommand>(16);
    // The snapshot stream never ends while the party runs: no bound on a whole request.
    let client = crate::support::http_client::HttpClient::streaming().build();
    let (base_tx, base_rx) = watch::channel(base.clone());
    let follow = tokio::spawn(follow(
        client.clone(),
        target,
        base_tx,
        token.clone(),
        snap_tx,
        shutdown.clone(),
    ));
    let send = tokio::spawn(send_commands(client, base_rx, token.clone(), cmd_rx));
    let ui = crate::dashboard::UiState {
        host: Some(crate::dashboard::host::HostAccess {
            token: token.clone().into(),
            link_base: vote_url.clone(),
            api_base: base.clone(),
        }),
        vote_url: Some(vote_url),
        ..crate::dashboard::UiState::default()
    };
    let outcome =
        crate::dashboard::run(snap_rx, cmd_tx, Clock::system(), ui, shutdown.clone()).await;
    shutdown.cancel();
    follow.abort();
    send.abort();
    outcome
}

/// Follows the party at `url` (no local instance file) until it refuses the token; the
/// attached view's follower on its own, for tests and tools.
pub async fn follow_url(url: String, token: String, tx: watch::Sender<Arc<Snapshot>>) {
    let (base_tx, _base_rx) = watch::channel(url.clone());
    let target = Target::Url(url);
    // The snapshot stream never ends while the party runs: no bound on a whole request.
    let client = crate::support::http_client::HttpClient::streaming().build();
    follow(client, target, base_tx, token, tx, CancellationToken::new()).await
}

/// Follows the admin snapshot stream, reconnecting with back-off; while disconnected the last
/// snapshot stays on screen with a status entry saying so.
async fn follow(
    client: reqwest::Client,
    target: Target,
    base_tx: watch::Sender<String>,
    token: String,
    tx: watch::Sender<Arc<Snapshot>>,
    shutdown: CancellationToken,
) {
    let mut backoff = crate::support::backoff::Backoff::new(RETRY_MIN, RETRY_MAX);
    let attached = |level, detail: String| SourceHealth {
        name: ATTACHED.into(),
        level,
        detail,
    };
    let mut base = base_tx.borrow().clone();
    while !shutdown.is_cancelled() {
        if let Some(url) = target.url() {
            base = url;
            base_tx.send_replace(base.clone());
        }
        let result = stream_once(&client, &base, &token, &tx, &attached).await;
        if result.is_ok() {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        let wrong_token = matches!(&result, Err(e) if e.is::<WrongToken>());
        let why = match result {
            Ok(()) => "the party stopped".to_string(),
            Err(e) => format!("{e:#}"),
        };
        tracing::warn!(%base, %why, "attached view disconnected");
        let mut snap = (**tx.borrow()).clone();
        // Frozen at the moment the party was lost: no countdown runs on against a dead party.
        snap.at = Clock::system().now();
        snap.health.retain(|h| h.name != ATTACHED);
        let detail = if wrong_token {
            // Retrying cannot help: the same token will be refused again.
            WRONG_TOKEN.to_string()
        } else {
            format!(
                "disconnected from {base} ({why}); retrying in {:.1} s",
                delay.as_secs_f64()
            )
        };
        snap.health.insert(0, attached(HealthLevel::Error, detail));
        tx.send_replace(Arc::new(snap));
        if wrong_token {
            return;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn stream_once(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    tx: &watch::Sender<Arc<Snapshot>>,
    attached: &impl Fn(HealthLevel, String) -> SourceHealth,
) -> Result<()> {
    let resp = client
        .get(format!("{base}/api/admin/snapshots"))
        .bearer_auth(token)
        .send()
        .await?;
    if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
        return Err(WrongToken.into());
    }
    let resp = resp.error_for_status()?;
    let mut resp = resp;
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        buf.extend_from_slice(&chunk);
        // Server-sent events end with a blank line; `data:` lines carry the snapshot.
        while let Some(end) = find_event_end(&buf) {
            let event: Vec<u8> = buf.drain(..end).collect();
            let text = String::from_utf8_lossy(&event);
            let data: String = text
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(|d| d.strip_prefix(' ').unwrap_or(d))
                .collect::<Vec<_>>()
                .join("\n");
            if data.is_empty() {
                continue;
            }
            let mut snap: Snapshot = serde_json::from_str(&data).context("bad snapshot")?;
            // First, so the footer always shows that this is a second view.
            snap.health
                .insert(0, attached(HealthLevel::Ok, format!("to {base}")));
            tx.send_replace(Arc::new(snap));
        }
    }
    Ok(())
}

/// The end (exclusive) of the first complete event in `buf`, blank line included.
fn find_event_end(buf: &[u8]) -> Option<usize> {
    buf.windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| i + 2)
        .or_else(|| buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4))
}

async fn send_commands(
    client: reqwest::Client,
    base: watch::Receiver<String>,
    token: String,
    mut rx: mpsc::Receiver<HostCommand>,
) {
    while let Some(cmd) = rx.recv().await {
        let (path, body) = admin_request(&cmd);
        let base = base.borrow().clone();
        let result = client
            .post(format!("{base}/api/admin/{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        if let Err(e) = result {
            tracing::warn!(?cmd, error = %e, "admin command failed");
        }
    }
}

/// The admin API call for a host command (the inverse of the server's admin routes): the
/// path's word from the one table (`core::command_names`), the body here.
pub(crate) fn admin_request(cmd: &HostCommand) -> (&'static str, serde_json::Value) {
    use serde_json::json;
    let body = match cmd {
        HostCommand::Keep(on) => json!({ "keep": on }),
        HostCommand::SetThreshold(t) => json!({ "threshold": t }),
        HostCommand::SetWindow(s) => json!({ "secs": s }),
        HostCommand::ApproveRequest(id) | HostCommand::RejectRequest(id) => json!({ "id": id }),
        HostCommand::SkipNow
        | HostCommand::ResetVotes
        | HostCommand::PauseVoting
        | HostCommand::ResumeVoting
        | HostCommand::PlayPrevious => json!({}),
    };
    (cmd.kind().name(), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::instance::write_instance;

    #[test]
    fn a_local_instance_gives_its_lan_vote_url_not_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let _guard = write_instance(
            dir.path(),
            "http://127.0.0.1:8080",
            "http://192.168.1.20:8080/",
        )
        .unwrap();
        let local = Target::Local(dir.path().to_path_buf());
        assert_eq!(local.url().as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(
            local.vote_url("http://127.0.0.1:8080"),
            "http://192.168.1.20:8080/"
        );
        let remote = Target::Url("http://pi.local:8080/".into());
        assert_eq!(
            remote.vote_url("http://pi.local:8080"),
            "http://pi.local:8080/"
        );
    }
}
