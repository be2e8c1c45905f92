//! A small fake Sonos speaker: device description, AVTransport SOAP and GENA, on its own
//! thread and real-time runtime. It runs inside `spawn_blocking`, which stops a paused test
//! runtime from auto-advancing time while requests are on the wire: the test moves time itself.
#![allow(dead_code)]
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use party_tui::players::sonos::lastchange::escape_xml;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

pub const DESCRIPTION_PATH: &str = "/xml/device_description.xml";
/// Every track lasts this long ("0:03:00").
pub const TRACK_SECS: u64 = 180;

/// What the fake was asked, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Req {
    Subscribe {
        callback: String,
        timeout: String,
        sid: String,
    },
    Renew {
        sid: String,
        known: bool,
    },
    Unsubscribe {
        sid: String,
    },
    Action(String),
}

#[derive(Debug)]
pub struct Speaker {
    pub granted_secs: u64,
    /// Send events to subscribers (false: the callback is "unreachable").
    pub deliver: bool,
    /// Answer control requests with 403, as Sonos with UPnP switched off.
    pub forbidden: bool,
    pub next_fault: Option<u16>,
    pub state: &'static str,
    pub track: u32,
    /// Where in the track the speaker is (GetPositionInfo's RelTime).
    pub rel_secs: u64,
    /// When set, the speaker plays Spotify tracks from its queue: the track URI is
    /// `x-sonos-spotify:spotify%3atrack%3a<id>?sid=9&flags=8224&sn=<this>`.
    pub spotify_sn: Option<&'static str>,
    /// UPnP errors AddURIToQueue answers with, one per call, before it accepts.
    pub queue_faults: std::collections::VecDeque<u16>,
    /// Arguments of every AddURIToQueue call (name → unescaped value), in order.
    pub add_uri_calls: Vec<HashMap<String, String>>,
    next_sid: u32,
    subs: HashMap<String, String>,
}

impl Speaker {
    pub fn title(&self) -> String {
        format!("Song {}", self.track)
    }
    fn uri(&self) -> String {
        match self.spotify_sn {
            Some(sn) => format!(
                "x-sonos-spotify:spotify%3atrack%3a{:0>22}?sid=9&flags=8224&sn={sn}",
                self.track
            ),
            None => format!("x-file-cifs://nas/music/{}.mp3", self.track),
        }
    }
    fn didl(&self) -> String {
        format!(
            r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item id="-1" parentID="-1"><dc:title>{}</dc:title><dc:creator>Fake Band</dc:creator><upnp:album>Fake Album</upnp:album><upnp:class>object.item.audioItem.musicTrack</upnp:class></item></DIDL-Lite>"#,
            self.title()
        )
    }
    /// A full LastChange NOTIFY body (triple-escaped metadata, as Sonos sends).
    fn notify_body(&self) -> String {
        let vars = [
            ("TransportState", self.state.to_string()),
            ("CurrentTrackURI", self.uri()),
            ("CurrentTrackDuration", "0:03:00".to_string()),
            ("CurrentTrackMetaData", self.didl()),
        ];
        let inner: String = vars
            .iter()
            .map(|(k, v)| format!(r#"<{k} val="{}"/>"#, escape_xml(v)))
            .collect();
        let event = format!(
            r#"<Event xmlns="urn:schemas-upnp-org:metadata-1-0/AVT/"><InstanceID val="0">{inner}</InstanceID></Event>"#
        );
        format!(
            r#"<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property><LastChange>{}</LastChange></e:property></e:propertyset>"#,
            escape_xml(&event)
        )
    }
}

#[derive(Clone)]
struct Shared {
    speaker: Arc<Mutex<Speaker>>,
    log: watch::Sender<Vec<Req>>,
    notify: mpsc::UnboundedSender<()>,
}

/// The test's handle on the fake.
pub struct Fake {
    pub addr: SocketAddr,
    pub speaker: Arc<Mutex<Speaker>>,
    pub log: watch::Receiver<Vec<Req>>,
    notify: mpsc::UnboundedSender<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<tokio::task::JoinHandle<()>>,
}

impl Fake {
    pub async fn start(granted_secs: u64) -> Fake {
        let speaker = Arc::new(Mutex::new(Speaker {
            granted_secs,
            deliver: true,
            forbidden: false,
            next_fault: None,
            state: "PLAYING",
            track: 1,
            rel_secs: 10,
            spotify_sn: None,
            queue_faults: Default::default(),
            add_uri_calls: Vec::new(),
            next_sid: 1,
            subs: HashMap::new(),
        }));
        let (log_tx, log) = watch::channel(Vec::new());
        let (notify, notify_rx) = mpsc::unbounded_channel();
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let shared = Shared {
            speaker: speaker.clone(),
            log: log_tx,
            notify: notify.clone(),
        };
        let thread = tokio::task::spawn_blocking(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(shared, notify_rx, addr_tx, stop_rx));
        });
        Fake {
            addr: addr_rx.await.unwrap(),
            speaker,
            log,
            notify,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn description_url(&self) -> String {
        format!("http://{}{DESCRIPTION_PATH}", self.addr)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut Speaker) -> T) -> T {
        f(&mut self.speaker.lock().unwrap())
    }

    /// The speaker reboots: it forgets every subscription.
    pub fn reboot(&self) {
        self.with(|s| s.subs.clear());
    }

    /// Tell subscribers the current state (as after a change).
    pub fn push_event(&self) {
        let _ = self.notify.send(());
    }

    pub fn requests(&self) -> Vec<Req> {
        self.log.borrow().clone()
    }

    pub fn count(&self, f: impl Fn(&Req) -> bool) -> usize {
        self.log.borrow().iter().filter(|r| f(r)).count()
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().await.unwrap();
    }
}

async fn serve(
    shared: Shared,
    mut notify_rx: mpsc::UnboundedReceiver<()>,
    addr_tx: tokio::sync::oneshot::Sender<SocketAddr>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    addr_tx.send(listener.local_addr().unwrap()).unwrap();
    let pusher = shared.clone();
    tokio::spawn(async move {
        while notify_rx.recv().await.is_some() {
            send_events(&pusher).await;
        }
    });
    let app = Router::new()
        .route(DESCRIPTION_PATH, axum::routing::get(description))
        .route("/MediaRenderer/AVTransport/Event", axum::routing::any(gena))
        .route(
            "/MediaRenderer/AVTransport/Control",
            axum::routing::post(control),
        )
        .with_state(shared);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.await;
        })
        .await
        .unwrap();
}

async fn send_events(shared: &Shared) {
    let (deliver, body, subs) = {
        let s = shared.speaker.lock().unwrap();
        (s.deliver, s.notify_body(), s.subs.clone())
    };
    if !deliver {
        return;
    }
    let http = reqwest::Client::new();
    for (sid, callback) in subs {
        let _ = http
            .request(Method::from_bytes(b"NOTIFY").unwrap(), &callback)
            .header("NT", "upnp:event")
            .header("NTS", "upnp:propchange")
            .header("SID", &sid)
            .header("SEQ", "0")
            .header("content-type", "text/xml")
            .body(body.clone())
            .send()
            .await;
    }
}

async fn description() -> impl IntoResponse {
    r#"<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>
      <deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType><friendlyName>Fake Sonos</friendlyName>
      <roomName>Fake Room</roomName><UDN>uuid:RINCON_FAKE01400</UDN>
      <deviceList><device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType><serviceList><service>
      <serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType><serviceId>urn:upnp-org:serviceId:AVTransport</serviceId>
      <controlURL>/MediaRenderer/AVTransport/Control</controlURL><eventSubURL>/MediaRenderer/AVTransport/Event</eventSubURL>
      <SCPDURL>/xml/AVTransport1.xml</SCPDURL></service></serviceList></device></deviceList></device></root>"#
}

async fn gena(State(shared): State<Shared>, method: Method, headers: HeaderMap) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut s = shared.speaker.lock().unwrap();
    let (req, response) = match (method.as_str(), header("SID"), header("CALLBACK")) {
        ("SUBSCRIBE", None, Some(callback)) => {
            let sid = format!("uuid:RINCON_FAKE01400_sub{:04}", s.next_sid);
            s.next_sid += 1;
            let url = callback.trim_matches(|c| c == '<' || c == '>').to_string();
            s.subs.insert(sid.clone(), url);
            let timeout = format!("Second-{}", s.granted_secs);
            // A real speaker sends the full state right after answering.
            let _ = shared.notify.send(());
            let req = Req::Subscribe {
                callback,
                timeout: header("TIMEOUT").unwrap_or_default(),
                sid: sid.clone(),
            };
            (
                req,
                ([("SID", sid), ("TIMEOUT", timeout)], "").into_response(),
            )
        }
        ("SUBSCRIBE", Some(sid), None) => {
            let known = s.subs.contains_key(&sid);
            let response = if known {
                (
                    [
                        ("SID", sid.clone()),
                        ("TIMEOUT", format!("Second-{}", s.granted_secs)),
                    ],
                    "",
                )
                    .into_response()
            } else {
                StatusCode::PRECONDITION_FAILED.into_response()
            };
            (Req::Renew { sid, known }, response)
        }
        ("UNSUBSCRIBE", Some(sid), _) => {
            s.subs.remove(&sid);
            (Req::Unsubscribe { sid }, StatusCode::OK.into_response())
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    drop(s);
    shared.log.send_modify(|l| l.push(req));
    response
}

fn soap_ok(action: &str, inner: &str) -> Response {
    let body = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:{action}Response xmlns:u="urn:schemas-upnp-org:service:AVTransport:1">{inner}</u:{action}Response></s:Body></s:Envelope>"#
    );
    ([("content-type", "text/xml")], body).into_response()
}

fn fault(code: u16) -> Response {
    let body = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#
    );
    (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
}

/// AddURIToQueue as Sonos checks it: the five arguments in order, a Spotify track URI, DIDL
/// metadata naming the Spotify service (`SA_RINCON<type>_X_#Svc<type>-0-Token`); 402 otherwise.
fn add_uri_to_queue(s: &mut Speaker, body: &[u8]) -> Response {
    use party_tui::players::sonos::soap::{SoapReply, parse_reply};
    let Ok(SoapReply::Ok(args)) = parse_reply(&String::from_utf8_lossy(body)) else {
        return fault(402);
    };
    let doc = String::from_utf8_lossy(body).to_string();
    let order = [
        "InstanceID",
        "EnqueuedURI",
        "EnqueuedURIMetaData",
        "DesiredFirstTrackNumberEnqueued",
        "EnqueueAsNext",
    ];
    let mut at = 0;
    for name in order {
        match doc[at..].find(&format!("<{name}>")) {
            Some(i) => at += i,
            None => return fault(402),
        }
    }
    let uri = &args["EnqueuedURI"];
    let meta = &args["EnqueuedURIMetaData"];
    let spotify = uri.starts_with("x-sonos-spotify:spotify%3atrack%3a")
        || uri.starts_with("spotify%3atrack%3a");
    let didl_ok = roxmltree::Document::parse(meta).is_ok_and(|d| {
        d.descendants().any(|n| {
            n.tag_name().name() == "desc"
                && n.text()
                    .is_some_and(|t| t.starts_with("SA_RINCON") && t.ends_with("-0-Token"))
        })
    });
    if args["InstanceID"] != "0" || !spotify || !didl_ok {
        return fault(402);
    }
    s.add_uri_calls.push(args);
    if let Some(code) = s.queue_faults.pop_front() {
        return fault(code);
    }
    let n = s.add_uri_calls.len();
    soap_ok(
        "AddURIToQueue",
        &format!(
            "<FirstTrackNumberEnqueued>{n}</FirstTrackNumberEnqueued><NumTracksAdded>1</NumTracksAdded><NewQueueLength>{n}</NewQueueLength>"
        ),
    )
}

async fn control(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_matches('"').split('#').nth(1))
        .unwrap_or_default()
        .to_string();
    shared
        .log
        .send_modify(|l| l.push(Req::Action(action.clone())));
    let mut s = shared.speaker.lock().unwrap();
    if s.forbidden {
        return StatusCode::FORBIDDEN.into_response();
    }
    match action.as_str() {
        "GetTransportInfo" => soap_ok(
            &action,
            &format!(
                "<CurrentTransportState>{}</CurrentTransportState><CurrentTransportStatus>OK</CurrentTransportStatus><CurrentSpeed>1</CurrentSpeed>",
                s.state
            ),
        ),
        "GetPositionInfo" => soap_ok(
            &action,
            &format!(
                "<Track>1</Track><TrackDuration>0:03:00</TrackDuration><TrackMetaData>{}</TrackMetaData><TrackURI>{}</TrackURI><RelTime>{}:{:02}:{:02}</RelTime>",
                escape_xml(&s.didl()),
                escape_xml(&s.uri()),
                s.rel_secs / 3600,
                s.rel_secs / 60 % 60,
                s.rel_secs % 60
            ),
        ),
        "Next" => match s.next_fault {
            Some(code) => {
                let body = format!(
                    r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#
                );
                (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
            }
            None => {
                s.track += 1;
                let _ = shared.notify.send(());
                soap_ok(&action, "")
            }
        },
        "AddURIToQueue" => add_uri_to_queue(&mut s, &body),
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
