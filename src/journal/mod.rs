//! Append-only JSON Lines journal, one file per party: one `Entry` per line, written in batches
//! with one sync each (group commit). After a crash the bytes after the last newline are a torn
//! line: `Journal::open` drops them and says so; `replay` rebuilds the party from the rest.
//! Each line ends with a checksum of its bytes, `"crc":"…"` (`line`): a complete line that does
//! not match it is damage, never read as a different entry. Damage never stops a party: at
//! start `open_party` sets it aside (`set_aside`), recording what it held as a gap entry, and
//! every reader (replay, report, recap, doctor) steps over it alike (`damage`).
//!
//! Both run at every start, so neither may cost seconds on a long party: `open` only counts
//! newlines and parses the last line (`scan`), `replay` parses on every core (`replay`).
pub mod checkpoint;
mod damage;
mod decode;
mod entries;
#[cfg(test)]
mod fixed_past_tests;
mod line;
mod repair;
mod replay;
mod reserve;
mod scan;
mod set_aside;
mod store;

pub use checkpoint::Position;
pub use damage::{Losses, describe, describe_in};
pub use entries::read_entries;
pub use line::{LineError, read as read_line, write as write_line};
pub(crate) use repair::Repaired;
pub use replay::{Anomaly, Replayed, inspect, replay, replay_from};
pub use set_aside::SetAside;
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
    /// Lines in the journal, empty ones included.
    pub lines: u64,
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
    /// Set when damage was set aside at this start (see `set_aside`).
    pub set_aside: Option<SetAside>,
    /// Why damage found in the middle of the journal could not be set aside (the disk refused
    /// the rewrite): the party starts without it all the same, and the next start tries again.
    pub set_aside_error: Option<String>,
}

impl Opened {
    /// What the journal lost, for the status line (short: the log has the whole story): the
    /// stretches recorded in it, and where the bytes set aside at this start are. `None`:
    /// nothing lost.
    pub fn damage_note(&self) -> Option<String> {
        let mut losses = self.replayed.losses.clone();
        if let Some(set_aside) = &self.set_aside {
            // Those that lost no entry have no gap entry; they were set aside all the same.
            losses
                .found
                .extend(set_aside.gaps.iter().filter(|g| g.entries == 0).cloned());
        }
        let short = losses.short()?;
        Some(match (&self.set_aside, &self.set_aside_error) {
            (
                Some(SetAside {
                    kept: Some(kept), ..
                }),
                _,
            ) => {
                format!("{short}; bytes kept in {}", set_aside::file_name(kept))
            }
            (_, Some(e)) => format!(
                "{short}; the journal could not be rewritten yet (the next start tries again): {e}"
            ),
            _ => short,
        })
    }
}

/// What one try at opening found.
enum Attempt {
    Opened(Box<Opened>),
    /// The journal needs `set_aside` (damage), or `repair` (a seq that goes back): the error
    /// stands if that finds nothing to do.
    SetAside(anyhow::Error),
    Repair(anyhow::Error),
}

/// `torn_bytes` adds up torn tails cut on the way, so the note survives a retry.
fn attempt(path: &Path, fresh: &impl Fn() -> Party, torn_bytes: &mut u64) -> Result<Attempt> {
    let is_anomaly = |e: &anyhow::Error| e.downcast_ref::<Anomaly>().is_some();
    // A checkpoint that checks out (see `checkpoint`) saves replaying the lines before it; one
    // taken before damage set aside at this start no longer matches the journal.
    let checkpoint = load_checkpoint(path);
    let from = checkpoint.as_ref().map_or_else(Position::default, |c| c.at);
    let (journal, mut recovery) = match Journal::open_from(path, from) {
        Ok(opened) => opened,
        // The last line: damaged (set aside), or unreadable (which set_aside refuses too).
        Err(e) => match e.downcast_ref::<LastLine>() {
            Some(last) => {
                *torn_bytes += last.torn_bytes;
                return Ok(Attempt::SetAside(e));
            }
            None => return Err(e),
        },
    };
    recovery.torn_bytes += std::mem::take(torn_bytes);
    let (mut party, recorded) = match checkpoint {
        Some(c) => (c.party, c.losses),
        None => (fresh(), Vec::new()),
    };
    // The name is the party's file's, not something the checkpoint decides.
    party.name = fresh().name;
    let replayed = match replay_from(&mut party, path, from, recorded) {
        Ok(replayed) => replayed,
        Err(e) if is_anomaly(&e) => return Ok(Attempt::Repair(e)),
        Err(e) => return Err(e),
    };
    Ok(Attempt::Opened(Box::new(Opened {
        party,
        journal,
        recovery,
        replayed,
        repaired: None,
        set_aside: None,
        set_aside_error: None,
    })))
}

/// Opens the journal at `path` and replays it into `fresh()`. Damage is set aside (its bytes
/// kept, a gap entry in its place) and the party starts; a journal left by an older version's
/// unsafe failure path is repaired first where that provably loses nothing acknowledged.
/// Anything else that cannot be read (a whole line this version does not know, a seq going
/// back before the journal's start) is an error naming the line.
pub fn open_party(path: &Path, fresh: impl Fn() -> Party) -> Result<Opened> {
    let mut repaired = None;
    let mut set_aside = None;
    let mut set_aside_error = None;
    let mut torn_bytes = 0;
    // Each fix runs at most once; every try after one reads the fixed journal from scratch.
    for _ in 0..4 {
        let (needs_set_aside, opens) = match attempt(path, &fresh, &mut torn_bytes)? {
            Attempt::Opened(opened)
                if !opened.replayed.losses.found.is_empty() && set_aside_error.is_none() =>
            {
                // Found while replaying: close the journal, record it, open again.
                torn_bytes += opened.recovery.torn_bytes;
                let found = opened.replayed.losses.summary().unwrap_or_default();
                (anyhow::anyhow!("{found}"), true)
            }
            Attempt::Opened(mut opened) => {
                opened.repaired = repaired;
                opened.set_aside = set_aside;
                opened.set_aside_error = set_aside_error;
                return Ok(*opened);
            }
            Attempt::SetAside(e) => (e, false),
            Attempt::Repair(e) => {
                repaired = Some(repair_once(path, repaired, e)?);
                continue;
            }
        };
        if set_aside.is_some() {
            return Err(needs_set_aside
                .context("damage was set aside, yet the journal still reads as damaged"));
        }
        match set_aside::set_aside(path) {
            Ok(Some(done)) => {
                tracing::warn!("journal damage set aside: {}", done.note());
                set_aside = Some(done);
            }
            Ok(None) => return Err(needs_set_aside),
            // A seq going back among the damage: that is repair's, then set aside again.
            Err(e) if e.downcast_ref::<Anomaly>().is_some() => {
                repaired = Some(repair_once(path, repaired, e)?);
            }
            // The journal opens (the damage is mid-file) but cannot be rewritten (a full or
            // failing disk): start without the damage, as replay steps over it.
            Err(e) if opens => {
                let e = format!("{e:#}");
                tracing::error!(error = %e, "journal damage found but not set aside");
                set_aside_error = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    anyhow::bail!("{}: cannot open the journal", path.display())
}

/// Repairs the journal unless that was done already; `e` stands if there is nothing to repair.
fn repair_once(path: &Path, done: Option<Repaired>, e: anyhow::Error) -> Result<Repaired> {
    if done.is_some() {
        return Err(e);
    }
    let Some(done) = repair::repair(path)? else {
        return Err(e);
    };
    tracing::warn!("{}", done.note());
    Ok(done)
}

/// Rebuilds the party from the journal at `path`: from its checkpoint when one checks out,
/// else from the start. What a failed write rolls back to.
pub fn rebuild(path: &Path, fresh: impl Fn() -> Party) -> Result<Party> {
    let (mut party, from, recorded) = match load_checkpoint(path) {
        Some(c) => (c.party, c.at, c.losses),
        None => (fresh(), Position::default(), Vec::new()),
    };
    party.name = fresh().name;
    replay_from(&mut party, path, from, recorded)?;
    Ok(party)
}

/// The journal's checkpoint if it checks out; a reason to ignore it goes to the log.
fn load_checkpoint(path: &Path) -> Option<checkpoint::Checkpoint> {
    checkpoint::load(path).unwrap_or_else(|why| {
        tracing::warn!(journal = %path.display(), "checkpoint ignored (replaying the whole journal): {why}");
        None
    })
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
        Journal::open_from(path, Position::default())
    }

    /// `open` for a journal whose lines up to `from` (a checkpoint's position) are known:
    /// only the lines after it are counted.
    pub fn open_from(path: &Path, from: Position) -> Result<(Journal, Recovery)> {
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
        let mut lines =
            scan::count_lines(&mut file, from.len.min(good), good).with_context(read_err)?;
        lines.newlines += from.lines;
        let next_seq = match scan::last_line(&mut file, good).with_context(read_err)? {
            None => 0,
            Some(last) => {
                let number = lines.newlines - last.newlines_after + 1;
                let e = line::parse::<SeqOnly, SeqOnly>(&last.bytes).map_err(|e| LastLine {
                    anomaly: Anomaly {
                        path: path.to_path_buf(),
                        line: number,
                        what: e.to_string(),
                    },
                    torn_bytes,
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
            entries: lines.newlines - lines.empty - (from.lines - from.entries),
            lines: lines.newlines,
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
    pub fn durable_len(&self) -> u64 {
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

/// The journal's last complete line cannot be read, so the next seq is unknown. A torn tail
/// after it was cut already (`torn_bytes`).
#[derive(Debug, thiserror::Error)]
#[error("{anomaly}")]
pub struct LastLine {
    pub anomaly: Anomaly,
    pub torn_bytes: u64,
}
