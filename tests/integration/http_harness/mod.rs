//! A real HTTP server on 127.0.0.1:0 in front of a fake party loop that answers every input
//! with a canned verdict (one vote per voter and action, like the core), and records the inputs.
#![allow(dead_code)]
use party_tui::bus::clock::Clock;
use party_tui::buttons::ButtonDirectory;
use party_tui::core::{
    Action, Effect, HostOrder, Input, PressKind, PressResult, Snapshot, Timestamp, Voter,
};
use party_tui::http::{self, HttpState, RateLimit};

/// The guest id in a `pt_guest=<id>.<signature>` cookie pair.
pub fn guest_id_of(cookie: &str) -> String {
    let value = cookie
        .strip_prefix("pt_guest=")
        .expect("a guest cookie pair");
    value
        .split_once('.')
        .expect("a signed guest cookie")
        .0
        .to_string()
}
use party_tui::bus::inbox::{Inbox, Msg};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// Upper bound for anything a test waits on; a pass takes milliseconds.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct Options {
    pub party_code: Option<String>,
    pub rate_limit: Option<RateLimit>,
    /// New guests per client address per hour (0: unlimited, the harness default).
    pub new_guests_per_hour: u32,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub buttons: ButtonDirectory,
    /// `[party] name`.
    pub party_name: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        let mut buttons = ButtonDirectory::default();
        buttons.add_id("door-1", "Door");
        buttons.add_serial("G030JF059405K485", "Sofa");
        buttons.add_serial("G030PMXXXXXXXXXX", "Desk");
        Options {
            party_code: None,
            rate_limit: None,
            new_guests_per_hour: 0,
            trusted_proxies: Vec::new(),
            buttons,
            party_name: None,
        }
    }
}

pub struct Harness {
    pub base: String,
    pub http: reqwest::Client,
    pub inputs: mpsc::UnboundedReceiver<Input>,
    pub snapshots: watch::Sender<Arc<Snapshot>>,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// While set, the fake loop drops replies, as the engine does when the journal write fails.
    pub fail_journal: Arc<AtomicBool>,
}

pub async fn start(opts: Options) -> Harness {
    let (inbox, rx) = Inbox::new();
    let (in_tx, inputs) = mpsc::unbounded_channel();
    let fail_journal = Arc::new(AtomicBool::new(false));
    tokio::spawn(fake_loop(rx, in_tx, fail_journal.clone()));
    let snap = Snapshot {
        party: "test-party".into(),
        ..Snapshot::default()
    };
    let (snapshots, snap_rx) = watch::channel(Arc::new(snap));
    let state = HttpState::new(
        inbox,
        snap_rx,
        opts.buttons,
        TOKEN.to_string(),
        opts.party_code,
        Clock::starting_at(Timestamp::from_millis(1_000_000), 1.0),
    )
    .with_limits(&http::HttpLimits {
        rate_limit: opts.rate_limit,
        new_guests_per_hour: opts.new_guests_per_hour,
        trusted_proxies: opts.trusted_proxies,
    })
    .with_party_name(opts.party_name);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(http::serve(listener, state, shutdown.clone()));
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    Harness {
        base,
        http,
        inputs,
        snapshots,
        shutdown,
        server,
        fail_journal,
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The next input the server sent to the party.
    pub async fn next_input(&mut self) -> Input {
        tokio::time::timeout(PATIENCE, self.inputs.recv())
            .await
            .expect("no input reached the party loop")
            .expect("fake loop stopped")
    }

    /// No input is waiting: every input a request caused is sent before its answer.
    pub fn no_input(&mut self) {
        if let Ok(i) = self.inputs.try_recv() {
            panic!("unexpected input {i:?}");
        }
    }

    /// Visit the page like a phone does; returns the `pt_guest=…` cookie to send back.
    pub async fn new_guest(&self) -> String {
        let res = self.http.get(self.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        cookie_pair(&res, "pt_guest").expect("first visit issues a guest cookie")
    }

    pub async fn vote(&self, cookie: &str, body: &str) -> (u16, serde_json::Value) {
        let res = self
            .http
            .post(self.url("/api/vote"))
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        json_of(res).await
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.server)
            .await
            .expect("server did not stop")
            .unwrap()
            .unwrap();
    }
}

pub async fn json_of(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    assert!(ct.starts_with("application/json"), "{status} {ct}: {text}");
    (status, serde_json::from_str(&text).unwrap())
}

/// `name=value` of a Set-Cookie in the response.
pub fn cookie_pair(res: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie(res, name).map(|c| c.split(';').next().unwrap().to_string())
}

/// The whole Set-Cookie line for `name`.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(&format!("{name}=")))
}

async fn fake_loop(
    mut rx: mpsc::Receiver<Msg>,
    seen: mpsc::UnboundedSender<Input>,
    fail: Arc<AtomicBool>,
) {
    let mut votes: HashSet<(Voter, String)> = HashSet::new();
    let (mut likes, mut skips) = (0u32, 0u32);
    while let Some(msg) = rx.recv().await {
        let Msg::Input { input, reply } = msg else {
            continue;
        };
        let effects = match &input {
            Input::Press(p) => {
                let (click, action) = match p.kind {
                    PressKind::Click(c) => (Some(c), None),
                    PressKind::Vote(a) => (None, Some(a)),
                };
                let first = votes.insert((p.voter.clone(), format!("{:?}", p.kind)));
                let result = if p.voter.0.starts_with("button:unknown") {
                    PressResult::Unmapped
                } else if first {
                    match action {
                        Some(Action::Skip) => skips += 1,
                        _ => likes += 1,
                    }
                    PressResult::Counted
                } else {
                    PressResult::Duplicate
                };
                vec![Effect::Press {
                    voter: p.voter.clone(),
                    origin: p.origin,
                    click,
                    action,
                    result,
                    track: None,
                    likes,
                    skips,
                    battery: p.battery,
                }]
            }
            Input::Host(HostOrder { command, by }) => vec![Effect::Host {
                by: by.clone(),
                command: command.clone(),
            }],
            _ => Vec::new(),
        };
        let _ = seen.send(input);
        if fail.load(Ordering::SeqCst) {
            drop(reply);
        } else if let Some(reply) = reply {
            let _ = reply.send(effects);
        }
    }
}
