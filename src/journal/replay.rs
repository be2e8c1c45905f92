//! Replay: rebuild a party by applying every journaled input in order, as a restart does.
//!
//! Parsing JSON is most of the cost, and lines parse independently, so a reader cuts the file
//! into blocks at line boundaries, parser threads (one per core) take turns, and the caller
//! applies their results in file order. Bounded channels keep a few blocks in memory, never the
//! whole journal.
//!
//! Damaged lines (see `damage`) are stepped over: what they held is found from their intact
//! neighbours and returned in `Replayed::losses`, and replay goes on after them.
use super::checkpoint::Position;
use super::damage::{Finder, GoesBack, Losses};
use super::decode::Decoded;
use super::line::{self, LineError, Sorted};
use crate::core::{Gap, Input, Party, Timestamp};
use anyhow::{Context, Result};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::fs::File;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread;

/// Bytes per block (~3,800 lines): a hand-off per block costs nothing measurable. 4 MiB blocks
/// were no faster on 2 cores but raised peak memory from 14 MB to 41 MB; a Pi has little.
const BLOCK: usize = 1 << 20;
/// Parsed blocks a parser may finish ahead of the applier: one keeps it busy while the applier
/// works, more would only hold memory.
const PARSED_AHEAD: usize = 1;

/// What a replay rebuilt.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replayed {
    /// Entries applied (gap entries included).
    pub entries: u64,
    /// The time of the last entry: party time must not run backwards after a restart.
    pub last_at: Option<Timestamp>,
    /// Stretches lost to damage: recorded in the journal, or found now.
    pub losses: Losses,
}

/// The part of an `Entry` that replay needs: `seq` and `effects` are checked as JSON, not built.
#[derive(Deserialize)]
pub(super) struct ReplayEntry {
    pub seq: u64,
    pub at: Timestamp,
    pub input: Decoded,
}

/// A line from before checksums: no fields but `Entry`'s (see `line`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OldReplayEntry {
    seq: u64,
    at: Timestamp,
    input: Decoded,
    #[serde(default, rename = "effects")]
    _effects: IgnoredAny,
}

impl From<OldReplayEntry> for ReplayEntry {
    fn from(e: OldReplayEntry) -> ReplayEntry {
        ReplayEntry {
            seq: e.seq,
            at: e.at,
            input: e.input,
        }
    }
}

impl ReplayEntry {
    /// The seqs this entry accounts for: its own, or a recorded gap's range.
    pub(super) fn first_seq(&self) -> u64 {
        self.gap().map_or(self.seq, |g| g.first_seq.min(self.seq))
    }
    pub(super) fn gap(&self) -> Option<&crate::core::Gap> {
        match &self.input {
            Decoded::Other(input) => match &**input {
                Input::Gap(gap) => Some(gap),
                _ => None,
            },
            Decoded::Press(_) => None,
        }
    }
}

/// One line's worth, in file order. A salvaged line gives both, damage first.
enum Item {
    Entry {
        line: u64,
        entry: ReplayEntry,
        /// Its checksum matched; and its bytes (newline included), should it be damage after all.
        checked: bool,
        bytes: u64,
    },
    Damaged {
        line: u64,
        bytes: u64,
        starts: u64,
    },
}

/// One block, parsed.
struct Parsed {
    /// Lines in the block, empty ones included, so the applier can number lines.
    lines: u64,
    items: Vec<Item>,
}

/// A whole line this version cannot read (see `LineError::Unreadable`).
struct Unreadable {
    /// 1-based, within its block.
    line: u64,
    error: LineError,
}

/// Apply every complete entry of the journal at `path` to `party`.
///
/// Bytes after the last newline are a torn line, which `Journal::open` drops: they are not
/// applied here either.
pub fn replay(party: &mut Party, path: &Path) -> Result<Replayed> {
    replay_from(party, path, Position::default(), Vec::new())
}

/// Apply the entries after `from` (a checkpoint's position) to `party`, which holds the ones
/// before it; `recorded` are the gap entries before it (the checkpoint keeps them).
pub fn replay_from(
    party: &mut Party,
    path: &Path,
    from: Position,
    recorded: Vec<Gap>,
) -> Result<Replayed> {
    walk(path, from, recorded, &mut |input, at| {
        party.apply(&input, at);
    })
}

/// Reads the journal at `path` as replay does, without a party: what it holds and lost.
pub fn inspect(path: &Path) -> Result<Replayed> {
    walk(path, Position::default(), Vec::new(), &mut |_, _| {})
}

fn walk(
    path: &Path,
    from: Position,
    recorded: Vec<Gap>,
    apply: &mut dyn FnMut(Input, Timestamp),
) -> Result<Replayed> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Replayed::default()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    io::Seek::seek(&mut file, io::SeekFrom::Start(from.len))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let parsers = thread::available_parallelism().map_or(1, NonZeroUsize::get);
    // A parser that panics ends its channel early; the scope then panics too, so a short
    // replay is never mistaken for the whole journal.
    thread::scope(|s| {
        let mut to_parsers = Vec::with_capacity(parsers);
        let mut from_parsers = Vec::with_capacity(parsers);
        // Parsed blocks go back to the reader to be filled again: a fresh buffer costs a page
        // fault per 4 KiB.
        let (spent_tx, spent_rx) = channel::<Vec<u8>>();
        for i in 0..parsers {
            // Rendezvous: the reader holds the next block ready, the parser the one it parses.
            let (block_tx, block_rx) = sync_channel::<Vec<u8>>(0);
            let (parsed_tx, parsed_rx) = sync_channel(PARSED_AHEAD);
            let spent_tx = spent_tx.clone();
            thread::Builder::new()
                .name(format!("replay-parse-{i}"))
                .spawn_scoped(s, move || {
                    for block in block_rx {
                        let parsed = parse_block(&block);
                        let _ = spent_tx.send(block); // the reader may be done: then drop it
                        if parsed_tx.send(parsed).is_err() {
                            break; // the applier stopped at an unreadable line
                        }
                    }
                })
                .context("cannot start a replay thread")?;
            to_parsers.push(block_tx);
            from_parsers.push(parsed_rx);
        }
        let reader = thread::Builder::new()
            .name("replay-read".into())
            .spawn_scoped(s, move || cut_blocks(file, &to_parsers, &spent_rx))
            .context("cannot start a replay thread")?;
        let applied = apply_in_order(apply, &from_parsers, path, from, recorded);
        // After an error, this stops the parsers, whose end stops the reader.
        drop(from_parsers);
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let done = applied?;
        read.with_context(|| format!("cannot read {}", path.display()))?;
        Ok(done)
    })
}

/// A line replay cannot take as it is: whole but unreadable by this version, or a seq that
/// goes back. `open_party` hands these to `repair`, which fixes what it can prove was never
/// acknowledged. (Damage is not an anomaly: it is set aside.)
#[derive(Debug, thiserror::Error)]
#[error("{}: line {line} {what}", path.display())]
pub struct Anomaly {
    pub path: std::path::PathBuf,
    pub line: u64,
    pub what: String,
}

/// Block k goes to parser k % n, so taking results from each parser in turn is file order.
fn apply_in_order(
    apply: &mut dyn FnMut(Input, Timestamp),
    from_parsers: &[Receiver<Result<Parsed, Unreadable>>],
    path: &Path,
    from: Position,
    recorded: Vec<Gap>,
) -> Result<Replayed> {
    let mut done = Replayed {
        entries: from.entries,
        last_at: from.last_at,
        losses: Losses {
            recorded,
            found: Vec::new(),
        },
    };
    let mut lines_before = from.lines;
    let mut finder = Finder::after(from.last_seq.zip(from.last_at));
    let anomaly = |line, what| Anomaly {
        path: path.to_path_buf(),
        line,
        what,
    };
    for from in from_parsers.iter().cycle() {
        // Closed once the reader has sent its last block and this parser has returned it.
        let Ok(parsed) = from.recv() else { break };
        let block = match parsed {
            Ok(block) => block,
            Err(u) => return Err(anomaly(lines_before + u.line, u.error.to_string()).into()),
        };
        for item in block.items {
            let (line, e, checked, bytes) = match item {
                Item::Damaged {
                    line,
                    bytes,
                    starts,
                } => {
                    finder.damaged(lines_before + line, bytes, starts);
                    continue;
                }
                Item::Entry {
                    line,
                    entry,
                    checked,
                    bytes,
                } => (lines_before + line, entry, checked, bytes),
            };
            // Seqs run one by one (a gap entry stands for its range): anything else is damage
            // stepped over, or a journal written by the old, unsafe failure path (a retried
            // batch), which `repair` sorts out.
            match finder.entry(line, e.first_seq(), e.seq, e.at) {
                Ok(found) => done.losses.found.extend(found),
                Err(GoesBack { .. }) if checked => {
                    finder.damaged(line, bytes, 1);
                    continue;
                }
                Err(GoesBack { prev }) => {
                    let what = format!("has seq {} after seq {prev}", e.seq);
                    return Err(anomaly(line, what).into());
                }
            }
            if let Some(gap) = e.gap() {
                done.losses.recorded.push(gap.clone());
            }
            done.entries += 1;
            done.last_at = Some(e.at);
            apply(e.input.into_input(), e.at);
        }
        lines_before += block.lines;
    }
    done.losses.found.extend(finder.end());
    Ok(done)
}

/// Reads `file` in blocks that end at a newline and deals them out to the parsers in turn.
fn cut_blocks(
    mut file: File,
    to_parsers: &[SyncSender<Vec<u8>>],
    spent: &Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut carry = Vec::new();
    let mut sent = 0;
    loop {
        let mut block = spent.try_recv().unwrap_or_default();
        block.clear();
        block.reserve(BLOCK + carry.len());
        block.append(&mut carry);
        // One read, unless a line is longer than a block: then read on until it ends.
        let end = loop {
            let before = block.len();
            if (&mut file).take(BLOCK as u64).read_to_end(&mut block)? == 0 {
                return Ok(()); // what is left in `block` is a torn line
            }
            if let Some(i) = block[before..].iter().rposition(|&b| b == b'\n') {
                break before + i + 1;
            }
        };
        carry = block.split_off(end);
        if to_parsers[sent % to_parsers.len()].send(block).is_err() {
            return Ok(()); // the applier stopped at an unreadable line
        }
        sent += 1;
    }
}

/// Parses a block of whole lines.
fn parse_block(block: &[u8]) -> Result<Parsed, Unreadable> {
    let mut items = Vec::with_capacity(block.len() / 256);
    let mut lines = 0;
    let mut rest = block;
    while let Some(end) = find_newline(rest) {
        let line = &rest[..end];
        rest = &rest[end + 1..];
        lines += 1;
        if line.is_empty() {
            continue;
        }
        match line::sort::<ReplayEntry, OldReplayEntry>(line) {
            Ok(Sorted::Entry { entry, checked }) => items.push(Item::Entry {
                line: lines,
                entry,
                checked,
                bytes: line.len() as u64 + 1,
            }),
            Ok(Sorted::Damaged) => items.push(Item::Damaged {
                line: lines,
                bytes: line.len() as u64 + 1,
                starts: line::entry_starts(line),
            }),
            Ok(Sorted::Salvaged {
                prefix,
                entry,
                checked,
            }) => {
                items.push(Item::Damaged {
                    line: lines,
                    bytes: prefix as u64,
                    starts: line::entry_starts(&line[..prefix]),
                });
                items.push(Item::Entry {
                    line: lines,
                    entry,
                    checked,
                    bytes: (line.len() - prefix) as u64 + 1,
                });
            }
            Err(error) => return Err(Unreadable { line: lines, error }),
        }
    }
    Ok(Parsed { lines, items })
}

/// The first newline in `bytes`, eight bytes at a time (a byte loop was a tenth of parsing).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut start = 0;
    for word in &mut words {
        let w = u64::from_ne_bytes(word.try_into().expect("8 bytes")) ^ NEWLINES;
        // Nonzero iff some byte of `w` is zero, i.e. some byte was a newline.
        if w.wrapping_sub(ONES) & !w & HIGHS != 0 {
            break;
        }
        start += 8;
    }
    let found = bytes[start..].iter().position(|&b| b == b'\n');
    found.map(|i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_newline_wherever_it_is() {
        for len in 0..40 {
            let mut bytes = vec![b'x'; len];
            assert_eq!(find_newline(&bytes), None, "{len}");
            for at in 0..len {
                bytes[at] = b'\n';
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
                bytes[len - 1] = b'\n';
                assert_eq!(find_newline(&bytes), Some(at), "{len} {at}");
                bytes.fill(b'x');
            }
        }
        // Bytes one off a newline (0x0b, 0x09) and high bytes must not look like one.
        let near = "\u{b}\t\u{80}é€x\u{b}\u{b}\u{b}\n".as_bytes();
        assert_eq!(find_newline(near), Some(near.len() - 1));
    }
}
