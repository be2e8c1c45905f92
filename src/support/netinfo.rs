//! Facts about this machine's network, read locally (no traffic is sent).
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The interface of the IPv4 default route, from /proc/net/route (Linux).
pub(crate) fn default_route_interface() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    default_route_iface(&table)
}

/// The interface of the default route with the lowest metric, from /proc/net/route's text.
pub(crate) fn default_route_iface(route_table: &str) -> Option<String> {
    const RTF_UP: u32 = 0x1;
    route_table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (iface, dest, flags, metric, mask) = (
                cols.first()?,
                cols.get(1)?,
                cols.get(3)?,
                cols.get(6)?,
                cols.get(7)?,
            );
            let flags = u32::from_str_radix(flags, 16).ok()?;
            let is_default = *dest == "00000000" && *mask == "00000000" && flags & RTF_UP != 0;
            is_default.then(|| (metric.parse::<u32>().unwrap_or(u32::MAX), iface.to_string()))
        })
        .min()
        .map(|(_, iface)| iface)
}

/// This machine's LAN address: the default route's interface first, else any interface that
/// is up and not loopback. Guests' phones reach the vote page there.
pub(crate) fn lan_ipv4() -> Option<Ipv4Addr> {
    let interfaces = pnet::datalink::interfaces();
    let v4 = |iface: &pnet::datalink::NetworkInterface| {
        iface.ips.iter().find_map(|ip| match ip.ip() {
            IpAddr::V4(a) if !a.is_loopback() => Some(a),
            _ => None,
        })
    };
    let default = default_route_interface();
    interfaces
        .iter()
        .filter(|i| default.as_deref() == Some(i.name.as_str()))
        .find_map(v4)
        .or_else(|| {
            interfaces
                .iter()
                .filter(|i| i.is_up() && !i.is_loopback())
                .find_map(v4)
        })
}

/// The URL guests open: the LAN address when the server listens on all interfaces.
pub(crate) fn vote_url(bound: SocketAddr) -> String {
    let host = match bound.ip() {
        IpAddr::V4(a) if a.is_unspecified() => lan_ipv4().map_or(IpAddr::V4(a), IpAddr::V4),
        IpAddr::V6(a) if a.is_unspecified() => lan_ipv4().map_or(IpAddr::V6(a), IpAddr::V4),
        ip => ip,
    };
    format!("http://{}/", SocketAddr::new(host, bound.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_specific_bind_address_is_the_url() {
        let url = vote_url("127.0.0.1:8080".parse().unwrap());
        assert_eq!(url, "http://127.0.0.1:8080/");
    }
}
