//! Byte scans behind `Journal::open`: where the complete lines end, how many there are, and
//! the last one. All read in blocks, so a journal of hundreds of MB never has to fit in RAM
//! (a Raspberry Pi has little), and none parses JSON.
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Forward scans read this much at a time: big enough that syscalls do not count.
const FORWARD_BLOCK: usize = 1 << 20;
/// Backward scans usually stop within one line (a few hundred bytes), so read little.
const BACKWARD_BLOCK: usize = 64 << 10;

/// The offset just past the last newline before `len`: what follows it is a torn line.
pub(crate) fn end_of_last_line(file: &mut File, len: u64) -> io::Result<u64> {
    let mut buf = vec![0; BACKWARD_BLOCK];
    let mut pos = len;
    while pos > 0 {
        let n = read_block_before(file, pos, &mut buf)?;
        pos -= n as u64;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
    }
    Ok(0)
}

pub(crate) struct LineCount {
    pub newlines: u64,
    /// Lines with nothing on them; replay skips them, so they are not entries.
    pub empty: u64,
}

/// Counts the lines in the bytes from `start` (0, or the end of a line) to `end`, which end
/// with a newline.
pub(crate) fn count_lines(file: &mut File, start: u64, end: u64) -> io::Result<LineCount> {
    file.seek(SeekFrom::Start(start))?;
    let mut reader = file.take(end.saturating_sub(start));
    let mut buf = vec![0; FORWARD_BLOCK];
    let mut count = LineCount {
        newlines: 0,
        empty: 0,
    };
    // A newline at the very start, or right after another, ends an empty line.
    let mut prev = b'\n';
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let block = &buf[..n];
        count.empty += (prev == b'\n' && block[0] == b'\n') as u64;
        let (newlines, empty) = count_newlines(block);
        count.newlines += newlines;
        count.empty += empty;
        prev = block[n - 1];
    }
    Ok(count)
}

/// Newlines in `block`, and how many of them directly follow another (ending an empty line).
///
/// This is the whole cost of `open`, so it is written for the compiler to vectorise: per-byte
/// counts go into `u8` lanes over runs of at most 255 bytes, then into the totals.
fn count_newlines(block: &[u8]) -> (u64, u64) {
    let (mut newlines, mut empty) = (0, 0);
    let pairs = block.len() - 1;
    let mut start = 0;
    while start < pairs {
        let end = (start + 255).min(pairs);
        let (nl, emp) = block[start..end]
            .iter()
            .zip(&block[start + 1..end + 1])
            .fold((0u8, 0u8), |(nl, emp), (&a, &b)| {
                let is_nl = (a == b'\n') as u8;
                (nl + is_nl, emp + (is_nl & (b == b'\n') as u8))
            });
        newlines += nl as u64;
        empty += emp as u64;
        start = end;
    }
    newlines += (block[pairs] == b'\n') as u64;
    (newlines, empty)
}

pub(crate) struct LastLine {
    /// The line without its newline.
    pub bytes: Vec<u8>,
    /// Newlines from its own to the end: 1, plus one per empty line after it.
    pub newlines_after: u64,
}

/// The last non-empty line of the first `end` bytes, which end with a newline.
pub(crate) fn last_line(file: &mut File, end: u64) -> io::Result<Option<LastLine>> {
    let mut buf = vec![0; BACKWARD_BLOCK];
    let mut reversed = Vec::new();
    let mut newlines_after = 0;
    let mut pos = end;
    while pos > 0 {
        let n = read_block_before(file, pos, &mut buf)?;
        pos -= n as u64;
        for &b in buf[..n].iter().rev() {
            if b != b'\n' {
                reversed.push(b);
            } else if reversed.is_empty() {
                newlines_after += 1;
            } else {
                pos = 0;
                break;
            }
        }
    }
    if reversed.is_empty() {
        return Ok(None);
    }
    reversed.reverse();
    Ok(Some(LastLine {
        bytes: reversed,
        newlines_after,
    }))
}

/// Reads the `n` bytes just before `pos` into `buf[..n]`: a whole block, or less near the start.
fn read_block_before(file: &mut File, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
    let n = pos.min(buf.len() as u64) as usize;
    file.seek(SeekFrom::Start(pos - n as u64))?;
    file.read_exact(&mut buf[..n])?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn naive(bytes: &[u8]) -> (u64, u64) {
        let mut prev = b'\n';
        let (mut newlines, mut empty) = (0, 0);
        for &b in bytes {
            newlines += (b == b'\n') as u64;
            empty += (b == b'\n' && prev == b'\n') as u64;
            prev = b;
        }
        (newlines, empty)
    }

    fn file_with(bytes: &[u8]) -> (tempfile::NamedTempFile, File) {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(bytes).unwrap();
        let file = tmp.reopen().unwrap();
        (tmp, file)
    }

    /// Lines of varied lengths, some empty, some longer than a 255-byte run.
    fn varied_lines(n: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for i in 0..n {
            bytes.extend(std::iter::repeat_n(b'x', (i * 37) % 700));
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn counts_lines_and_empty_lines_like_a_byte_loop() {
        let bytes = varied_lines(8_000);
        assert!(bytes.len() > 2 * FORWARD_BLOCK);
        let (_tmp, mut file) = file_with(&bytes);
        let count = count_lines(&mut file, 0, bytes.len() as u64).unwrap();
        assert_eq!((count.newlines, count.empty), naive(&bytes));
        assert!(count.empty > 0);
    }

    #[test]
    fn an_empty_line_across_a_block_boundary_counts_once() {
        let mut bytes = vec![b'x'; FORWARD_BLOCK - 1];
        bytes.extend(b"\n\nlast\n");
        let (_tmp, mut file) = file_with(&bytes);
        let count = count_lines(&mut file, 0, bytes.len() as u64).unwrap();
        assert_eq!((count.newlines, count.empty), (3, 1));
        assert_eq!(naive(&bytes), (3, 1));
    }

    #[test]
    fn finds_the_last_non_empty_line_and_the_torn_tail() {
        let bytes = b"\n{\"seq\":1}\n{\"seq\":2}\n\n\n{\"se";
        let (_tmp, mut file) = file_with(bytes);
        let good = end_of_last_line(&mut file, bytes.len() as u64).unwrap();
        assert_eq!(good, bytes.len() as u64 - 4);
        let last = last_line(&mut file, good).unwrap().unwrap();
        assert_eq!(last.bytes, b"{\"seq\":2}");
        assert_eq!(last.newlines_after, 3);

        let (_tmp, mut file) = file_with(b"\n\ntorn");
        assert_eq!(end_of_last_line(&mut file, 6).unwrap(), 2);
        assert!(last_line(&mut file, 2).unwrap().is_none());
        let (_tmp, mut file) = file_with(b"torn");
        assert_eq!(end_of_last_line(&mut file, 4).unwrap(), 0);
    }

    #[test]
    fn a_last_line_longer_than_a_backward_block_is_read_whole() {
        let mut bytes = b"first\n".to_vec();
        bytes.extend(vec![b'y'; 3 * BACKWARD_BLOCK + 5]);
        bytes.extend(b"\n");
        let (_tmp, mut file) = file_with(&bytes);
        let good = end_of_last_line(&mut file, bytes.len() as u64).unwrap();
        let last = last_line(&mut file, good).unwrap().unwrap();
        assert_eq!(last.bytes.len(), 3 * BACKWARD_BLOCK + 5);
        assert_eq!(last.newlines_after, 1);
    }
}
