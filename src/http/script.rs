//! The script the vote page and the host page share (`/live.js`).
use super::HttpState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;

const LIVE_JS: &str = include_str!("../../assets/live.js");

pub(crate) fn routes() -> Router<HttpState> {
    Router::new().route("/live.js", get(live_js))
}

async fn live_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        LIVE_JS,
    )
}
