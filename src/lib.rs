//! party-tui: a terminal dashboard that turns a house party into a live music jury.
//!
//! Module map, top to bottom; arrows point down only (a test checks there is no circle):
//! - `cmd`: one function per subcommand, including lock-or-attach. Sees the whole `Config`.
//! - `config`: config.toml into typed sections, `${ENV}`, every check; `check-config`'s words.
//! - `app`: the one loop that owns the party: inbox → apply → journal → effects → snapshot.
//! - adapters: `dashboard` (ratatui, and a second dashboard attached over HTTP), `http` (vote
//!   page, host page, webhooks, admin API), `outlets` (the outbox and everything that leaves
//!   the Pi: events API, trigger webhooks, MQTT to Home Assistant and Cumulocity), `players`
//!   (demo, Sonos, Spotify), `buttons` (Dash capture, button payloads), `requests` (guests'
//!   song search), `report` (text, CSV, JSON and the HTML recap).
//! - `bus`: the inbox adapters send into and the clock they read.
//! - `journal`: append-only JSON Lines with a checksum per line, group commit, replay.
//! - `core`: the pure engine (`Party::apply(input, at) -> Vec<Effect>`), rules, snapshot.
//! - `support`: `Secret<T>`, atomic files, hex, HMAC, back-off, the HTTP client builder, paths,
//!   logging, the instance file, network facts.
pub mod app;
pub mod bus;
pub mod buttons;
pub mod cmd;
pub mod config;
pub mod core;
pub mod dashboard;
pub mod http;
pub mod journal;
pub mod outlets;
pub mod players;
pub mod report;
pub mod requests;
pub(crate) mod support;
