//! A real Mosquitto for the MQTT tests: each test starts its own on a free loopback port with
//! its own config in a temp dir (anonymous, a password file, or a TLS listener), plus a
//! rumqttc subscriber that records what arrives, and `party-tui --headless --demo` runs.
//! Without mosquitto the tests skip and say so; with PARTY_TUI_REQUIRE_PRIVILEGED=1 they fail.
#![allow(dead_code)]
pub mod platform;

use crate::support::headless;
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bound for anything a test waits on; a pass takes a fraction of it.
pub const LIMIT: Duration = Duration::from_secs(30);

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// mosquitto and mosquitto_passwd, or None after saying why (a panic in CI).
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    match (find("mosquitto"), find("mosquitto_passwd")) {
        (Some(m), Some(p)) => Some((m, p)),
        _ => {
            let why = "mosquitto is not installed (apt-get install mosquitto mosquitto-clients)";
            assert!(
                std::env::var("PARTY_TUI_REQUIRE_PRIVILEGED").as_deref() != Ok("1"),
                "{why}"
            );
            eprintln!("SKIPPED: {why}");
            None
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Mosquitto {
    pub port: u16,
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    passwd: PathBuf,
    child: Option<Child>,
    extra: String,
}

impl Mosquitto {
    /// A broker on a free port; `extra` is more mosquitto.conf (after the listener line).
    pub fn start(extra: &str) -> Option<Mosquitto> {
        let (bin, passwd) = tools()?;
        let mut m = Mosquitto {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            bin,
            passwd,
            child: None,
            extra: extra.to_string(),
        };
        m.run();
        Some(m)
    }

    /// `<tenant>/<user>` style logins: writes the password file the config then names.
    pub fn add_user(&self, user: &str, password: &str) -> PathBuf {
        let file = self.dir.path().join("passwd");
        let mut cmd = Command::new(&self.passwd);
        if !file.exists() {
            cmd.arg("-c");
        }
        let ok = cmd
            .args(["-b"])
            .arg(&file)
            .args([user, password])
            .status()
            .unwrap();
        assert!(ok.success(), "mosquitto_passwd failed");
        file
    }

    /// The config added after the listener line (takes effect at the next `restart`).
    pub fn extra_mut(&mut self) -> &mut String {
        &mut self.extra
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&mut self) {
        let conf = self.dir.path().join("mosquitto.conf");
        // Started as root, mosquitto would switch to the `mosquitto` user, which cannot write
        // the log or the saved sessions in our 0700 temp dir (both silently missing); `user
        // root` keeps it as it was started, and means nothing to a broker started by anyone else.
        let text = format!(
            "user root\nlistener {} 127.0.0.1\npersistence true\npersistence_location {}/\nlog_dest file {}\n{}\n",
            self.port,
            self.dir.path().display(),
            self.dir.path().join("mosquitto.log").display(),
            self.extra
        );
        std::fs::write(&conf, text).unwrap();
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(c) = &mut self.child
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("mosquitto exited ({status}); log: {}", self.log());
            }
            assert!(start.elapsed() < LIMIT, "mosquitto did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// SIGTERM and wait: mosquitto saves its persistent sessions on the way out.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    /// Start again on the same port, with the same config and saved sessions.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Connections the broker accepted from `client_id` so far (needs `log_type all`, or the
    /// default `notice`).
    pub fn connections(&self, client_id: &str) -> usize {
        let needle = format!(" as {client_id} (");
        self.log()
            .lines()
            .filter(|l| l.contains("New client connected") && l.contains(&needle))
            .count()
    }

    /// Messages the broker handed `client_id` from its retained store on `topic` so far
    /// (`r1` in its log; needs `log_type all`).
    pub fn retained_sent(&self, client_id: &str, topic: &str) -> usize {
        let head = format!("Sending PUBLISH to {client_id} (");
        let tail = ", r1, ";
        let topic = format!(", '{topic}', ");
        self.log()
            .lines()
            .filter(|l| l.contains(&head) && l.contains(tail) && l.contains(&topic))
            .count()
    }
}

/// Publish one message with QoS 1 from a client of its own (any size MQTT carries) and return
/// once the broker has acknowledged it.
pub async fn publish_once(port: u16, topic: &str, payload: Vec<u8>, retain: bool) {
    let id = format!("publisher-{}", free_port());
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_max_packet_size(1 << 28, 1 << 28);
    let (client, mut ev) = AsyncClient::new(o, 8);
    client
        .publish(topic, QoS::AtLeastOnce, retain, payload)
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        match tokio::time::timeout(LIMIT, ev.poll()).await {
            Ok(Ok(Event::Incoming(Incoming::PubAck(_)))) => break,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("publishing to {topic}: {e}"),
            Err(_) => panic!("no PUBACK for {topic} within {LIMIT:?}"),
        }
        assert!(start.elapsed() < LIMIT, "no PUBACK for {topic}");
    }
    client.disconnect().await.unwrap();
    // Let the DISCONNECT go out, so the broker does not publish anything on our behalf.
    while let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_secs(2), ev.poll()).await {
        if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
            break;
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[derive(Clone, Debug)]
pub struct Received {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
}

/// A subscriber that records everything on its topics (QoS 1). With `session`, its session
/// survives a broker restart, so messages sent while it reconnects are kept for it.
#[derive(Clone)]
pub struct Watcher {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub client: AsyncClient,
    subscribed: Arc<Mutex<bool>>,
}

impl Watcher {
    pub async fn start(
        port: u16,
        id: &str,
        login: Option<(&str, &str)>,
        topics: &[&str],
        session: bool,
    ) -> Watcher {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(5))
            .set_clean_session(!session);
        if let Some((u, p)) = login {
            o.set_credentials(u, p);
        }
        let (client, mut ev) = AsyncClient::new(o, 64);
        let got = Arc::new(Mutex::new(Vec::new()));
        let subscribed = Arc::new(Mutex::new(false));
        let (g, s, c) = (got.clone(), subscribed.clone(), client.clone());
        let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        tokio::spawn(async move {
            loop {
                match ev.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        for t in &topics {
                            c.subscribe(t, QoS::AtLeastOnce).await.unwrap();
                        }
                    }
                    Ok(Event::Incoming(Incoming::SubAck(_))) => *s.lock().unwrap() = true,
                    Ok(Event::Incoming(Incoming::Publish(p))) => g.lock().unwrap().push(Received {
                        topic: p.topic,
                        payload: String::from_utf8_lossy(&p.payload).into_owned(),
                        retain: p.retain,
                    }),
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        let w = Watcher {
            got,
            client,
            subscribed,
        };
        wait_for("the watcher's subscription", || {
            (*w.subscribed.lock().unwrap()).then_some(())
        })
        .await;
        w
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub fn on(&self, topic: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|m| m.topic == topic)
            .collect()
    }

    pub async fn publish(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await
            .unwrap();
    }
}

pub async fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < LIMIT,
            "timed out after {LIMIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `party-tui --headless --demo` with this config, killed (SIGKILL) on drop.
pub struct Party {
    pub child: Child,
    pub data: PathBuf,
    pub base: String,
}

impl Party {
    pub fn start(config: &Path, data: &Path, env: &[(&str, &str)]) -> Party {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_party-tui"));
        cmd.arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .args(["--headless", "--demo"])
            .env_remove("PARTY_TUI_MQTT_PASSWORD")
            .env_remove("PARTY_TUI_C8Y_PASSWORD")
            .env("RUST_LOG", "info");
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Found through its instance.json; its stderr is drained so it never blocks on the pipe.
        let (child, _stderr, instance) = headless::start(&mut cmd, data, LIMIT);
        Party {
            child,
            data: data.to_path_buf(),
            base: instance.vote_url.trim_end_matches('/').to_string(),
        }
    }

    /// The current demo party's journal.
    pub fn journal(&self) -> PathBuf {
        let parties = self.data.join("demo/parties");
        let name = std::fs::read_to_string(parties.join("current")).unwrap();
        parties.join(format!("{}.jsonl", name.trim()))
    }

    pub fn party(&self) -> String {
        self.journal()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    /// Every journal line as JSON.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.journal()).unwrap_or_default();
        let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
        complete
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Press a bt.tn-style web button (a single click).
    pub async fn press(&self, id: &str) {
        let r = reqwest::Client::new()
            .post(format!("{}/button/{id}", self.base))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "press: {}", r.status());
    }

    /// The party's log file so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("logs").join("party-tui.log")).unwrap_or_default()
    }

    /// Journal lines of host commands `command` (`skip_now`, `keep`, …) given by `by`.
    pub fn host_commands(&self, command: &str, by: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| {
                l["input"]["type"] == "host"
                    && l["input"]["command"] == command
                    && l["input"]["by"] == by
            })
            .count()
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        self.kill9();
    }
}
