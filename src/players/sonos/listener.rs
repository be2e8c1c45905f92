//! The GENA callback: an HTTP listener that takes NOTIFY requests and hands their bodies to
//! the player loop. The socket is an argument, so tests bind 127.0.0.1:0 and stop it at will.
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Path the device posts to; one listener serves one player.
pub(crate) const CALLBACK_PATH: &str = "/upnp/avtransport";
/// NOTIFY bodies are a few KB; Sonos queues reach tens of KB of metadata at most.
const MAX_BODY: usize = 512 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notify {
    pub sid: String,
    pub seq: Option<u64>,
    pub body: String,
}

async fn notify(
    State(tx): State<mpsc::Sender<Notify>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if method.as_str() != "NOTIFY" {
        return StatusCode::METHOD_NOT_ALLOWED;
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(sid), Some("upnp:event"), Some("upnp:propchange")) =
        (header("SID"), header("NT"), header("NTS"))
    else {
        return StatusCode::PRECONDITION_FAILED;
    };
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return StatusCode::BAD_REQUEST;
    };
    let event = Notify {
        sid: sid.to_string(),
        seq: header("SEQ").and_then(|s| s.trim().parse().ok()),
        body,
    };
    // The loop judges the SID: events can arrive before SUBSCRIBE's answer gives it to us.
    match tx.send(event).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Serve NOTIFYs until `shutdown`.
pub(crate) async fn serve(
    listener: TcpListener,
    tx: mpsc::Sender<Notify>,
    shutdown: CancellationToken,
) {
    let app = Router::new()
        .route(CALLBACK_PATH, axum::routing::any(notify))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(tx);
    let stop = async move { shutdown.cancelled().await };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::warn!(error = %e, "sonos: event listener stopped");
    }
}

/// The address of ours the device can reach: the interface the OS would route to it from.
/// A connected UDP socket sends nothing; it only makes the kernel choose the source address.
pub(crate) fn local_ip_towards(device_base: &str) -> Option<IpAddr> {
    let host = device_base.split("://").nth(1)?.split('/').next()?;
    let target: SocketAddr = match host.parse() {
        Ok(a) => a,
        Err(_) => format!("{host}:80").parse().ok()?,
    };
    let socket = std::net::UdpSocket::bind((
        if target.is_ipv4() {
            IpAddr::from([0, 0, 0, 0])
        } else {
            IpAddr::from([0u16; 8])
        },
        0,
    ))
    .ok()?;
    socket.connect(target).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// The callback URL to give the device for a listener bound to `bound`.
pub(crate) fn callback_url(bound: SocketAddr, device_base: &str) -> Option<String> {
    let ip = if bound.ip().is_unspecified() {
        local_ip_towards(device_base)?
    } else {
        bound.ip()
    };
    Some(format!(
        "http://{}{CALLBACK_PATH}",
        SocketAddr::new(ip, bound.port())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_towards_loopback() {
        let bound: SocketAddr = "0.0.0.0:4321".parse().unwrap();
        assert_eq!(
            callback_url(bound, "http://127.0.0.1:1400").as_deref(),
            Some("http://127.0.0.1:4321/upnp/avtransport")
        );
        let fixed: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        assert_eq!(
            callback_url(fixed, "http://h").as_deref(),
            Some("http://10.1.2.3:5000/upnp/avtransport")
        );
    }

    #[tokio::test]
    async fn forwards_notify_and_rejects_others() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(listener, tx, stop.clone()));
        let http = reqwest::Client::new();
        let url = format!("http://{addr}{CALLBACK_PATH}");
        let notify = reqwest::Method::from_bytes(b"NOTIFY").unwrap();
        let res = http
            .request(notify.clone(), &url)
            .header("SID", "uuid:1")
            .header("NT", "upnp:event")
            .header("NTS", "upnp:propchange")
            .header("SEQ", "0")
            .body("<e:propertyset/>")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let got = rx.recv().await.unwrap();
        assert_eq!(
            (got.sid.as_str(), got.seq, got.body.as_str()),
            ("uuid:1", Some(0), "<e:propertyset/>")
        );
        let res = http.request(notify, &url).send().await.unwrap();
        assert_eq!(res.status(), 412);
        assert_eq!(http.post(&url).send().await.unwrap().status(), 405);
        stop.cancel();
        server.await.unwrap();
    }
}
