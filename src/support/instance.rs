//! instance.json: where the party running from a data dir can be reached from this machine.
//! The party writes it (0600, next to the admin token); `host-link`, a second dashboard and
//! lock-or-attach read it.
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

const INSTANCE_FILE: &str = "instance.json";
/// How long a probe of a running instance may take before we start our own party.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Where a running party can be reached from this machine; written 0600 next to the token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Instance {
    /// Where this machine reaches it (loopback when it listens on every interface).
    pub url: String,
    /// Where guests vote: the LAN address, for the attached view's QR code.
    #[serde(default)]
    pub vote_url: Option<String>,
    pub pid: u32,
}

pub(crate) fn instance_path(data_dir: &Path) -> PathBuf {
    data_dir.join(INSTANCE_FILE)
}

/// Records the running instance; the returned guard removes the file when the party stops.
pub(crate) fn write_instance(data_dir: &Path, url: &str, vote_url: &str) -> Result<InstanceGuard> {
    let path = instance_path(data_dir);
    let text = serde_json::to_string(&Instance {
        url: url.to_string(),
        vote_url: Some(vote_url.to_string()),
        pid: std::process::id(),
    })?;
    crate::support::atomic_file::write_private(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(InstanceGuard(path))
}

pub(crate) struct InstanceGuard(PathBuf);

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub(crate) fn read_instance(data_dir: &Path) -> Option<Instance> {
    let text = std::fs::read_to_string(instance_path(data_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// A running instance on this machine that answers, if any (a stale file is ignored).
pub(crate) async fn find_running(data_dir: &Path) -> Option<Instance> {
    let inst = read_instance(data_dir)?;
    let client = super::http_client::HttpClient::timeout(PROBE_TIMEOUT).build();
    let answer = client
        .get(format!("{}/api/state", inst.url.trim_end_matches('/')))
        .send()
        .await
        .ok()?;
    answer.status().is_success().then_some(inst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_file_goes_with_its_guard() {
        let dir = tempfile::tempdir().unwrap();
        let guard = write_instance(dir.path(), "http://127.0.0.1:1", "http://10.0.0.2:1/").unwrap();
        assert!(instance_path(dir.path()).exists());
        drop(guard);
        assert!(!instance_path(dir.path()).exists());
    }
}
