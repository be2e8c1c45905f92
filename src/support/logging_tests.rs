use super::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A log file on a disk with `room` bytes left: a write takes what fits, as write(2) does on a
/// full disk, and fails with ENOSPC when nothing does; cutting the file gives the room back.
#[derive(Default)]
struct Disk {
    bytes: Vec<u8>,
    room: usize,
    /// ftruncate fails (an I/O error on the way back).
    cut_fails: bool,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Disk>>);

impl Shared {
    fn with_room(room: usize) -> Self {
        let disk = Shared::default();
        disk.0.lock().unwrap().room = room;
        disk
    }
    fn set_room(&self, room: usize) {
        self.0.lock().unwrap().room = room;
    }
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().bytes.clone()).unwrap()
    }
}

impl LogFile for Shared {
    fn write_once(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut d = self.0.lock().unwrap();
        if d.room == 0 {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        let n = buf.len().min(d.room);
        d.room -= n;
        d.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.lock().unwrap().bytes.len() as u64)
    }
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut d = self.0.lock().unwrap();
        if d.cut_fails {
            return Err(io::Error::from_raw_os_error(libc::EIO));
        }
        let freed = d.bytes.len() - len as usize;
        d.bytes.truncate(len as usize);
        d.room += freed;
        Ok(())
    }
}

/// Every line of `text` ends with its newline and is one of `whole` or a dropped-lines note.
fn assert_whole_lines(text: &str, whole: &[&str]) {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "torn end: {text:?}"
    );
    for line in text.lines() {
        assert!(
            whole.contains(&line)
                || line.contains("log lines dropped while")
                || line.contains("log line dropped while"),
            "not a whole line: {line:?} in {text:?}"
        );
    }
}

#[test]
fn a_line_that_does_not_fit_is_cut_off_and_counted_then_reported_once_there_is_room() {
    let disk = Shared::with_room(30);
    let mut w = WholeLines::new(disk.clone());
    w.write_all(b"first line\n").unwrap();
    // 19 bytes left: 18 of this line would fit, and must not stay.
    w.write_all(b"a second line that is long\n").unwrap();
    assert_eq!(
        disk.text(),
        "first line\n",
        "the part that fitted is cut off"
    );
    // Fits, but the note about the line before goes first and does not: order kept, dropped.
    w.write_all(b"third\n").unwrap();
    w.write_all(b"fourth\n").unwrap();
    assert_eq!(disk.text(), "first line\n");
    disk.set_room(4096);
    w.write_all(b"back\n").unwrap();
    let text = disk.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text:?}");
    assert_eq!(lines[0], "first line");
    assert!(
        lines[1].ends_with(
            "WARN party_tui::support::logging: 3 log lines dropped while the disk was full"
        ),
        "{:?}",
        lines[1]
    );
    assert_eq!(lines[2], "back");
    // The count starts again after the note.
    w.write_all(b"more\n").unwrap();
    assert!(disk.text().ends_with("back\nmore\n"), "{:?}", disk.text());
}

#[test]
fn a_torn_part_that_cannot_be_cut_yet_holds_every_line_back_until_it_is() {
    let disk = Shared::with_room(8);
    let mut w = WholeLines::new(disk.clone());
    disk.0.lock().unwrap().cut_fails = true;
    w.write_all(b"too long for the room\n").unwrap();
    assert_eq!(
        disk.text(),
        "too long",
        "the cut failed: the part is still there"
    );
    disk.set_room(4096);
    // Room, but the torn part is still at the end: nothing may be glued to it.
    w.write_all(b"held back\n").unwrap();
    assert_eq!(disk.text(), "too long");
    disk.0.lock().unwrap().cut_fails = false;
    w.write_all(b"after\n").unwrap();
    let text = disk.text();
    assert_whole_lines(&text, &["after"]);
    assert!(
        text.contains("2 log lines dropped while the disk was full"),
        "{text:?}"
    );
    assert!(text.ends_with("after\n"));
}

#[test]
fn another_write_error_is_named_in_the_note() {
    struct Broken(bool);
    impl LogFile for Broken {
        fn write_once(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            Ok(buf.len())
        }
        fn len(&self) -> io::Result<u64> {
            Ok(0)
        }
        fn set_len(&mut self, _: u64) -> io::Result<()> {
            Ok(())
        }
    }
    let mut w = WholeLines::new(Broken(true));
    w.write_all(b"lost\n").unwrap();
    assert_eq!(w.dropped, 1);
    assert!(
        w.why
            .as_deref()
            .unwrap()
            .starts_with("the log file could not be written"),
        "{:?}",
        w.why
    );
    let note = dropped_note(w.dropped, w.why.as_deref().unwrap());
    assert!(note.contains("1 log line dropped while the log file could not be written"));
    w.file.0 = false;
    w.write_all(b"back\n").unwrap();
    assert_eq!((w.dropped, w.why.as_deref()), (0, None));
}

/// Through the fmt layer the party uses, events logged while the disk fills and after it is
/// freed: every line in the file is whole and the dropped ones are counted.
#[test]
fn the_logger_never_leaves_a_torn_line_on_a_full_disk() {
    let disk = Shared::with_room(400);
    let writer = Mutex::new(WholeLines::new(disk.clone()));
    let subscriber = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .finish();
    let mut logged = 0;
    tracing::subscriber::with_default(subscriber, || {
        // About 90 bytes a line: the fifth no longer fits whole.
        for i in 0..10 {
            tracing::info!(
                vote = i,
                "a vote that is not journaled while the disk is full"
            );
            logged += 1;
        }
        disk.set_room(1 << 20);
        tracing::info!("writes work again");
    });
    let text = disk.text();
    assert!(text.ends_with('\n'), "{text:?}");
    let lines: Vec<&str> = text.lines().collect();
    let written = lines.iter().filter(|l| l.contains("vote=")).count();
    assert!(
        (1..logged).contains(&written),
        "some fitted, some not: {text}"
    );
    for line in &lines[..written] {
        assert!(
            line.contains(": a vote that is not journaled while the disk is full vote="),
            "{line:?}"
        );
    }
    let note = format!(
        "{} log lines dropped while the disk was full",
        logged - written
    );
    assert!(lines[written].contains(&note), "{text}");
    assert!(lines[written + 1].ends_with("writes work again"), "{text}");
    assert_eq!(lines.len(), written + 2, "{text}");
    // Each line is the fmt layer's whole line: a timestamp, the level, the target.
    for line in lines {
        assert!(line.starts_with("20") && line.contains("Z "), "{line:?}");
    }
}
