//! The two Web API calls guests' requests need: search the catalogue and add to the queue.
//! Plain reqwest (not rspotify) because success on the queue is any 2xx whatever its body:
//! since 2024 Spotify answers some player commands with a short opaque text body, which broke
//! clients that parse it (rspotify#265, spotify-web-api-ts-sdk#119).
use super::api::{ApiFailure, from_status};
use super::session::{Session, SessionError};
use super::token::{TokenClient, TokenStore};
use crate::core::{RequestedTrack, Timestamp};
use serde::Deserialize;
use std::time::Duration;

/// Spotify refuses `limit` above 10 for Development Mode apps since February 2026.
pub(crate) const SEARCH_LIMIT: u32 = 10;
/// Each call's bound, as rspotify puts on its own: a stalled connection must not stall a loop.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Api(#[from] ApiFailure),
    #[error(transparent)]
    Login(#[from] SessionError),
}

/// A Spotify Web API client for requests: its own login session over the shared token file.
pub struct RequestsApi {
    http: reqwest::Client,
    api_base: String,
    session: Session,
}

#[derive(Deserialize)]
struct SearchBody {
    tracks: Option<Page>,
}
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    items: Vec<Option<ApiTrack>>,
}
#[derive(Deserialize)]
struct ApiTrack {
    uri: String,
    name: String,
    #[serde(default)]
    artists: Vec<Named>,
    album: Option<ApiAlbum>,
    #[serde(default)]
    duration_ms: Option<u64>,
}
#[derive(Deserialize)]
struct Named {
    name: String,
}
#[derive(Deserialize)]
struct ApiAlbum {
    name: String,
    #[serde(default)]
    images: Vec<Image>,
}
#[derive(Deserialize)]
struct Image {
    url: String,
    width: Option<u32>,
}

/// Spotify's search answer as request results (tracks only, local files and episodes dropped).
pub fn parse_search(body: &[u8]) -> Result<Vec<RequestedTrack>, ApiFailure> {
    let parsed: SearchBody =
        serde_json::from_slice(body).map_err(|e| ApiFailure::Unreadable(e.to_string()))?;
    Ok(parsed
        .tracks
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .filter(|t| t.uri.starts_with("spotify:track:"))
        .map(|t| {
            let album = t.album;
            // The smallest cover at least 64 px wide: a phone list needs no more.
            let image = album.as_ref().and_then(|a| {
                a.images
                    .iter()
                    .filter(|i| i.width.is_none_or(|w| w >= 64))
                    .min_by_key(|i| i.width.unwrap_or(u32::MAX))
                    .or(a.images.first())
                    .map(|i| i.url.clone())
            });
            RequestedTrack {
                uri: t.uri,
                title: t.name,
                artist: t
                    .artists
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                album: album.map(|a| a.name).unwrap_or_default(),
                duration_ms: t.duration_ms,
                image,
            }
        })
        .collect())
}

/// A queue failure in the guest's and host's words.
pub fn queue_failure_words(f: &ApiFailure) -> String {
    match f.reason() {
        Some("PREMIUM_REQUIRED") => {
            "Spotify only queues songs for Premium accounts: the host's account is not Premium."
                .into()
        }
        Some("NO_ACTIVE_DEVICE") => {
            "No Spotify device is playing: start playback on a speaker or phone, then ask again."
                .into()
        }
        _ => match f {
            ApiFailure::RateLimited(d) => format!(
                "Spotify is resting for {}: ask again then.",
                super::schedule::human(*d)
            ),
            ApiFailure::Refused { status: 404, .. } => {
                "The Spotify device is gone: start playback again, then ask again.".into()
            }
            other => format!("Spotify could not queue it ({other})."),
        },
    }
}

/// What one call needs once the token is in hand (see `RequestsApi::authorize`).
pub(crate) struct Authorized {
    http: reqwest::Client,
    api_base: String,
    token: String,
}

impl Authorized {
    /// GET /search as `RequestsApi::search` does, without its retry after a 401 (the caller
    /// reauthorizes and asks again).
    pub(crate) async fn search(&self, q: &str) -> Result<Vec<RequestedTrack>, CallError> {
        let resp = search_request(&self.http, &self.api_base, &self.token, q)
            .send()
            .await
            .map_err(|e| ApiFailure::Network(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(from_status(resp).await.into());
        }
        read_search(resp).await
    }
}

fn search_request(
    http: &reqwest::Client,
    api_base: &str,
    token: &str,
    q: &str,
) -> reqwest::RequestBuilder {
    let limit = SEARCH_LIMIT.to_string();
    http.get(format!("{api_base}/search"))
        .query(&[("q", q), ("type", "track"), ("limit", limit.as_str())])
        .bearer_auth(token)
}

async fn read_search(resp: reqwest::Response) -> Result<Vec<RequestedTrack>, CallError> {
    let body = resp
        .bytes()
        .await
        .map_err(|e| ApiFailure::Network(e.without_url().to_string()))?;
    Ok(parse_search(&body)?)
}

fn queue_request(
    http: &reqwest::Client,
    api_base: &str,
    token: &str,
    uri: &str,
) -> reqwest::RequestBuilder {
    http.post(format!(
        "{}/me/player/queue",
        api_base.trim_end_matches('/')
    ))
    .query(&[("uri", uri)])
    .header(reqwest::header::CONTENT_LENGTH, "0")
    .bearer_auth(token)
}

/// POST /me/player/queue with a given access token (the watcher's own session).
pub(crate) async fn post_queue(
    http: &reqwest::Client,
    api_base: &str,
    token: &str,
    uri: &str,
) -> Result<(), ApiFailure> {
    let resp = queue_request(http, api_base, token, uri)
        .send()
        .await
        .map_err(|e| ApiFailure::Network(e.without_url().to_string()))?;
    if resp.status().is_success() {
        return Ok(());
    }
    Err(from_status(resp).await)
}

impl RequestsApi {
    pub fn new(cfg: &super::SpotifyConfig) -> anyhow::Result<Self> {
        let client_id = cfg.client_id()?;
        let token_path = cfg.token_path()?;
        Ok(RequestsApi {
            http: crate::support::http_client::HttpClient::timeout(CALL_TIMEOUT).build(),
            api_base: cfg.api_base_url.trim_end_matches('/').to_string(),
            session: Session::new(
                TokenClient::new(&cfg.auth_base_url, &client_id),
                TokenStore::new(token_path),
            ),
        })
    }

    /// GET /search?type=track&limit=10.
    pub async fn search(
        &mut self,
        q: &str,
        now: Timestamp,
    ) -> Result<Vec<RequestedTrack>, CallError> {
        let base = self.api_base.clone();
        let resp = self
            .send(now, |http, token| search_request(http, &base, token, q))
            .await?;
        read_search(resp).await
    }

    /// A token for calls made without this value (and its lock) in hand: guests' searches run
    /// side by side while only fetching the token is one at a time.
    pub(crate) async fn authorize(&mut self, now: Timestamp) -> Result<Authorized, CallError> {
        let token = self.session.access_token(now).await?;
        Ok(self.authorized(token))
    }

    /// After `stale` was refused (401): the token another caller already refreshed, else a
    /// refresh, so that side-by-side callers do not spend a single-use refresh token twice.
    pub(crate) async fn reauthorize(
        &mut self,
        stale: &Authorized,
        now: Timestamp,
    ) -> Result<Authorized, CallError> {
        let current = self.session.access_token(now).await?;
        let token = if current == stale.token {
            self.session.refresh(now).await?
        } else {
            current
        };
        Ok(self.authorized(token))
    }

    fn authorized(&self, token: String) -> Authorized {
        Authorized {
            http: self.http.clone(),
            api_base: self.api_base.clone(),
            token,
        }
    }

    /// POST /me/player/queue?uri=…: any 2xx is success, and its body is never read.
    pub async fn add_to_queue(&mut self, uri: &str, now: Timestamp) -> Result<(), CallError> {
        let base = self.api_base.clone();
        self.send(now, |http, token| queue_request(http, &base, token, uri))
            .await?;
        Ok(())
    }

    /// Sends with a fresh token, once more after a refresh on a 401; a non-2xx is classified.
    async fn send(
        &mut self,
        now: Timestamp,
        build: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, CallError> {
        let mut token = self.session.access_token(now).await?;
        for attempt in 0..2 {
            let resp = build(&self.http, &token)
                .send()
                .await
                .map_err(|e| ApiFailure::Network(e.without_url().to_string()))?;
            if resp.status().is_success() {
                return Ok(resp);
            }
            let failure = from_status(resp).await;
            if failure == ApiFailure::Unauthorized && attempt == 0 {
                token = self.session.refresh(now).await?;
                continue;
            }
            return Err(failure.into());
        }
        unreachable!("the loop returns on its second attempt")
    }
}
