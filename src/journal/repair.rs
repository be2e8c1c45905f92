//! Repairing a journal that an older party-tui wrote on its unsafe failure path: after a failed
//! write or sync it left what it had written (a torn line, or whole lines that were never
//! synced) and wrote the retried batch right after it, with the same seqs. Nothing in such a
//! batch was acknowledged (answers came only after a successful sync), so it can go:
//! - a line that does not parse but ends in a whole entry with the next seq (or an earlier
//!   one) is a torn write glued to the retried batch's first line: the torn part goes, the
//!   entry stays;
//! - a seq that goes back to one already seen means the lines from that seq on were a failed
//!   batch, retried: they go, the retry stays.
//!
//! Damage is not this module's: a line that cannot be read otherwise, or seqs that jump
//! ahead, stay as they are for `set_aside`. A seq that goes back before the journal's first
//! entry cannot be explained and stays an error that names the line.
use super::line;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a repair did, for the log and the status line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repaired {
    /// Torn bytes removed from the front of lines.
    pub torn_bytes: u64,
    /// Whole entries dropped because a retried batch replaced them.
    pub retried_entries: u64,
    /// Where the journal as it was is kept.
    pub backup: PathBuf,
}

impl Repaired {
    pub(crate) fn note(&self) -> String {
        format!(
            "repaired the journal: dropped {} never-acknowledged entries and {} torn bytes \
             left by a failed write (the original is kept as {})",
            self.retried_entries,
            self.torn_bytes,
            self.backup.display()
        )
    }
}

/// Repairs the journal at `path` in place (keeping the original beside it), or says why not.
/// `None`: nothing in it looks like a failed write (the caller's own error stands).
pub(crate) fn repair(path: &Path) -> Result<Option<Repaired>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (kept, mut repaired) = plan(&bytes).map_err(|(line, what)| {
        anyhow::anyhow!(
            "{}: line {line} {what}. party-tui cannot tell which entries are the real ones, so \
             it changes nothing. Keep the file and start a new party with --new-party",
            path.display()
        )
    })?;
    if repaired == Repaired::default() {
        return Ok(None);
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("journal");
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    repaired.backup = path.with_file_name(format!("{name}.before-repair-{stamp}"));
    let temp = path.with_file_name(format!("{name}.repairing"));
    let mut out =
        std::fs::File::create(&temp).with_context(|| format!("cannot write {}", temp.display()))?;
    for line in &kept {
        out.write_all(line)?;
        out.write_all(b"\n")?;
    }
    out.sync_all()?;
    std::fs::hard_link(path, &repaired.backup)
        .with_context(|| format!("cannot keep the original as {}", repaired.backup.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(Some(repaired))
}

/// The (1-based) line that cannot be repaired, and why.
type Unrepairable = (u64, String);

/// The lines to keep, or why not.
fn plan(bytes: &[u8]) -> Result<(Vec<&[u8]>, Repaired), Unrepairable> {
    // After the last newline is a torn tail: `Journal::open` drops it; so does this.
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Each kept line with its seq; none for a damaged one (kept for `set_aside`).
    let mut kept: Vec<(Option<u64>, &[u8])> = Vec::new();
    let mut prev: Option<u64> = None;
    let mut repaired = Repaired::default();
    for (i, line) in bytes[..end].split(|&b| b == b'\n').enumerate() {
        let number = i as u64 + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (seq, line) = match seq_of(line) {
            Ok(seq) => (seq, line),
            // Glued to a torn write only if it repeats or continues the seqs: otherwise the
            // bytes before it may have held entries, and they are damage to set aside.
            Err(_) => match salvage(line).filter(|&(s, _)| prev.is_none_or(|p| s <= p + 1)) {
                Some((seq, rest)) => {
                    repaired.torn_bytes += (line.len() - rest.len()) as u64;
                    (seq, rest)
                }
                None => {
                    kept.push((None, line));
                    continue;
                }
            },
        };
        if prev.is_some_and(|p| seq <= p) {
            let Some(from) = kept.iter().position(|&(s, _)| s == Some(seq)) else {
                return Err((
                    number,
                    format!("goes back to seq {seq}, before the journal's first entry"),
                ));
            };
            repaired.retried_entries +=
                kept[from..].iter().filter(|(s, _)| s.is_some()).count() as u64;
            kept.truncate(from);
        }
        kept.push((Some(seq), line));
        prev = Some(seq);
    }
    Ok((kept.into_iter().map(|(_, l)| l).collect(), repaired))
}

fn seq_of(line: &[u8]) -> Result<u64, line::LineError> {
    line::read(line).map(|e| e.seq)
}

/// The whole entry at the end of a line that begins with a torn write, if there is one.
fn salvage(line: &[u8]) -> Option<(u64, &[u8])> {
    const START: &[u8] = br#"{"seq":"#;
    let at = line
        .windows(START.len())
        .rposition(|w| w == START)
        .filter(|&i| i > 0)?;
    let rest = &line[at..];
    seq_of(rest).ok().map(|seq| (seq, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, who: &str) -> String {
        format!(
            r#"{{"seq":{seq},"at":{},"input":{{"type":"press","voter":"guest:{who}","origin":"phone","kind":{{"vote":"like"}}}}}}"#,
            1000 + seq % 1000
        )
    }

    fn kept_seqs(text: &str) -> Result<(Vec<u64>, Repaired), Unrepairable> {
        plan(text.as_bytes()).map(|(lines, r)| {
            let seqs = lines.iter().map(|l| seq_of(l).unwrap()).collect();
            (seqs, r)
        })
    }

    #[test]
    fn a_torn_write_glued_to_the_retried_batch_loses_only_what_was_never_acknowledged() {
        // Batch {1, 2} failed after line 1 and half of line 2; the retry wrote 1, 2, 3.
        let torn = &line(2, "b")[..30];
        let text = format!(
            "{}\n{}\n{torn}{}\n{}\n{}\n",
            line(0, "a"),
            line(1, "x"),
            line(1, "b"),
            line(2, "c"),
            line(3, "d")
        );
        let (seqs, r) = kept_seqs(&text).unwrap();
        assert_eq!(seqs, vec![0, 1, 2, 3]);
        assert_eq!((r.torn_bytes, r.retried_entries), (30, 1));
        let (lines, _) = plan(text.as_bytes()).unwrap();
        assert!(String::from_utf8_lossy(lines[1]).contains("guest:b"));
    }

    #[test]
    fn whole_lines_of_a_batch_whose_sync_failed_give_way_to_its_retry() {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n",
            line(0, "a"),
            line(1, "x"),
            line(2, "y"),
            line(1, "b"),
            line(2, "c")
        );
        let (seqs, r) = kept_seqs(&text).unwrap();
        assert_eq!(seqs, vec![0, 1, 2]);
        assert_eq!(r.retried_entries, 2);
    }

    #[test]
    fn gaps_and_damage_are_left_for_set_aside_and_only_going_back_is_an_error() {
        let gap = format!("{}\n{}\n", line(0, "a"), line(5, "b"));
        let garbage = format!("{}\nnot json at all\n{}\n", line(0, "a"), line(1, "b"));
        for text in [gap, garbage] {
            let (lines, r) = plan(text.as_bytes()).unwrap();
            assert_eq!(r, Repaired::default(), "{text}");
            assert_eq!(lines.len(), text.lines().count());
        }
        let before = format!("{}\n{}\n", line(3, "a"), line(1, "b"));
        let (number, what) = kept_seqs(&before).unwrap_err();
        assert_eq!(number, 2);
        assert!(what.contains("before"), "{what}");
        let max = format!("{}\n{}\n", line(u64::MAX, "a"), line(0, "b"));
        assert!(kept_seqs(&max).is_err(), "seq does not wrap");
    }

    fn checked(seq: u64, who: &str) -> String {
        let mut buf = Vec::new();
        line::write(&mut buf, &line::read(line(seq, who).as_bytes()).unwrap()).unwrap();
        buf.pop();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn checksummed_lines_repair_alike_and_damage_is_left_alone() {
        // The old failure path's torn write, glued to a retried line that has a checksum.
        let torn = &checked(2, "b")[..40];
        let text = format!(
            "{}\n{}\n{torn}{}\n{}\n",
            checked(0, "a"),
            checked(1, "x"),
            checked(1, "b"),
            checked(2, "c"),
        );
        let (seqs, r) = kept_seqs(&text).unwrap();
        assert_eq!(seqs, vec![0, 1, 2]);
        assert_eq!((r.torn_bytes, r.retried_entries), (40, 1));
        // A line whose checksum fails is no torn write: it stays, for `set_aside`.
        let damaged = checked(1, "bob").replace("bob", "rob");
        let text = format!("{}\n{damaged}\n{}\n", checked(0, "a"), checked(2, "c"));
        let (lines, r) = plan(text.as_bytes()).unwrap();
        assert_eq!(r, Repaired::default());
        assert_eq!(lines[1], damaged.as_bytes());
        // Nor is damage that ran into the next line's start: the entry after it jumps ahead.
        let glued = format!("{}{}", &checked(1, "x")[..30], checked(3, "c"));
        let text = format!("{}\n{glued}\n", checked(0, "a"));
        let (lines, r) = plan(text.as_bytes()).unwrap();
        assert_eq!(r, Repaired::default());
        assert_eq!(lines[1], glued.as_bytes());
    }

    #[test]
    fn repair_keeps_the_original_and_rewrites_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let text = format!("{}\n{}\n{}\n", line(0, "a"), line(1, "x"), line(1, "b"));
        std::fs::write(&path, &text).unwrap();
        let r = repair(&path).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(&r.backup).unwrap(), text);
        let now = std::fs::read_to_string(&path).unwrap();
        assert_eq!(now, format!("{}\n{}\n", line(0, "a"), line(1, "b")));
        assert!(r.note().contains("1 never-acknowledged"));
    }
}
