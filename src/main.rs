//! Parse the command line and hand it to the command layer (`party_tui::cmd`). No logic here.
use clap::Parser;
use party_tui::cmd::{self, cli::Cli};

/// mimalloc instead of glibc's malloc: a vote allocates a few dozen small objects across the
/// HTTP, party-loop and journal-writer threads, and glibc's arenas made that a sixth of a
/// durable vote's CPU (benches/http_votes: 15 % less server CPU per vote with mimalloc).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (libmimalloc-sys names only some).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Give freed memory back to the system at once rather than after a second (mimalloc's
    // default): a burst of votes should not leave the Pi's memory held. (Its arenas are
    // committed as used, not whole: MI_DEFAULT_ARENA_EAGER_COMMIT in .cargo/config.toml,
    // as that is decided before main runs.)
    // SAFETY: a plain option setter, called before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    // A journal write past a file-size limit (ulimit -f, LimitFSIZE=) must be an error the
    // party loop handles (votes refused, nothing lost), not a signal that kills the process.
    // SAFETY: setting a signal's disposition to "ignore" before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    match cmd::dispatch(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The dashboard has restored the terminal by now (guard + panic hook).
            eprintln!("party-tui: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
