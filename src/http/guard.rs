//! Protection against bad input and abuse: body size, request time, per-address rate limits
//! (per client address: behind a trusted proxy, the forwarded one).
use super::HttpState;
use super::client::{ClientIp, client_ip};
use super::reply::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Every body we accept is a few hundred bytes; 16 KiB leaves room and bounds memory.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024;
/// A whole request (body read and journal sync included) must finish in this time. bt.tn
/// turns a button red when it gets no 2xx within ~10 s, so stay well inside that.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);
/// A connection with no bytes read or written for this long is closed (slow or idle clients).
/// SSE keep-alives are sent more often than this.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Beyond this many tracked addresses, forget the ones that are back to a full bucket.
const MAX_TRACKED_ADDRS: usize = 4096;

/// Token bucket per client address: `burst` requests at once, refilled at `per_sec`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub burst: u32,
    pub per_sec: f64,
}

impl Default for RateLimit {
    /// Generous for a phone (a page load is 3 requests, a vote 1), tight for a script.
    fn default() -> Self {
        RateLimit {
            burst: 40,
            per_sec: 10.0,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token for `ip`, or say how long until one is available.
    pub(crate) fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let RateLimit { burst, per_sec } = self.limit;
        let burst = f64::from(burst.max(1));
        let refill =
            |b: &Bucket| (b.tokens + now.duration_since(b.last).as_secs_f64() * per_sec).min(burst);
        // A poisoned lock only means another request panicked mid-update; the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED_ADDRS && !buckets.contains_key(&ip) {
            buckets.retain(|_, b| refill(b) < burst);
            // Slow buckets (new guests per hour) may all still be short: then forget the one
            // quiet for longest, so the map stays bounded whatever the number of addresses.
            if buckets.len() >= MAX_TRACKED_ADDRS
                && let Some(oldest) = buckets.iter().min_by_key(|(_, b)| b.last).map(|(k, _)| *k)
            {
                buckets.remove(&oldest);
            }
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        bucket.tokens = refill(bucket);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else if per_sec > 0.0 {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
        } else {
            Err(Duration::from_secs(60))
        }
    }
}

/// The peer address `serve` records for each connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddr(pub std::net::SocketAddr);

/// Middleware: works out who is asking (`ClientIp`, for the handlers too), then answers 429
/// with Retry-After when that address sends too much.
pub(crate) async fn rate_limit(
    State(state): State<HttpState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<ClientAddr>>()
        .map(|c| c.0.0.ip());
    let ip = peer.map(|peer| client_ip(peer, req.headers(), &state.trusted_proxies));
    if let Some(ip) = ip {
        req.extensions_mut().insert(ClientIp(ip));
    }
    if let (Some(limiter), Some(ip)) = (state.limiter.as_deref(), ip)
        && let Err(wait) = limiter.check(ip, Instant::now())
    {
        return too_many(format!("too many requests from {ip}"), wait);
    }
    next.run(req).await
}

/// 429 with Retry-After in whole seconds.
pub(crate) fn too_many(what: String, wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut res = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("{what}; try again in {secs} s"),
    )
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Compare secrets without an early exit, so timing does not reveal how much of a guess matched.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_refills_over_time_per_address() {
        let rl = RateLimiter::new(RateLimit {
            burst: 2,
            per_sec: 1.0,
        });
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        assert!(rl.check(a, t0).is_ok());
        assert!(rl.check(a, t0).is_ok());
        let wait = rl.check(a, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        // Another address is not starved by the first.
        assert!(rl.check(b, t0).is_ok());
        assert!(rl.check(a, t0 + Duration::from_secs(1)).is_ok());
        assert!(rl.check(a, t0 + Duration::from_secs(1)).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn slow_buckets_stay_bounded_however_many_addresses() {
        // Two new guests per hour: no bucket refills during the test.
        let rl = RateLimiter::new(RateLimit {
            burst: 2,
            per_sec: 2.0 / 3600.0,
        });
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED_ADDRS as u32 + 100) {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert!(
                rl.check(ip, t0 + Duration::from_millis(u64::from(i)))
                    .is_ok()
            );
        }
        assert!(rl.buckets.lock().unwrap().len() <= MAX_TRACKED_ADDRS);
        // The most recent addresses are still remembered (and limited).
        let last = IpAddr::from(std::net::Ipv4Addr::from(
            0x0a00_0000 + MAX_TRACKED_ADDRS as u32 + 99,
        ));
        assert!(rl.check(last, t0).is_ok());
        assert!(rl.check(last, t0).is_err());
    }
}
