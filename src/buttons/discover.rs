//! `party-tui discover buttons`: listen and list every device that announces itself from
//! 0.0.0.0 (ARP probe or DHCP), so a host can press a Dash button and copy its MAC into
//! config.toml. The "Amazon?" column is a hint only: some Dash buttons carry other prefixes.
use super::frame::{Mac, SightingKind, format_mac, parse_frame};
use super::iface::{self, READ_TIMEOUT};
use chrono::{DateTime, Local};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// OUIs the IEEE registry lists for Amazon Technologies Inc. (the list amazon-dash also uses).
const AMAZON_OUIS: [[u8; 3]; 28] = [
    [0xf0, 0xd2, 0xf1],
    [0x88, 0x71, 0xe5],
    [0xfc, 0xa1, 0x83],
    [0xf0, 0x27, 0x2d],
    [0x74, 0xc2, 0x46],
    [0x68, 0x37, 0xe9],
    [0x78, 0xe1, 0x03],
    [0x38, 0xf7, 0x3d],
    [0x50, 0xdc, 0xe7],
    [0xa0, 0x02, 0xdc],
    [0x0c, 0x47, 0xc9],
    [0x74, 0x75, 0x48],
    [0xac, 0x63, 0xbe],
    [0xfc, 0xa6, 0x67],
    [0x18, 0x74, 0x2e],
    [0x00, 0xfc, 0x8b],
    [0xfc, 0x65, 0xde],
    [0x6c, 0x56, 0x97],
    [0x44, 0x65, 0x0d],
    [0x50, 0xf5, 0xda],
    [0x68, 0x54, 0xfd],
    [0x40, 0xb4, 0xcd],
    [0x00, 0x71, 0x47],
    [0x4c, 0xef, 0xc0],
    [0x84, 0xd6, 0xd0],
    [0x34, 0xd2, 0x70],
    [0xb4, 0x7c, 0x9c],
    [0xf0, 0x81, 0x73],
];

pub(crate) fn is_amazon_oui(mac: &Mac) -> bool {
    AMAZON_OUIS.iter().any(|oui| mac[..3] == oui[..])
}

#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub last_kind: SightingKind,
    pub count: u64,
    pub last_seen: DateTime<Local>,
}

/// Everything heard so far, by MAC. Pure: the caller passes frames and the time they arrived.
#[derive(Debug, Default)]
pub struct Discovery {
    seen: BTreeMap<Mac, Seen>,
}

impl Discovery {
    /// Record one frame; returns the line to print if it came from a host without an address.
    pub(crate) fn on_frame(&mut self, frame: &[u8], at: DateTime<Local>) -> Option<String> {
        let s = parse_frame(frame).filter(|s| s.kind.is_from_unaddressed_host())?;
        let entry = self.seen.entry(s.mac).or_insert(Seen {
            last_kind: s.kind,
            count: 0,
            last_seen: at,
        });
        entry.count += 1;
        entry.last_kind = s.kind;
        entry.last_seen = at;
        Some(row(&s.mac, entry))
    }

    pub fn seen(&self) -> &BTreeMap<Mac, Seen> {
        &self.seen
    }

    /// The summary: the table, then a `[[button]]` snippet to paste for each device.
    pub fn table(&self) -> String {
        if self.seen.is_empty() {
            return "nothing announced itself; press a Dash button while this runs\n".into();
        }
        let mut out = header();
        for (mac, s) in &self.seen {
            out.push_str(&row(mac, s));
            out.push('\n');
        }
        out.push_str("\nFor config.toml:\n");
        for (i, mac) in self.seen.keys().enumerate() {
            let mac = format_mac(mac);
            out.push_str(&format!(
                "[[button]]\nname = \"Button {}\"\nmac = \"{mac}\"\naction = \"like\"\n\n",
                i + 1
            ));
        }
        out
    }
}

pub(crate) fn header() -> String {
    format!(
        "{:<17}  {:<13}  {:>5}  {:<8}  {}\n",
        "MAC", "KIND", "COUNT", "LAST", "AMAZON?"
    )
}

fn row(mac: &Mac, s: &Seen) -> String {
    format!(
        "{:<17}  {:<13}  {:>5}  {:<8}  {}",
        format_mac(mac),
        s.last_kind.label(),
        s.count,
        s.last_seen.format("%H:%M:%S"),
        if is_amazon_oui(mac) { "yes" } else { "-" }
    )
}

/// Listen on `iface` (default: the default route's) and print a row each time a device
/// announces itself, until `duration` passes (forever if `None`; Ctrl-C ends the process).
/// Then print the table and config snippets.
pub(crate) fn run_discover(
    iface: Option<String>,
    duration: Option<Duration>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let table = discover_until(
        iface,
        duration,
        &CancellationToken::new(),
        &mut stdout.lock(),
    )?;
    print!("\n{}", table.table());
    Ok(())
}

/// The loop behind `run_discover`, with the output and cancellation as arguments (for tests and
/// for a caller that wants Ctrl-C to end it gracefully).
pub fn discover_until(
    iface: Option<String>,
    duration: Option<Duration>,
    shutdown: &CancellationToken,
    out: &mut impl Write,
) -> anyhow::Result<Discovery> {
    let nic = iface::find_interface(iface.as_deref())?;
    let mut rx = iface::open_receiver(&nic)?;
    let until = duration.map(|d| Instant::now() + d);
    let limit = match duration {
        Some(d) => format!("for {} s", d.as_secs()),
        None => "until Ctrl-C".into(),
    };
    writeln!(
        out,
        "listening on {} {limit} for ARP probes and DHCP from 0.0.0.0; press each button now",
        nic.name
    )?;
    write!(out, "{}", header())?;
    out.flush()?;
    let mut discovery = Discovery::default();
    while !shutdown.is_cancelled() && until.is_none_or(|u| Instant::now() < u) {
        match rx.next() {
            Ok(frame) => {
                if let Some(line) = discovery.on_frame(frame, Local::now()) {
                    writeln!(out, "{line}")?;
                    out.flush()?;
                }
            }
            Err(e) if iface::is_idle(&e) => {}
            Err(e) => {
                // Give the interface a moment (Wi-Fi reconnecting) instead of spinning.
                tracing::warn!(iface = %nic.name, "discover read failed: {e}");
                std::thread::sleep(READ_TIMEOUT);
            }
        }
    }
    Ok(discovery)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buttons::craft;
    use chrono::TimeZone;

    const DASH: Mac = [0x68, 0x37, 0xe9, 0x12, 0x34, 0x56];
    const OTHER: Mac = [0x02, 0, 0, 0xaa, 0xbb, 0xcc];

    fn at(secs: u32) -> DateTime<Local> {
        Local.with_ymd_and_hms(2025, 6, 1, 21, 0, secs).unwrap()
    }

    #[test]
    fn lists_unaddressed_senders_with_count_kind_and_hint() {
        let mut d = Discovery::default();
        let first = d.on_frame(&craft::arp_probe(DASH), at(1)).unwrap();
        assert_eq!(
            first,
            "68:37:e9:12:34:56  ARP probe          1  21:00:01  yes"
        );
        d.on_frame(&craft::dhcp(DASH, 1), at(3)).unwrap();
        let other = d.on_frame(&craft::dhcp(OTHER, 3), at(4)).unwrap();
        assert!(
            other.ends_with("DHCP request       1  21:00:04  -"),
            "{other}"
        );
        let dash = &d.seen()[&DASH];
        assert_eq!(
            (dash.count, dash.last_kind),
            (2, SightingKind::DhcpDiscover)
        );
        assert_eq!(dash.last_seen, at(3));
    }

    #[test]
    fn hosts_with_addresses_are_not_listed() {
        let mut d = Discovery::default();
        let request = craft::arp(OTHER, 1, [192, 168, 1, 9], [192, 168, 1, 1]);
        assert_eq!(d.on_frame(&request, at(0)), None);
        assert!(d.seen().is_empty());
        assert!(d.table().starts_with("nothing announced itself"));
    }

    #[test]
    fn the_table_ends_with_config_snippets() {
        let mut d = Discovery::default();
        d.on_frame(&craft::arp_probe(DASH), at(0));
        let t = d.table();
        assert!(t.starts_with("MAC "), "{t}");
        assert!(
            t.contains("[[button]]\nname = \"Button 1\"\nmac = \"68:37:e9:12:34:56\""),
            "{t}"
        );
    }
}
