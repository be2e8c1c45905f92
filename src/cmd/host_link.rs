//! `party-tui host-link`: a one-time sign-in link for the host's phone, printed over ssh.
//! It asks the party running on this machine (found by its instance file) with the admin
//! token, so the link carries the party's LAN address and is minted by the party itself.
use crate::support::instance::read_instance;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Duration;

/// A running party answers at once; more than this means it is not there.
const ASK_TIMEOUT: Duration = Duration::from_secs(5);

/// The link, or an error that says what to do.
pub(crate) async fn fetch(data_dir: &Path, token: &str) -> Result<String> {
    let Some(inst) = read_instance(data_dir) else {
        bail!(
            "no party is running here (no {}): start `party-tui` first",
            crate::support::instance::instance_path(data_dir).display()
        );
    };
    let client = crate::support::http_client::HttpClient::timeout(ASK_TIMEOUT).build();
    let base = inst.url.trim_end_matches('/');
    let res = client
        .post(format!("{base}/api/admin/host-link"))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("the party at {base} does not answer (is it still running?)"))?;
    if res.status() == reqwest::StatusCode::UNAUTHORIZED {
        bail!("wrong admin token: run `party-tui admin-token` on the Pi");
    }
    if !res.status().is_success() {
        bail!("the party at {base} refused: {}", res.status());
    }
    let body: serde_json::Value = res.json().await.context("the party's answer is not JSON")?;
    let path = body["path"]
        .as_str()
        .context("the party's answer has no link")?;
    // Guests' address, not the loopback one we asked by: the phone is on the LAN.
    let vote = inst.vote_url.unwrap_or_else(|| format!("{base}/"));
    Ok(format!("{}{path}", vote.trim_end_matches('/')))
}

/// Prints the link alone on its line, so `party-tui host-link | qrencode -t utf8` works.
pub(super) fn run(data_dir: &Path) -> Result<()> {
    let token = crate::http::load_or_create_admin_token(data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("{}", runtime.block_on(fetch(data_dir, &token))?);
    Ok(())
}
