//! Append-only JSON Lines journal, one file per party. (Stub: to be filled in.)
use crate::core::{Effect, Input, Timestamp};
use serde::{Deserialize, Serialize};

/// One journal line: an accepted input, when it was applied, and what it caused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub at: Timestamp,
    pub input: Input,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}
