//! Headless Chromium driven over the Chrome DevTools Protocol: just enough to open a page,
//! evaluate JavaScript in it and read its cookies. Chromium is killed when the guard drops.
#![allow(dead_code)]
pub mod party;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Chromium starts in about a second; a loaded CI machine gets much longer.
pub const STARTUP: Duration = Duration::from_secs(30);
/// Any single DevTools command answers in milliseconds.
const CALL_LIMIT: Duration = Duration::from_secs(15);

/// The names Chromium goes by: Debian's package, other distributions, Google's build.
const BROWSERS: [&str; 3] = ["chromium", "chromium-browser", "google-chrome"];

pub fn find_browser() -> Option<&'static str> {
    BROWSERS
        .into_iter()
        .find(|b| crate::support::have_command(b))
}

/// The browser to test with; without one the test skips, saying why (or fails in CI, where
/// PARTY_TUI_REQUIRE_PRIVILEGED=1).
pub fn browser_or_skip() -> Option<&'static str> {
    let found = find_browser();
    if found.is_none() {
        crate::support::skip_or_fail("chromium is not installed (apt-get install chromium)");
    }
    found
}

pub struct Chromium {
    child: Child,
    /// `ws://127.0.0.1:PORT/devtools/browser/…` from Chromium's own announcement.
    pub ws_url: String,
}

impl Chromium {
    /// Starts headless Chromium with a fresh profile on a free DevTools port and waits for
    /// the line that announces the port, so there is no guessing and no race.
    pub fn launch(program: &str, profile: &Path) -> Chromium {
        let mut child = Command::new(program)
            .args([
                "--headless=new",
                "--no-sandbox", // CI runs as root, where the sandbox refuses to start.
                "--disable-gpu",
                "--disable-dev-shm-usage", // containers often have a tiny /dev/shm
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                // Nothing but loopback: no update checks, sync, or first-run pings.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group: the guard kills the renderers and helpers with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let lines = drain_lines(child.stderr.take().expect("piped stderr"));
        let mut guard = Chromium {
            child,
            ws_url: String::new(),
        };
        let mut seen = Vec::new();
        guard.ws_url = loop {
            match lines.recv_timeout(STARTUP) {
                Ok(line) => match line.split_once("DevTools listening on ") {
                    Some((_, url)) => break url.trim().to_string(),
                    None => seen.push(line),
                },
                Err(_) => panic!(
                    "{program} did not announce its DevTools port within {STARTUP:?}:\n{}",
                    seen.join("\n")
                ),
            }
        };
        guard
    }

    /// A DevTools connection attached to a new tab.
    pub async fn page(&self) -> Cdp {
        let mut page = Cdp::connect(&self.ws_url).await;
        page.open_page().await;
        page
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // The negative pid is the process group made at spawn: Chromium and all its helpers.
        // `--` is essential: without it procps' kill may read "-PID" as an option and end up
        // calling kill(-1, SIGKILL), which kills every process we may signal.
        let pgid = self.child.id();
        if pgid > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pgid}")])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines from a child's output on a channel (so waits can have deadlines); the pipe is read
/// to the end so the child never blocks on a full pipe.
pub fn drain_lines(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("child-output".into())
        .spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        })
        .expect("spawn output reader");
    rx
}

/// One DevTools connection, attached to one page (flat sessions: every command to the page
/// carries its session id over the browser's socket).
pub struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    pub async fn connect(ws_url: &str) -> Cdp {
        let (ws, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to DevTools at {ws_url}: {e}"));
        Cdp {
            ws,
            next_id: 0,
            session: None,
        }
    }

    /// Sends a command and returns its result; events arriving meanwhile are not needed.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .await
            .unwrap_or_else(|e| panic!("DevTools send {method}: {e}"));
        let answer = tokio::time::timeout(CALL_LIMIT, async {
            while let Some(frame) = self.ws.next().await {
                let frame = frame.unwrap_or_else(|e| panic!("DevTools socket: {e}"));
                let Message::Text(text) = frame else { continue };
                let v: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
                if v["id"] == id {
                    return v;
                }
            }
            panic!("DevTools closed the connection during {method}")
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {method} within {CALL_LIMIT:?}"));
        if let Some(err) = answer.get("error") {
            panic!("{method} failed: {err}");
        }
        answer["result"].clone()
    }

    /// Opens a new tab and sends every later command to it.
    pub async fn open_page(&mut self) {
        self.open_target(json!({ "url": "about:blank" })).await;
    }

    /// Opens a tab in a new browser context (its own cookies: another guest's phone).
    #[allow(dead_code)]
    pub async fn open_private_page(&mut self) {
        let ctx = self.call("Target.createBrowserContext", json!({})).await;
        let params = json!({ "url": "about:blank", "browserContextId": ctx["browserContextId"] });
        self.open_target(params).await;
    }

    async fn open_target(&mut self, params: Value) {
        let target = self.call("Target.createTarget", params).await;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        self.session = Some(attached["sessionId"].as_str().expect("session id").into());
    }

    pub async fn navigate(&mut self, url: &str) {
        let nav = self.call("Page.navigate", json!({ "url": url })).await;
        if let Some(err) = nav.get("errorText") {
            panic!("cannot open {url}: {err}");
        }
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("`{expression}` threw: {ex}");
        }
        r["result"]["value"].clone()
    }

    /// The value of cookie `name` the browser holds for `url` (HttpOnly ones too).
    pub async fn cookie(&mut self, url: &str, name: &str) -> Option<String> {
        let r = self
            .call("Network.getCookies", json!({ "urls": [url] }))
            .await;
        r["cookies"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["value"].as_str())
            .map(str::to_string)
    }

    /// Lays the page out `width` CSS pixels wide (a phone when `mobile`).
    pub async fn set_width(&mut self, width: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": if mobile { 800 } else { 900 },
                    "deviceScaleFactor": 1, "mobile": mobile }),
        )
        .await;
    }

    /// A PNG of the whole page as laid out now, written to `path` for a person to look at.
    pub async fn screenshot(&mut self, path: &Path) {
        use base64::Engine;
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("screenshot is base64");
        std::fs::write(path, png).expect("write screenshot");
    }
}
