//! party-tui: a terminal dashboard that turns a house party into a live music jury.
//!
//! Module map (see README.md for the data flow):
//! - `core`: the pure engine (`Party::apply(input, at) -> Vec<Effect>`), rules, snapshot.
//! - `app`: the one loop that owns the party: inbox → apply → journal → effects → snapshot.
//! - `journal`: append-only JSON Lines with a checksum per line, group commit, torn-tail
//!   recovery, replay.
//! - `players`: demo, Sonos (UPnP), Spotify (Web API).
//! - `buttons`: Dash capture (ARP/DHCP) and button payloads.
//! - `http`: vote page, webhooks, party API.  `export`: CompetitionLabs events and triggers.
//! - `requests`: guests' song requests outside the core: `[requests]`, search and its cache.
//! - `ui`: the ratatui dashboard.  `config`, `cli`, `logging`, `clock`, `inbox`: plumbing.
pub mod app;
pub mod buttons;
pub mod cli;
pub mod clock;
pub mod config;
pub mod config_check;
pub mod config_notify;
pub mod config_trigger;
pub mod core;
pub mod doctor;
pub mod doctor_remote;
pub mod export;
pub mod host_link;
pub mod http;
pub mod inbox;
pub mod journal;
pub mod lock;
pub mod logging;
pub mod netinfo;
pub mod paths;
pub mod players;
pub mod recap;
pub mod remote;
pub mod report;
pub mod report_text;
pub mod requests;
pub mod secret_file;
pub mod ui;
