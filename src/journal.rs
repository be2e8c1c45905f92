//! Append-only JSON Lines journal, one file per party. (Minimal version; being extended.)
use crate::core::{Effect, Input, Party, Timestamp};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
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

pub struct Journal {
    file: File,
    next_seq: u64,
}

impl Journal {
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
        let text = std::fs::read(path)?;
        let good = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let mut recovery = Recovery {
            torn_bytes: (text.len() - good) as u64,
            ..Recovery::default()
        };
        if recovery.torn_bytes > 0 {
            file.set_len(good as u64)?;
        }
        let mut next_seq = 0;
        for (i, line) in text[..good].split(|&b| b == b'\n').enumerate() {
            if line.is_empty() {
                continue;
            }
            let e: SeqOnly = serde_json::from_slice(line)
                .with_context(|| format!("{}: line {} is corrupt", path.display(), i + 1))?;
            next_seq = e.seq + 1;
            recovery.entries += 1;
        }
        file.flush()?;
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

#[derive(Deserialize)]
struct ReplayEntry {
    at: Timestamp,
    input: Input,
}

/// What a replay rebuilt.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Replayed {
    pub entries: u64,
    /// The time of the last entry: party time must not run backwards after a restart.
    pub last_at: Option<Timestamp>,
}

/// Apply every complete entry of the journal at `path` to `party`.
pub fn replay(party: &mut Party, path: &Path) -> Result<Replayed> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replayed::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut done = Replayed::default();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let e: ReplayEntry = match serde_json::from_str(&line) {
            Ok(e) => e,
            Err(err) => bail!("{}: line {} is corrupt: {err}", path.display(), i + 1),
        };
        party.apply(&e.input, e.at);
        done.entries += 1;
        done.last_at = Some(e.at);
    }
    Ok(done)
}

/// The parties in a data dir: `<dir>/parties/<name>.jsonl` and a `current` file naming one.
pub struct PartyStore {
    dir: PathBuf,
}

impl PartyStore {
    pub fn open(data_dir: &Path) -> Result<PartyStore> {
        let dir = data_dir.join("parties");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(PartyStore { dir })
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.jsonl"))
    }
    /// The current party, if one was ever started here.
    pub fn current(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(self.dir.join("current")) {
            Ok(name) if !name.trim().is_empty() => Ok(Some(name.trim().to_string())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        }
    }
    pub fn current_or_new(&self) -> Result<String> {
        match self.current()? {
            Some(name) => Ok(name),
            None => self.new_party(),
        }
    }
    pub fn new_party(&self) -> Result<String> {
        let base = chrono::Local::now().format("%Y-%m-%d_%H%M").to_string();
        let mut name = base.clone();
        let mut n = 2;
        while self.path(&name).exists() {
            name = format!("{base}-{n}");
            n += 1;
        }
        std::fs::write(self.dir.join("current"), &name)?;
        Ok(name)
    }
    pub fn list(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".jsonl")
                    .map(String::from)
            })
            .collect();
        names.sort();
        Ok(names)
    }
}
