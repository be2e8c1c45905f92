//! Binding the vote page's port. A port another program holds (a previous instance still
//! stopping, another web server) is reported to the host and retried until it frees, so the
//! vote page comes up by itself instead of never.
use crate::bus::inbox::Inbox;
use crate::core::HealthLevel;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How often a taken port is tried again.
pub(crate) const BIND_RETRY: Duration = Duration::from_secs(3);

/// The vote page's socket as the command layer hands it to `app::run`: tests bind
/// `127.0.0.1:0` themselves and read the port before the party starts.
#[derive(Debug)]
pub enum Listener {
    /// Listening already; `addr` is what was asked for (the address shown if the socket cannot
    /// name its own).
    Bound {
        socket: TcpListener,
        addr: SocketAddr,
    },
    /// Another program held `addr` at start. The party runs on without its vote page and the
    /// server task retries (`bind_with_retry`), reporting why on the status line.
    Busy(SocketAddr),
}

impl Listener {
    /// One try at `addr`; a failure is not reported here but by the retries that follow, so the
    /// host reads it on the status line like any later failure.
    pub(crate) async fn bind(addr: SocketAddr) -> Self {
        match TcpListener::bind(addr).await {
            Ok(socket) => Self::Bound { socket, addr },
            Err(_) => Self::Busy(addr),
        }
    }

    /// The address this listener was asked for.
    pub(crate) fn addr(&self) -> SocketAddr {
        match self {
            Self::Bound { addr, .. } | Self::Busy(addr) => *addr,
        }
    }
}

impl From<TcpListener> for Listener {
    fn from(socket: TcpListener) -> Self {
        let addr = socket
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        Self::Bound { socket, addr }
    }
}

/// A std listener (bound before any runtime exists, as tests do) becomes a tokio one; call it
/// inside the runtime that will serve it.
impl TryFrom<std::net::TcpListener> for Listener {
    type Error = std::io::Error;

    fn try_from(socket: std::net::TcpListener) -> std::io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(TcpListener::from_std(socket)?.into())
    }
}

/// The listener on `bind`, trying again every `BIND_RETRY` while it fails; None on shutdown.
/// Each failure that differs from the last is told on the status line, in the log and, when
/// `headless`, on stderr.
pub(crate) async fn bind_with_retry(
    bind: SocketAddr,
    inbox: &Inbox,
    headless: bool,
    shutdown: &CancellationToken,
) -> Option<TcpListener> {
    let mut last_error = None;
    loop {
        match TcpListener::bind(bind).await {
            Ok(listener) => return Some(listener),
            Err(e) => {
                let text = e.to_string();
                if last_error.as_ref() != Some(&text) {
                    let detail = format!(
                        "cannot listen on {bind}: {text}; retrying every {} s (set [http] bind or --bind)",
                        BIND_RETRY.as_secs()
                    );
                    tracing::error!(%bind, error = %e, "http server not started; retrying");
                    if headless {
                        eprintln!("party-tui: {detail}");
                    }
                    inbox.health("http", HealthLevel::Error, detail).await;
                    last_error = Some(text);
                }
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(BIND_RETRY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::inbox::Msg;

    #[tokio::test(start_paused = true)]
    async fn a_taken_port_is_reported_once_and_bound_when_it_frees() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = held.local_addr().unwrap();
        let (inbox, mut rx) = Inbox::new();
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move { bind_with_retry(addr, &inbox, false, &stop).await }
        });
        match rx.recv().await {
            Some(Msg::Health(h)) => {
                assert_eq!((h.name.as_str(), h.level), ("http", HealthLevel::Error));
                assert!(h.detail.contains("retrying"), "{}", h.detail);
            }
            other => panic!("expected a health report, got {other:?}"),
        }
        // Still taken after several retries: no new report, still waiting.
        tokio::time::sleep(BIND_RETRY * 3).await;
        assert!(rx.try_recv().is_err());
        assert!(!task.is_finished());
        drop(held);
        let listener = tokio::time::timeout(BIND_RETRY * 2, task)
            .await
            .expect("bound within one retry of the port freeing")
            .unwrap()
            .expect("a listener");
        assert_eq!(listener.local_addr().unwrap(), addr);
    }
}
