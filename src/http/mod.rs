//! The HTTP server: the guests' vote page and its API, button webhooks, and host overrides.
//! Handlers never touch party state: they send `Input`s through the inbox (answering once
//! journaled) and read the latest `Snapshot` from the watch channel.
pub mod admin;
pub mod admin_stream;
pub mod body;
pub mod cookies;
pub mod guard;
pub mod idle;
pub mod reply;
pub mod routes_buttons;
pub mod routes_guest;
pub mod routes_requests;
pub mod view;

pub use admin::load_or_create_admin_token;
pub use guard::RateLimit;

use crate::buttons::ButtonDirectory;
use crate::clock::Clock;
use crate::core::Snapshot;
use crate::inbox::Inbox;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct HttpState {
    pub inbox: Inbox,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub buttons: Arc<ButtonDirectory>,
    pub admin_token: Arc<str>,
    /// When set, guests must POST it to /api/join once before voting.
    pub party_code: Option<Arc<str>>,
    /// Party time, to age the snapshot (positions, countdowns) to the moment of the request.
    pub clock: Clock,
    limiter: Option<Arc<guard::RateLimiter>>,
    seen_eids: Arc<routes_buttons::SeenEvents>,
    /// Cancelled by `serve`'s shutdown: ends the open event streams so shutdown does not hang.
    shutdown: CancellationToken,
    /// Track search for song requests; None: requests are not offered.
    pub searcher: Option<Arc<crate::requests::search::Searcher>>,
    /// The party's name and journal, for `/recap`.
    pub recap: Option<Arc<(String, std::path::PathBuf)>>,
}

impl HttpState {
    pub fn new(
        inbox: Inbox,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        buttons: ButtonDirectory,
        admin_token: String,
        party_code: Option<String>,
        clock: Clock,
    ) -> Self {
        HttpState {
            inbox,
            snapshots,
            buttons: Arc::new(buttons),
            admin_token: admin_token.into(),
            party_code: party_code
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.trim().into()),
            clock,
            limiter: Some(Arc::new(guard::RateLimiter::new(RateLimit::default()))),
            seen_eids: Arc::default(),
            shutdown: CancellationToken::new(),
            searcher: None,
            recap: None,
        }
    }

    /// Serve `/recap` from this party's journal.
    pub fn with_recap(mut self, party: &str, journal: std::path::PathBuf) -> Self {
        self.recap = Some(Arc::new((party.to_string(), journal)));
        self
    }

    /// Offer song requests, searching with this searcher.
    pub fn with_search(mut self, searcher: Arc<crate::requests::search::Searcher>) -> Self {
        self.searcher = Some(searcher);
        self
    }

    /// Per-address rate limit (None: unlimited, e.g. for a load bench from one address).
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.limiter = limit.map(|l| Arc::new(guard::RateLimiter::new(l)));
        self
    }
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .merge(routes_guest::routes())
        .merge(routes_requests::routes())
        .merge(routes_buttons::routes())
        .merge(admin::routes())
        .merge(admin_stream::routes())
        .fallback(|| async {
            reply::ApiError::not_found("no such route: the vote page is at /, the API under /api/")
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::rate_limit,
        ))
        .layer(DefaultBodyLimit::max(guard::MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(guard::MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            guard::REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(reply::json_errors))
        .with_state(state)
}

/// Serve until `shutdown` is cancelled; open event streams end, in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "http server listening");
    let app = router(HttpState {
        shutdown: shutdown.clone(),
        ..state
    });
    let listener = idle::IdleListener::new(listener, guard::IDLE_TIMEOUT);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<guard::ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await?;
    tracing::info!("http server stopped");
    Ok(())
}
