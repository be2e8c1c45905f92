//! The frame parser: raw Ethernet bytes in, "this MAC just woke up" out. Pure and total: it never
//! panics and never allocates, so the capture thread can call it on every frame on the wire.
//!
//! A Dash button that wakes joins the Wi-Fi and announces itself: older firmware with ARP probes
//! (sender IP 0.0.0.0), newer firmware with a DHCP DISCOVER or REQUEST from 0.0.0.0.
use std::fmt;

pub type Mac = [u8; 6];

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERNET_HEADER: usize = 14;
const VLAN_TAG: usize = 4;
const ARP_LEN: usize = 28;
const IP_PROTO_UDP: u8 = 17;
const UDP_HEADER: usize = 8;
const DHCP_CLIENT_PORT: u16 = 68;
const DHCP_SERVER_PORT: u16 = 67;
const BOOTP_CHADDR: usize = 28;
const BOOTP_MAGIC: usize = 236;
const BOOTP_OPTIONS: usize = 240;
const DHCP_MAGIC_COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
const DHCP_OPT_PAD: u8 = 0;
const DHCP_OPT_END: u8 = 255;
const DHCP_OPT_MESSAGE_TYPE: u8 = 53;
const DHCP_DISCOVER: u8 = 1;
const DHCP_REQUEST: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SightingKind {
    /// ARP request with sender IP 0.0.0.0 (RFC 5227): "is this address free?".
    ArpProbe,
    ArpRequest,
    ArpReply,
    DhcpDiscover,
    DhcpRequest,
}

impl SightingKind {
    /// Sent by a host that has no address yet: what a freshly woken Dash button sends, and what
    /// `discover buttons` lists. A plain ARP request or reply comes from a host already on the net.
    pub(crate) fn is_from_unaddressed_host(self) -> bool {
        !matches!(self, SightingKind::ArpRequest | SightingKind::ArpReply)
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            SightingKind::ArpProbe => "ARP probe",
            SightingKind::ArpRequest => "ARP request",
            SightingKind::ArpReply => "ARP reply",
            SightingKind::DhcpDiscover => "DHCP discover",
            SightingKind::DhcpRequest => "DHCP request",
        }
    }
}

impl fmt::Display for SightingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One device announcing itself on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sighting {
    pub mac: Mac,
    pub kind: SightingKind,
}

/// Parse one Ethernet II frame (optionally with one 802.1Q tag). `None` for anything that is not
/// an ARP packet or a DHCP DISCOVER/REQUEST from 0.0.0.0, and for truncated or malformed frames.
pub fn parse_frame(bytes: &[u8]) -> Option<Sighting> {
    let eth_src: Mac = bytes.get(6..12)?.try_into().ok()?;
    let mut ethertype = be16(bytes, 12)?;
    let mut payload_at = ETHERNET_HEADER;
    // Kernels usually strip the tag into packet metadata before we see it, but bridges, taps
    // and some drivers hand it over in-line.
    if ethertype == ETHERTYPE_VLAN {
        ethertype = be16(bytes, ETHERNET_HEADER + 2)?;
        payload_at += VLAN_TAG;
    }
    let payload = bytes.get(payload_at..)?;
    match ethertype {
        ETHERTYPE_ARP => parse_arp(payload),
        ETHERTYPE_IPV4 => parse_dhcp(payload, eth_src),
        _ => None,
    }
}

fn parse_arp(arp: &[u8]) -> Option<Sighting> {
    let arp = arp.get(..ARP_LEN)?;
    // Ethernet hardware, IPv4 protocol, 6- and 4-byte addresses: the only ARP a Dash speaks.
    if be16(arp, 0)? != 1 || be16(arp, 2)? != ETHERTYPE_IPV4 || arp[4] != 6 || arp[5] != 4 {
        return None;
    }
    let mac: Mac = arp.get(8..14)?.try_into().ok()?;
    let sender_ip = arp.get(14..18)?;
    let kind = match be16(arp, 6)? {
        1 if sender_ip == [0, 0, 0, 0] => SightingKind::ArpProbe,
        1 => SightingKind::ArpRequest,
        2 => SightingKind::ArpReply,
        _ => return None,
    };
    Some(Sighting { mac, kind })
}

fn parse_dhcp(ip: &[u8], eth_src: Mac) -> Option<Sighting> {
    let version_ihl = *ip.first()?;
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if version_ihl >> 4 != 4 || header_len < 20 {
        return None;
    }
    // Bound by the datagram's own length: frames shorter than 60 bytes are padded on the wire,
    // and a datagram cut short by the capture is not one we can trust.
    let total_len = usize::from(be16(ip, 2)?);
    let ip = ip.get(..total_len)?;
    let fragment_offset = be16(ip, 6)? & 0x1fff;
    if fragment_offset != 0 || *ip.get(9)? != IP_PROTO_UDP || ip.get(12..16)? != [0, 0, 0, 0] {
        return None;
    }
    let udp = ip.get(header_len..)?;
    if be16(udp, 0)? != DHCP_CLIENT_PORT || be16(udp, 2)? != DHCP_SERVER_PORT {
        return None;
    }
    let udp_len = usize::from(be16(udp, 4)?);
    let bootp = udp.get(..udp_len)?.get(UDP_HEADER..)?;
    if *bootp.first()? != 1 || bootp.get(BOOTP_MAGIC..BOOTP_OPTIONS)? != DHCP_MAGIC_COOKIE {
        return None;
    }
    let kind = match message_type(bootp.get(BOOTP_OPTIONS..)?)? {
        DHCP_DISCOVER => SightingKind::DhcpDiscover,
        DHCP_REQUEST => SightingKind::DhcpRequest,
        _ => return None,
    };
    // chaddr names the client even if the frame was forwarded; fall back to the Ethernet source
    // when the client did not fill in an Ethernet address there.
    let (htype, hlen) = (*bootp.get(1)?, *bootp.get(2)?);
    let chaddr: Mac = bootp.get(BOOTP_CHADDR..BOOTP_CHADDR + 6)?.try_into().ok()?;
    let mac = if htype == 1 && hlen == 6 && chaddr != [0; 6] {
        chaddr
    } else {
        eth_src
    };
    Some(Sighting { mac, kind })
}

/// The value of option 53 (DHCP message type), walking the TLV options up to END.
fn message_type(mut options: &[u8]) -> Option<u8> {
    loop {
        match *options.first()? {
            DHCP_OPT_END => return None,
            DHCP_OPT_PAD => options = options.get(1..)?,
            code => {
                let len = usize::from(*options.get(1)?);
                let value = options.get(2..2 + len)?;
                if code == DHCP_OPT_MESSAGE_TYPE {
                    return if len == 1 {
                        value.first().copied()
                    } else {
                        None
                    };
                }
                options = options.get(2 + len..)?;
            }
        }
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// "68:37:e9:12:34:56", the form config.toml and the log use.
pub fn format_mac(mac: &Mac) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

/// Parse "68:37:E9:12:34:56" (any case); `None` unless it is six colon-separated hex pairs.
pub fn parse_mac(s: &str) -> Option<Mac> {
    let mut mac = [0u8; 6];
    let mut parts = s.trim().split(':');
    for byte in &mut mac {
        // The one strict hex decoder (no "+1"); exactly one byte per part.
        let [b] = crate::support::hex::decode(parts.next()?)?[..] else {
            return None;
        };
        *byte = b;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
