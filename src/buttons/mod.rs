//! Buttons on the wire and on the web.
//! - `payloads`, `directory`: bt.tn and AWS IoT webhook bodies; configured ids/serials → names.
//! - `frame`: pure parser, bytes → `Sighting` (who announced itself, and how).
//! - `burst`: pure burst collapsing and per-button debounce, packets → presses.
//! - `iface`: picking the interface and opening pnet's datalink channel; capture errors.
//! - `arp`: the capture thread that sends Dash presses to the inbox.
//! - `discover`: `party-tui discover buttons`, listing devices that announce themselves.
//! - `settings`: `[[button]]` and `[capture]` of config.toml.
//! - `craft`: hand-built frames for tests, the netns test and the bench.
pub mod arp;
pub mod burst;
pub mod craft;
pub(crate) mod directory;
pub mod discover;
pub(crate) mod frame;
pub(crate) mod iface;
pub mod payloads;
pub(crate) mod settings;

pub use arp::{DashButton, dash_buttons, spawn_capture};
pub use directory::ButtonDirectory;
pub(crate) use discover::run_discover;
pub use frame::{Mac, Sighting, SightingKind, format_mac, parse_frame, parse_mac};
pub use settings::{ButtonConfig, CaptureConfig};
