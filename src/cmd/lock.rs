//! One party-tui per data dir. Two on one journal interleave it (duplicate seqs, lost votes),
//! so the first takes an exclusive lock on `<data dir>/party-tui.lock` and writes its PID in
//! it; a second one attaches to the first (a dashboard) or stops, naming it.
use anyhow::{Context, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

pub(crate) const LOCK_FILE: &str = "party-tui.lock";

/// Held for as long as the party runs; the lock goes with the process (also on kill -9).
#[derive(Debug)]
pub(crate) struct DataDirLock {
    _file: File,
}

/// Someone else holds the data dir.
#[derive(Debug)]
pub(crate) struct Held {
    pub path: PathBuf,
    /// The holder's PID, as it wrote it (None if it had not yet).
    pub pid: Option<u32>,
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = self.pid.map_or("another party-tui".to_string(), |p| {
            format!("party-tui (PID {p})")
        });
        write!(
            f,
            "{who} is already running the party in {}; stop it first, attach to it with \
             `party-tui` (when it serves its vote page), or use another --data-dir",
            self.path.parent().unwrap_or(&self.path).display()
        )
    }
}

/// Takes the data dir's lock, or says who holds it.
pub(crate) fn lock(data_dir: &Path) -> Result<std::result::Result<DataDirLock, Held>> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let pid = text.trim().parse().ok();
            return Ok(Err(Held { path, pid }));
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_data()?;
    Ok(Ok(DataDirLock { _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_first_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap().expect("free");
        let held = lock(dir.path()).unwrap().expect_err("taken");
        assert_eq!(held.pid, Some(std::process::id()));
        assert!(
            held.to_string()
                .contains(&format!("PID {}", std::process::id()))
        );
        drop(first);
        assert!(
            lock(dir.path()).unwrap().is_ok(),
            "free again once the holder is gone"
        );
    }
}
