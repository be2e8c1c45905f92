//! Append-only JSON Lines journal, one file per party: one `Entry` per line, written in batches
//! with one sync each (group commit). After a crash the bytes after the last newline are a torn
//! line: `Journal::open` drops them and says so; `replay` rebuilds the party from the rest.
//! Each line ends with a checksum of its bytes, `"crc":"…"` (`line`): a complete line that does
//! not match it is damage, named by its line number, never read as a different entry.
//!
//! Both run at every start, so neither may cost seconds on a long party: `open` only counts
//! newlines and parses the last line (`scan`), `replay` parses on every core (`replay`).
mod decode;
mod line;
mod repair;
mod replay;
mod reserve;
mod scan;
mod store;

pub use line::{LineError, read as read_line, write as write_line};
pub(crate) use repair::Repaired;
pub use replay::{Anomaly, Replayed, replay};
pub use store::PartyStore;

use crate::core::{Effect, Input, Party, Timestamp};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// A party rebuilt from its journal, and the journal open for writing.
pub struct Opened {
    pub party: Party,
    pub journal: Journal,
    pub recovery: Recovery,
    pub replayed: Replayed,
    /// Set when the journal had to be repaired first (see `repair`).
    pub repaired: Option<Repaired>,
}

/// Opens the journal at `path` and replays it into `fresh()`. A journal left by an older
/// version's unsafe failure path is repaired first where that provably loses nothing
/// acknowledged; anything else that cannot be read is an error naming the line.
pub fn open_party(path: &Path, fresh: impl Fn() -> Party) -> Result<Opened> {
    let open = || -> Result<Opened> {
        let (journal, recovery) = Journal::open(path)?;
        let mut party = fresh();
        let replayed = replay(&mut party, path)?;
        Ok(Opened {
            party,
            journal,
            recovery,
            replayed,
            repaired: None,
        })
    };
    match open() {
        Err(e) if e.downcast_ref::<Anomaly>().is_some() => {
            let Some(repaired) = repair::repair(path)? else {
                return Err(e);
            };
            tracing::warn!("{}", repaired.note());
            let mut opened = open()?;
            opened.repaired = Some(repaired);
            Ok(opened)
        }
        other => other,
    }
}

pub struct Journal {
    file: File,
    path: PathBuf,
    next_seq: u64,
    /// Bytes known to be on disk as whole lines: the file is cut back to this after a failed
    /// write, so a torn line is never followed by more data.
    durable_len: u64,
    /// A failed cut-back leaves the tail unknown: cut again before anything else is written.
    needs_cut: bool,
    space: reserve::Reservation,
    /// Something the host should hear about (the file was deleted and restored).
    notice: Option<String>,
}

impl Journal {
    /// Opens (or creates) the journal, drops a torn last line and finds the next seq.
    ///
    /// Only the last complete line is parsed (and its checksum checked): a corrupt line before
    /// it is `replay`'s to report, and replay runs at every start anyway.
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
                let e = line::parse::<SeqOnly, SeqOnly>(&last.bytes).map_err(|e| Anomaly {
                    path: path.to_path_buf(),
                    line: number,
                    what: e.to_string(),
                })?;
                e.seq.checked_add(1).with_context(|| {
                    format!(
                        "{}: line {number} has the largest possible seq; start a new party \
                         (--new-party)",
                        path.display()
                    )
                })?
            }
        };
        let recovery = Recovery {
            entries: lines.newlines - lines.empty,
            torn_bytes,
        };
        let journal = Journal {
            file,
            path: path.to_path_buf(),
            next_seq,
            durable_len: good,
            needs_cut: false,
            space: reserve::Reservation::new(good),
            notice: None,
        };
        Ok((journal, recovery))
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Bytes of whole, synced lines.
    pub(crate) fn durable_len(&self) -> u64 {
        self.durable_len
    }

    /// Write the whole batch and sync once (group commit).
    ///
    /// All or nothing: on any error the file is cut back to where the batch began, so what is
    /// on disk is exactly the batches that returned `Ok`. Space for the batch is reserved
    /// first, so a full disk fails here, between lines, before a byte is written.
    pub fn append_batch(&mut self, entries: &[Entry]) -> std::io::Result<()> {
        self.append_refs(&entries.iter().collect::<Vec<_>>())
    }

    /// `append_batch` for entries gathered from several batches.
    pub(crate) fn append_refs(&mut self, entries: &[&Entry]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(entries.len() * 256);
        for e in entries {
            line::write(&mut buf, e)?;
        }
        self.append_bytes(&buf)?;
        if let Some(last) = entries.last() {
            self.next_seq = last.seq + 1;
        }
        Ok(())
    }

    fn append_bytes(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.restore_if_deleted()?;
        if self.needs_cut {
            self.file.set_len(self.durable_len)?;
            self.needs_cut = false;
        }
        self.space
            .ensure(&self.file, self.durable_len, buf.len() as u64)?;
        let written = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Whatever part of the batch reached the file was never acknowledged: cut it off
            // now, or the next batch would be glued to a torn line.
            self.needs_cut = self.file.set_len(self.durable_len).is_err();
            // Cutting frees the blocks reserved past the end too.
            self.space = reserve::Reservation::new(self.durable_len);
            return Err(e);
        }
        self.durable_len += buf.len() as u64;
        Ok(())
    }

    /// Whether writing works again after a failure: a byte can be written past the end and
    /// synced, and the usual space reserved after it. Reserving alone says yes too early
    /// (ext4 reserves past a file-size limit; a dying card takes a sync with nothing to
    /// write); a byte alone too (the last block's slack takes it, and the next batch fails
    /// again, costing another rollback). The byte is a newline, cut off again at once (a
    /// crash before that leaves an empty line, which open and replay skip).
    pub(crate) fn probe(&mut self) -> std::io::Result<()> {
        self.append_bytes(b"\n")?;
        self.durable_len -= 1;
        let room = self
            .space
            .ensure(&self.file, self.durable_len, reserve::RESERVE_AHEAD);
        // Not cut now: then before anything else is written, as after a failed write.
        self.needs_cut = self.file.set_len(self.durable_len).is_err();
        // Cutting frees the blocks reserved past the end too.
        self.space = reserve::Reservation::new(self.durable_len);
        room
    }

    /// Set when the file was deleted under us and restored from the open descriptor.
    pub(crate) fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// A journal deleted while the party runs (a cleanup script, a mistaken `rm`) would be
    /// gone at the next start with everything in it. The descriptor still reads it: write it
    /// back under its name and carry on in the new file.
    fn restore_if_deleted(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        if self.file.metadata()?.nlink() > 0 {
            return Ok(());
        }
        let mut fresh = OpenOptions::new()
            .create_new(true)
            .read(true)
            .append(true)
            .open(&self.path)?;
        std::io::Seek::seek(&mut self.file, std::io::SeekFrom::Start(0))?;
        let mut old = (&self.file).take(self.durable_len);
        std::io::copy(&mut old, &mut fresh)?;
        fresh.sync_all()?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.file = fresh;
        self.space = reserve::Reservation::new(self.durable_len);
        let note = format!(
            "{} was deleted while the party ran; restored it from the open file",
            self.path.display()
        );
        tracing::warn!("{note}");
        self.notice = Some(note);
        Ok(())
    }
}

#[derive(Deserialize)]
struct SeqOnly {
    seq: u64,
}
