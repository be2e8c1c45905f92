//! The one way to build an HTTP client (Sonos, Spotify, outlets, doctor, host-link, attach,
//! the instance probe): every client names itself `party-tui/<version>`, bounds connecting,
//! and says whether whole requests are bounded too. rspotify builds its own and is left so.
//!
//! One failure policy: building cannot fail for the caller. reqwest fails to build only when
//! its TLS backend cannot start, which makes `reqwest::Client::new()` panic as well; there is
//! no degraded client worth running without timeouts, so that is a panic here too, with why.
use std::time::Duration;

pub(crate) const USER_AGENT: &str = concat!("party-tui/", env!("CARGO_PKG_VERSION"));
/// A peer on the LAN or the internet that has not accepted within this long is not there.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug)]
pub(crate) struct HttpClient {
    timeout: Option<Duration>,
    connect_timeout: Duration,
}

impl HttpClient {
    /// Every request bounded by `timeout`, connecting included.
    pub(crate) fn timeout(timeout: Duration) -> Self {
        HttpClient {
            timeout: Some(timeout),
            connect_timeout: CONNECT_TIMEOUT.min(timeout),
        }
    }

    /// No bound on a whole request: a stream of events, or callers that bound each request
    /// themselves. Connecting is still bounded.
    pub(crate) fn streaming() -> Self {
        HttpClient {
            timeout: None,
            connect_timeout: CONNECT_TIMEOUT,
        }
    }

    pub(crate) fn connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    pub(crate) fn build(self) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(self.connect_timeout);
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        b.build()
            .expect("the HTTP client's TLS backend (rustls) starts; see support::http_client")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_name_party_tui_and_its_version() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 4096];
            let n = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).to_lowercase()
        });
        let http = HttpClient::timeout(Duration::from_secs(5)).build();
        http.get(format!("http://{addr}/")).send().await.unwrap();
        let request = server.await.unwrap();
        let want = format!("user-agent: party-tui/{}", env!("CARGO_PKG_VERSION"));
        assert!(request.contains(&want), "{request}");
    }
}
