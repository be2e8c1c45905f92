//! The host's phone remote: `/host` (the party view plus the host's controls), its sign-in by
//! one-time link (`/h/<ticket>`), and its API. Commands from here are journaled as given by
//! the host page, like the keyboard's are by the host.
use super::HttpState;
use super::admin::{authorize, parse_command};
use super::body::RawBody;
use super::host_auth::{self, HOST_COOKIE};
use super::reply::ApiError;
use crate::core::{CommandSource, HealthLevel, Input};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

const HOST_PAGE: &str = include_str!("../../assets/host.html");

pub(crate) fn routes() -> Router<HttpState> {
    Router::new()
        .route("/host", get(page))
        .route("/h/{ticket}", get(sign_in))
        .route("/api/host/info", get(info))
        .route("/api/host/signout", post(sign_out))
        .route("/api/host/{command}", post(command))
        .route("/api/admin/host-link", post(new_link))
        .route("/api/admin/host-signout", post(revoke))
}

/// The host page's cookie holds a session for the current party (see host_auth).
fn signed_in(st: &HttpState, headers: &HeaderMap) -> bool {
    let party = st.snapshots.borrow().party.clone();
    super::cookies::cookie(headers, HOST_COOKIE)
        .is_some_and(|v| st.host_sessions.check(st.admin_token.expose(), v, &party))
}

/// Who is asking: the host's phone (cookie) or a script with the admin token.
fn host_source(st: &HttpState, headers: &HeaderMap) -> Result<CommandSource, ApiError> {
    if signed_in(st, headers) {
        return Ok(CommandSource::HostPage);
    }
    if headers.contains_key(header::AUTHORIZATION) {
        authorize(st, headers)?;
        return Ok(CommandSource::Host);
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "not signed in as the host: press h on the dashboard and scan the code, or run `party-tui host-link` on the Pi",
    ))
}

fn no_cache(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn page(State(st): State<HttpState>, headers: HeaderMap) -> Response {
    if signed_in(&st, &headers) {
        return no_cache(Html(HOST_PAGE).into_response());
    }
    no_cache(
        (
            StatusCode::UNAUTHORIZED,
            Html(notice_page(
                "Sign in as the host",
                "Press <b>h</b> on the party dashboard and scan the code with this phone, \
                 or run <code>party-tui host-link</code> on the Pi and open the link it prints.",
            )),
        )
            .into_response(),
    )
}

/// A small page for the phone when sign-in is not possible (no script, plain words).
fn notice_page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font:17px/1.5 system-ui,sans-serif;background:#111;\
         color:#eee;margin:0;padding:24px;max-width:480px}}code{{color:#fc6}}a{{color:#8cf}}</style>\
         </head><body><h1>{title}</h1><p>{body_html}</p><p><a href=\"/\">The guests' vote page</a></p>\
         </body></html>"
    )
}

async fn sign_in(State(st): State<HttpState>, Path(ticket): Path<String>) -> Response {
    let party = st.snapshots.borrow().party.clone();
    match st.host_sessions.redeem(
        st.admin_token.expose(),
        &ticket,
        &party,
        host_auth::wall_secs(),
    ) {
        Ok(session) => {
            tracing::info!("a host phone signed in by one-time link");
            // See-other: the phone lands on /host and the ticket leaves the address bar.
            let mut res = Redirect::to("/host").into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, host_auth::session_set_cookie(&session));
            no_cache(res)
        }
        Err(e) => {
            tracing::warn!(?e, "host link refused");
            no_cache(
                (
                    StatusCode::FORBIDDEN,
                    Html(notice_page(
                        "Host link not accepted",
                        &format!(
                            "{} Press <b>h</b> on the dashboard for a new one, or run \
                             <code>party-tui host-link</code> on the Pi.",
                            e.message()
                        ),
                    )),
                )
                    .into_response(),
            )
        }
    }
}

/// What only the host sees: the party code to tell guests.
async fn info(State(st): State<HttpState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    host_source(&st, &headers)?;
    Ok(Json(json!({ "party_code": st.party_code.as_deref() })))
}

async fn command(
    State(st): State<HttpState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    let by = host_source(&st, &headers)?;
    let command = parse_command(&name, &bytes)?;
    tracing::info!(?command, ?by, "host command from the host page");
    let effects = st.inbox.submit(Input::host_by(command.clone(), by)).await?;
    Ok(Json(json!({
        "ok": true,
        "command": command,
        "done": command.plain(),
        "effects": effects,
    })))
}

async fn sign_out() -> Response {
    let mut res = Json(json!({ "signed_out": true })).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("pt_host=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    res
}

/// A one-time host link for `party-tui host-link`: the path; the caller knows the address.
async fn new_link(
    State(st): State<HttpState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    let ticket = host_auth::mint_ticket(st.admin_token.expose(), host_auth::wall_secs());
    Ok(Json(json!({
        "path": format!("{}{ticket}", host_auth::LINK_PATH),
        "expires_in_secs": host_auth::TICKET_TTL.as_secs(),
    })))
}

/// Signs out every host phone (the dashboard's `x` in the host-link overlay).
async fn revoke(State(st): State<HttpState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers)?;
    st.host_sessions.revoke_all().await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot record the sign-out: {e}"),
        )
    })?;
    tracing::info!("every host phone signed out");
    st.inbox
        .health(
            "host page",
            HealthLevel::Ok,
            "every host phone signed out (h signs one in again)",
        )
        .await;
    Ok(Json(json!({ "signed_out": "all" })))
}
