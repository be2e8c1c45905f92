//! Every entry of a journal, whole and in order, for readers that need their effects (the
//! report, the recap). Damaged lines are stepped over exactly as replay steps over them (the
//! same sorting, the same `Finder`), so a report names the same losses a start records. Read
//! one line at a time: a journal may be larger than a Pi's memory.
use super::Entry;
use super::damage::{Finder, Losses};
use super::line::{self, OldEntry, Sorted};
use crate::core::Input;
use anyhow::{Context, Result};
use std::io::BufRead;
use std::path::Path;

/// Calls `each` with every readable entry of the journal at `path` (gap entries too) and says
/// what was lost. A torn last line (a crash, or the party writing it right now) is left out.
/// Seqs that go back without a checksum (an older version's retried batch) are read as they
/// are, as before.
pub fn read_entries(path: &Path, mut each: impl FnMut(Entry)) -> Result<Losses> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut losses = Losses::default();
    let mut finder = Finder::default();
    let mut buf = Vec::new();
    let mut number = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let Some(text) = buf.strip_suffix(b"\n").filter(|_| n > 0) else {
            break;
        };
        number += 1;
        if text.is_empty() {
            continue;
        }
        let sorted = line::sort::<Entry, OldEntry>(text)
            .with_context(|| format!("{}: line {number}", path.display()))?;
        let (entry, checked, bytes) = match sorted {
            Sorted::Entry { entry, checked } => (entry, checked, text.len() as u64 + 1),
            Sorted::Damaged => {
                let starts = line::entry_starts(text);
                finder.damaged(number, text.len() as u64 + 1, starts);
                continue;
            }
            Sorted::Salvaged {
                prefix,
                entry,
                checked,
            } => {
                let starts = line::entry_starts(&text[..prefix]);
                finder.damaged(number, prefix as u64, starts);
                (entry, checked, (text.len() - prefix) as u64 + 1)
            }
        };
        let gap = match &entry.input {
            Input::Gap(gap) => Some(gap.clone()),
            _ => None,
        };
        let first = gap
            .as_ref()
            .map_or(entry.seq, |g| g.first_seq.min(entry.seq));
        match finder.entry(number, first, entry.seq, entry.at) {
            Ok(found) => losses.found.extend(found),
            // As replay takes it: a checksummed line going back is a stray copy, damage.
            Err(_) if checked => {
                finder.damaged(number, bytes, 1);
                continue;
            }
            Err(_) => {}
        }
        losses.recorded.extend(gap);
        each(entry);
    }
    losses.found.extend(finder.end());
    Ok(losses)
}
