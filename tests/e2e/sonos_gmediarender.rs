//! The Sonos adapter against a real UPnP AVTransport renderer: gmediarender (Debian) in its own
//! network namespace, audio to a fakesink, playing a WAV this test serves over HTTP with DIDL
//! metadata set by SetAVTransportURI. Checks title/artist/album and PLAYING → STOPPED through
//! events, then polling, reports what Next does, and prints the state-change delays measured.
use crate::support;

use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::{AdapterResult, HealthLevel, Input, PlayerUpdate, TransportState};
use party_tui::players::PlayerCommand;
use party_tui::players::sonos::lastchange::escape_xml;
use party_tui::players::sonos::resolve::Wanted;
use party_tui::players::sonos::soap::{AVTRANSPORT, envelope};
use party_tui::players::sonos::timing::Timing;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const RENDERER_PORT: u16 = 49494;
/// The first track is this long: it must end by itself (STOPPED) within the test.
const SHORT_TRACK_SECS: u32 = 2;
const LONG_TRACK_SECS: u32 = 30;
/// Deadlines for conditions; each is met well within when things work.
const READY_LIMIT: Duration = Duration::from_secs(70);
const STEP_LIMIT: Duration = Duration::from_secs(15);

fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace joined to the host by a veth pair; removed on drop.
struct NetNs {
    name: String,
    host_if: String,
    host_ip: Ipv4Addr,
    ns_ip: Ipv4Addr,
}

impl NetNs {
    fn create() -> Result<NetNs, String> {
        let pid = std::process::id();
        let subnet = [10, 214, (pid % 250) as u8];
        let ns = NetNs {
            name: format!("ptsonos{pid}"),
            host_if: format!("ptsh{pid}"),
            host_ip: Ipv4Addr::new(subnet[0], subnet[1], subnet[2], 1),
            ns_ip: Ipv4Addr::new(subnet[0], subnet[1], subnet[2], 2),
        };
        let ns_if = format!("ptsn{pid}");
        run(&["ip", "netns", "add", &ns.name])?;
        // From here on, Drop cleans up whatever was made.
        let (host_cidr, ns_cidr) = (format!("{}/24", ns.host_ip), format!("{}/24", ns.ns_ip));
        let steps: [&[&str]; 7] = [
            &[
                "ip",
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ],
            &["ip", "link", "set", &ns_if, "netns", &ns.name],
            &["ip", "addr", "add", &host_cidr, "dev", &ns.host_if],
            &["ip", "link", "set", &ns.host_if, "up"],
            &[
                "ip", "netns", "exec", &ns.name, "ip", "addr", "add", &ns_cidr, "dev", &ns_if,
            ],
            &[
                "ip", "netns", "exec", &ns.name, "ip", "link", "set", &ns_if, "up",
            ],
            &[
                "ip", "netns", "exec", &ns.name, "ip", "link", "set", "lo", "up",
            ],
        ];
        for step in steps {
            run(step)?;
        }
        Ok(ns)
    }

    fn ns_if(&self) -> String {
        self.host_if.replacen("ptsh", "ptsn", 1)
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = run(&["ip", "link", "del", &self.host_if]);
        let _ = run(&["ip", "netns", "del", &self.name]);
    }
}

/// gmediarender running in the namespace; killed on drop.
struct Renderer(Child);

impl Renderer {
    fn start(ns: &NetNs, log: &std::path::Path) -> Renderer {
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.name, "gmediarender"])
            .args(["-I", &ns.ns_if(), "-p", &RENDERER_PORT.to_string()])
            .args([
                "-f",
                "party-tui test renderer",
                "-u",
                "party-tui-test-renderer",
            ])
            .arg("--gstout-audiopipe=fakesink sync=true")
            .arg(format!("--logfile={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gmediarender starts");
        Renderer(child)
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A mono 16-bit 8 kHz WAV of a quiet 440 Hz tone.
fn wav(secs: u32) -> Vec<u8> {
    let rate = 8000u32;
    let samples: Vec<i16> = (0..rate * secs)
        .map(|i| ((i as f64 * 440.0 * std::f64::consts::TAU / rate as f64).sin() * 3000.0) as i16)
        .collect();
    let data_len = samples.len() as u32 * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [rate, rate * 2] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [2u16, 16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

async fn serve_media(ip: Ipv4Addr, stop: CancellationToken) -> SocketAddr {
    use axum::routing::get;
    let short = wav(SHORT_TRACK_SECS);
    let long = wav(LONG_TRACK_SECS);
    let app = axum::Router::new()
        .route(
            "/short.wav",
            get(move || async move { ([("content-type", "audio/wav")], short) }),
        )
        .route(
            "/long.wav",
            get(move || async move { ([("content-type", "audio/wav")], long) }),
        );
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .unwrap()
    });
    addr
}

fn didl(title: &str, url: &str) -> String {
    format!(
        r#"<DIDL-Lite xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/"><item id="1" parentID="0" restricted="1"><dc:title>{}</dc:title><dc:creator>The Testers &amp; Co</dc:creator><upnp:album>Loopback Sessions</upnp:album><upnp:class>object.item.audioItem.musicTrack</upnp:class><res protocolInfo="http-get:*:audio/wav:*">{}</res></item></DIDL-Lite>"#,
        escape_xml(title),
        escape_xml(url)
    )
}

/// The test acting as a control point (like the Sonos app): SOAP straight to the renderer.
async fn soap(http: &reqwest::Client, control: &str, action: &str, args: &[(&str, &str)]) {
    let res = http
        .post(control)
        .header("content-type", r#"text/xml; charset="utf-8""#)
        .header("soapaction", format!("\"{AVTRANSPORT}#{action}\""))
        .body(envelope(AVTRANSPORT, action, args))
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert!(
        status.is_success(),
        "{action}: {status} {}",
        res.text().await.unwrap()
    );
}

async fn play(http: &reqwest::Client, control: &str, title: &str, url: &str) -> Instant {
    let meta = didl(title, url);
    let args = [
        ("InstanceID", "0"),
        ("CurrentURI", url),
        ("CurrentURIMetaData", &meta),
    ];
    soap(http, control, "SetAVTransportURI", &args).await;
    soap(
        http,
        control,
        "Play",
        &[("InstanceID", "0"), ("Speed", "1")],
    )
    .await;
    Instant::now()
}

/// The next inbox message matching `want`, within `limit`.
async fn expect<T>(
    rx: &mut mpsc::Receiver<Msg>,
    what: &str,
    limit: Duration,
    mut want: impl FnMut(&Msg) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            let msg = rx.recv().await.expect("the player is running");
            eprintln!("inbox: {msg:?}");
            if let Some(v) = want(&msg) {
                return v;
            }
        }
    };
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?} waiting for {what}"))
}

fn player_update(msg: &Msg) -> Option<&PlayerUpdate> {
    match msg {
        Msg::Input {
            input: Input::Player(u),
            ..
        } => Some(u),
        _ => None,
    }
}

fn is_state(msg: &Msg, title: &str, state: TransportState) -> bool {
    player_update(msg)
        .is_some_and(|u| u.state == state && u.track.as_ref().is_some_and(|t| t.title == title))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_gmediarender_through_events_and_polling() {
    if !support::have_command("gmediarender") || !support::have_command("ip") {
        return support::skip_or_fail(
            "gmediarender or ip not installed (apt-get install gmediarender gstreamer1.0-plugins-base gstreamer1.0-plugins-good iproute2)",
        );
    }
    let ns = match NetNs::create() {
        Ok(ns) => ns,
        Err(e) => {
            return support::skip_or_fail(&format!("no network namespace (root needed): {e}"));
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let _renderer = Renderer::start(&ns, &tmp.path().join("gmediarender.log"));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let description = format!("http://{}:{RENDERER_PORT}/description.xml", ns.ns_ip);
    // libupnp retries its bind until the veth address is usable: wait for the description.
    let started = Instant::now();
    while !http
        .get(&description)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < READY_LIMIT,
            "gmediarender never served {description}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await; // polling an observable condition
    }
    let control = format!(
        "http://{}:{RENDERER_PORT}/upnp/control/rendertransport1",
        ns.ns_ip
    );
    let stop_media = CancellationToken::new();
    let media = serve_media(ns.host_ip, stop_media.clone()).await;

    // Events: the adapter's listener on the host end of the veth.
    let (inbox, mut rx) = Inbox::new();
    let (skip_tx, skips) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind((ns.host_ip, 0))
        .await
        .map_err(|e| e.to_string());
    let wanted = Wanted::Url(description.clone());
    let player = tokio::spawn(party_tui::players::sonos::run_with(
        wanted.clone(),
        listener,
        Timing::default(),
        inbox,
        skips,
        stop.clone(),
    ));
    expect(&mut rx, "health: events", STEP_LIMIT, |m| match m {
        Msg::Health(h)
            if h.name == "Sonos" && h.level == HealthLevel::Ok && h.detail == "events" =>
        {
            Some(())
        }
        _ => None,
    })
    .await;

    let short_url = format!("http://{media}/short.wav");
    let t0 = play(&http, &control, "Short Tone", &short_url).await;
    let update = expect(&mut rx, "PLAYING Short Tone", STEP_LIMIT, |m| {
        is_state(m, "Short Tone", TransportState::Playing)
            .then(|| player_update(m).unwrap().clone())
    })
    .await;
    let events_delay = t0.elapsed();
    let track = update.track.unwrap();
    assert_eq!(
        (
            track.title.as_str(),
            track.artist.as_str(),
            track.album.as_str()
        ),
        ("Short Tone", "The Testers & Co", "Loopback Sessions")
    );
    assert_eq!(update.player, "party-tui test renderer");
    expect(
        &mut rx,
        "STOPPED at the end of the track",
        STEP_LIMIT,
        |m| {
            player_update(m)
                .is_some_and(|u| u.state == TransportState::Stopped)
                .then_some(())
        },
    )
    .await;

    // What Next does on a renderer without a queue.
    let long_url = format!("http://{media}/long.wav");
    play(&http, &control, "Long Tone", &long_url).await;
    let playing = expect(&mut rx, "PLAYING Long Tone", STEP_LIMIT, |m| {
        is_state(m, "Long Tone", TransportState::Playing).then(|| player_update(m).unwrap().clone())
    })
    .await;
    let key = playing.track.unwrap().key();
    skip_tx
        .send(PlayerCommand::Skip { track: key.clone() })
        .await
        .unwrap();
    let next = expect(&mut rx, "an answer to Next", STEP_LIMIT, |m| match m {
        Msg::Input {
            input: Input::Result(AdapterResult::SkipFailed { track, reason }),
            ..
        } => {
            assert_eq!(track, &key);
            Some(format!("Next refused: {reason}"))
        }
        Msg::Input {
            input: Input::Player(u),
            ..
        } => Some(format!(
            "Next → {:?}, track {:?}",
            u.state,
            u.track.as_ref().map(|t| &t.title)
        )),
        _ => None,
    })
    .await;
    eprintln!("MEASURE gmediarender Next: {next}");
    soap(&http, &control, "Stop", &[("InstanceID", "0")]).await;
    stop.cancel();
    player.await.unwrap();

    // Polling: the same renderer with events off (no listener).
    let (inbox, mut rx) = Inbox::new();
    let (_skip_tx, skips) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let player = tokio::spawn(party_tui::players::sonos::run_with(
        wanted,
        Err("events off for this test".into()),
        Timing::default(),
        inbox,
        skips,
        stop.clone(),
    ));
    expect(&mut rx, "health: polling", STEP_LIMIT, |m| match m {
        Msg::Health(h)
            if h.level == HealthLevel::Warn && h.detail.starts_with("polling (events off") =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    let t0 = play(&http, &control, "Polled Tone", &long_url).await;
    expect(&mut rx, "PLAYING Polled Tone (polled)", STEP_LIMIT, |m| {
        is_state(m, "Polled Tone", TransportState::Playing).then_some(())
    })
    .await;
    let polling_delay = t0.elapsed();
    soap(&http, &control, "Stop", &[("InstanceID", "0")]).await;
    expect(&mut rx, "STOPPED (polled)", STEP_LIMIT, |m| {
        player_update(m)
            .is_some_and(|u| u.state == TransportState::Stopped)
            .then_some(())
    })
    .await;
    stop.cancel();
    player.await.unwrap();
    stop_media.cancel();
    eprintln!(
        "MEASURE renderer PLAYING → engine inbox: events {events_delay:?}, polling {polling_delay:?}"
    );
    assert!(
        events_delay < Duration::from_secs(2),
        "events took {events_delay:?}"
    );
}
