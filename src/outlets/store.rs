//! The exporter's own files in the data dir, per party: `export/<party>.cursor` (how far the
//! receiver has acknowledged) and `export/<party>.dead.jsonl` (events a receiver refused for
//! good). Every other outlet keeps its own pair beside them (`<party>.mqtt.cursor`,
//! `<party>.triggers.cursor`, …), all in this one format.
use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Byte offset in the journal just after the last acknowledged line.
    pub offset: u64,
    /// The seq of that line, for people reading the file.
    pub seq: Option<u64>,
}

/// A cursor file written atomically: a crash leaves the old cursor or the new one, never half.
#[derive(Clone, Debug)]
pub struct CursorFile {
    path: PathBuf,
}

impl CursorFile {
    pub fn new(path: PathBuf) -> Self {
        CursorFile { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The saved cursor; a missing or unreadable one starts from the beginning, because
    /// sending an event twice (same id) is harmless and losing one is not.
    pub fn load(&self) -> Cursor {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %self.path.display(), error = %e, "unreadable cursor; starting over");
                Cursor::default()
            }),
            Err(_) => Cursor::default(),
        }
    }

    /// Atomically (support::atomic_file): the old cursor or the new one after a crash.
    pub(crate) fn save(&self, cursor: Cursor) -> std::io::Result<()> {
        crate::support::atomic_file::write(&self.path, &serde_json::to_vec(&cursor)?)
    }
}

/// `<store_dir>/export/<party>.<suffix>`.
pub(crate) fn export_file(store_dir: &Path, party: &str, suffix: &str) -> PathBuf {
    store_dir.join("export").join(format!("{party}.{suffix}"))
}

/// One refused event, with why, appended and synced before the cursor passes it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeadLetter {
    /// The receiver's refusal (4xx); 0 when it never answered within the outlet's attempts.
    pub status: u16,
    pub reason: String,
    pub event: serde_json::Value,
}

pub(crate) fn append_dead_letters(path: &Path, letters: &[DeadLetter]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut buf = Vec::new();
    for l in letters {
        serde_json::to_writer(&mut buf, l)?;
        buf.push(b'\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    std::io::Write::write_all(&mut f, &buf)?;
    f.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_a_bad_file_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let file = CursorFile::new(export_file(dir.path(), "fri", "cursor"));
        assert_eq!(file.load(), Cursor::default());
        let c = Cursor {
            offset: 1234,
            seq: Some(9),
        };
        file.save(c).unwrap();
        assert_eq!(file.load(), c);
        assert!(!file.path().with_extension("cursor.tmp").exists());
        std::fs::write(file.path(), "{garbage").unwrap();
        assert_eq!(file.load(), Cursor::default());
    }

    #[test]
    fn dead_letters_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = export_file(dir.path(), "fri", "dead.jsonl");
        let letter = |n| DeadLetter {
            status: 400,
            reason: "bad".into(),
            event: serde_json::json!({ "n": n }),
        };
        append_dead_letters(&path, &[letter(1)]).unwrap();
        append_dead_letters(&path, &[letter(2), letter(3)]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
    }
}
