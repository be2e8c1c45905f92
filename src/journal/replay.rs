//! Replay: rebuild a party by applying every journaled input in order, as a restart does.
//!
//! Parsing JSON is most of the cost, and lines parse independently, so a reader cuts the file
//! into blocks at line boundaries, parser threads (one per core) take turns, and the caller
//! applies their results in file order. Bounded channels keep a few blocks in memory, never the
//! whole journal.
use super::checkpoint::Position;
use super::decode::Decoded;
use super::line::{self, LineError};
use crate::core::{Party, Timestamp};
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
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Replayed {
    pub entries: u64,
    /// The time of the last entry: party time must not run backwards after a restart.
    pub last_at: Option<Timestamp>,
}

/// The part of an `Entry` that replay needs: `seq` and `effects` are checked as JSON, not built.
#[derive(Deserialize)]
struct ReplayEntry {
    seq: u64,
    at: Timestamp,
    input: Decoded,
}

/// A line from before checksums: no fields but `Entry`'s (see `line`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OldReplayEntry {
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

/// One block, parsed.
struct Parsed {
    /// Lines in the block, empty ones included, so the applier can number lines.
    lines: u64,
    /// (seq, line within the block, time, input)
    events: Vec<(u64, u64, Timestamp, Decoded)>,
}

struct Corrupt {
    /// 1-based, within its block.
    line: u64,
    error: LineError,
}

/// Apply every complete entry of the journal at `path` to `party`.
///
/// Bytes after the last newline are a torn line, which `Journal::open` drops: they are not
/// applied here either.
pub fn replay(party: &mut Party, path: &Path) -> Result<Replayed> {
    replay_from(party, path, Position::default())
}

/// Apply the entries after `from` (a checkpoint's position) to `party`, which holds the ones
/// before it.
pub fn replay_from(party: &mut Party, path: &Path, from: Position) -> Result<Replayed> {
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
                            break; // the applier stopped at a corrupt line
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
        let applied = apply_in_order(party, &from_parsers, path, from);
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

/// A line replay cannot take as it is: corrupt, or a seq that does not follow the one before.
/// `open_party` hands these to `repair`, which fixes what it can prove was never acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("{}: line {line} {what}", path.display())]
pub struct Anomaly {
    pub path: std::path::PathBuf,
    pub line: u64,
    pub what: String,
}

/// Block k goes to parser k % n, so taking results from each parser in turn is file order.
fn apply_in_order(
    party: &mut Party,
    from_parsers: &[Receiver<Result<Parsed, Corrupt>>],
    path: &Path,
    from: Position,
) -> Result<Replayed> {
    let mut done = Replayed {
        entries: from.entries,
        last_at: from.last_at,
    };
    let mut lines_before = from.lines;
    let mut last_seq: Option<u64> = from.last_seq;
    for from in from_parsers.iter().cycle() {
        // Closed once the reader has sent its last block and this parser has returned it.
        let Ok(parsed) = from.recv() else { break };
        let block = match parsed {
            Ok(block) => block,
            Err(c) => {
                return Err(Anomaly {
                    path: path.to_path_buf(),
                    line: lines_before + c.line,
                    what: c.error.to_string(),
                }
                .into());
            }
        };
        done.entries += block.events.len() as u64;
        done.last_at = block
            .events
            .last()
            .map(|(_, _, at, _)| *at)
            .or(done.last_at);
        for (seq, line, at, input) in block.events {
            // Seqs run one by one: anything else is a journal written by the old, unsafe
            // failure path (a retried batch) or damage, which `repair` sorts out or names.
            if let Some(prev) = last_seq.filter(|&p| p.checked_add(1) != Some(seq)) {
                return Err(Anomaly {
                    path: path.to_path_buf(),
                    line: lines_before + line,
                    what: format!("has seq {seq} after seq {prev}"),
                }
                .into());
            }
            last_seq = Some(seq);
            party.apply(&input.into_input(), at);
        }
        lines_before += block.lines;
    }
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
            return Ok(()); // the applier stopped at a corrupt line
        }
        sent += 1;
    }
}

/// Parses a block of whole lines.
fn parse_block(block: &[u8]) -> Result<Parsed, Corrupt> {
    let mut events = Vec::with_capacity(block.len() / 256);
    let mut lines = 0;
    let mut rest = block;
    while let Some(end) = find_newline(rest) {
        let line = &rest[..end];
        rest = &rest[end + 1..];
        lines += 1;
        if line.is_empty() {
            continue;
        }
        match line::parse::<ReplayEntry, OldReplayEntry>(line) {
            Ok(e) => events.push((e.seq, lines, e.at, e.input)),
            Err(error) => return Err(Corrupt { line: lines, error }),
        }
    }
    Ok(Parsed { lines, events })
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
