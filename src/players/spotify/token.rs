//! The Spotify token: exchanged and refreshed here with reqwest, kept in a 0600 file.
//!
//! Why not rspotify's own refresh and cache: PKCE refresh tokens are single-use, so every
//! refresh must reach the disk before the new access token is used, and rspotify writes its
//! cache with the default (world-readable) mode, derives a Debug that prints the secrets, and
//! judges expiry by the wall clock rather than our injected one. rspotify still builds the
//! authorize URL and makes the Web API calls.
use crate::core::Timestamp;
use crate::support::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Refresh this long before the access token expires, so a poll never races the expiry.
pub(crate) const REFRESH_AHEAD: Duration = Duration::from_secs(60);
/// Token requests are small; a slow accounts service should not hang a poll.
pub(crate) const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const TOKEN_FILE: &str = "spotify_token.json";
pub(crate) const LOGIN_AGAIN: &str = "run `party-tui spotify login` again";

/// Secrets never reach a log line, even through `{:?}`: the two tokens are `Secret`s (the
/// token file's format is unchanged, a `Secret` serializes as its bare value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub access_token: Secret<String>,
    pub refresh_token: Secret<String>,
    /// Unix milliseconds.
    pub expires_at: Timestamp,
    #[serde(default)]
    pub scope: String,
}

impl Token {
    pub(crate) fn needs_refresh(&self, now: Timestamp) -> bool {
        now + REFRESH_AHEAD >= self.expires_at
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("Spotify no longer accepts the saved login ({0}): {LOGIN_AGAIN}")]
    LoginExpired(String),
    #[error(
        "Spotify says the redirect URI does not match: add exactly {0} to your app's Redirect URIs \
         in the Spotify developer dashboard (or set [spotify] redirect_port), then {LOGIN_AGAIN}"
    )]
    RedirectMismatch(String),
    #[error(
        "Spotify does not know this client id: copy the Client ID of your app in the Spotify \
         developer dashboard into [spotify] client_id or SPOTIFY_CLIENT_ID"
    )]
    InvalidClient,
    #[error("Spotify refused the code ({0}): {LOGIN_AGAIN}")]
    Rejected(String),
    #[error("Spotify's accounts service asks us to wait {} (rate limit)", super::schedule::human(*.0))]
    RateLimited(Duration),
    #[error("Spotify's accounts service answered {0}")]
    Server(u16),
    #[error("cannot reach Spotify's accounts service: {0}")]
    Network(String),
    #[error("cannot keep the Spotify login in {path}: {error}")]
    Store {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl TokenError {
    /// Worth retrying later with the same refresh token (the others need the user).
    pub(crate) fn is_transient(&self) -> bool {
        matches!(
            self,
            TokenError::RateLimited(_) | TokenError::Server(_) | TokenError::Network(_)
        )
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
    refresh_token: Option<String>,
    #[serde(default)]
    scope: String,
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// The accounts service's token endpoint.
#[derive(Clone, Debug)]
pub struct TokenClient {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
}

impl TokenClient {
    pub fn new(auth_base_url: &str, client_id: &str) -> Self {
        let base = auth_base_url.trim_end_matches('/');
        TokenClient {
            http: crate::support::http_client::HttpClient::timeout(TOKEN_TIMEOUT).build(),
            token_url: format!("{base}/api/token"),
            client_id: client_id.to_string(),
        }
    }

    /// The login's last step: the code from the redirect and the PKCE verifier.
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        now: Timestamp,
    ) -> Result<Token, TokenError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.client_id.as_str()),
            ("code_verifier", verifier),
        ];
        self.request(&form, None, now).await.map_err(|e| match e {
            TokenError::LoginExpired(why) if why.contains("redirect") => {
                TokenError::RedirectMismatch(redirect_uri.to_string())
            }
            TokenError::LoginExpired(why) => TokenError::Rejected(why),
            other => other,
        })
    }

    /// A new access token; Spotify rotates the refresh token too (the old one is now spent).
    pub async fn refresh(&self, refresh_token: &str, now: Timestamp) -> Result<Token, TokenError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.client_id.as_str()),
        ];
        self.request(&form, Some(refresh_token), now).await
    }

    async fn request(
        &self,
        form: &[(&str, &str)],
        old_refresh: Option<&str>,
        now: Timestamp,
    ) -> Result<Token, TokenError> {
        let resp = self
            .http
            .post(&self.token_url)
            .form(form)
            .send()
            .await
            .map_err(|e| TokenError::Network(e.without_url().to_string()))?;
        let status = resp.status();
        if status.as_u16() == 429 {
            let ra = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok());
            return Err(TokenError::RateLimited(super::schedule::parse_retry_after(
                ra,
            )));
        }
        if status.is_server_error() {
            return Err(TokenError::Server(status.as_u16()));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| TokenError::Network(e.without_url().to_string()))?;
        if !status.is_success() {
            let err: OAuthError = serde_json::from_slice(&body).map_err(|_| {
                TokenError::Rejected(format!("HTTP {} without an OAuth error", status.as_u16()))
            })?;
            return Err(match err.error.as_str() {
                "invalid_client" => TokenError::InvalidClient,
                _ => TokenError::LoginExpired(describe(&err)),
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| TokenError::Rejected(format!("unreadable token answer: {e}")))?;
        // Spotify may leave the refresh token out when it does not rotate it: keep the old one.
        let refresh_token = match (answer.refresh_token, old_refresh) {
            (Some(r), _) => r,
            (None, Some(old)) => old.to_string(),
            (None, None) => {
                return Err(TokenError::Rejected(
                    "the answer has no refresh token".into(),
                ));
            }
        };
        Ok(Token {
            access_token: answer.access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at: now + Duration::from_secs(answer.expires_in),
            scope: answer.scope,
        })
    }
}

fn describe(err: &OAuthError) -> String {
    if err.error_description.is_empty() {
        err.error.clone()
    } else {
        format!("{}: {}", err.error, err.error_description)
    }
}

/// The token file: written whole to a 0600 temporary file, synced, then renamed over the old
/// one, so a crash mid-write never loses the only valid refresh token.
#[derive(Clone, Debug)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TokenStore { path: path.into() }
    }

    /// `<config dir>/spotify_token.json`.
    pub(crate) fn default_path() -> anyhow::Result<PathBuf> {
        Ok(crate::support::paths::default_config_dir()?.join(TOKEN_FILE))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// None when nobody has logged in yet.
    pub fn load(&self) -> Result<Option<Token>, TokenError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.err(error)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| self.err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
    }

    pub fn save(&self, token: &Token) -> Result<(), TokenError> {
        self.write(token).map_err(|e| self.err(e))
    }

    fn write(&self, token: &Token) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(token).map_err(std::io::Error::other)?;
        crate::support::atomic_file::write_private(&self.path, &bytes)
    }

    fn err(&self, error: std::io::Error) -> TokenError {
        TokenError::Store {
            path: self.path.clone(),
            error,
        }
    }
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
