//! The party-tui binary, headless, as a child process, found through the instance.json it
//! writes once its vote page listens (0600 in the data dir: `url`, `vote_url`, `pid`), rather
//! than by reading its stderr. The file is read as JSON, the same contract a second
//! dashboard and `host-link` rely on.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How often the instance file is looked for while the binary starts.
const POLL: Duration = Duration::from_millis(20);

/// Where a running binary can be reached.
#[derive(Clone, Debug)]
pub struct Instance {
    /// From this machine, without a trailing `/` (e.g. `http://127.0.0.1:41234`).
    pub url: String,
    /// The vote page as the binary announces it, ending in `/`.
    pub vote_url: String,
    pub pid: u32,
}

impl Instance {
    /// `host:port` of the vote page.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.vote_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("host:port in vote_url")
    }
}

/// The instance file in `data`, if it is there and complete.
pub fn read_instance(data: &Path) -> Option<Instance> {
    let text = std::fs::read_to_string(data.join("instance.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(Instance {
        url: v["url"].as_str()?.to_string(),
        vote_url: v["vote_url"].as_str()?.to_string(),
        pid: u32::try_from(v["pid"].as_u64()?).ok()?,
    })
}

/// The child's stderr, drained on a thread so it never blocks on a full pipe; the lines are
/// kept for the test (and for failure messages).
pub struct Stderr {
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Stderr {
    /// Takes `child`'s piped stderr.
    pub fn take(child: &mut Child) -> Stderr {
        let err = child.stderr.take().expect("stderr piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            // Read to the end even when nobody listens any more: a closed pipe would make the
            // binary's next eprintln! fail.
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Stderr {
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line containing `needle`, waiting at most `limit` (earlier lines are kept).
    pub fn wait_for_line(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "no line with `{needle}` within {limit:?}; stderr so far:\n{}",
                    self.so_far()
                ),
            }
        }
    }

    /// Every line printed so far.
    pub fn so_far(&mut self) -> String {
        self.seen.extend(self.lines.try_iter());
        self.seen.join("\n")
    }
}

/// Waits until `child` has written its instance file in `data` (this process, not a stale file
/// from one killed before), failing with its stderr when it ends first or `limit` passes.
pub fn wait_for_instance(
    child: &mut Child,
    stderr: &mut Stderr,
    data: &Path,
    limit: Duration,
) -> Instance {
    let start = Instant::now();
    loop {
        if let Some(inst) = read_instance(data).filter(|i| i.pid == child.id()) {
            return inst;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "party-tui ended ({status}) before serving its vote page:\n{}",
                stderr.so_far()
            );
        }
        assert!(
            start.elapsed() < limit,
            "party-tui wrote no instance file in {} within {limit:?}:\n{}",
            data.display(),
            stderr.so_far()
        );
        std::thread::sleep(POLL);
    }
}

/// Starts `cmd` (the binary, perhaps behind `env` or `prlimit`, which exec it under the same
/// pid) with stdin and stdout closed and stderr piped, and waits for its vote page.
pub fn start(cmd: &mut Command, data: &Path, limit: Duration) -> (Child, Stderr, Instance) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start party-tui");
    let mut stderr = Stderr::take(&mut child);
    let inst = wait_for_instance(&mut child, &mut stderr, data, limit);
    (child, stderr, inst)
}
