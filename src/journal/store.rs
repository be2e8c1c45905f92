//! The parties in a data dir: `<dir>/parties/<name>.jsonl` and a `current` file naming one.
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

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
    /// The store in `data_dir` if one was ever made there (nothing is created).
    pub(crate) fn existing(data_dir: &Path) -> Option<PartyStore> {
        let dir = data_dir.join("parties");
        dir.is_dir().then_some(PartyStore { dir })
    }
    /// Files holding the damaged lines set aside from a party's journal, oldest first.
    pub(crate) fn set_aside_files(&self, name: &str) -> Vec<PathBuf> {
        let prefix = format!("{name}.jsonl.damaged-");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .map(|e| e.path())
            .collect();
        files.sort();
        files
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.jsonl"))
    }
    /// The current party, if one was ever started here.
    pub(crate) fn current(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(self.dir.join("current")) {
            Ok(name) if !name.trim().is_empty() => Ok(Some(name.trim().to_string())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        }
    }
    pub(crate) fn current_or_new(&self) -> Result<String> {
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
    pub(crate) fn list(&self) -> Result<Vec<String>> {
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
