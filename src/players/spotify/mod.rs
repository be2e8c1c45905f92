//! Spotify: log in once with PKCE, then watch what plays through the Web API and skip on demand.
pub mod schedule;
