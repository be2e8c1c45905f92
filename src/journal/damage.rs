//! Damaged stretches of a journal and what they held. A line whose checksum fails, or that
//! cannot be read in the middle of the file (a bit flip, a block of zeros from a failing SD
//! card, a line cut short), is damage: it cannot say which entry it was, but its intact
//! neighbours can. The entry before it and the one after it give the seqs and the time
//! between which entries were lost; `Finder` works that out line by line, for every reader
//! of a journal alike (replay, report, recap, doctor, and `set_aside`, which records it).
use crate::core::{Gap, Timestamp};
use chrono::{DateTime, TimeZone};
use std::fmt::Display;

/// The shortest line an entry can take: `{"seq":0,"at":0,"input":{"type":"tick"},"crc":"…"}`
/// and its newline. Damage at the journal's end has no entry after it to count by, so its
/// bytes over this are an upper bound of the entries it held.
pub(crate) const MIN_ENTRY_BYTES: u64 = 57;

/// What reading a journal found lost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Losses {
    /// Gap entries in the journal: damage set aside at an earlier start.
    pub recorded: Vec<Gap>,
    /// Damage found now, not recorded yet (the next start sets it aside).
    pub found: Vec<Gap>,
}

impl Losses {
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty() && self.found.is_empty()
    }
    /// Recorded first, then found: each in journal order.
    pub fn all(&self) -> impl Iterator<Item = &Gap> {
        self.recorded.iter().chain(&self.found)
    }
    /// In the host's words, one sentence per stretch (local time); `None` if nothing was lost.
    pub fn summary(&self) -> Option<String> {
        let all: Vec<String> = self.all().map(describe).collect();
        (!all.is_empty()).then(|| all.join("; "))
    }
    /// Short enough for the status line: one stretch as `summary` says it, several in one
    /// sentence ("16 damaged entries set aside at lines 500, 1496 and 2487 (03:09–04:16)").
    pub fn short(&self) -> Option<String> {
        self.short_in(&chrono::Local)
    }
    pub fn short_in<Tz: TimeZone>(&self, tz: &Tz) -> Option<String>
    where
        Tz::Offset: Display,
    {
        let all: Vec<&Gap> = self.all().collect();
        match all.as_slice() {
            [] => None,
            [one] => Some(describe_in(one, tz)),
            many => {
                let entries: u64 = many.iter().map(|g| g.entries).sum();
                let lines: Vec<String> = many.iter().map(|g| g.line.to_string()).collect();
                let (last, rest) = lines.split_last().expect("several");
                let what = if many.iter().all(|g| g.lines > 0) {
                    "damaged entries set aside"
                } else {
                    "entries lost (damaged or missing)"
                };
                let from = many.iter().filter_map(|g| g.from.or(g.to)).min();
                let to = many.iter().filter_map(|g| g.to.or(g.from)).max();
                let when = match (from, to) {
                    (Some(a), Some(b)) => format!(" ({}–{})", clock(tz, a), clock(tz, b)),
                    _ => String::new(),
                };
                Some(format!(
                    "{entries} {what} at lines {} and {last}{when}",
                    rest.join(", ")
                ))
            }
        }
    }
}

/// "21:03" in `tz`, or "?" for a time it cannot show.
fn clock<Tz: TimeZone>(tz: &Tz, t: Timestamp) -> String
where
    Tz::Offset: Display,
{
    tz.timestamp_millis_opt(t.0).single().map_or_else(
        || "?".into(),
        |t: DateTime<Tz>| t.format("%H:%M").to_string(),
    )
}

/// Follows a journal line by line and says, at each intact entry and at the end, which
/// entries are missing before it.
#[derive(Default)]
pub(crate) struct Finder {
    /// The last seq accounted for, and the time of its entry.
    prev: Option<(u64, Timestamp)>,
    open: Option<Open>,
}

/// Damaged lines since the last intact entry.
struct Open {
    line: u64,
    lines: u64,
    bytes: u64,
    starts: u64,
}

/// An intact entry whose seq does not come after the one before it. Without a checksum: a
/// batch that an older version wrote twice, which `repair` sorts out. With one it is damage (a
/// stray write of old bytes): every party-tui that writes checksums cuts a failed batch back,
/// so it never writes a seq twice.
#[derive(Debug)]
pub(crate) struct GoesBack {
    pub prev: u64,
}

impl Finder {
    /// A finder that goes on after the entry `prev` (seq and time), as a replay from a
    /// checkpoint does.
    pub(crate) fn after(prev: Option<(u64, Timestamp)>) -> Finder {
        Finder { prev, open: None }
    }

    /// Damaged bytes on line `line`: the whole line (its newline counted in `bytes`), or the
    /// start of one whose rest is an intact entry.
    pub(crate) fn damaged(&mut self, line: u64, bytes: u64, starts: u64) {
        let open = self.open.get_or_insert(Open {
            line,
            lines: 0,
            bytes: 0,
            starts: 0,
        });
        open.lines += 1;
        open.bytes += bytes;
        open.starts += starts;
    }

    /// An intact entry on line `line` covering seqs `first..=last` (one seq, or the range of a
    /// recorded gap). The stretch missing before it, if any: damaged lines set aside, or seqs
    /// skipped without a trace (an entry deleted by hand).
    pub(crate) fn entry(
        &mut self,
        line: u64,
        first: u64,
        last: u64,
        at: Timestamp,
    ) -> Result<Option<Gap>, GoesBack> {
        let expected = match self.prev {
            Some((prev, _)) if first <= prev => return Err(GoesBack { prev }),
            Some((prev, _)) => prev + 1,
            // A journal may start at any seq; before damage at its start, it started at 0.
            None if self.open.is_some() => 0,
            None => first,
        };
        let open = self.open.take();
        let from = self.prev.map(|(_, at)| at);
        self.prev = Some((last.max(first), at));
        if open.is_none() && first == expected {
            return Ok(None);
        }
        let (line, lines) = open.map_or((line, 0), |o| (o.line, o.lines));
        let entries = first - expected;
        Ok(Some(Gap {
            entries,
            first_seq: expected,
            last_seq: if entries == 0 { expected } else { first - 1 },
            from,
            to: Some(at),
            line,
            lines,
        }))
    }

    /// Damage at the journal's end, if any: nothing after it says how many entries it held, so
    /// count at most what its bytes could hold (the seqs after it must never repeat one that
    /// may have been acknowledged).
    pub(crate) fn end(self) -> Option<Gap> {
        let open = self.open?;
        let first = self.prev.map_or(0, |(prev, _)| prev.saturating_add(1));
        let entries = open
            .lines
            .max(open.starts)
            .max(open.bytes.div_ceil(MIN_ENTRY_BYTES))
            .max(1);
        Some(Gap {
            entries,
            first_seq: first,
            last_seq: first.saturating_add(entries - 1),
            from: self.prev.map(|(_, at)| at),
            to: None,
            line: open.line,
            lines: open.lines,
        })
    }
}

/// One stretch in the host's words, in local time: "12 damaged entries set aside at line
/// 10000 (seq 9988–9999, 21:03–21:05)".
pub fn describe(gap: &Gap) -> String {
    describe_in(gap, &chrono::Local)
}

pub fn describe_in<Tz: TimeZone>(gap: &Gap, tz: &Tz) -> String
where
    Tz::Offset: Display,
{
    let n = gap.entries;
    let entries = if n == 1 { "entry" } else { "entries" };
    if n == 0 {
        let lines = if gap.lines == 1 { "line" } else { "lines" };
        return format!(
            "{} damaged {lines} set aside at line {}; no entry was lost (the seqs around \
             them run on)",
            gap.lines, gap.line
        );
    }
    let head = match (gap.lines, gap.to) {
        (0, _) => format!("{n} {entries} missing before line {}", gap.line),
        (_, None) => format!("up to {n} damaged {entries} set aside at line {}", gap.line),
        _ => format!("{n} damaged {entries} set aside at line {}", gap.line),
    };
    let seqs = if n == 1 {
        format!("seq {}", gap.first_seq)
    } else {
        format!("seq {}–{}", gap.first_seq, gap.last_seq)
    };
    let clock = |t: Timestamp| clock(tz, t);
    let when = match (gap.from, gap.to) {
        (Some(a), Some(b)) if clock(a) == clock(b) => format!(", at {}", clock(a)),
        (Some(a), Some(b)) => format!(", {}–{}", clock(a), clock(b)),
        (Some(a), None) => format!(", after {}", clock(a)),
        (None, Some(b)) => format!(", before {}", clock(b)),
        (None, None) => String::new(),
    };
    format!("{head} ({seqs}{when})")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_717_275_600_000; // 21:00 UTC

    fn at(min: i64) -> Timestamp {
        Timestamp(T + min * 60_000)
    }

    fn text(gap: &Gap) -> String {
        describe_in(gap, &chrono::Utc)
    }

    #[test]
    fn neighbours_give_the_seqs_and_times_lost_between_them() {
        let mut f = Finder::default();
        assert_eq!(f.entry(1, 0, 0, at(0)).unwrap(), None);
        assert_eq!(f.entry(2, 1, 1, at(1)).unwrap(), None);
        f.damaged(3, 4300, 2);
        let gap = f.entry(4, 14, 14, at(3)).unwrap().unwrap();
        assert_eq!(
            gap,
            Gap {
                entries: 12,
                first_seq: 2,
                last_seq: 13,
                from: Some(at(1)),
                to: Some(at(3)),
                line: 3,
                lines: 1,
            }
        );
        assert_eq!(
            text(&gap),
            "12 damaged entries set aside at line 3 (seq 2–13, 21:01–21:03)"
        );
        assert!(f.end().is_none());
    }

    #[test]
    fn a_recorded_gap_carries_the_seqs_on() {
        let mut f = Finder::default();
        f.entry(1, 0, 0, at(0)).unwrap();
        // A gap entry for seqs 1..=5, then seq 6: nothing missing.
        assert_eq!(f.entry(2, 1, 5, at(0)).unwrap(), None);
        assert_eq!(f.entry(3, 6, 6, at(2)).unwrap(), None);
        assert_eq!(f.entry(4, 6, 6, at(2)).unwrap_err().prev, 6);
    }

    #[test]
    fn seqs_skipped_without_damage_are_missing_not_set_aside() {
        let mut f = Finder::default();
        f.entry(1, 0, 0, at(0)).unwrap();
        let gap = f.entry(2, 2, 2, at(1)).unwrap().unwrap();
        assert_eq!(
            (gap.entries, gap.first_seq, gap.lines, gap.line),
            (1, 1, 0, 2)
        );
        assert_eq!(
            text(&gap),
            "1 entry missing before line 2 (seq 1, 21:00–21:01)"
        );
    }

    #[test]
    fn damage_at_the_start_counts_from_seq_0_and_a_journal_may_start_later() {
        let mut f = Finder::default();
        f.damaged(1, 200, 1);
        let gap = f.entry(2, 1, 1, at(5)).unwrap().unwrap();
        assert_eq!((gap.entries, gap.first_seq, gap.last_seq), (1, 0, 0));
        assert_eq!(gap.from, None);
        assert_eq!(
            text(&gap),
            "1 damaged entry set aside at line 1 (seq 0, before 21:05)"
        );
        let mut f = Finder::default();
        assert_eq!(f.entry(1, 40, 40, at(0)).unwrap(), None);
    }

    #[test]
    fn damage_at_the_end_counts_at_most_what_its_bytes_could_hold() {
        let mut f = Finder::default();
        f.entry(1, 0, 0, at(0)).unwrap();
        f.damaged(2, 250, 1);
        let gap = f.end().unwrap();
        // 250 bytes hold at most 5 of the shortest entries.
        assert_eq!((gap.entries, gap.first_seq, gap.last_seq), (5, 1, 5));
        assert_eq!(gap.to, None);
        assert_eq!(
            text(&gap),
            "up to 5 damaged entries set aside at line 2 (seq 1–5, after 21:00)"
        );
    }

    #[test]
    fn damage_between_entries_that_follow_each_other_lost_nothing() {
        let mut f = Finder::default();
        f.entry(1, 0, 0, at(0)).unwrap();
        f.damaged(2, 30, 0);
        f.damaged(3, 40, 0);
        let gap = f.entry(4, 1, 1, at(0)).unwrap().unwrap();
        assert_eq!((gap.entries, gap.lines, gap.line), (0, 2, 2));
        assert_eq!(
            text(&gap),
            "2 damaged lines set aside at line 2; no entry was lost (the seqs around them run on)"
        );
    }

    #[test]
    fn the_summary_names_every_stretch() {
        let mut l = Losses::default();
        assert_eq!(l.summary(), None);
        let gap = |line| Gap {
            entries: 2,
            first_seq: 5,
            last_seq: 6,
            from: Some(at(0)),
            to: Some(at(0)),
            line,
            lines: 1,
        };
        l.recorded.push(gap(7));
        assert_eq!(l.summary(), l.short_in(&chrono::Utc));
        l.found.push(gap(90));
        assert_eq!(
            l.short_in(&chrono::Utc).unwrap(),
            "4 damaged entries set aside at lines 7 and 90 (21:00–21:00)"
        );
        l.found.push(Gap {
            lines: 0,
            to: Some(at(75)),
            ..gap(120)
        });
        assert_eq!(
            l.short_in(&chrono::Utc).unwrap(),
            "6 entries lost (damaged or missing) at lines 7, 90 and 120 (21:00–22:15)"
        );
        l.found.pop();
        let s = l.summary().unwrap();
        assert!(
            s.contains("2 damaged entries set aside at line 7 (seq 5–6, at "),
            "{s}"
        );
        assert!(
            s.contains("; 2 damaged entries set aside at line 90"),
            "{s}"
        );
    }
}
