//! Drive the real binary in tmux like a person: start it, read the screen, press keys.
use super::wait_until;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub const LIMIT: Duration = Duration::from_secs(30);

pub struct Tmux {
    /// Each test has its own tmux server (`-L`): parallel tests starting the one shared
    /// server at the same moment race each other.
    socket: String,
    session: String,
    /// The shell writes the program's exit status here when it ends.
    status_file: std::path::PathBuf,
}

impl Tmux {
    /// Starts the binary in a detached tmux session of the given size; the pane stays after exit
    /// so the test can read the exit status.
    pub fn start(dir: &Path, size: (u16, u16), args: &[&str]) -> Tmux {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let session = format!("party-tui-test-{}-{n}", std::process::id());
        let status_file = dir.join(format!("exit-status-{n}"));
        let bin = env!("CARGO_BIN_EXE_party-tui");
        let cmd = std::iter::once(bin)
            .chain(args.iter().copied())
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let tmux = Tmux {
            socket: session.clone(),
            session,
            status_file,
        };
        let ok = Command::new("tmux")
            .args(["-f", "/dev/null", "-L", &tmux.socket])
            .args(["new-session", "-d", "-s", &tmux.session])
            .args(["-x", &size.0.to_string(), "-y", &size.1.to_string()])
            .arg(format!(
                "TERM=xterm-256color {cmd}; echo $? > '{}'; sleep 60",
                tmux.status_file.display()
            ))
            .status()
            .expect("tmux runs")
            .success();
        assert!(ok, "tmux new-session failed");
        tmux
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    pub fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", &self.session, keys]);
    }

    pub fn wait_for(&self, text: &str) -> String {
        wait_until(&format!("{text:?} on screen"), LIMIT, || {
            let s = self.screen();
            s.contains(text).then_some(s)
        })
    }

    /// The exit status once the program has ended.
    pub fn exit_status(&self) -> i32 {
        let what = format!("the program to exit; screen:\n{}", self.screen());
        wait_until(&what, LIMIT, || {
            let text = std::fs::read_to_string(&self.status_file).ok()?;
            text.trim().parse().ok()
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
