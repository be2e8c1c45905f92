//! A fake Spotify on 127.0.0.1: the Web API's GET /v1/me/player and POST /v1/me/player/next,
//! and the accounts service's /authorize and /api/token, with scripted answers and a record of
//! every request. Playback comes from `Sim` unless a scripted reply is queued.
use super::sim::Sim;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A scripted answer, used once, before the simulation answers again.
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    /// A player error object with Spotify's reason (PREMIUM_REQUIRED, NO_ACTIVE_DEVICE).
    Refused(u16, &'static str),
    RateLimited {
        retry_after: u64,
    },
    NoContent,
    Body(Value),
    /// 200 with a short opaque text body, as player commands have answered since 2024.
    Text(&'static str),
    /// A status with this exact body (recorded error bodies).
    Raw(u16, String),
}

#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
}

pub struct FakeState {
    pub sim: Sim,
    pub player_script: VecDeque<Reply>,
    pub next_script: VecDeque<Reply>,
    pub token_script: VecDeque<Reply>,
    pub requests: Vec<Seen>,
    /// Every answer takes this long (tokio time).
    pub latency: Duration,
    pub access_tokens: HashSet<String>,
    /// Single-use, like PKCE refresh tokens.
    pub refresh_tokens: HashSet<String>,
    pub codes: HashMap<String, String>,
    pub registered_redirect: String,
    pub deny_consent: bool,
    pub expires_in: u64,
    /// Answers to GET /v1/search before the catalogue answers.
    pub search_script: VecDeque<Reply>,
    /// When set, a search that has arrived waits for a permit before it answers (a test holds
    /// one search at Spotify while it sends another).
    pub search_hold: Option<Arc<tokio::sync::Semaphore>>,
    /// Signalled when a search arrives.
    pub search_arrived: Arc<tokio::sync::Notify>,
    /// Answers to POST /v1/me/player/queue (default: 204).
    pub queue_script: VecDeque<Reply>,
    /// The catalogue search finds tracks in (see `search.rs`).
    pub catalogue: Vec<super::search::CatalogueTrack>,
    /// URIs accepted into the queue, in order.
    pub queued: Vec<String>,
    issued: u32,
    codes_made: u32,
}

#[derive(Clone)]
pub struct Fake {
    pub base: String,
    pub state: Arc<Mutex<FakeState>>,
    stop: CancellationToken,
}

impl Fake {
    pub async fn start(sim: Sim) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(FakeState {
            sim,
            player_script: VecDeque::new(),
            next_script: VecDeque::new(),
            token_script: VecDeque::new(),
            requests: Vec::new(),
            latency: Duration::from_millis(120),
            access_tokens: HashSet::new(),
            refresh_tokens: HashSet::new(),
            codes: HashMap::new(),
            registered_redirect: String::new(),
            deny_consent: false,
            expires_in: 3600,
            search_script: VecDeque::new(),
            search_hold: None,
            search_arrived: Arc::new(tokio::sync::Notify::new()),
            queue_script: VecDeque::new(),
            catalogue: super::search::catalogue(),
            queued: Vec::new(),
            issued: 0,
            codes_made: 0,
        }));
        let app = axum::Router::new()
            .route("/v1/me/player", get(player))
            .route("/v1/me/player/next", post(next))
            .route("/v1/search", get(super::search::search))
            .route("/v1/me/player/queue", post(super::search::queue))
            .route("/authorize", get(authorize))
            .route("/api/token", post(token))
            .with_state(state.clone());
        let stop = CancellationToken::new();
        let s = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(s.cancelled_owned())
                .await
                .unwrap()
        });
        Fake { base, state, stop }
    }

    pub fn api_base(&self) -> String {
        format!("{}/v1/", self.base)
    }

    pub fn auth_base(&self) -> String {
        format!("{}/", self.base)
    }

    /// A login as if `party-tui spotify login` had run: (access, refresh).
    pub fn issue(&self) -> (String, String) {
        issue(&mut self.state.lock().unwrap())
    }

    pub fn requests(&self, method: &str, path: &str) -> Vec<Instant> {
        let st = self.state.lock().unwrap();
        st.requests
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .map(|r| r.at)
            .collect()
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn stop(&self) {
        self.stop.cancel();
    }
}

fn issue(st: &mut FakeState) -> (String, String) {
    st.issued += 1;
    let (a, r) = (
        format!("BQ-access-{}", st.issued),
        format!("AQ-refresh-{}", st.issued),
    );
    st.access_tokens.insert(a.clone());
    st.refresh_tokens.insert(r.clone());
    (a, r)
}

pub(super) type Shared = State<Arc<Mutex<FakeState>>>;

/// Record the request, wait the latency, and check the bearer token.
pub(super) async fn arrive(
    st: &Arc<Mutex<FakeState>>,
    method: &str,
    path: &str,
    h: &HeaderMap,
) -> bool {
    let latency = {
        let mut s = st.lock().unwrap();
        let seen = Seen {
            at: Instant::now(),
            method: method.into(),
            path: path.into(),
        };
        s.requests.push(seen);
        s.latency
    };
    tokio::time::sleep(latency).await;
    let bearer = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    st.lock().unwrap().access_tokens.contains(&bearer)
}

pub(super) fn reply(r: Reply) -> Response {
    let error = |status: u16, reason: Option<&str>| {
        let mut e = json!({"status": status, "message": format!("fake error {status}")});
        if let Some(reason) = reason {
            e["reason"] = json!(reason);
        }
        (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(json!({"error": e})),
        )
            .into_response()
    };
    match r {
        Reply::Status(s) => error(s, None),
        Reply::Refused(s, reason) => error(s, Some(reason)),
        Reply::RateLimited { retry_after } => {
            let mut resp = error(429, None);
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after.to_string().parse().unwrap(),
            );
            resp
        }
        Reply::NoContent => StatusCode::NO_CONTENT.into_response(),
        Reply::Body(v) => axum::Json(v).into_response(),
        Reply::Text(t) => (StatusCode::OK, t).into_response(),
        Reply::Raw(status, body) => (
            StatusCode::from_u16(status).unwrap(),
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response(),
    }
}

fn expired() -> Response {
    reply(Reply::Status(401))
}

async fn player(State(st): Shared, h: HeaderMap) -> Response {
    if !arrive(&st, "GET", "/v1/me/player", &h).await {
        return expired();
    }
    let mut s = st.lock().unwrap();
    if let Some(r) = s.player_script.pop_front() {
        return reply(r);
    }
    match s.sim.render(Instant::now()) {
        Some(body) => reply(Reply::Body(body)),
        None => reply(Reply::NoContent),
    }
}

async fn next(State(st): Shared, h: HeaderMap) -> Response {
    if !arrive(&st, "POST", "/v1/me/player/next", &h).await {
        return expired();
    }
    let mut s = st.lock().unwrap();
    if let Some(r) = s.next_script.pop_front() {
        return reply(r);
    }
    s.sim.skip(Instant::now());
    StatusCode::NO_CONTENT.into_response()
}

/// The consent page, already agreed to (or declined): straight to the redirect URI.
async fn authorize(State(st): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut s = st.lock().unwrap();
    let redirect = &q["redirect_uri"];
    let state = &q["state"];
    let location = if s.deny_consent {
        format!("{redirect}?error=access_denied&state={state}")
    } else {
        s.codes_made += 1;
        let code = format!("code-{}", s.codes_made);
        s.codes.insert(code.clone(), q["code_challenge"].clone());
        format!("{redirect}?code={code}&state={state}")
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn token(State(st): Shared, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut s = st.lock().unwrap();
    s.requests.push(Seen {
        at: Instant::now(),
        method: "POST".into(),
        path: "/api/token".into(),
    });
    if let Some(r) = s.token_script.pop_front() {
        return reply(r);
    }
    let oauth_error = |error: &str, description: &str| {
        let body = json!({"error": error, "error_description": description});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    };
    if f.get("client_id").map(String::as_str) != Some("fake-client") {
        return oauth_error("invalid_client", "Invalid client");
    }
    match f.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let Some(challenge) = s.codes.remove(&f["code"]) else {
                return oauth_error("invalid_grant", "Invalid authorization code");
            };
            if f["redirect_uri"] != s.registered_redirect {
                return oauth_error("invalid_grant", "Invalid redirect URI");
            }
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            // PKCE: a verifier of 43+ characters that is not the challenge itself.
            if verifier.len() < 43 || verifier == challenge {
                return oauth_error("invalid_grant", "code_verifier was incorrect");
            }
        }
        Some("refresh_token") => {
            if !s.refresh_tokens.remove(&f["refresh_token"]) {
                return oauth_error("invalid_grant", "Refresh token revoked");
            }
        }
        _ => return oauth_error("unsupported_grant_type", "grant_type"),
    }
    let (access, refresh) = issue(&mut s);
    let body = json!({"access_token": access, "token_type": "Bearer", "expires_in": s.expires_in,
                      "refresh_token": refresh,
                      "scope": "user-read-currently-playing user-read-playback-state user-modify-playback-state"});
    axum::Json(body).into_response()
}
