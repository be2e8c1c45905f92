//! Spotify: log in once with PKCE, then watch what plays through the Web API and skip on demand.
pub mod api;
pub mod login;
pub(crate) mod login_cli;
pub mod map;
pub mod requests;
pub mod schedule;
pub(crate) mod session;
pub(crate) mod settings;
pub mod token;
pub(crate) mod watcher;

pub use settings::SpotifyConfig;
pub use watcher::run_player;
