//! Space reserved ahead of the journal's end, so a full disk fails a batch before any byte of
//! it is written (a clean error between lines) rather than in the middle of a line.
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// How far ahead to reserve. Small enough to matter nowhere (a Pi's SD card has gigabytes),
/// large enough that a busy party reserves about once per 1,000 votes.
pub(crate) const RESERVE_AHEAD: u64 = 256 << 10;

pub(crate) struct Reservation {
    /// Offset up to which blocks are allocated (past the end of the file, size unchanged).
    reserved_to: u64,
    /// The filesystem cannot reserve (fallocate unsupported): write without, as before.
    unsupported: bool,
}

impl Reservation {
    pub(crate) fn new(len: u64) -> Self {
        Reservation {
            reserved_to: len,
            unsupported: false,
        }
    }

    /// Make sure `need` bytes after `len` are allocated. Reserves `RESERVE_AHEAD` beyond when
    /// it can, else just what the batch needs; fails (ENOSPC) if not even that fits.
    pub(crate) fn ensure(&mut self, file: &File, len: u64, need: u64) -> io::Result<()> {
        if self.unsupported || len + need <= self.reserved_to && need > 0 {
            return Ok(());
        }
        for ahead in [need + RESERVE_AHEAD, need.max(1)] {
            match keep_size_fallocate(file, len, ahead) {
                Ok(()) => {
                    self.reserved_to = len + ahead;
                    return Ok(());
                }
                Err(e) if is_unsupported(&e) => {
                    self.unsupported = true;
                    return Ok(());
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) && ahead != need.max(1) => {}
                Err(e) => return Err(e),
            }
        }
        unreachable!("the last attempt returns")
    }
}

fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL)
    )
}

/// `fallocate(FALLOC_FL_KEEP_SIZE)`: allocate blocks without changing the file's length, so
/// readers (replay, the exporter's tail) never see the reserved space.
fn keep_size_fallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    loop {
        // SAFETY: a plain syscall on a descriptor we own; no memory is passed.
        let rc = unsafe {
            libc::fallocate(
                file.as_raw_fd(),
                libc::FALLOC_FL_KEEP_SIZE,
                offset as libc::off_t,
                len as libc::off_t,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
