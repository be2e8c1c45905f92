//! Frames as a Dash button sends them, built by hand. Used by the parser's tests, the network
//! namespace test (which puts them on a veth) and the bench; never by the capture itself.
use super::frame::Mac;

pub(crate) const BROADCAST: Mac = [0xff; 6];

fn ethernet(src: Mac, vlan: Option<u16>, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(18 + payload.len());
    f.extend_from_slice(&BROADCAST);
    f.extend_from_slice(&src);
    if let Some(id) = vlan {
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&(id & 0x0fff).to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An ARP packet from `mac`: `oper` 1 = request, 2 = reply. A probe is a request from 0.0.0.0.
pub fn arp(mac: Mac, oper: u16, sender_ip: [u8; 4], target_ip: [u8; 4]) -> Vec<u8> {
    arp_vlan(mac, None, oper, sender_ip, target_ip)
}

pub(crate) fn arp_vlan(
    mac: Mac,
    vlan: Option<u16>,
    oper: u16,
    sender_ip: [u8; 4],
    target_ip: [u8; 4],
) -> Vec<u8> {
    let mut a = Vec::with_capacity(28);
    a.extend_from_slice(&1u16.to_be_bytes()); // Ethernet
    a.extend_from_slice(&0x0800u16.to_be_bytes()); // IPv4
    a.extend_from_slice(&[6, 4]);
    a.extend_from_slice(&oper.to_be_bytes());
    a.extend_from_slice(&mac);
    a.extend_from_slice(&sender_ip);
    a.extend_from_slice(&[0; 6]);
    a.extend_from_slice(&target_ip);
    ethernet(mac, vlan, 0x0806, &a)
}

/// The probe a woken Dash button sends before taking its address.
pub fn arp_probe(mac: Mac) -> Vec<u8> {
    arp(mac, 1, [0, 0, 0, 0], [192, 168, 1, 23])
}

/// A DHCP message of `msg_type` (1 DISCOVER, 3 REQUEST) from 0.0.0.0:68 to 255.255.255.255:67.
pub fn dhcp(mac: Mac, msg_type: u8) -> Vec<u8> {
    dhcp_full(mac, mac, None, [0, 0, 0, 0], msg_type)
}

/// `eth_src` and `chaddr` may differ, to test which one the parser reports.
pub(crate) fn dhcp_full(
    eth_src: Mac,
    chaddr: Mac,
    vlan: Option<u16>,
    src_ip: [u8; 4],
    msg_type: u8,
) -> Vec<u8> {
    let mut bootp = vec![0u8; 240];
    bootp[0] = 1; // BOOTREQUEST
    bootp[1] = 1; // Ethernet
    bootp[2] = 6;
    bootp[4..8].copy_from_slice(&0x3903_f326u32.to_be_bytes()); // xid
    bootp[28..34].copy_from_slice(&chaddr);
    bootp[236..240].copy_from_slice(&[0x63, 0x82, 0x53, 0x63]);
    // Options the way real clients order them: message type is not always first.
    bootp.extend_from_slice(&[61, 7, 1]); // client identifier
    bootp.extend_from_slice(&chaddr);
    bootp.extend_from_slice(&[0, 53, 1, msg_type]); // a pad, then the message type
    bootp.extend_from_slice(&[55, 3, 1, 3, 6]); // parameter request list
    bootp.push(255);

    let udp_len = (8 + bootp.len()) as u16;
    let mut udp = Vec::with_capacity(udp_len as usize);
    udp.extend_from_slice(&68u16.to_be_bytes());
    udp.extend_from_slice(&67u16.to_be_bytes());
    udp.extend_from_slice(&udp_len.to_be_bytes());
    udp.extend_from_slice(&[0, 0]); // no checksum: allowed for UDP over IPv4
    udp.extend_from_slice(&bootp);

    let total = (20 + udp.len()) as u16;
    let mut ip = Vec::with_capacity(total as usize);
    ip.extend_from_slice(&[0x45, 0]);
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]);
    ip.extend_from_slice(&src_ip);
    ip.extend_from_slice(&[255, 255, 255, 255]);
    let sum = ipv4_checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(&udp);
    ethernet(eth_src, vlan, 0x0800, &ip)
}

/// The IPv4 header checksum, so the frames we put on a veth are ones a kernel would accept.
fn ipv4_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
