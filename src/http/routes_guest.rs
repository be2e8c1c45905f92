//! The guests' side: the vote page, the party state (JSON and live events), votes, party code.
use super::HttpState;
use super::body::{self, RawBody};
use super::client::ClientIp;
use super::cookies;
use super::reply::{ApiError, PressAnswer, press_answer};
use super::view::{StateView, state_view};
use crate::core::{Action, Input, Origin, Press, PressKind, Voter};
use axum::extract::{Extension, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const VOTE_PAGE: &str = include_str!("../../assets/vote.html");
/// At most this many events per second per stream: a busy demo changes state far more often
/// than a phone needs to redraw.
pub(super) const EVENTS_MIN_INTERVAL: Duration = Duration::from_millis(250);
/// Comment lines that keep proxies and the idle timeout from closing a quiet stream.
pub(super) const EVENTS_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long EventSource waits before reconnecting after the stream drops.
const EVENTS_RETRY: Duration = Duration::from_secs(2);

pub(crate) fn routes() -> Router<HttpState> {
    Router::new()
        .route("/", get(page))
        .route("/api/state", get(state))
        .route("/api/events", get(events))
        .route("/api/vote", post(vote))
        .route("/api/join", post(join))
}

/// The guest from the cookie, if it is one we issued.
fn known_guest(st: &HttpState, headers: &HeaderMap) -> Option<Voter> {
    st.guest_id(headers).as_deref().map(Voter::guest)
}

/// The guest from the cookie, or a new guest with the cookie to set, or no guest at all when
/// this client address has had its share of new guests (it can still watch, not vote). Only
/// the page mints: a phone always opens it first, and a script polling the state must not use
/// up its address's new guests.
fn guest(
    st: &HttpState,
    headers: &HeaderMap,
    ip: Option<Extension<ClientIp>>,
) -> Option<HeaderValue> {
    if st.guest_id(headers).is_some() {
        return None;
    }
    if let (Some(minter), Some(Extension(ClientIp(ip)))) = (st.minter.as_deref(), ip)
        && minter.check(ip, tokio::time::Instant::now()).is_err()
    {
        tracing::debug!(%ip, "no new guest: this address had its share");
        return None;
    }
    let (_, value) = st.guest_key.issue();
    Some(cookies::guest_set_cookie(&value))
}

fn with_cookie(mut res: Response, set: Option<HeaderValue>) -> Response {
    if let Some(v) = set {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn code_required(st: &HttpState, headers: &HeaderMap) -> bool {
    st.party_code
        .as_deref()
        .is_some_and(|code| !cookies::has_joined(headers, code))
}

fn current_view(st: &HttpState, voter: Option<&Voter>, code_required: bool) -> StateView {
    let snap = st.snapshots.borrow().clone();
    for_guests(st, state_view(&snap, st.clock.now(), voter, code_required))
}

/// What the server adds to the core's view: the party's name and who is connected.
fn for_guests(st: &HttpState, mut view: StateView) -> StateView {
    if let Some(name) = &st.party_name {
        view.party = name.to_string();
    }
    view.guests.connected = st.connected.load(Ordering::Relaxed) as u64;
    view
}

/// Counts an open live stream while it lives.
struct Connected(std::sync::Arc<AtomicUsize>);

impl Connected {
    fn new(count: &std::sync::Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Connected(count.clone())
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn page(
    State(st): State<HttpState>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
) -> Response {
    let set = guest(&st, &headers, ip);
    let mut res = Html(VOTE_PAGE).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_cookie(res, set)
}

async fn state(State(st): State<HttpState>, headers: HeaderMap) -> Response {
    let voter = known_guest(&st, &headers);
    Json(current_view(
        &st,
        voter.as_ref(),
        code_required(&st, &headers),
    ))
    .into_response()
}

async fn events(State(st): State<HttpState>, headers: HeaderMap) -> Response {
    let voter = known_guest(&st, &headers);
    let needs_code = code_required(&st, &headers);
    let mut rx = st.snapshots.clone();
    rx.mark_changed();
    let stop = st.shutdown.clone();
    let here = Connected::new(&st.connected);
    let stream = futures::stream::unfold((rx, st, true, here), move |(mut rx, st, first, here)| {
        let voter = voter.clone();
        async move {
            if !first {
                tokio::time::sleep(EVENTS_MIN_INTERVAL).await;
            }
            // The watch keeps only the latest snapshot: a slow phone skips states, never lags.
            rx.changed().await.ok()?;
            let snap = rx.borrow_and_update().clone();
            let json = st.guest_views.guest_json(
                &snap,
                || st.clock.now(),
                |view| for_guests(&st, view),
                voter.as_ref(),
                needs_code,
            );
            let mut event = Event::default().event("state").data(json);
            if first {
                event = event.retry(EVENTS_RETRY);
            }
            Some((Ok::<_, Infallible>(event), (rx, st, false, here)))
        }
    })
    .take_until(stop.cancelled_owned());
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(EVENTS_KEEP_ALIVE))
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteBody {
    vote: VoteKind,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum VoteKind {
    Like,
    Skip,
}

async fn vote(State(st): State<HttpState>, req: Request) -> Result<Json<PressAnswer>, ApiError> {
    // The headers are read in place (the `HeaderMap` extractor would copy them for every vote).
    let headers = req.headers();
    // Minting a guest here would let a client without a cookie jar vote without limit, and a
    // cookie we did not sign is a guest someone made up.
    let Some(id) = st.guest_id(headers) else {
        return Err(ApiError::forbidden(
            if cookies::guest_cookie(headers).is_some() {
                "this guest cookie was not issued by this party: reload the vote page"
            } else {
                "no guest cookie: open the vote page first, then vote from it (each address gets only a few new guests per hour)"
            },
        ));
    };
    if code_required(&st, headers) {
        return Err(ApiError::forbidden(
            "enter the party code first (POST /api/join {\"code\":\"...\"})",
        ));
    }
    let RawBody(bytes) = RawBody::from_request(req, &()).await?;
    let VoteBody { vote } = body::json(&bytes, r#"{"vote":"like"} or {"vote":"skip"}"#)?;
    let action = match vote {
        VoteKind::Like => Action::Like,
        VoteKind::Skip => Action::Skip,
    };
    let voter = Voter::guest(&id);
    let input = Input::Press(Press {
        voter: voter.clone(),
        origin: Origin::Phone,
        kind: PressKind::Vote(action),
        battery: None,
    });
    // submit returns once the vote is in the journal: only then is a 2xx honest.
    let effects = st.inbox.submit(input).await?;
    Ok(Json(press_answer(&effects, &voter)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    code: String,
}

async fn join(
    State(st): State<HttpState>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Response, ApiError> {
    let JoinBody { code } = body::json(&bytes, r#"{"code":"..."}"#)?;
    let set = guest(&st, &headers, ip);
    let Some(expected) = st.party_code.as_deref() else {
        // No code configured: everyone is in.
        return Ok(with_cookie(
            Json(serde_json::json!({"joined": true})).into_response(),
            set,
        ));
    };
    // Phones capitalise the first letter and keyboards add spaces: neither makes a code wrong.
    if !super::guard::ct_eq(
        code.trim().to_lowercase().as_bytes(),
        expected.trim().to_lowercase().as_bytes(),
    ) {
        return Err(ApiError::forbidden("wrong party code"));
    }
    let mut res = with_cookie(
        Json(serde_json::json!({"joined": true})).into_response(),
        set,
    );
    res.headers_mut()
        .append(header::SET_COOKIE, cookies::join_set_cookie(expected));
    Ok(res)
}
