//! Guests' song requests outside the core: the `[requests]` config, track search (Spotify's
//! catalogue, or the demo's) with its cache and per-guest limit. The rules are in
//! `core::requests`; the vote page's routes in `http::routes_requests`.
pub mod config;
pub mod search;

pub use config::RequestsConfig;
