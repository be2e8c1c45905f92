//! The vote page and webhooks on the socket the caller bound. A busy port is reported (status
//! line, log, stderr when headless) and retried rather than stopping the party: the dashboard
//! and the buttons on the wire still work without it, and the page comes up once the port frees.
use super::Wiring;
use crate::bus::inbox::Inbox;
use crate::core::HealthLevel;
use crate::http::listen::Listener;
use anyhow::{Context, Result};

/// Starts the server task. Returns the vote page's address when it is up already.
pub(super) async fn spawn_http(w: &mut Wiring, listener: Listener) -> Result<Option<String>> {
    let (cfg, opts) = (&w.cfg, &w.opts);
    let bind = listener.addr();
    let token = crate::http::load_or_create_admin_token(&opts.data_dir).with_context(|| {
        format!(
            "cannot create the admin token in {}",
            opts.data_dir.display()
        )
    })?;
    let guest_key = crate::http::load_or_create_guest_key(&opts.data_dir)
        .with_context(|| format!("cannot create the guest key in {}", opts.data_dir.display()))?;
    // A taken port is retried in the server task; the party runs on meanwhile.
    let (data_dir, headless) = (opts.data_dir.clone(), opts.headless);
    let up = match listener {
        Listener::Bound { socket, .. } => {
            Some(announce(socket, bind, &data_dir, &w.inbox, None).await)
        }
        Listener::Busy(_) => None,
    };
    let url = up.as_ref().map(|u| u.2.clone());
    let state = crate::http::HttpState::new(
        w.inbox.clone(),
        w.snapshots.clone(),
        crate::buttons::ButtonDirectory::from_config(&cfg.buttons),
        token,
        cfg.http.party_code.clone(),
        w.clock.clone(),
    )
    .with_limits(&cfg.http.limits())
    .with_guest_key(guest_key)
    .with_host_sessions(&opts.data_dir)
    .with_party_name(cfg.party.name.clone())
    .with_hooks(crate::http::routes_hooks::HookDirectory::from_config(
        &cfg.hooks,
    ));
    let spotify = cfg.spotify_or_default();
    let state = match crate::requests::searcher(&cfg.requests, &spotify, opts.demo) {
        Some(searcher) => state.with_search(searcher),
        None => state,
    }
    .with_recap(
        &crate::report::display_name(cfg.party.name.as_deref(), &w.name),
        w.journal.clone(),
    );
    let (inbox, shutdown) = (w.inbox.clone(), w.shutdown.clone());
    w.tasks.spawn(async move {
        let (listener, _instance, _url) = match up {
            Some(up) => up,
            None => match crate::http::listen::bind_with_retry(bind, &inbox, headless, &shutdown)
                .await
            {
                Some(l) => announce(l, bind, &data_dir, &inbox, Some(headless)).await,
                None => return,
            },
        };
        if let Err(e) = crate::http::serve(listener, state, shutdown).await {
            tracing::error!(error = %e, "http server failed");
            inbox
                .health("http", HealthLevel::Error, format!("stopped: {e}"))
                .await;
        }
    });
    Ok(url)
}

/// The vote page is up: write the instance file and tell the host. `late` is Some(headless)
/// when it came up after start (then a headless run says so on stderr, as it said the error).
async fn announce(
    listener: tokio::net::TcpListener,
    bind: std::net::SocketAddr,
    data_dir: &std::path::Path,
    inbox: &Inbox,
    late: Option<bool>,
) -> (
    tokio::net::TcpListener,
    Option<crate::support::instance::InstanceGuard>,
    String,
) {
    let bound = listener.local_addr().unwrap_or(bind);
    let url = crate::support::netinfo::vote_url(bound);
    // A second `party-tui` on this machine (the host over ssh) finds this instance and attaches
    // instead of starting a rival party. The file goes when the server stops.
    let local = if bound.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], bound.port()))
    } else {
        bound
    };
    let instance =
        crate::support::instance::write_instance(data_dir, &format!("http://{local}"), &url)
            .map_err(|e| tracing::warn!("no instance file, so no attaching: {e:#}"))
            .ok();
    // The QR code view was set up at start; a page that came up late is shown by address only.
    let qr = if late.is_some() {
        ""
    } else {
        " (v shows its QR code)"
    };
    inbox
        .health("http", HealthLevel::Ok, format!("vote page on {url}{qr}"))
        .await;
    if late == Some(true) {
        eprintln!("party-tui: vote page on {url}");
    }
    (listener, instance, url)
}
