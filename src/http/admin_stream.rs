//! The full party snapshot as a live stream, for a second dashboard attached over the network
//! (`party-tui --attach`). Behind the admin token: it shows every voter's id.
use super::HttpState;
use super::admin::authorize;
use super::reply::ApiError;
use super::routes_guest::{EVENTS_KEEP_ALIVE, EVENTS_MIN_INTERVAL};
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use std::convert::Infallible;

pub(crate) fn routes() -> Router<HttpState> {
    Router::new().route("/api/admin/snapshots", get(snapshots))
}

async fn snapshots(State(st): State<HttpState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let mut rx = st.snapshots.clone();
    rx.mark_changed();
    let stop = st.shutdown.clone();
    let stream = futures::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first {
            tokio::time::sleep(EVENTS_MIN_INTERVAL).await;
        }
        // Only the latest state matters: a slow link skips states, never lags behind.
        rx.changed().await.ok()?;
        let snap = rx.borrow_and_update().clone();
        let event = Event::default()
            .event("snapshot")
            .data(serde_json::to_string(&*snap).unwrap_or_default());
        Some((Ok::<_, Infallible>(event), (rx, false)))
    })
    .take_until(stop.cancelled_owned());
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(EVENTS_KEEP_ALIVE))
        .into_response())
}
