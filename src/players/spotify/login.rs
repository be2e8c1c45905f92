//! `party-tui spotify login`: Authorization Code with PKCE, made for a headless Pi over ssh.
//! We print the authorize URL; the code comes back either through a short-lived listener on
//! 127.0.0.1 (the browser runs on the same machine) or pasted by the user (the browser runs on
//! a laptop, where 127.0.0.1 is not the Pi). Both race; the first valid redirect wins.
use super::token::{Token, TokenClient, TokenError, TokenStore};
use crate::core::Timestamp;
use crate::support::secret::Secret;
use axum::extract::{RawQuery, State};
use axum::response::Html;
use reqwest::Url;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) const SCOPES: [&str; 3] = [
    "user-read-currently-playing",
    "user-read-playback-state",
    "user-modify-playback-state",
];
/// Spotify's authorization codes live ten minutes; waiting longer is pointless.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);
pub(crate) const CALLBACK_PATH: &str = "/callback";

/// Spotify refuses `localhost` redirect URIs; the loopback address is allowed over plain http.
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(
        "you did not allow party-tui to use your Spotify account (Spotify said \"{0}\"): run \
         `party-tui spotify login` again and press Agree"
    )]
    Denied(String),
    #[error(
        "that redirect went to {got}, but this login expects {expected}: set the app's Redirect \
         URI in the Spotify developer dashboard to exactly {expected} (or change [spotify] \
         redirect_port to match), then run `party-tui spotify login` again"
    )]
    WrongRedirect { got: String, expected: String },
    #[error("that redirect belongs to another login attempt (its state does not match this one)")]
    StateMismatch,
    #[error(
        "that is not the redirect address: paste the whole address from the browser's address \
         bar, starting with {0}?code="
    )]
    NotARedirect(String),
    #[error("no redirect arrived: the terminal input closed and no browser reached the listener")]
    NoInput,
    #[error("no redirect arrived within {} minutes: run `party-tui spotify login` again", LOGIN_TIMEOUT.as_secs() / 60)]
    Timeout,
    #[error("cannot start the login: {0}")]
    Setup(String),
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl LoginError {
    /// A stray request or a bad paste: say why and keep waiting for a good one.
    fn is_fatal(&self) -> bool {
        !matches!(
            self,
            LoginError::StateMismatch | LoginError::NotARedirect(_)
        )
    }
}

/// One login attempt: its URL, and the PKCE verifier and state only it knows (the URL carries
/// the state and the challenge, so it is a secret too until the browser has it).
#[derive(Debug)]
pub struct Login {
    url: Secret<String>,
    verifier: Secret<String>,
    state: Secret<String>,
    redirect_uri: String,
}

impl Login {
    /// rspotify builds the authorize URL and generates the verifier, challenge and state.
    pub fn start(
        client_id: &str,
        redirect_uri: &str,
        auth_base_url: &str,
    ) -> Result<Login, LoginError> {
        use rspotify::{AuthCodePkceSpotify, Config, Credentials, OAuth};
        let oauth = OAuth {
            redirect_uri: redirect_uri.to_string(),
            scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let config = Config {
            auth_base_url: auth_base_url.to_string(),
            ..Default::default()
        };
        let mut spotify =
            AuthCodePkceSpotify::with_config(Credentials::new_pkce(client_id), oauth, config);
        let url = spotify
            .get_authorize_url(None)
            .map_err(|e| LoginError::Setup(e.to_string()))?;
        let verifier = spotify
            .verifier
            .clone()
            .ok_or_else(|| LoginError::Setup("rspotify made no PKCE verifier".into()))?;
        Ok(Login {
            url: Secret::new(url),
            verifier: Secret::new(verifier),
            state: Secret::new(spotify.oauth.state.clone()),
            redirect_uri: redirect_uri.to_string(),
        })
    }

    pub fn url(&self) -> &str {
        self.url.expose()
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The code in a redirect, checked against this attempt's redirect URI and state.
    pub(crate) fn code_from_redirect(&self, text: &str) -> Result<String, LoginError> {
        parse_redirect(text.trim(), &self.redirect_uri, self.state.expose())
    }

    /// Wait for the redirect (listener or paste), exchange the code, save the token.
    pub async fn complete<R: AsyncBufRead + Unpin>(
        &self,
        listener: Option<TcpListener>,
        paste: R,
        say: &(dyn Fn(String) + Sync),
        tokens: &TokenClient,
        store: &TokenStore,
        now: impl Fn() -> Timestamp,
    ) -> Result<Token, LoginError> {
        let code = tokio::time::timeout(LOGIN_TIMEOUT, self.wait_for_code(listener, paste, say))
            .await
            .map_err(|_| LoginError::Timeout)??;
        let token = tokens
            .exchange_code(&code, self.verifier.expose(), &self.redirect_uri, now())
            .await?;
        store.save(&token)?;
        Ok(token)
    }

    async fn wait_for_code<R: AsyncBufRead + Unpin>(
        &self,
        listener: Option<TcpListener>,
        mut paste: R,
        say: &(dyn Fn(String) + Sync),
    ) -> Result<String, LoginError> {
        let stop = CancellationToken::new();
        let _stop_listener = stop.clone().drop_guard();
        let (tx, mut from_browser) = mpsc::channel(4);
        let listening = listener.is_some();
        if let Some(listener) = listener {
            tokio::spawn(serve_callback(listener, self.check(), tx, stop.clone()));
        }
        let mut line = String::new();
        let mut stdin_open = true;
        loop {
            tokio::select! {
                Some(result) = from_browser.recv() => match result {
                    Ok(code) => return Ok(code),
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(e) => say(format!("ignored a request to the listener: {e}")),
                },
                read = paste.read_line(&mut line), if stdin_open => {
                    match read {
                        Ok(0) | Err(_) => {
                            stdin_open = false;
                            if !listening {
                                return Err(LoginError::NoInput);
                            }
                        }
                        Ok(_) if line.trim().is_empty() => {}
                        Ok(_) => match self.code_from_redirect(&line) {
                            Ok(code) => return Ok(code),
                            Err(e) if e.is_fatal() => return Err(e),
                            Err(e) => say(format!("{e}; try again")),
                        },
                    }
                    line.clear();
                }
                else => return Err(LoginError::NoInput),
            }
        }
    }

    fn check(&self) -> Check {
        Check {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.expose().clone(),
        }
    }
}

#[derive(Clone)]
struct Check {
    redirect_uri: String,
    state: String,
}

type CallbackState = (Check, mpsc::Sender<Result<String, LoginError>>);

/// The listener lives only as long as the login waits (the drop guard above stops it).
async fn serve_callback(
    listener: TcpListener,
    check: Check,
    tx: mpsc::Sender<Result<String, LoginError>>,
    stop: CancellationToken,
) {
    let app = axum::Router::new()
        .route(CALLBACK_PATH, axum::routing::get(callback))
        .with_state((check, tx));
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await;
}

async fn callback(
    State((check, tx)): State<CallbackState>,
    RawQuery(query): RawQuery,
) -> (axum::http::StatusCode, Html<String>) {
    let full = format!("{}?{}", check.redirect_uri, query.unwrap_or_default());
    let result = parse_redirect(&full, &check.redirect_uri, &check.state);
    let page = match &result {
        Ok(_) => (
            axum::http::StatusCode::OK,
            "party-tui is logged in to Spotify. You can close this tab.".to_string(),
        ),
        Err(e) => (
            axum::http::StatusCode::BAD_REQUEST,
            format!("party-tui: {e}"),
        ),
    };
    let _ = tx.send(result).await;
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>party-tui</title><p>{}</p>",
        html_escape(&page.1)
    );
    (page.0, Html(body))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn parse_redirect(text: &str, expected: &str, state: &str) -> Result<String, LoginError> {
    let not_redirect = || LoginError::NotARedirect(expected.to_string());
    let url = Url::parse(text).map_err(|_| not_redirect())?;
    let want = Url::parse(expected).map_err(|_| not_redirect())?;
    let same_place = url.scheme() == want.scheme()
        && url.host_str() == want.host_str()
        && url.port_or_known_default() == want.port_or_known_default()
        && url.path() == want.path();
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if !same_place {
        // Only a redirect from Spotify carries a code or an error; anything else is a bad paste.
        if param("code").is_none() && param("error").is_none() {
            return Err(not_redirect());
        }
        let mut got = url.clone();
        got.set_query(None);
        return Err(LoginError::WrongRedirect {
            got: got.to_string(),
            expected: expected.to_string(),
        });
    }
    if param("state").as_deref() != Some(state) {
        return Err(LoginError::StateMismatch);
    }
    if let Some(error) = param("error") {
        return Err(LoginError::Denied(error));
    }
    param("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(not_redirect)
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
