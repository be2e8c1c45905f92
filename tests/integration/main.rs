//! The in-process tests in one binary: the library's parts, the HTTP server on a loopback
//! socket, fakes of every peer, and whole parties through `app::run` (support/inproc.rs).
//! One binary instead of one per file: after touching core/ only this links again.
#![allow(dead_code)]

// Helpers shared with the other test binary (and some benches) stay in tests/.
#[path = "../fake_events/mod.rs"]
mod fake_events;
#[path = "../notify_fake/mod.rs"]
mod notify_fake;
#[path = "../support/mod.rs"]
mod support;

// Helpers only these tests use.
mod http_harness;
mod sonos_fake;
mod spotify_support;
mod ui_fixtures;

mod app_run;
mod config_files;
mod core_notify;
mod core_requests;
mod core_rules;
mod core_stance;
mod dash_permission;
mod export_config;
mod export_fake;
mod export_fixtures;
mod export_triggers;
mod fixed_past;
mod http_admin_guard;
mod http_buttons;
mod http_guest;
mod http_host;
mod journal_recovery;
mod journal_replay;
mod mqtt_config;
mod mqtt_fixtures;
mod notify_services;
mod party_loop;
mod requests_fixtures;
mod sonos_fixtures;
mod sonos_lifecycle;
mod sonos_requests;
mod spotify_fake;
mod spotify_login;
mod spotify_requests;
mod ui_attached;
mod ui_loop;
mod ui_render;
mod ui_sizes;
