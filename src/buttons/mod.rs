//! Buttons on the wire and on the web: payload parsing and the configured-button directory.
pub mod directory;
pub mod payloads;

pub use directory::ButtonDirectory;
