//! The accept loop. axum's `serve` has no header-read timeout and no per-address cap, so one
//! address could hold every file descriptor with half-sent requests (slowloris) and lock real
//! guests out. Here each connection is served by hyper with a header-read timeout, closed after
//! `IDLE_TIMEOUT` of silence, and counted against its address before it is served.
use super::guard::{ClientAddr, IDLE_TIMEOUT};
use super::idle::IdleStream;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A phone sends its request line and headers in one packet; ten seconds covers a bad link.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one address may hold at once. A browser opens at most 6 per host; the vote
/// page holds one event stream. Several browsers on one phone still fit.
pub const MAX_CONNS_PER_ADDR: usize = 32;
/// File descriptors kept for everything else (journal, log, player, exporter, Dash capture).
pub(crate) const FD_RESERVE: u64 = 128;
/// After an accept error such as EMFILE, wait this long instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(200);

/// How many connections may be open: in all, from one address, from a trusted proxy (which
/// carries many guests over few addresses, so it may use up to half of all).
#[derive(Clone, Debug)]
pub(crate) struct ConnLimits {
    pub total: usize,
    pub per_addr: usize,
    pub per_proxy: usize,
    pub proxies: Vec<IpAddr>,
}

impl ConnLimits {
    /// Limits that fit the process's file-descriptor limit.
    pub(crate) fn for_fd_limit(fd_limit: u64, proxies: Vec<IpAddr>) -> Self {
        let total = fd_limit.saturating_sub(FD_RESERVE).clamp(16, 1 << 20) as usize;
        ConnLimits {
            total,
            per_addr: MAX_CONNS_PER_ADDR.min(total),
            per_proxy: (total / 2).max(MAX_CONNS_PER_ADDR.min(total)),
            proxies,
        }
    }

    fn cap(&self, ip: IpAddr) -> usize {
        if self.proxies.contains(&ip) {
            self.per_proxy
        } else {
            self.per_addr
        }
    }
}

/// Open connections per address; a slot gives its place back when dropped.
#[derive(Default)]
struct Tracker {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

struct Slot {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Tracker {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &ConnLimits) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_addr) = &mut *open;
        let mine = per_addr.get(&ip).copied().unwrap_or(0);
        if *total >= limits.total || mine >= limits.cap(ip) {
            return None;
        }
        *total += 1;
        per_addr.insert(ip, mine + 1);
        Some(Slot {
            tracker: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.tracker.open.lock().unwrap_or_else(|p| p.into_inner());
        let (total, per_addr) = &mut *open;
        *total -= 1;
        if let Some(n) = per_addr.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_addr.remove(&self.ip);
            }
        }
    }
}

/// Accept and serve until `shutdown`; then stop accepting, let open requests finish and
/// close idle connections (event streams end on the same token).
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let tracker = Arc::new(Tracker::default());
    let mut refused = RefusalLog::default();
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            },
        };
        let ip = peer.ip().to_canonical();
        let Some(slot) = tracker.admit(ip, &limits) else {
            refused.note(ip);
            // Closing at once costs the attacker a reconnect and us nothing.
            drop(stream);
            continue;
        };
        let conn = http.serve_connection(TokioIo::new(idle(stream)), service(app.clone(), peer));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn idle(stream: TcpStream) -> IdleStream {
    // Votes are tiny request/response pairs: do not wait to coalesce them.
    let _ = stream.set_nodelay(true);
    give_up_on_silent_peers(&stream, IDLE_TIMEOUT);
    IdleStream::new(stream, IDLE_TIMEOUT)
}

/// A phone that leaves the Wi-Fi (or whose Wi-Fi drops) sends no FIN. Its event stream's
/// keep-alives still go into the kernel's send buffer, which `IdleStream` counts as traffic, so
/// the stream, its per-address slot and its place in "connected" would last until TCP gives up
/// retransmitting (~15 min on Linux). With this the kernel drops a connection whose sent data
/// stays unacknowledged for `after`: the next keep-alive finds a dead phone within ~45 s.
fn give_up_on_silent_peers(stream: &TcpStream, after: Duration) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        let ms = libc::c_uint::try_from(after.as_millis()).unwrap_or(libc::c_uint::MAX);
        // SAFETY: setsockopt reads `size_of::<c_uint>()` bytes from `ms`, which lives across
        // the call; the descriptor is the open socket `stream` owns.
        let rc = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_USER_TIMEOUT,
                (&raw const ms).cast(),
                std::mem::size_of::<libc::c_uint>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            tracing::debug!(error = %io::Error::last_os_error(), "TCP_USER_TIMEOUT not set");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (stream, after);
}

fn service(
    app: Router,
    peer: SocketAddr,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(ClientAddr(peer)));
        let mut app = app.clone();
        async move { tower_service::Service::call(&mut app, req.map(Body::new)).await }
    })
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One warning per address per minute, not one per refused connection.
#[derive(Default)]
struct RefusalLog(HashMap<IpAddr, (tokio::time::Instant, u64)>);

impl RefusalLog {
    fn note(&mut self, ip: IpAddr) {
        const EVERY: Duration = Duration::from_secs(60);
        let now = tokio::time::Instant::now();
        if self.0.len() > 1024 && !self.0.contains_key(&ip) {
            self.0.retain(|_, (t, _)| now.duration_since(*t) < EVERY);
            // Many addresses within one minute (IPv6 makes them cheap): forget the quietest,
            // so the map stays bounded whatever arrives.
            if self.0.len() > 1024
                && let Some(oldest) = self.0.iter().min_by_key(|(_, (t, _))| *t).map(|(k, _)| *k)
            {
                self.0.remove(&oldest);
            }
        }
        let (last, count) = self.0.entry(ip).or_insert((now - EVERY, 0));
        *count += 1;
        if now.duration_since(*last) >= EVERY {
            tracing::warn!(%ip, refused = *count, "too many connections from one address; refusing more");
            *last = now;
            *count = 0;
        }
    }
}

/// Raise the soft open-files limit to the hard one (systemd and shells start at 1,024 while
/// allowing far more); returns the soft limit now in force.
pub fn raise_fd_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return 1024;
            }
            if lim.rlim_cur < lim.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: lim.rlim_max,
                    rlim_max: lim.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    lim.rlim_cur = lim.rlim_max;
                }
            }
        }
        // rlim_t is 32 bits on 32-bit Raspberry Pi OS.
        #[allow(clippy::unnecessary_cast)]
        let soft = lim.rlim_cur as u64;
        soft
    }
    #[cfg(not(unix))]
    {
        1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_cannot_take_every_slot() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let limits = ConnLimits::for_fd_limit(1024, vec![proxy]);
        assert_eq!(limits.total, 1024 - FD_RESERVE as usize);
        let t = Arc::new(Tracker::default());
        let a: IpAddr = "192.168.1.5".parse().unwrap();
        let held: Vec<Slot> = (0..MAX_CONNS_PER_ADDR)
            .map(|_| t.admit(a, &limits).unwrap())
            .collect();
        assert!(t.admit(a, &limits).is_none());
        assert!(t.admit("192.168.1.6".parse().unwrap(), &limits).is_some());
        // A trusted proxy carries many guests: it gets more, but not everything.
        let via_proxy: Vec<Slot> = std::iter::from_fn(|| t.admit(proxy, &limits)).collect();
        assert_eq!(via_proxy.len(), limits.per_proxy);
        assert!(limits.per_proxy < limits.total);
        drop(held);
        assert!(t.admit(a, &limits).is_some());
        assert_eq!(t.open.lock().unwrap().1.get(&a), None, "slots given back");
    }

    /// A dead phone's stream must not hold its slot until TCP's retransmissions give up.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn accepted_connections_drop_peers_that_stop_acknowledging() {
        use std::os::fd::AsRawFd;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        give_up_on_silent_peers(&accepted, IDLE_TIMEOUT);
        let mut ms: libc::c_uint = 0;
        let mut len = std::mem::size_of::<libc::c_uint>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into `ms`.
        let rc = unsafe {
            libc::getsockopt(
                accepted.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_USER_TIMEOUT,
                (&raw mut ms).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        assert_eq!(u128::from(ms), IDLE_TIMEOUT.as_millis());
    }

    #[test]
    fn tiny_fd_limits_still_serve() {
        let l = ConnLimits::for_fd_limit(64, Vec::new());
        assert_eq!((l.total, l.per_addr), (16, 16));
    }

    #[tokio::test(start_paused = true)]
    async fn the_refusal_log_stays_bounded_under_many_addresses() {
        let mut log = RefusalLog::default();
        for n in 0..3000u32 {
            log.note(IpAddr::from(std::net::Ipv6Addr::from(u128::from(n))));
        }
        assert!(log.0.len() <= 1025, "{} addresses remembered", log.0.len());
    }
}
