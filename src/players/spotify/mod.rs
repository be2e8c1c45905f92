//! Spotify: log in once with PKCE, then watch what plays through the Web API and skip on demand.
pub mod config;
pub mod login;
pub mod login_cli;
pub mod api;
pub mod map;
pub mod schedule;
pub mod token;

pub use config::SpotifyConfig;
