//! `doctor` checks that talk to the party's peers: the Sonos speaker, Spotify's token service,
//! the export endpoint. Each answers in words a host can act on; secrets never appear.
use crate::cmd::doctor::Check;
use std::time::Duration;

const PEER_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) async fn sonos(cfg: &crate::players::sonos::SonosConfig) -> Check {
    let wanted = cfg.wanted();
    use crate::players::sonos::resolve::Wanted;
    let what = match &wanted {
        Wanted::Url(url) => format!("Sonos speaker at {url} answers"),
        Wanted::Room(room) => format!("Sonos room \"{room}\" answers"),
    };
    let http = crate::support::http_client::HttpClient::timeout(PEER_TIMEOUT).build();
    match crate::players::sonos::resolve::coordinator(&http, &wanted).await {
        Ok(d) => Check::ok(format!("{what}: following {}", d.name())),
        Err(e) => Check::bad(what, e),
    }
}

/// The saved login exists and refreshes. A refresh rotates the single-use refresh token, and
/// the session saves the new one before anything else, as the watcher does.
pub(crate) async fn spotify(
    cfg: &crate::players::spotify::SpotifyConfig,
    now: crate::core::Timestamp,
) -> Check {
    use crate::players::spotify::session::Session;
    use crate::players::spotify::token::{TokenClient, TokenStore};
    let what = "Spotify login is present and refreshes".to_string();
    let (client_id, path) = match (cfg.client_id(), cfg.token_path()) {
        (Ok(id), Ok(path)) => (id, path),
        (Err(e), _) | (_, Err(e)) => return Check::bad(what, format!("{e:#}")),
    };
    let mut session = Session::new(
        TokenClient::new(&cfg.auth_base_url, &client_id),
        TokenStore::new(path),
    );
    match session.refresh(now).await {
        Ok(_) => match session.persist_warning.take() {
            None => Check::ok(what),
            Some(w) => Check::bad(what, w),
        },
        Err(e) => Check::bad(what, e.to_string()),
    }
}

/// The endpoint is reachable and takes the key: an empty batch changes nothing on the receiver.
pub(crate) async fn export(cfg: &crate::outlets::settings::ExportConfig) -> Check {
    let url = cfg.events_url();
    let what = format!("export endpoint {url} accepts the API key");
    if let Err(e) = cfg.validate() {
        return Check::bad(what, e);
    }
    let Some(key) = cfg.api_key.clone() else {
        return Check::bad(
            what,
            "no API key: set [export] api_key or PARTY_TUI_EXPORT_API_KEY",
        );
    };
    let http = crate::support::http_client::HttpClient::timeout(PEER_TIMEOUT).build();
    let mut key_header = match reqwest::header::HeaderValue::from_str(key.expose()) {
        Ok(v) => v,
        Err(_) => return Check::bad(what, "the API key holds characters a header cannot carry"),
    };
    key_header.set_sensitive(true);
    let answer = http
        .post(&url)
        .header("X-API-KEY", key_header)
        .json(&serde_json::json!([]))
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => Check::ok(what),
        Ok(r) if matches!(r.status().as_u16(), 401 | 403) => Check::bad(
            what,
            format!(
                "the endpoint refused the API key ({}): check [export] api_key",
                r.status()
            ),
        ),
        Ok(r) => Check::bad(what, format!("the endpoint answered {}", r.status())),
        // reqwest's error names the URL, never the headers.
        Err(e) => Check::bad(what, format!("unreachable: {e}")),
    }
}
