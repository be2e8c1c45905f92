//! Guests' song requests: `GET /api/search?q=`, `POST /api/request {"uri":…}`, the page's
//! script, and `/recap`. Searching is the searcher's (cache, per-guest limit, Spotify's 429);
//! deciding is the core's: a request is answered once it is journaled.
use super::HttpState;
use super::body::{self, RawBody};
use super::cookies;
use super::reply::ApiError;
use super::view::{YouRequest, you_request};
use crate::core::{Input, RequestInput, Voter};
use crate::requests::search::{MAX_QUERY_CHARS, SearchError};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

const REQUESTS_JS: &str = include_str!("../../assets/requests.js");

pub(crate) fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/search", get(search))
        .route("/api/request", post(request))
        .route("/requests.js", get(script))
        .route("/recap", get(recap))
}

/// The party recap, read from the journal as it stands (the party may still be going).
async fn recap(State(st): State<HttpState>) -> Result<Response, ApiError> {
    let Some(src) = st.recap.clone() else {
        return Err(ApiError::not_found(
            "no recap here: this server has no party journal",
        ));
    };
    let page = tokio::task::spawn_blocking(move || {
        crate::report::recap::Recap::from_journal(&src.0, &src.1)
            .map(|r| crate::report::recap::html::page(&r))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| {
        tracing::warn!(error = %e, "recap failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the recap cannot be read right now",
        )
    })?;
    let mut res = axum::response::Html(page).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(res)
}

async fn script() -> Response {
    let mut res = REQUESTS_JS.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// The guest behind a request, or why they may not search or request yet.
fn guest(st: &HttpState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(id) = st.guest_id(headers) else {
        return Err(ApiError::forbidden(
            "no guest cookie: open the vote page first, then request from it",
        ));
    };
    if st
        .party_code
        .as_deref()
        .is_some_and(|code| !cookies::has_joined(headers, code))
    {
        return Err(ApiError::forbidden("enter the party code first"));
    }
    Ok(id)
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// One search hit, in the contract's shape.
#[derive(Serialize)]
struct Hit<'a> {
    uri: &'a str,
    title: &'a str,
    artist: &'a str,
    album: &'a str,
    duration_ms: Option<u64>,
    image: Option<&'a str>,
}

async fn search(
    State(st): State<HttpState>,
    headers: HeaderMap,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let id = guest(&st, &headers)?;
    // Before the query's checks: the page asks with an empty query to learn whether requests are on.
    let Some(searcher) = st.searcher.clone() else {
        return Err(no_search());
    };
    let Ok(Query(SearchQuery { q: Some(q) })) = query else {
        return Err(ApiError::bad_request("search needs ?q=<words>"));
    };
    let q = q.trim();
    if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(format!(
            "search for 1 to {MAX_QUERY_CHARS} characters"
        )));
    }
    match searcher.search(&id, q, st.clock.now()).await {
        Ok(tracks) => {
            let hits: Vec<Hit> = tracks
                .iter()
                .map(|t| Hit {
                    uri: &t.uri,
                    title: &t.title,
                    artist: &t.artist,
                    album: &t.album,
                    duration_ms: t.duration_ms,
                    image: t.image.as_deref(),
                })
                .collect();
            Ok(Json(json!({ "tracks": hits })).into_response())
        }
        Err(e @ (SearchError::Resting(d) | SearchError::TooFast(d))) => {
            let secs = d.as_secs().max(1);
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({ "error": e.to_string(), "retry_after_secs": secs })),
            )
                .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Ok(res)
        }
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            e.to_string(),
        )),
    }
}

fn no_search() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "song requests are off at this party (they need the party's Spotify login, \
         `party-tui spotify login`, and [requests] enabled)",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    uri: String,
}

async fn request(
    State(st): State<HttpState>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<YouRequestAnswer>, ApiError> {
    let id = guest(&st, &headers)?;
    let RequestBody { uri } = body::json(&bytes, r#"{"uri":"spotify:track:…"}"#)?;
    let Some(searcher) = st.searcher.clone() else {
        return Err(no_search());
    };
    if !searcher.accepts_uri(&uri) {
        return Err(ApiError::bad_request(
            "`uri` must be a track from the search, like \"spotify:track:4PTG3Z6ehGkBFwjybzWkR8\"",
        ));
    }
    // The title and artist come from the search the guest saw, never from the guest's body.
    let Some(track) = searcher.lookup(&uri) else {
        return Err(ApiError::bad_request(
            "search for the song first, then request it from the results",
        ));
    };
    let voter = Voter::guest(&id);
    let input = Input::Request(RequestInput::Ask {
        voter: voter.clone(),
        track,
    });
    // Answered once journaled: the snapshot published with it carries the request's status.
    st.inbox.submit(input).await?;
    let snap = st.snapshots.borrow().clone();
    Ok(Json(YouRequestAnswer {
        request: you_request(&snap, &voter),
    }))
}

#[derive(Serialize)]
pub(crate) struct YouRequestAnswer {
    request: Option<YouRequest>,
}
