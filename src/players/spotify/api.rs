//! The two Web API calls the watcher makes, through rspotify, with failures sorted into what
//! the watcher does next (refresh, wait Retry-After, back off, tell the host).
use rspotify::clients::OAuthClient;
use rspotify::model::{AdditionalType, CurrentPlaybackContext};
use rspotify::{AuthCodePkceSpotify, ClientError, Config, Credentials, OAuth};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiFailure {
    #[error("401: the access token was refused")]
    Unauthorized,
    #[error("429: rate limited for {}", super::schedule::human(*.0))]
    RateLimited(Duration),
    #[error("{0}: Spotify had a problem")]
    Server(u16),
    #[error("no answer: {0}")]
    Network(String),
    /// 403, 404 and the like, with Spotify's reason (PREMIUM_REQUIRED, NO_ACTIVE_DEVICE, …).
    #[error("{status} {}: {message}", reason.as_deref().unwrap_or("refused"))]
    Refused {
        status: u16,
        reason: Option<String>,
        message: String,
    },
    #[error("unreadable answer: {0}")]
    Unreadable(String),
}

impl ApiFailure {
    pub(crate) fn reason(&self) -> Option<&str> {
        match self {
            ApiFailure::Refused { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }
}

/// How much of what Spotify said we keep: it reaches guests' phones, the log and the journal,
/// and a proxy or a broken server may answer with a page of text.
pub const MAX_MESSAGE_CHARS: usize = 200;

/// Spotify's error object: `{"error": {"status": 403, "message": "…", "reason": "…"}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    message: String,
    reason: Option<String>,
}

pub(crate) struct Api {
    spotify: AuthCodePkceSpotify,
    /// For the calls rspotify would parse a body of (add to queue).
    http: reqwest::Client,
}

impl Api {
    pub(crate) fn new(client_id: &str, api_base_url: &str, auth_base_url: &str) -> Self {
        let config = Config {
            api_base_url: api_base_url.to_string(),
            auth_base_url: auth_base_url.to_string(),
            // Our token module refreshes and persists; rspotify only carries the access token.
            token_refreshing: false,
            token_cached: false,
            ..Default::default()
        };
        Api {
            spotify: AuthCodePkceSpotify::with_config(
                Credentials::new_pkce(client_id),
                OAuth::default(),
                config,
            ),
            // Bounded like rspotify's own calls: the watcher awaits this inline, so a queue
            // POST stalled on the Pi's Wi-Fi would otherwise stop polling and skips with it.
            http: crate::support::http_client::HttpClient::timeout(super::requests::CALL_TIMEOUT)
                .build(),
        }
    }

    /// POST /me/player/queue?uri=… for a guest's request (any 2xx is success).
    pub(crate) async fn add_to_queue(&self, uri: &str) -> Result<(), ApiFailure> {
        let token = match self.spotify.token.lock().await {
            Ok(slot) => slot.as_ref().map(|t| t.access_token.clone()),
            Err(_) => None,
        }
        .unwrap_or_default();
        let base = &self.spotify.config.api_base_url;
        super::requests::post_queue(&self.http, base, &token, uri).await
    }

    pub(crate) async fn use_token(&self, access_token: &str) {
        let token = rspotify::Token {
            access_token: access_token.to_string(),
            ..Default::default()
        };
        if let Ok(mut slot) = self.spotify.token.lock().await {
            *slot = Some(token);
        }
    }

    /// GET /me/player (tracks and episodes). Ok(None) is 204: nothing plays anywhere.
    pub(crate) async fn playback(&self) -> Result<Option<CurrentPlaybackContext>, ApiFailure> {
        let types = [AdditionalType::Track, AdditionalType::Episode];
        match self
            .spotify
            .current_playback(None, Some(types.iter()))
            .await
        {
            Ok(ctx) => Ok(ctx),
            Err(e) => Err(classify(e).await),
        }
    }

    /// POST /me/player/next on the active device.
    pub(crate) async fn next(&self) -> Result<(), ApiFailure> {
        match self.spotify.next_track(None).await {
            Ok(()) => Ok(()),
            Err(e) => Err(classify(e).await),
        }
    }
}

impl Api {
    /// POST /me/player/previous on the active device.
    pub(crate) async fn previous(&self) -> Result<(), ApiFailure> {
        match self.spotify.previous_track(None).await {
            Ok(()) => Ok(()),
            Err(e) => Err(classify(e).await),
        }
    }
}

async fn classify(e: ClientError) -> ApiFailure {
    use rspotify::http::HttpError;
    match e {
        ClientError::Http(http) => match *http {
            HttpError::StatusCode(resp) => from_status(resp).await,
            // The reqwest error's text names the URL but never the Authorization header.
            HttpError::Client(e) => ApiFailure::Network(e.without_url().to_string()),
        },
        ClientError::ParseJson(e) => ApiFailure::Unreadable(e.to_string()),
        other => ApiFailure::Network(other.to_string()),
    }
}

pub(super) async fn from_status(resp: reqwest::Response) -> ApiFailure {
    let status = resp.status().as_u16();
    if status == 429 {
        let ra = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        return ApiFailure::RateLimited(super::schedule::parse_retry_after(ra));
    }
    if status == 401 {
        return ApiFailure::Unauthorized;
    }
    if status >= 500 {
        return ApiFailure::Server(status);
    }
    let body = resp.bytes().await.unwrap_or_default();
    refusal(status, &body)
}

/// A 4xx (other than 401 and 429) and its body: Spotify's reason and message when the body is
/// its error object, else the start of the body as it came; either cut to
/// `MAX_MESSAGE_CHARS` characters (on a char boundary).
pub fn refusal(status: u16, body: &[u8]) -> ApiFailure {
    let cut = |text: &str| text.chars().take(MAX_MESSAGE_CHARS).collect::<String>();
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => ApiFailure::Refused {
            status,
            reason: b.error.reason.as_deref().map(cut),
            message: cut(&b.error.message),
        },
        Err(_) => ApiFailure::Refused {
            status,
            reason: None,
            message: cut(&String::from_utf8_lossy(body)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(f: &ApiFailure) -> &str {
        match f {
            ApiFailure::Refused { message, .. } => message,
            other => panic!("not a refusal: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_call_to_a_speechless_server_gives_up() {
        // Accepts the connection and never answers (a half-dead link).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                open.push(s);
            }
        });
        let api = Api::new("client", &base, &base);
        let outcome = tokio::time::timeout(
            Duration::from_secs(60),
            api.add_to_queue("spotify:track:4PTG3Z6ehGkBFwjybzWkR8"),
        )
        .await
        .expect("the call gives up by itself, well before a minute");
        assert!(
            matches!(outcome, Err(ApiFailure::Network(_))),
            "{outcome:?}"
        );
    }

    #[test]
    fn spotify_error_objects_keep_reason_and_message() {
        let body = br#"{"error": {"status": 403, "message": "Player command failed: Premium required", "reason": "PREMIUM_REQUIRED"}}"#;
        let f = refusal(403, body);
        assert_eq!(f.reason(), Some("PREMIUM_REQUIRED"));
        assert_eq!(message(&f), "Player command failed: Premium required");
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary_json_or_not() {
        // Multi-byte characters, so a byte cut would split one.
        let long = "é🎵".repeat(300);
        let json = serde_json::json!({"error": {"status": 404, "message": long, "reason": long}});
        let from_json = refusal(404, json.to_string().as_bytes());
        let from_text = refusal(404, long.as_bytes());
        let want: String = long.chars().take(MAX_MESSAGE_CHARS).collect();
        assert_eq!(message(&from_json), want);
        assert_eq!(message(&from_text), want);
        assert_eq!(from_json.reason(), Some(want.as_str()));
        assert_eq!(message(&from_json).chars().count(), MAX_MESSAGE_CHARS);
    }
}
