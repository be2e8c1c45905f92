//! The end-to-end tests in one binary: the party-tui executable itself (signals, terminal,
//! tmux, kill -9, CLI output, the Pi packages) and real peers (chromium, gmediarender, network
//! namespaces). Each test that cannot run here skips and says why, or fails in CI
//! (PARTY_TUI_REQUIRE_PRIVILEGED=1).
#![allow(dead_code)]

// Helpers shared with the other test binary (and some benches) stay in tests/.
#[path = "../fake_events/mod.rs"]
mod fake_events;
#[path = "../faults/mod.rs"]
mod faults;
#[path = "../mqtt_broker/mod.rs"]
mod mqtt_broker;
#[path = "../notify_fake/mod.rs"]
mod notify_fake;
#[path = "../pi/mod.rs"]
mod pi;
#[path = "../support/mod.rs"]
mod support;

// Helpers only these tests use.
mod cdp;
mod netns;

mod attach_tmux;
mod config_messages;
mod dash_headless;
mod dash_netns;
mod dashboard_tmux;
mod doctor;
mod export_crash;
mod host_browser;
mod http_limits;
mod journal_damage;
mod journal_faults;
mod mqtt_cumulocity;
mod mqtt_fresh;
mod mqtt_ha;
mod mqtt_outage;
mod notify_e2e;
mod pi_cross;
mod pi_package;
mod process_faults;
mod recap_browser;
mod report;
mod report_shared;
mod requests_browser;
mod sonos_gmediarender;
mod vote_browser;
