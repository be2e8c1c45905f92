//! Checkpoints: the party as it stood after a given journal line, saved beside the journal
//! (`<party>.checkpoint`), so a start or a rollback replays only the lines after it instead of
//! the whole night.
//!
//! The journal stays the truth. A checkpoint is only believed when it checks out: its own
//! checksum matches, it is of this journal's format, and the journal still holds the very bytes
//! it was taken after (a checksum of the last few KiB before its offset). A journal that was cut,
//! repaired or replaced since fails that test, and the party is replayed in full, as it always
//! was. So a damaged, stale or foreign checkpoint costs time, never a vote.
//!
//! The file is one JSON line (the checkpoint) and one line with its CRC-32, written atomically.
use crate::core::{Gap, Party, Timestamp};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Bumped whenever the party's saved form changes in a way older checkpoints cannot be read as.
const VERSION: u32 = 1;
/// How much of the journal before the checkpoint's offset its `tail_crc` covers.
const TAIL: u64 = 4096;

/// Where the journal is when the checkpoint was taken: everything `Journal::open` and replay
/// need to carry on from there without reading what lies before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Bytes of whole lines the party holds.
    pub len: u64,
    /// Lines in those bytes, empty ones included (line numbers after it stay right).
    pub lines: u64,
    /// Entries in those bytes.
    pub entries: u64,
    /// The seq of the last entry, if any.
    pub last_seq: Option<u64>,
    /// Its time: party time never runs backwards after a start.
    pub last_at: Option<Timestamp>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    version: u32,
    at: Position,
    /// CRC-32 of the journal's bytes in `[len - TAIL, len)`.
    tail_crc: u32,
    party: Party,
    /// The gap entries before it (damage set aside), for the status line after a start.
    #[serde(default)]
    losses: Vec<Gap>,
}

/// A checkpoint that checked out against its journal.
#[derive(Debug)]
pub struct Checkpoint {
    pub at: Position,
    pub party: Party,
    pub losses: Vec<Gap>,
}

/// The checkpoint file of the journal at `journal`.
pub fn path_for(journal: &Path) -> PathBuf {
    journal.with_extension("checkpoint")
}

/// Saves `party` as it stands after `at` in the journal at `journal`. The party must hold
/// exactly the journal's entries up to `at.len`, and those bytes must be durable.
pub fn save(journal: &Path, at: Position, party: &Party, losses: &[Gap]) -> io::Result<()> {
    let tail_crc = tail_crc(&mut File::open(journal)?, at.len)?;
    let saved = Saved {
        version: VERSION,
        at,
        tail_crc,
        party: party.clone(),
        losses: losses.to_vec(),
    };
    let mut bytes = serde_json::to_vec(&saved).map_err(io::Error::other)?;
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(format!("\n{crc:08x}\n").as_bytes());
    crate::support::atomic_file::write(&path_for(journal), &bytes)
}

/// The checkpoint of the journal at `journal`, if there is one that checks out against it;
/// otherwise why not (for the log), or `Ok(None)` when there is simply none.
pub fn load(journal: &Path) -> Result<Option<Checkpoint>, String> {
    let bytes = match std::fs::read(path_for(journal)) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let saved = parse(&bytes)?;
    let mut file = File::open(journal).map_err(|e| format!("cannot read the journal: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read the journal: {e}"))?
        .len();
    if saved.at.len > len {
        return Err(format!(
            "it is of {} bytes of journal, the journal has {len}",
            saved.at.len
        ));
    }
    let crc =
        tail_crc(&mut file, saved.at.len).map_err(|e| format!("cannot read the journal: {e}"))?;
    if crc != saved.tail_crc {
        return Err("the journal before it changed since it was taken".into());
    }
    Ok(Some(Checkpoint {
        at: saved.at,
        party: saved.party,
        losses: saved.losses,
    }))
}

/// Removes the checkpoint (a journal rewritten as a whole no longer matches it anyway).
pub fn remove(journal: &Path) -> io::Result<()> {
    match std::fs::remove_file(path_for(journal)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn parse(bytes: &[u8]) -> Result<Saved, String> {
    let body_end = bytes
        .strip_suffix(b"\n")
        .and_then(|b| b.iter().rposition(|&c| c == b'\n'))
        .ok_or("it is cut short")?;
    let (body, crc) = (&bytes[..body_end], &bytes[body_end + 1..bytes.len() - 1]);
    let crc = std::str::from_utf8(crc)
        .ok()
        .and_then(|c| u32::from_str_radix(c, 16).ok())
        .ok_or("its checksum line is damaged")?;
    if crc32fast::hash(body) != crc {
        return Err("its checksum does not match".into());
    }
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let version: Version =
        serde_json::from_slice(body).map_err(|e| format!("it cannot be read: {e}"))?;
    if version.version != VERSION {
        return Err(format!(
            "it is of format {}, this version reads {VERSION}",
            version.version
        ));
    }
    serde_json::from_slice(body).map_err(|e| format!("it cannot be read: {e}"))
}

fn tail_crc(file: &mut File, len: u64) -> io::Result<u32> {
    let start = len.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((len - start) as usize);
    file.take(len - start).read_to_end(&mut buf)?;
    if (buf.len() as u64) < len - start {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(crc32fast::hash(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Rules;

    fn journal(dir: &Path, bytes: &[u8]) -> PathBuf {
        let path = dir.join("p.jsonl");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn at(len: u64) -> Position {
        Position {
            len,
            lines: 1,
            entries: 1,
            last_seq: Some(0),
            last_at: Some(Timestamp(5)),
        }
    }

    #[test]
    fn reads_back_what_it_saved_while_the_journal_only_grows() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal(dir.path(), b"line one\n");
        let party = Party::new("p", Rules::default());
        save(&path, at(9), &party, &[]).unwrap();
        std::fs::write(&path, b"line one\nline two\n").unwrap();
        let back = load(&path).unwrap().expect("a checkpoint");
        assert_eq!(back.at, at(9));
        assert_eq!(back.party, party);
    }

    #[test]
    fn is_ignored_with_a_reason_when_anything_does_not_check_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal(dir.path(), b"line one\n");
        assert!(load(&path).unwrap().is_none(), "none saved yet");
        let party = Party::new("p", Rules::default());
        save(&path, at(9), &party, &[]).unwrap();
        let saved = std::fs::read(path_for(&path)).unwrap();

        // The journal before the offset changed (repaired, replaced): not this journal's.
        std::fs::write(&path, b"line 1!!\n").unwrap();
        assert!(load(&path).unwrap_err().contains("changed"));
        // The journal is shorter than the checkpoint (cut back, or another party's file).
        std::fs::write(&path, b"line\n").unwrap();
        assert!(load(&path).unwrap_err().contains("bytes of journal"));
        std::fs::write(&path, b"line one\n").unwrap();

        // A flipped bit anywhere in the checkpoint itself.
        let mut flipped = saved.clone();
        flipped[20] ^= 0x04;
        std::fs::write(path_for(&path), &flipped).unwrap();
        assert!(load(&path).unwrap_err().contains("checksum"));
        // Cut short (a crash cannot do this with an atomic write, a full disk in a copy can).
        std::fs::write(path_for(&path), &saved[..saved.len() / 2]).unwrap();
        assert!(load(&path).is_err());
        std::fs::write(path_for(&path), &saved).unwrap();
        assert!(load(&path).unwrap().is_some());
    }
}
