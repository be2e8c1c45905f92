//! Buttons on the wire: Amazon Dash buttons seen by their ARP/DHCP announcements.
//! - `frame`: pure parser, bytes → `Sighting` (who announced itself, and how).
//! - `burst`: pure burst collapsing and per-button debounce, packets → presses.
//! - `iface`: picking the interface and opening pnet's datalink channel; capture errors.
//! - `arp`: the capture thread that sends presses to the inbox.
//! - `discover`: `party-tui discover buttons`, listing devices that announce themselves.
//! - `craft`: hand-built frames for tests, the netns test and the bench.
pub mod arp;
pub mod burst;
pub mod craft;
pub mod discover;
pub mod frame;
pub mod iface;

pub use arp::{DashButton, dash_buttons, spawn_capture};
pub use burst::Debouncer;
pub use discover::run_discover;
pub use frame::{Mac, Sighting, SightingKind, format_mac, parse_frame, parse_mac};
pub use iface::CaptureError;
