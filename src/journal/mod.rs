//! Append-only JSON Lines journal, one file per party: one `Entry` per line, written in batches
//! with one sync each (group commit). After a crash the bytes after the last newline are a torn
//! line: `Journal::open` drops them and says so; `replay` rebuilds the party from the rest.
//!
//! Both run at every start, so neither may cost seconds on a long party: `open` only counts
//! newlines and parses the last line (`scan`), `replay` parses on every core (`replay`).
mod decode;
mod replay;
mod scan;
mod store;

pub use replay::{Replayed, replay};
pub use store::PartyStore;

use crate::core::{Effect, Input, Timestamp};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// One journal line: an accepted input, when it was applied, and what it caused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u64,
    pub at: Timestamp,
    pub input: Input,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

/// What opening a journal found.
#[derive(Clone, Debug, Default)]
pub struct Recovery {
    pub entries: u64,
    /// Bytes of a torn last line that were dropped.
    pub torn_bytes: u64,
}

impl Recovery {
    pub fn torn_note(&self) -> Option<String> {
        (self.torn_bytes > 0).then(|| {
            format!(
                "dropped a torn last line ({} bytes) after a crash",
                self.torn_bytes
            )
        })
    }
}

pub struct Journal {
    file: File,
    next_seq: u64,
}

impl Journal {
    /// Opens (or creates) the journal, drops a torn last line and finds the next seq.
    ///
    /// Only the last complete line is parsed: a corrupt line before it is `replay`'s to report,
    /// and replay runs at every start anyway.
    pub fn open(path: &Path) -> Result<(Journal, Recovery)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open journal {}", path.display()))?;
        let read_err = || format!("cannot read journal {}", path.display());
        let len = file.metadata().with_context(read_err)?.len();
        let good = scan::end_of_last_line(&mut file, len).with_context(read_err)?;
        let torn_bytes = len - good;
        if torn_bytes > 0 {
            file.set_len(good)
                .with_context(|| format!("cannot drop the torn line of {}", path.display()))?;
        }
        let lines = scan::count_lines(&mut file, good).with_context(read_err)?;
        let next_seq = match scan::last_line(&mut file, good).with_context(read_err)? {
            None => 0,
            Some(last) => {
                let number = lines.newlines - last.newlines_after + 1;
                let e: SeqOnly = serde_json::from_slice(&last.bytes)
                    .with_context(|| format!("{}: line {number} is corrupt", path.display()))?;
                e.seq + 1
            }
        };
        let recovery = Recovery {
            entries: lines.newlines - lines.empty,
            torn_bytes,
        };
        Ok((Journal { file, next_seq }, recovery))
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Write the whole batch and sync once (group commit).
    pub fn append_batch(&mut self, entries: &[Entry]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(entries.len() * 256);
        for e in entries {
            serde_json::to_writer(&mut buf, e)?;
            buf.push(b'\n');
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        if let Some(last) = entries.last() {
            self.next_seq = last.seq + 1;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}
