use super::*;
use crate::buttons::craft;
use proptest::prelude::*;

const DASH: Mac = [0x68, 0x37, 0xe9, 0x12, 0x34, 0x56];
const OTHER: Mac = [0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc];

fn seen(mac: Mac, kind: SightingKind) -> Option<Sighting> {
    Some(Sighting { mac, kind })
}

#[test]
fn arp_probe_request_and_reply() {
    assert_eq!(
        parse_frame(&craft::arp_probe(DASH)),
        seen(DASH, SightingKind::ArpProbe)
    );
    let request = craft::arp(DASH, 1, [192, 168, 1, 23], [192, 168, 1, 1]);
    assert_eq!(parse_frame(&request), seen(DASH, SightingKind::ArpRequest));
    let reply = craft::arp(DASH, 2, [192, 168, 1, 23], [192, 168, 1, 1]);
    assert_eq!(parse_frame(&reply), seen(DASH, SightingKind::ArpReply));
}

#[test]
fn arp_reports_the_sender_hardware_address_not_the_ethernet_source() {
    let mut f = craft::arp_probe(DASH);
    f[6..12].copy_from_slice(&OTHER);
    assert_eq!(parse_frame(&f), seen(DASH, SightingKind::ArpProbe));
}

#[test]
fn arp_with_unknown_operation_or_hardware_is_ignored() {
    assert_eq!(parse_frame(&craft::arp(DASH, 3, [0; 4], [0; 4])), None);
    let mut f = craft::arp_probe(DASH);
    f[14 + 4] = 8; // hardware address length
    assert_eq!(parse_frame(&f), None);
}

#[test]
fn dhcp_discover_and_request_from_zero() {
    assert_eq!(
        parse_frame(&craft::dhcp(DASH, 1)),
        seen(DASH, SightingKind::DhcpDiscover)
    );
    assert_eq!(
        parse_frame(&craft::dhcp(DASH, 3)),
        seen(DASH, SightingKind::DhcpRequest)
    );
}

#[test]
fn dhcp_other_message_types_and_addressed_senders_are_ignored() {
    for msg_type in [2, 4, 5, 7, 8] {
        assert_eq!(
            parse_frame(&craft::dhcp(DASH, msg_type)),
            None,
            "{msg_type}"
        );
    }
    let renewing = craft::dhcp_full(DASH, DASH, None, [192, 168, 1, 23], 3);
    assert_eq!(parse_frame(&renewing), None);
}

#[test]
fn dhcp_prefers_chaddr_and_falls_back_to_ethernet_source() {
    let relayed = craft::dhcp_full(OTHER, DASH, None, [0; 4], 1);
    assert_eq!(
        parse_frame(&relayed),
        seen(DASH, SightingKind::DhcpDiscover)
    );
    let blank = craft::dhcp_full(OTHER, [0; 6], None, [0; 4], 1);
    assert_eq!(parse_frame(&blank), seen(OTHER, SightingKind::DhcpDiscover));
}

#[test]
fn dhcp_needs_the_right_ports_op_and_cookie() {
    let base = craft::dhcp(DASH, 1);
    let udp = 14 + 20;
    let bootp = udp + 8;
    for (at, value) in [(udp + 1, 69), (udp + 3, 68), (bootp, 2), (bootp + 236, 0)] {
        let mut f = base.clone();
        f[at] = value;
        assert_eq!(parse_frame(&f), None, "byte {at} = {value}");
    }
}

#[test]
fn ethernet_padding_after_the_datagram_is_ignored() {
    let mut f = craft::dhcp(DASH, 1);
    f.extend_from_slice(&[0xee; 20]);
    assert_eq!(parse_frame(&f), seen(DASH, SightingKind::DhcpDiscover));
    let mut a = craft::arp_probe(DASH);
    a.extend_from_slice(&[0; 18]); // padded to the 60-byte minimum
    assert_eq!(parse_frame(&a), seen(DASH, SightingKind::ArpProbe));
}

#[test]
fn one_vlan_tag_is_looked_through() {
    let arp = craft::arp_vlan(DASH, Some(42), 1, [0; 4], [10, 0, 0, 1]);
    assert_eq!(parse_frame(&arp), seen(DASH, SightingKind::ArpProbe));
    let dhcp = craft::dhcp_full(DASH, DASH, Some(7), [0; 4], 3);
    assert_eq!(parse_frame(&dhcp), seen(DASH, SightingKind::DhcpRequest));
}

#[test]
fn truncated_at_every_length_gives_nothing() {
    let frames = [
        craft::arp_probe(DASH),
        craft::arp(DASH, 2, [10, 0, 0, 2], [10, 0, 0, 1]),
        craft::dhcp(DASH, 1),
        craft::dhcp(DASH, 3),
        craft::arp_vlan(DASH, Some(3), 1, [0; 4], [0; 4]),
        craft::dhcp_full(DASH, DASH, Some(3), [0; 4], 1),
    ];
    for frame in frames {
        assert!(parse_frame(&frame).is_some());
        for len in 0..frame.len() {
            assert_eq!(parse_frame(&frame[..len]), None, "cut at {len}");
        }
    }
}

#[test]
fn other_ethertypes_are_ignored() {
    let probe = craft::arp_probe(DASH);
    for ethertype in [0x86ddu16, 0x88cc, 0x8035, 0x0000, 0xffff] {
        let mut f = probe.clone();
        f[12..14].copy_from_slice(&ethertype.to_be_bytes());
        assert_eq!(parse_frame(&f), None, "{ethertype:#06x}");
    }
    let mut udp_not_dhcp = craft::dhcp(DASH, 1);
    udp_not_dhcp[14 + 9] = 6; // TCP
    assert_eq!(parse_frame(&udp_not_dhcp), None);
}

#[test]
fn options_without_message_type_or_with_a_bad_length_give_nothing() {
    let f = craft::dhcp(DASH, 1);
    let type_opt = f.windows(3).position(|w| w == [53, 1, 1]).unwrap();
    let mut no_type = f.clone();
    no_type[type_opt] = 12; // now a host-name option
    assert_eq!(parse_frame(&no_type), None);
    let mut long = f.clone();
    long[type_opt + 1] = 2;
    assert_eq!(parse_frame(&long), None);
}

#[test]
fn mac_text_round_trips() {
    assert_eq!(format_mac(&DASH), "68:37:e9:12:34:56");
    assert_eq!(parse_mac("68:37:E9:12:34:56"), Some(DASH));
    for bad in [
        "",
        "68:37:e9:12:34",
        "68:37:e9:12:34:56:78",
        "+1:37:e9:12:34:56",
        "6837e9123456",
    ] {
        assert_eq!(parse_mac(bad), None, "{bad}");
    }
}

/// Random bytes with a real header often enough to reach the deeper parsers.
fn mutate(seed: &[u8], noise: &[u8]) -> Vec<u8> {
    let mut f = seed.to_vec();
    for pair in noise.chunks(2) {
        if let [at, value] = pair {
            let len = f.len();
            f[usize::from(*at) % len] = *value;
        }
    }
    // An odd amount of noise also cuts the frame short somewhere.
    if noise.len() % 2 == 1 {
        f.truncate(usize::from(noise[0]) * 2);
    }
    f
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_frame(&bytes);
    }

    #[test]
    fn never_panics_on_mutated_real_frames(noise in proptest::collection::vec(any::<u8>(), 0..40)) {
        for seed in [craft::arp_probe(DASH), craft::dhcp(DASH, 1)] {
            let _ = parse_frame(&mutate(&seed, &noise));
        }
    }
}

/// The long fuzz run (about 30 s unoptimised):
/// `cargo test --lib buttons::frame::tests::fuzz_million -- --ignored --nocapture`.
/// `FRAME_FUZZ_RUNS=N` changes the count.
/// A million inputs, half pure noise and half mutated real frames, from a fixed seed.
#[test]
#[ignore = "long fuzz run; see the doc comment for the command"]
fn fuzz_million() {
    use rand::{Rng, SeedableRng};
    let runs: u64 = std::env::var("FRAME_FUZZ_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xda5b);
    let seeds = [
        craft::arp_probe(DASH),
        craft::dhcp(DASH, 1),
        craft::dhcp(DASH, 3),
    ];
    let mut found = 0u64;
    for i in 0..runs {
        let bytes = if i % 2 == 0 {
            let len = rng.random_range(0..600);
            (0..len).map(|_| rng.random::<u8>()).collect::<Vec<u8>>()
        } else {
            let noise: Vec<u8> = (0..rng.random_range(0..12)).map(|_| rng.random()).collect();
            mutate(&seeds[i as usize % seeds.len()], &noise)
        };
        found += u64::from(parse_frame(&bytes).is_some());
    }
    // Mutated frames still parse often enough that the deep paths were exercised.
    assert!(found > runs / 100, "only {found} of {runs} inputs parsed");
    eprintln!("fuzz: {runs} inputs, {found} parsed as sightings, no panic");
}
