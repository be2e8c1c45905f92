//! Guests' song requests outside the core: the `[requests]` config, track search (Spotify's
//! catalogue, or the demo's) with its cache and per-guest limit. The rules are in
//! `core::requests`; the vote page's routes in `http::routes_requests`.
pub mod search;
pub(crate) mod settings;

pub(crate) use settings::RequestsConfig;

use search::{Catalogue, Searcher};
use std::sync::Arc;

/// The searcher for this run: the demo catalogue with `--demo`, else Spotify through the
/// party's login (`spotify` is `[spotify]`, or its defaults and $SPOTIFY_CLIENT_ID as read at
/// load when Sonos plays) when a login is saved; None when requests are off or nothing can
/// search.
pub(crate) fn searcher(
    requests: &RequestsConfig,
    spotify: &crate::players::spotify::SpotifyConfig,
    demo: bool,
) -> Option<Arc<Searcher>> {
    if !requests.enabled {
        return None;
    }
    let per_minute = requests.searches_per_minute;
    if demo {
        let list = crate::players::demo::playlist();
        return Some(Arc::new(Searcher::new(Catalogue::Demo(list), per_minute)));
    }
    let has_login = spotify.token_path().is_ok_and(|p| p.exists());
    if !has_login {
        tracing::info!("song requests off: no Spotify login (`party-tui spotify login`)");
        return None;
    }
    match crate::players::spotify::requests::RequestsApi::new(spotify) {
        Ok(api) => Some(Arc::new(Searcher::new(
            Catalogue::Spotify(Box::new(tokio::sync::Mutex::new(api))),
            per_minute,
        ))),
        Err(e) => {
            tracing::warn!("song requests off: {e:#}");
            None
        }
    }
}
