//! Every event out: the CompetitionLabs-style events export (an outbox over the journal) and
//! webhook triggers. Both read the committed journal with their own cursors, so neither can
//! slow the party down and a crash loses nothing (see `outbox` and `triggers`).
pub mod client;
pub mod mapping;
pub mod outbox;
pub mod settings;
pub mod status;
pub mod store;
pub mod tail;
pub mod triggers;
pub mod webhook;

pub use settings::{ApiKey, ExportConfig, FieldNames, MetadataFormat};
