//! Spotify: log in once with PKCE, then watch what plays through the Web API and skip on demand.
pub mod api;
pub mod login;
pub mod login_cli;
pub mod map;
pub mod requests;
pub mod schedule;
pub mod session;
pub mod settings;
pub mod token;
pub mod watcher;

pub use settings::SpotifyConfig;
pub use watcher::run_player;
