//! Buttons on the wire: Amazon Dash buttons seen by their ARP/DHCP announcements.
//! - `frame`: pure parser, bytes → `Sighting` (who announced itself, and how).
//! - `burst`: pure burst collapsing and per-button debounce, packets → presses.
//! - `craft`: hand-built frames for tests, the netns test and the bench.
pub mod burst;
pub mod craft;
pub mod frame;

pub use burst::Debouncer;
pub use frame::{Mac, Sighting, SightingKind, format_mac, parse_frame, parse_mac};
