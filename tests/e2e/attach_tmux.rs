//! A headless party and a second dashboard attached to it in tmux: a key pressed in the attached
//! view changes the party; when the party stops the view says so, and it reattaches on return.
use crate::support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use support::tmux::{LIMIT, Tmux};
use support::{have_command, skip_or_fail, wait_until};

struct Headless(Child);

impl Headless {
    fn start(dir: &Path, new_party: bool) -> Headless {
        let _ = std::fs::remove_file(dir.join("instance.json"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_party-tui"));
        cmd.arg("--config")
            .arg(dir.join("config.toml"))
            .arg("--data-dir")
            .arg(dir)
            .args(["--headless", "--demo", "--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if new_party {
            cmd.arg("--new-party");
        }
        let child = Headless(cmd.spawn().unwrap());
        wait_until("the instance file", LIMIT, || {
            dir.join("instance.json").exists().then_some(())
        });
        child
    }

    /// Stops it as systemd would (SIGTERM) and waits for the exit.
    fn stop(mut self) {
        Command::new("kill")
            .arg(self.0.id().to_string())
            .status()
            .unwrap();
        let status = self.0.wait().unwrap();
        assert!(status.success(), "headless party exited with {status}");
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_attached_dashboard_controls_the_running_party_and_survives_its_restart() {
    if !have_command("tmux") {
        return skip_or_fail("tmux is not installed (apt-get install tmux)");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[demo]\nguests = 0\n").unwrap();
    let titles: Vec<String> = party_tui::players::demo::playlist()
        .into_iter()
        .map(|t| t.title)
        .collect();
    let party = Headless::start(dir.path(), true);

    let config = dir.path().join("config.toml");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--demo",
    ];
    let view = Tmux::start(dir.path(), (100, 30), &args);
    view.wait_for(&titles[0]);
    view.wait_for("attached ok");
    view.keys("s");
    view.wait_for(&titles[1]);

    party.stop();
    view.wait_for("disconnected");
    // The same party comes back (on another port): the view finds it again by itself.
    let _party = Headless::start(dir.path(), false);
    wait_until("the view to reattach", LIMIT, || {
        let s = view.screen();
        (!s.contains("disconnected") && s.contains(&titles[1])).then_some(())
    });
    view.keys("q");
    assert_eq!(view.exit_status(), 0);
}
