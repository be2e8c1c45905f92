//! Setting damage aside, once, at start: the journal is rewritten with each damaged stretch
//! replaced by a gap entry (`Input::Gap`) that says what it held, so every later read (replay,
//! report, the outlets' tails) is plain and the seqs run on. The damaged bytes go, verbatim
//! and with their line numbers, to `<party>.jsonl.damaged-<time>` beside the journal; the
//! journal as it was stays as `<party>.jsonl.before-set-aside-<time>` (a hard link, as
//! `repair` keeps its originals). The new journal replaces the old one atomically (rename).
//!
//! Outlets keep their place in the journal as a byte offset, so the gap entry takes the damaged
//! stretch's bytes exactly where it fits (padded with blanks, which readers skip) and its lines
//! (the empty ones after it): every offset and line number after it stays as it was. A stretch
//! too short for it (a line cut to a few bytes) makes the file a little longer; an outlet whose
//! cursor is then no line start sends the party again from its start, as for any replaced
//! journal.
use super::damage::{Finder, GoesBack, describe};
use super::line::{self, Sorted};
use super::replay::{OldReplayEntry, ReplayEntry};
use super::{Anomaly, Entry};
use crate::core::{Gap, Input, Timestamp};
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Read and write in pieces this big: the journal may be hundreds of MB, a Pi has little RAM.
const IO_BUFFER: usize = 1 << 20;

/// What setting aside did, for the log and the status line.
#[derive(Clone, Debug, PartialEq)]
pub struct SetAside {
    /// Every stretch set aside, in journal order (one that lost no entry too: it has no gap
    /// entry in the journal).
    pub gaps: Vec<Gap>,
    /// The damaged bytes, one line each with its line number (none when entries were only
    /// missing, with no bytes to keep).
    pub kept: Option<PathBuf>,
    /// The journal as it was.
    pub backup: PathBuf,
}

impl SetAside {
    pub(crate) fn note(&self) -> String {
        let what: Vec<String> = self.gaps.iter().map(describe).collect();
        let kept = self.kept.as_ref().map_or(String::new(), |k| {
            format!("; the damaged bytes are kept in {}", file_name(k))
        });
        format!(
            "{}{kept}; the journal as it was is kept as {}",
            what.join("; "),
            file_name(&self.backup)
        )
    }
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// The time for the names of the files kept beside the journal, made unique (a second damage
/// found within the same second, as a test or a quick restart may).
fn unused_stamp(path: &Path, name: &str) -> String {
    let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    (1..)
        .map(|n| {
            if n == 1 {
                now.clone()
            } else {
                format!("{now}-{n}")
            }
        })
        .find(|stamp| {
            ["damaged", "before-set-aside"].iter().all(|what| {
                !path
                    .with_file_name(format!("{name}.{what}-{stamp}"))
                    .exists()
            })
        })
        .expect("an unused name")
}

/// A damaged stretch not yet replaced: its bytes and newlines in the journal.
#[derive(Default)]
struct Stretch {
    bytes: u64,
    newlines: u64,
}

/// Sets aside every damaged stretch of the journal at `path`. `None`: nothing is damaged or
/// missing. An error names a line that is whole but unreadable, or whose seq goes back (for
/// `repair`): such lines are never set aside.
pub(crate) fn set_aside(path: &Path) -> Result<Option<SetAside>> {
    let name = file_name(path);
    let stamp = unused_stamp(path, &name);
    let temp = path.with_file_name(format!("{name}.setting-aside"));
    let kept = path.with_file_name(format!("{name}.damaged-{stamp}"));
    let mut run = Run {
        out: BufWriter::with_capacity(
            IO_BUFFER,
            File::create(&temp).with_context(|| format!("cannot write {}", temp.display()))?,
        ),
        kept_path: kept,
        kept: None,
        backup: path.with_file_name(format!("{name}.before-set-aside-{stamp}")),
        finder: Finder::default(),
        stretch: Stretch::default(),
        gaps: Vec::new(),
    };
    let copied = run.copy(path);
    let outcome = copied.and_then(|()| run.finish(path, &temp));
    if !matches!(outcome, Ok(Some(_))) {
        let _ = std::fs::remove_file(&temp);
        if run.kept.is_some() {
            let _ = std::fs::remove_file(&run.kept_path);
        }
    }
    outcome
}

struct Run {
    out: BufWriter<File>,
    kept_path: PathBuf,
    /// Created at the first damaged line.
    kept: Option<BufWriter<File>>,
    backup: PathBuf,
    finder: Finder,
    stretch: Stretch,
    gaps: Vec<Gap>,
}

impl Run {
    /// Copies the journal at `path` to `out`, damage replaced.
    fn copy(&mut self, path: &Path) -> Result<()> {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut reader = BufReader::with_capacity(IO_BUFFER, file);
        let mut buf = Vec::new();
        let mut number = 0;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let Some(line) = buf.strip_suffix(b"\n") else {
                // A torn last line: `Journal::open` drops it (it did before this ran).
                let end = self.finder_end();
                self.close(end)?;
                self.out.write_all(&buf)?;
                return Ok(());
            };
            number += 1;
            if line.is_empty() {
                if self.open() {
                    self.stretch.bytes += 1;
                    self.stretch.newlines += 1;
                } else {
                    self.out.write_all(b"\n")?;
                }
                continue;
            }
            let unreadable = |e: line::LineError| Anomaly {
                path: path.to_path_buf(),
                line: number,
                what: e.to_string(),
            };
            match line::sort::<ReplayEntry, OldReplayEntry>(line).map_err(unreadable)? {
                Sorted::Entry { entry, checked } => {
                    self.entry(path, number, &entry, checked, line)?
                }
                Sorted::Damaged => self.damaged(number, line, true)?,
                Sorted::Salvaged {
                    prefix,
                    entry,
                    checked,
                } => {
                    self.damaged(number, &line[..prefix], false)?;
                    self.entry(path, number, &entry, checked, &line[prefix..])?;
                }
            }
        }
        let end = self.finder_end();
        self.close(end)
    }

    fn open(&self) -> bool {
        self.stretch.bytes > 0
    }

    fn finder_end(&mut self) -> Option<Gap> {
        std::mem::take(&mut self.finder).end()
    }

    /// Keeps damaged bytes verbatim: a `whole` line (without its newline), or a line's start.
    fn damaged(&mut self, number: u64, bytes: &[u8], whole: bool) -> Result<()> {
        if self.kept.is_none() {
            let file = File::create(&self.kept_path)
                .with_context(|| format!("cannot write {}", self.kept_path.display()))?;
            let mut w = BufWriter::new(file);
            writeln!(
                w,
                "# Lines party-tui set aside from {} because they were damaged (a checksum that \
                 failed, or bytes that could not be read): each is its line number there, a tab, \
                 and its bytes as they were.",
                file_name(&self.backup)
            )?;
            self.kept = Some(w);
        }
        let kept = self.kept.as_mut().expect("just created");
        write!(kept, "{number}\t")?;
        kept.write_all(bytes)?;
        kept.write_all(b"\n")?;
        // As replay counts them: a whole line with its newline.
        let len = bytes.len() as u64 + u64::from(whole);
        self.finder.damaged(number, len, line::entry_starts(bytes));
        self.stretch.bytes += len;
        self.stretch.newlines += u64::from(whole);
        Ok(())
    }

    /// An intact entry: what was missing before it is recorded, then it is copied as it was.
    /// One whose seq goes back is damage if it has a checksum (see `GoesBack`), else repair's.
    fn entry(
        &mut self,
        path: &Path,
        number: u64,
        e: &ReplayEntry,
        checked: bool,
        bytes: &[u8],
    ) -> Result<()> {
        let found = match self.finder.entry(number, e.first_seq(), e.seq, e.at) {
            Ok(found) => found,
            Err(GoesBack { .. }) if checked => return self.damaged(number, bytes, true),
            Err(GoesBack { prev }) => {
                return Err(Anomaly {
                    path: path.to_path_buf(),
                    line: number,
                    what: format!("has seq {} after seq {prev}", e.seq),
                }
                .into());
            }
        };
        self.close(found)?;
        self.out.write_all(bytes)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Writes what takes the place of the open stretch: the gap entry if it lost entries.
    fn close(&mut self, found: Option<Gap>) -> Result<()> {
        let stretch = std::mem::take(&mut self.stretch);
        let Some(gap) = found else {
            return Ok(());
        };
        let fillers = stretch.newlines.saturating_sub(1);
        if gap.entries == 0 {
            // Nothing to record (no seq is missing): the lines stay, empty.
            self.out
                .write_all(&vec![b'\n'; stretch.newlines as usize])?;
        } else {
            let entry = Entry {
                seq: gap.last_seq,
                at: gap.from.or(gap.to).unwrap_or(Timestamp(0)),
                input: Input::Gap(gap.clone()),
                effects: Vec::new(),
            };
            let mut line = Vec::with_capacity(256);
            line::write(&mut line, &entry)?;
            line.pop();
            let blanks = stretch
                .bytes
                .saturating_sub(line.len() as u64 + 1 + fillers);
            self.out.write_all(&line)?;
            self.out.write_all(&vec![b' '; blanks as usize])?;
            self.out.write_all(b"\n")?;
            self.out.write_all(&vec![b'\n'; fillers as usize])?;
        }
        self.gaps.push(gap);
        Ok(())
    }

    /// Puts the new journal in place, keeping the old one, once everything is on disk.
    fn finish(&mut self, path: &Path, temp: &Path) -> Result<Option<SetAside>> {
        if self.gaps.is_empty() {
            return Ok(None);
        }
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        if let Some(kept) = &mut self.kept {
            kept.flush()?;
            kept.get_ref().sync_all()?;
        }
        std::fs::hard_link(path, &self.backup)
            .with_context(|| format!("cannot keep the original as {}", self.backup.display()))?;
        std::fs::rename(temp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(Some(SetAside {
            gaps: std::mem::take(&mut self.gaps),
            kept: self.kept.is_some().then(|| self.kept_path.clone()),
            backup: self.backup.clone(),
        }))
    }
}

#[cfg(test)]
#[path = "set_aside_tests.rs"]
mod tests;
