//! A whole party in this process through `app::run`, for tests that need a running party but
//! not the binary: a headless party on loopback with the test's data dir and config.toml,
//! stopped at will. What the binary adds (the data dir's lock, the log file, signals) is
//! tested in tests/e2e.
use party_tui::app::{self, Listener, RunOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Upper bound for the party to come up; it takes milliseconds.
const LIMIT: Duration = Duration::from_secs(30);

/// Like `party-tui --headless --demo --bind 127.0.0.1:0 --data-dir D --config D/config.toml`.
#[derive(Clone, Debug)]
pub struct Start {
    pub bind: SocketAddr,
    pub demo: bool,
    pub new_party: bool,
}

impl Default for Start {
    fn default() -> Self {
        Start {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            demo: true,
            new_party: false,
        }
    }
}

pub struct InProcess {
    /// The vote page, ending in `/`, as the binary announces it.
    pub url: String,
    pub addr: SocketAddr,
    pub data: PathBuf,
    /// The admin token (what `party-tui admin-token` prints for this data dir).
    pub token: String,
    shutdown: CancellationToken,
    /// The party's own runtime runs on this thread, so sync and async tests alike can start
    /// and stop it (a runtime cannot be dropped inside another).
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl InProcess {
    /// A demo party on `data` (which holds config.toml), on a free loopback port.
    pub fn demo(data: &Path) -> InProcess {
        InProcess::start(data, Start::default())
    }

    /// Returns once the party answers on its vote page.
    pub fn start(data: &Path, start: Start) -> InProcess {
        let (cfg, _) = party_tui::config::load(Some(&data.join("config.toml")))
            .expect("the test's config.toml loads");
        let socket = std::net::TcpListener::bind(start.bind).expect("bind the vote page");
        let addr = socket.local_addr().expect("bound address");
        let token = party_tui::http::load_or_create_admin_token(data).expect("the admin token");
        let opts = RunOptions {
            demo: start.demo,
            demo_speed: 1.0,
            headless: true,
            new_party: start.new_party,
            data_dir: data.to_path_buf(),
        };
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let thread = std::thread::Builder::new()
            .name("party-in-process".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                let outcome = runtime.block_on(async move {
                    let listener = Listener::try_from(socket)?;
                    app::run(cfg, opts, listener, stop).await
                });
                // As cmd/run.rs: a blocking read must not hold the stop up.
                runtime.shutdown_timeout(Duration::from_millis(500));
                outcome
            })
            .expect("start the party's thread");
        let party = InProcess {
            url: format!("http://{addr}/"),
            addr,
            data: data.to_path_buf(),
            token,
            shutdown,
            thread: Some(thread),
        };
        party.wait_until_up();
        party
    }

    /// The socket listens from the start; a request is answered once the party is open and
    /// serving, which is what the binary's "vote page on" line meant.
    fn wait_until_up(&self) {
        let mut conn = TcpStream::connect(self.addr).expect("connect to the party");
        conn.set_read_timeout(Some(LIMIT)).unwrap();
        conn.write_all(b"GET /api/state HTTP/1.1\r\nHost: party\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut head = [0u8; 12];
        conn.read_exact(&mut head)
            .unwrap_or_else(|e| panic!("the in-process party did not answer: {e}"));
        assert_eq!(&head, b"HTTP/1.1 200", "the party's first answer");
    }

    /// Stops the party as a signal stops the binary, and gives what `app::run` returned.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the party's thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Err(e) = self.stop_and_join() {
            eprintln!("in-process party ended with: {e:#}");
        }
    }
}
