//! Who is asking: the connection's peer address or, when the peer is a proxy or tunnel we were
//! told to trust, the client address it forwards. Every per-address limit keys on this.
use super::guard::RateLimit;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The per-address limits from `[http]`.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpLimits {
    /// The flood limit on requests (None: off).
    pub rate_limit: Option<RateLimit>,
    /// New guest cookies one client address may get per hour (0: no limit).
    pub new_guests_per_hour: u32,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            rate_limit: Some(RateLimit::default()),
            // A phone needs one guest; a second covers a cleared cookie or a second browser.
            new_guests_per_hour: 2,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The client address a request is counted against (set by the guard middleware).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientIp(pub IpAddr);

/// The client address for a request from `peer`. A proxy appends the address it saw to
/// `X-Forwarded-For`, so the rightmost entry that is not itself a trusted proxy is the client;
/// everything left of it was written by the client and proves nothing. Without a trusted peer
/// the header is ignored: anyone could send it.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted.contains(&ip) => continue,
            Some(ip) => return ip,
            // A garbled entry: we cannot say who is behind it, so count it against the proxy.
            None => return peer,
        }
    }
    peer
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_address_only_from_a_trusted_peer() {
        let trusted = [ip("127.0.0.1")];
        let h = xff(&["203.0.113.7"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("203.0.113.7"));
        // A guest on the LAN cannot pick its own address.
        assert_eq!(
            client_ip(ip("192.168.1.9"), &h, &trusted),
            ip("192.168.1.9")
        );
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
        // IPv4 seen as an IPv6-mapped peer is the same proxy.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &h, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn rightmost_untrusted_hop_wins_over_what_the_client_wrote() {
        let trusted = [ip("127.0.0.1"), ip("10.0.0.2")];
        let h = xff(&["1.1.1.1, 198.51.100.4", "10.0.0.2"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("198.51.100.4"));
        let h = xff(&["198.51.100.4:5555"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("198.51.100.4"));
        let h = xff(&["1.1.1.1, garbage"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &h, &trusted), ip("127.0.0.1"));
        assert_eq!(
            client_ip(ip("127.0.0.1"), &xff(&[]), &trusted),
            ip("127.0.0.1")
        );
    }
}
