//! End to end, as a person would: the real binary's dashboard in tmux, driven with keys.
mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{have_command, skip_or_fail, wait_until};

const LIMIT: Duration = Duration::from_secs(30);

struct Tmux {
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
    fn start(dir: &Path, size: (u16, u16), args: &[&str]) -> Tmux {
        let session = format!("party-tui-test-{}-{}", std::process::id(), size.0);
        let status_file = dir.join("exit-status");
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

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", &self.session])
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", &self.session, keys]);
    }

    fn wait_for(&self, text: &str) -> String {
        wait_until(&format!("{text:?} on screen"), LIMIT, || {
            let s = self.screen();
            s.contains(text).then_some(s)
        })
    }

    /// The exit status once the program has ended.
    fn exit_status(&self) -> i32 {
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

/// A demo with no simulated guests, so nothing but the test's keys changes the party.
fn quiet_demo(dir: &Path) -> Vec<String> {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[demo]\nguests = 0\n").unwrap();
    [
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
        "--demo",
        "--new-party",
        "--bind",
        "127.0.0.1:0",
    ]
    .map(String::from)
    .to_vec()
}

fn playlist_titles() -> Vec<String> {
    party_tui::players::demo::playlist()
        .into_iter()
        .map(|t| t.title)
        .collect()
}

#[test]
fn the_demo_dashboard_shows_the_track_skips_on_s_and_quits_on_q() {
    if !have_command("tmux") {
        return skip_or_fail("tmux is not installed (apt-get install tmux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let args = quiet_demo(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let titles = playlist_titles();
    let tmux = Tmux::start(dir.path(), (100, 30), &args);

    let screen = tmux.wait_for(&titles[0]);
    assert!(screen.contains("0/3"), "skip counter shown:\n{screen}");
    tmux.keys("s");
    tmux.wait_for(&titles[1]);
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0, "{}", tmux.screen());

    // The host's skip is in the journal, before the second track began.
    let parties = dir.path().join("demo").join("parties");
    let journal = std::fs::read_dir(&parties)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a journal");
    let text = std::fs::read_to_string(journal).unwrap();
    let skip = text.find("skip_now").expect("skip_now journaled");
    let second = text.find(&titles[1]).expect("second track journaled");
    assert!(skip < second);
}

#[test]
fn at_80x24_the_help_overlay_opens_and_closes() {
    if !have_command("tmux") {
        return skip_or_fail("tmux is not installed (apt-get install tmux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let args = quiet_demo(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let tmux = Tmux::start(dir.path(), (80, 24), &args);
    tmux.wait_for(&playlist_titles()[0]);
    tmux.keys("?");
    let help = tmux.wait_for("reset this track");
    assert!(help.contains("quit"), "{help}");
    tmux.keys("Escape");
    wait_until("the help overlay to close", LIMIT, || {
        (!tmux.screen().contains("reset this track")).then_some(())
    });
    tmux.keys("q");
    assert_eq!(tmux.exit_status(), 0);
}
