//! A tolerant reader of a party's journal file from a byte offset. It only depends on the file
//! format (JSON Lines of `journal::Entry`), not on the journal's writer, and it never fails on
//! what a crash can leave behind: an incomplete last line is left for later (the writer may be
//! in the middle of it), a corrupt complete line is skipped and counted. So is a line whose
//! checksum does not match (`journal::read_line`): a damaged entry is never sent as if it were
//! the one the party loop wrote.
use crate::journal::{Entry, read_line};
use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How much of the file one refill reads: big enough for ~4,000 typical lines.
pub(crate) const READ_CHUNK: usize = 1 << 20;

/// One complete journal line and where it ends (the cursor after it).
#[derive(Clone, Debug)]
pub(crate) struct TailEntry {
    pub entry: Entry,
    pub end: u64,
}

pub(crate) struct JournalTail {
    path: PathBuf,
    /// The end of the last line parsed into `ready` (or skipped).
    read_to: u64,
    ready: VecDeque<TailEntry>,
    /// Complete lines that did not parse or failed their checksum, skipped (a hand-edited or
    /// damaged journal).
    pub corrupt_lines: u64,
    /// The journal's durable length, from the party loop: never read past it.
    limit: Option<tokio::sync::watch::Receiver<u64>>,
}

impl JournalTail {
    pub(crate) fn new(path: &Path, offset: u64) -> Self {
        JournalTail {
            path: path.to_path_buf(),
            read_to: offset,
            ready: VecDeque::new(),
            corrupt_lines: 0,
            limit: None,
        }
    }

    /// Read only as far as the party loop says the journal is synced.
    pub(crate) fn limit_to(&mut self, durable_len: tokio::sync::watch::Receiver<u64>) {
        self.limit = Some(durable_len);
    }

    /// Bytes of the file this reader has not looked at yet (0 if the file is missing).
    pub(crate) fn unread_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len().saturating_sub(self.read_to))
    }

    /// The next complete entry, reading more of the file if none is buffered.
    pub(crate) fn peek(&mut self) -> std::io::Result<Option<&TailEntry>> {
        if self.ready.is_empty() {
            self.refill()?;
        }
        Ok(self.ready.front())
    }

    pub(crate) fn pop(&mut self) -> Option<TailEntry> {
        self.ready.pop_front()
    }

    #[cfg(test)]
    /// Where the last buffered-or-consumed line ends (the cursor once everything is sent).
    pub(crate) fn read_to(&self) -> u64 {
        self.read_to
    }

    fn refill(&mut self) -> std::io::Result<()> {
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let mut len = file.metadata()?.len();
        if let Some(limit) = &self.limit {
            len = len.min(*limit.borrow());
        }
        if len <= self.read_to {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.read_to))?;
        let want = ((len - self.read_to) as usize).min(READ_CHUNK);
        let mut buf = vec![0; want];
        file.read_exact(&mut buf)?;
        let base = self.read_to;
        let mut start = 0;
        let mut complete = false;
        while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
            complete = true;
            let line = &buf[start..start + nl];
            start += nl + 1;
            let end = base + start as u64;
            if line.iter().all(u8::is_ascii_whitespace) {
                self.read_to = end;
                continue;
            }
            match read_line(line) {
                Ok(entry) => self.ready.push_back(TailEntry { entry, end }),
                Err(e) => {
                    self.corrupt_lines += 1;
                    tracing::warn!(path = %self.path.display(), offset = end, error = %e,
                        "skipping a corrupt journal line");
                }
            }
            self.read_to = end;
        }
        if !complete && want == READ_CHUNK {
            // One line longer than the chunk: read it whole rather than stall on it forever.
            return self.refill_long_line(file);
        }
        Ok(())
    }

    fn refill_long_line(&mut self, mut file: std::fs::File) -> std::io::Result<()> {
        file.seek(SeekFrom::Start(self.read_to))?;
        let mut rest = Vec::new();
        file.read_to_end(&mut rest)?;
        if let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let end = self.read_to + nl as u64 + 1;
            match read_line(&rest[..nl]) {
                Ok(entry) => self.ready.push_back(TailEntry { entry, end }),
                Err(_) => self.corrupt_lines += 1,
            }
            self.read_to = end;
        }
        Ok(())
    }
}

/// Whether `offset` is a place a cursor can point at in `path`: the start, or just after a
/// newline within the file. Anything else (a journal replaced by another) means "start over".
pub(crate) fn is_line_start(path: &Path, offset: u64) -> bool {
    if offset == 0 {
        return true;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let mut byte = [0u8];
    file.seek(SeekFrom::Start(offset - 1)).is_ok()
        && file.read_exact(&mut byte).is_ok()
        && byte[0] == b'\n'
}

/// Where the last complete line of `path` ends (0 for a missing or empty file): the journal's
/// end as a cursor. A torn last line (the writer was cut off) is left for the tail to read
/// once it is whole, rather than starting in the middle of it.
pub(crate) fn last_line_end(path: &Path) -> u64 {
    const STEP: u64 = 64 * 1024;
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    let mut end = file.metadata().map_or(0, |m| m.len());
    let mut buf = vec![0u8; STEP as usize];
    while end > 0 {
        let start = end.saturating_sub(STEP);
        let chunk = &mut buf[..(end - start) as usize];
        if file.seek(SeekFrom::Start(start)).is_err() || file.read_exact(chunk).is_err() {
            return 0;
        }
        if let Some(nl) = chunk.iter().rposition(|&b| b == b'\n') {
            return start + nl as u64 + 1;
        }
        end = start;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Input, Timestamp};
    use std::io::Write;

    fn line(seq: u64) -> String {
        let e = Entry {
            seq,
            at: Timestamp(seq as i64),
            input: Input::Tick,
            effects: vec![],
        };
        format!("{}\n", serde_json::to_string(&e).unwrap())
    }

    #[test]
    fn never_reads_past_what_the_party_loop_says_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let (l0, l1) = (line(0), line(1));
        std::fs::write(&path, format!("{l0}{l1}")).unwrap();
        let (durable, rx) = tokio::sync::watch::channel(l0.len() as u64);
        let mut tail = JournalTail::new(&path, 0);
        tail.limit_to(rx);
        assert_eq!(tail.pop_seq(), Some(0));
        assert_eq!(tail.pop_seq(), None, "line 1 is written but not yet synced");
        durable.send_replace((l0.len() + l1.len()) as u64);
        assert_eq!(tail.pop_seq(), Some(1));
    }

    impl JournalTail {
        fn pop_seq(&mut self) -> Option<u64> {
            self.peek().unwrap()?;
            self.pop().map(|t| t.entry.seq)
        }
    }

    #[test]
    fn reads_complete_lines_skips_corrupt_and_waits_for_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let mut f = std::fs::File::create(&path).unwrap();
        let (l0, l1) = (line(0), line(1));
        write!(f, "{l0}not json\n\n{l1}{{\"seq\":2,").unwrap();
        let mut tail = JournalTail::new(&path, 0);
        let mut seqs = vec![];
        while tail.peek().unwrap().is_some() {
            seqs.push(tail.pop().unwrap().entry.seq);
        }
        assert_eq!(seqs, [0, 1]);
        assert_eq!(tail.corrupt_lines, 1);
        let before_torn = (l0.len() + "not json\n\n".len() + l1.len()) as u64;
        assert_eq!(tail.read_to(), before_torn);
        assert!(tail.unread_bytes() > 0);
        assert!(is_line_start(&path, before_torn));
        assert!(!is_line_start(&path, before_torn - 3));
        // The writer finishes the line: it is read from where we stopped.
        let rest = line(2);
        let torn = "{\"seq\":2,".len();
        std::fs::write(
            &path,
            [
                &std::fs::read(&path).unwrap()[..before_torn as usize],
                rest.as_bytes(),
            ]
            .concat(),
        )
        .unwrap();
        assert_eq!(tail.peek().unwrap().unwrap().entry.seq, 2);
        assert!(torn > 0);
        let mut resumed = JournalTail::new(&path, l0.len() as u64);
        assert!(resumed.peek().unwrap().is_some()); // skips "not json", then seq 1
        assert_eq!(resumed.pop().unwrap().entry.seq, 1);
    }

    #[test]
    fn a_line_whose_checksum_fails_is_skipped_never_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let mut bytes = Vec::new();
        for seq in 0..3 {
            let e = Entry {
                seq,
                at: Timestamp(1_000 + seq as i64),
                input: Input::Tick,
                effects: vec![],
            };
            crate::journal::write_line(&mut bytes, &e).unwrap();
        }
        // Line 2's time: 1001 → 1009, still an entry as JSON.
        let at = bytes.windows(9).position(|w| w == br#""at":1001"#).unwrap();
        bytes[at + 8] = b'9';
        std::fs::write(&path, &bytes).unwrap();
        let mut tail = JournalTail::new(&path, 0);
        assert_eq!(tail.pop_seq(), Some(0));
        assert_eq!(tail.pop_seq(), Some(2));
        assert_eq!(tail.pop_seq(), None);
        assert_eq!(tail.corrupt_lines, 1);
    }

    #[test]
    fn the_end_is_after_the_last_complete_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        assert_eq!(last_line_end(&path), 0);
        let (l0, l1) = (line(0), line(1));
        std::fs::write(&path, format!("{l0}{l1}")).unwrap();
        let whole = (l0.len() + l1.len()) as u64;
        assert_eq!(last_line_end(&path), whole);
        std::fs::write(&path, format!("{l0}{l1}{{\"seq\":2,")).unwrap();
        assert_eq!(last_line_end(&path), whole);
        // A line longer than one step back.
        let long = "x".repeat(200_000);
        std::fs::write(&path, format!("{l0}{long}")).unwrap();
        assert_eq!(last_line_end(&path), l0.len() as u64);
    }

    #[test]
    fn a_missing_file_is_empty() {
        let mut tail = JournalTail::new(Path::new("/nonexistent/party.jsonl"), 0);
        assert!(tail.peek().unwrap().is_none());
        assert_eq!(tail.unread_bytes(), 0);
    }
}
