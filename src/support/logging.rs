//! Logs go to a file in the data dir, never to the screen (the dashboard owns the terminal).
//!
//! The log file usually shares its disk with the journal, so it fills up at the same moment.
//! A full disk takes the part of a `write` that fits, which would leave a torn line with the
//! next one glued to it: `WholeLines` writes each line whole or not at all, counts what it
//! could not write, and says so in the log once writing works again.
use anyhow::{Context, Result};
use std::io;
use std::path::{Path, PathBuf};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

pub(crate) const LOG_FILE: &str = "party-tui.log";

/// Install the file logger. Keep the guard alive until exit or the last lines are lost.
pub(crate) fn init(data_dir: &Path) -> Result<(WorkerGuard, PathBuf)> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create log dir {}", dir.display()))?;
    // Opened here, not by tracing-appender's `rolling::never`, which panics when it cannot
    // create the file (a read-only filesystem, a root-owned logs dir).
    let path = dir.join(LOG_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot create the log file {}", path.display()))?;
    // The fmt layer formats each event into one buffer and hands it over in one write; the
    // non-blocking worker passes it on as one message, so a `write` here is one whole line.
    let (writer, guard) = tracing_appender::non_blocking(WholeLines::new(file));
    let filter =
        EnvFilter::try_from_env("PARTY_TUI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // rspotify logs every request with its headers, bearer token included: keep it quiet
    // whatever PARTY_TUI_LOG says, so no Spotify secret reaches the log file.
    let filter = filter
        .add_directive("rspotify=warn".parse().expect("valid directive"))
        .add_directive("rspotify_http=warn".parse().expect("valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    Ok((guard, path))
}

/// What `WholeLines` needs of a file (a trait so a test can fail it half-way through a line).
pub(crate) trait LogFile {
    /// One `write(2)`: how much of `buf` went in.
    fn write_once(&mut self, buf: &[u8]) -> io::Result<usize>;
    fn len(&self) -> io::Result<u64>;
    fn set_len(&mut self, len: u64) -> io::Result<()>;
}

impl LogFile for std::fs::File {
    fn write_once(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::Write::write(self, buf)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        std::fs::File::set_len(self, len)
    }
}

/// Writes each line it is given in one write of the whole line, or not at all.
pub(crate) struct WholeLines<F> {
    file: F,
    /// Lines not written since the last one that was.
    dropped: u64,
    /// Why the first of them was not: a full disk (ENOSPC, or a write that took part of a
    /// line), or the error in words.
    why: Option<String>,
    /// Bytes at the end of the file that are part of a line, not yet cut off.
    torn: Option<u64>,
}

impl<F: LogFile> WholeLines<F> {
    pub(crate) fn new(file: F) -> Self {
        WholeLines {
            file,
            dropped: 0,
            why: None,
            torn: None,
        }
    }

    /// Writes `line` whole, first saying how many lines were dropped before it; a line that
    /// cannot go in whole is counted instead.
    fn put(&mut self, line: &[u8]) {
        if let Err(e) = self.cut_torn() {
            return self.drop_line(&e);
        }
        if self.dropped > 0 {
            let note = dropped_note(self.dropped, self.why.as_deref().unwrap_or("?"));
            if let Err(e) = self.write_whole(note.as_bytes()) {
                return self.drop_line(&e);
            }
            self.dropped = 0;
            self.why = None;
        }
        if let Err(e) = self.write_whole(line) {
            self.drop_line(&e);
        }
    }

    fn drop_line(&mut self, e: &io::Error) {
        self.dropped += 1;
        self.why
            .get_or_insert_with(|| match (e.kind(), e.raw_os_error()) {
                (io::ErrorKind::WriteZero, _) | (_, Some(libc::ENOSPC)) => DISK_FULL.into(),
                _ => format!("the log file could not be written ({e})"),
            });
    }

    fn write_whole(&mut self, line: &[u8]) -> io::Result<()> {
        let n = self.file.write_once(line)?;
        if n == line.len() {
            return Ok(());
        }
        // Only what fitted went in: take it out again before anything else is written. The
        // file is opened for appending, so the part is at its end. (A second dashboard
        // appending to the same file in this very instant could lose its line instead;
        // better than a torn one in every full-disk night.)
        self.torn = Some(n as u64);
        let _ = self.cut_torn();
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "only part of the line fitted",
        ))
    }

    fn cut_torn(&mut self) -> io::Result<()> {
        let Some(n) = self.torn else {
            return Ok(());
        };
        let len = self.file.len()?;
        self.file.set_len(len.saturating_sub(n))?;
        self.torn = None;
        Ok(())
    }
}

impl<F: LogFile> io::Write for WholeLines<F> {
    /// Always "written": the logger's worker has nobody to tell about a failure but stderr,
    /// which is the dashboard's screen.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() {
            self.put(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const DISK_FULL: &str = "the disk was full";

/// The line that stands for lines that could not be written, in the fmt layer's own format.
fn dropped_note(n: u64, why: &str) -> String {
    use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
    let mut time = String::new();
    let _ = SystemTime.format_time(&mut tracing_subscriber::fmt::format::Writer::new(&mut time));
    let lines = if n == 1 { "line" } else { "lines" };
    format!(
        "{time}  WARN {}: {n} log {lines} dropped while {why}\n",
        module_path!()
    )
}

#[cfg(test)]
#[path = "logging_tests.rs"]
mod tests;
