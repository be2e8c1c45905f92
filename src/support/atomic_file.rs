//! The one way a small file is replaced for good: written to a temporary file in the same
//! directory, synced, renamed over the old one, and the directory synced, so a crash or a
//! power cut leaves the old contents or the new, never half (cursors, tokens, keys, epochs).
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a file is written; `AtomicFile::default()` replaces it with the process's default mode.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AtomicFile {
    private: bool,
    keep_existing: bool,
}

/// Replaces `path` with `bytes` (default permissions).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    AtomicFile::default().write(path, bytes)
}

/// Replaces `path` with `bytes`, owner-only (0600) from the first byte.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    AtomicFile::default().private().write(path, bytes)
}

impl AtomicFile {
    /// Owner-only (0600) from the first byte, never widened: the file holds a secret.
    pub(crate) fn private(mut self) -> Self {
        self.private = true;
        self
    }

    /// Fail with `AlreadyExists` instead of replacing a file that is there: two processes
    /// creating the same token agree on the first one's.
    pub(crate) fn keep_existing(mut self) -> Self {
        self.keep_existing = true;
        self
    }

    pub(crate) fn write(self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)?;
        let tmp = temp_path(path);
        let result = self.write_temp(&tmp, bytes).and_then(|()| {
            if self.keep_existing {
                link_if_absent(&tmp, path)
            } else {
                std::fs::rename(&tmp, path)
            }
        });
        // After a rename this finds nothing; after a link or a failure it tidies up.
        let _ = std::fs::remove_file(&tmp);
        result?;
        sync_dir(dir)
    }

    fn write_temp(self, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if self.private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        }
        let mut f = opts.open(tmp)?;
        // A leftover temporary file keeps its old mode: tighten it before writing a secret.
        #[cfg(unix)]
        if self.private {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()
    }
}

/// A hard link never replaces its target: the atomic "create if absent". Filesystems without
/// hard links (FAT on a USB stick) get a check then a rename, racy only between two starts.
fn link_if_absent(tmp: &Path, path: &Path) -> io::Result<()> {
    match std::fs::hard_link(tmp, path) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
            if path.exists() {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            std::fs::rename(tmp, path)
        }
        done => done,
    }
}

/// Unique per process and call, beside the target (a rename across filesystems is a copy).
fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.tmp{}.{n}", std::process::id()))
}

/// The rename is durable only once the directory entry is.
/// Makes the rename itself durable. A filesystem that cannot sync a directory at all (some
/// FUSE and network mounts answer EINVAL or ENOTSUP) has nothing more to give: the new file is
/// in place, so that is not a failure of the write; any other error is.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    match std::fs::File::open(dir)?.sync_all() {
        Err(e) if unsupported(&e) => {
            tracing::debug!(dir = %dir.display(), error = %e, "directory cannot be synced here");
        }
        other => other?,
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(unix)]
fn unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOTSUP | libc::ENOSYS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    #[cfg(unix)]
    fn a_private_file_is_owner_only_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("secret");
        write_private(&path, b"x").unwrap();
        write_private(&path, b"y").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"y");
        assert_eq!(
            names(&dir.path().join("sub")),
            ["secret"],
            "no temporary file left"
        );
    }

    #[test]
    fn keep_existing_refuses_to_replace_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let first = AtomicFile::default().private().keep_existing();
        first.write(&path, b"one").unwrap();
        let err = first.write(&path, b"two").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write(&path, b"three").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        assert_eq!(names(dir.path()), ["token"]);
    }
}
