//! Every event out: the CompetitionLabs-style events export (an outbox over the journal) and
//! webhook triggers.
pub mod client;
pub mod mapping;
pub mod outbox;
pub mod settings;
pub mod status;
pub mod store;
pub mod tail;

pub use settings::{ApiKey, ExportConfig, FieldNames, MetadataFormat};
