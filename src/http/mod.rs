//! The HTTP server: the guests' vote page and its API, button webhooks, and host overrides.
//! Handlers never touch party state: they send `Input`s through the inbox (answering once
//! journaled) and read the latest `Snapshot` from the watch channel.
pub(crate) mod admin;
pub(crate) mod admin_stream;
pub mod body;
pub(crate) mod client;
pub(crate) mod cookies;
pub mod guard;
pub(crate) mod guests;
pub mod host_auth;
pub(crate) mod idle;
pub(crate) mod listen;
pub(crate) mod reply;
pub(crate) mod routes_buttons;
pub(crate) mod routes_guest;
pub(crate) mod routes_hooks;
pub(crate) mod routes_host;
pub(crate) mod routes_requests;
pub(crate) mod script;
pub mod server;
pub(crate) mod settings;
pub mod unknown;
pub(crate) mod view;
pub(crate) mod view_cache;

pub use admin::load_or_create_admin_token;
pub use client::HttpLimits;
pub use guard::RateLimit;
pub use guests::{GuestKey, load_or_create_guest_key};
pub(crate) use settings::{HookConfig, HookDo, HttpConfig};

use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::buttons::ButtonDirectory;
use crate::core::Snapshot;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Everything the handlers share: one `Arc`, as axum clones the state for every request (twice:
/// the guard's layer and the handler's extractor), and twenty reference counts were a measured
/// share of a vote's cost.
#[derive(Clone)]
pub struct HttpState(Arc<Shared>);

impl std::ops::Deref for HttpState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Clone)]
pub struct Shared {
    pub inbox: Inbox,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub buttons: Arc<ButtonDirectory>,
    /// Never in a log line, even if `Shared` is printed whole.
    pub admin_token: crate::support::secret::Secret<Arc<str>>,
    /// When set, guests must POST it to /api/join once before voting.
    pub party_code: Option<Arc<str>>,
    /// Party time, to age the snapshot (positions, countdowns) to the moment of the request.
    pub clock: Clock,
    limiter: Option<Arc<guard::RateLimiter>>,
    /// New guest cookies per client address (None: unlimited).
    minter: Option<Arc<guard::RateLimiter>>,
    trusted_proxies: Arc<[std::net::IpAddr]>,
    guest_key: Arc<GuestKey>,
    unknown: Arc<unknown::UnknownButtons>,
    seen_eids: Arc<routes_buttons::SeenEvents>,
    /// The host page's sign-ins (one-time links, revocation).
    host_sessions: Arc<host_auth::HostSessions>,
    /// `[party] name`, shown to guests instead of the journal's name.
    party_name: Option<Arc<str>>,
    /// Open live streams (`/api/events`): how many guests have the page open.
    connected: Arc<std::sync::atomic::AtomicUsize>,
    /// The state event's shared JSON: one serialisation per change for all open pages.
    guest_views: Arc<view_cache::ViewCache>,
    /// `[[hook]]`s served at /hooks/{name}.
    hooks: Arc<routes_hooks::HookDirectory>,
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
        HttpState(Arc::new(Shared {
            inbox,
            snapshots,
            buttons: Arc::new(buttons),
            admin_token: crate::support::secret::Secret::new(admin_token),
            party_code: party_code
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.trim().into()),
            clock,
            limiter: None,
            minter: None,
            trusted_proxies: Arc::new([]),
            guest_key: Arc::new(GuestKey::random()),
            unknown: Arc::default(),
            seen_eids: Arc::default(),
            host_sessions: Arc::default(),
            party_name: None,
            connected: Arc::default(),
            guest_views: Arc::default(),
            hooks: Arc::default(),
            shutdown: CancellationToken::new(),
            searcher: None,
            recap: None,
        }))
        .with_limits(&HttpLimits::default())
    }

    /// For the builders below, before the server starts (a copy if already shared).
    fn shared_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// The per-address limits from `[http]` (the defaults until this is called).
    pub fn with_limits(self, limits: &HttpLimits) -> Self {
        let per_hour = limits.new_guests_per_hour;
        let mut state = self.with_rate_limit(limits.rate_limit);
        let shared = state.shared_mut();
        shared.minter = (per_hour > 0).then(|| {
            Arc::new(guard::RateLimiter::new(RateLimit {
                burst: per_hour,
                per_sec: f64::from(per_hour) / 3600.0,
            }))
        });
        shared.trusted_proxies = limits.trusted_proxies.clone().into();
        state
    }

    /// The key guest cookies are signed with (a random one until this is called: cookies
    /// would not survive a restart).
    pub fn with_guest_key(mut self, key: GuestKey) -> Self {
        self.shared_mut().guest_key = Arc::new(key);
        self
    }

    /// The guest this request comes from, if its cookie is one we issued.
    pub(crate) fn guest_id(&self, headers: &axum::http::HeaderMap) -> Option<String> {
        cookies::guest_cookie(headers).and_then(|v| self.guest_key.verify(v))
    }

    /// Host sign-ins whose revocation is kept in `data_dir` (default: in memory only).
    pub(crate) fn with_host_sessions(mut self, data_dir: &std::path::Path) -> Self {
        self.shared_mut().host_sessions = Arc::new(host_auth::HostSessions::load(data_dir));
        self
    }

    /// The party's name for guests (`[party] name`); blank means the journal's name.
    pub fn with_party_name(mut self, name: Option<String>) -> Self {
        self.shared_mut().party_name = name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .map(Into::into);
        self
    }

    /// Inbound rule hooks (`POST /hooks/{name}`).
    pub(crate) fn with_hooks(mut self, hooks: routes_hooks::HookDirectory) -> Self {
        self.shared_mut().hooks = Arc::new(hooks);
        self
    }

    /// Serve `/recap` from this party's journal.
    pub fn with_recap(mut self, party: &str, journal: std::path::PathBuf) -> Self {
        self.shared_mut().recap = Some(Arc::new((party.to_string(), journal)));
        self
    }

    /// Offer song requests, searching with this searcher.
    pub fn with_search(mut self, searcher: Arc<crate::requests::search::Searcher>) -> Self {
        self.shared_mut().searcher = Some(searcher);
        self
    }

    /// Per-address rate limit (None: unlimited, e.g. for a load bench from one address).
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.shared_mut().limiter = limit.map(|l| Arc::new(guard::RateLimiter::new(l)));
        self
    }
}

pub(crate) fn router(state: HttpState) -> Router {
    Router::new()
        .merge(routes_guest::routes())
        .merge(routes_requests::routes())
        .merge(routes_buttons::routes())
        .merge(routes_hooks::routes())
        .merge(admin::routes())
        .merge(routes_host::routes())
        .merge(script::routes())
        .merge(admin_stream::routes())
        .merge(unknown::routes())
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
    let limits =
        server::ConnLimits::for_fd_limit(server::raise_fd_limit(), state.trusted_proxies.to_vec());
    let mut state = state;
    state.shared_mut().shutdown = shutdown.clone();
    let app = router(state);
    server::run(listener, app, limits, shutdown).await?;
    tracing::info!("http server stopped");
    Ok(())
}
