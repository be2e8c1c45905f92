//! Facts about this machine's network, read locally (no traffic is sent).
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The interface of the IPv4 default route, from /proc/net/route (Linux).
pub fn default_route_interface() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    default_route_in(&table)
}

/// Parses /proc/net/route: the first line whose destination and mask are zero.
pub fn default_route_in(table: &str) -> Option<String> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        (cols.len() > 7 && cols[1] == "00000000" && cols[7] == "00000000")
            .then(|| cols[0].to_string())
    })
}

/// This machine's LAN address: the default route's interface first, else any interface that
/// is up and not loopback. Guests' phones reach the vote page there.
pub fn lan_ipv4() -> Option<Ipv4Addr> {
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
pub fn vote_url(bound: SocketAddr) -> String {
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
    fn finds_the_default_route_interface() {
        let table = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
                     eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n\
                     wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\n";
        assert_eq!(default_route_in(table), Some("wlan0".into()));
        assert_eq!(default_route_in("Iface\n"), None);
    }

    #[test]
    fn a_specific_bind_address_is_the_url() {
        let url = vote_url("127.0.0.1:8080".parse().unwrap());
        assert_eq!(url, "http://127.0.0.1:8080/");
    }
}
