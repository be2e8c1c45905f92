//! Which interface to listen on, and opening pnet's datalink channel on it, shared by the capture
//! and `discover buttons`. Errors say what to do next: name the interfaces that exist, or give
//! the exact `setcap` line.
use pnet::datalink::{self, Channel, DataLinkReceiver, NetworkInterface};
use std::io;
use std::time::Duration;

/// How long a read waits before the loop checks for cancellation: short enough that quitting
/// feels instant, long enough that an idle capture costs nothing.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_millis(200);
/// Dash announcements are a few hundred bytes; anything longer is not for us anyway.
const READ_BUFFER: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no network interface `{name}`; this machine has: {}", .available.join(", "))]
    NoSuchInterface {
        name: String,
        available: Vec<String>,
    },
    #[error(
        "no default route to pick an interface from; set [capture] interface to one of: {}",
        .available.join(", ")
    )]
    NoDefaultRoute { available: Vec<String> },
    #[error("{}", setcap_hint(.binary))]
    PermissionDenied { binary: String },
    #[error("cannot capture on {iface}: {source}")]
    Open {
        iface: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot start the capture thread: {0}")]
    Thread(#[source] io::Error),
}

/// What the status line and the log say when we may not open raw sockets. An `AF_PACKET`
/// socket needs CAP_NET_RAW only; CAP_NET_ADMIN would matter for promiscuous mode, which we do
/// not ask for (see `open_receiver`). The same grant as pkg/debian/postinst and the unit.
pub(crate) fn setcap_hint(binary: &str) -> String {
    format!("button capture needs CAP_NET_RAW: sudo setcap cap_net_raw=ep {binary}")
}

#[cfg(test)]
use crate::support::netinfo::default_route_iface;

/// The named interface, or the default route's; errors list what exists.
pub(crate) fn find_interface(name: Option<&str>) -> Result<NetworkInterface, CaptureError> {
    let all = datalink::interfaces();
    let available = || all.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    let name = match name {
        Some(n) => n.to_string(),
        None => crate::support::netinfo::default_route_interface().ok_or_else(|| {
            CaptureError::NoDefaultRoute {
                available: available(),
            }
        })?,
    };
    all.iter()
        .find(|i| i.name == name)
        .cloned()
        .ok_or_else(|| CaptureError::NoSuchInterface {
            name,
            available: available(),
        })
}

/// Open a receive-only layer-2 channel with a read timeout.
pub(crate) fn open_receiver(
    iface: &NetworkInterface,
) -> Result<Box<dyn DataLinkReceiver>, CaptureError> {
    let config = datalink::Config {
        read_timeout: Some(READ_TIMEOUT),
        read_buffer_size: READ_BUFFER,
        // Dash announcements are broadcast, so we need not put anyone's Wi-Fi card into
        // promiscuous mode.
        promiscuous: false,
        ..Default::default()
    };
    match datalink::channel(iface, config) {
        Ok(Channel::Ethernet(_tx, rx)) => Ok(rx),
        Ok(_) => Err(CaptureError::Open {
            iface: iface.name.clone(),
            source: io::Error::other("not an Ethernet-style channel"),
        }),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            Err(CaptureError::PermissionDenied {
                binary: current_binary(),
            })
        }
        Err(source) => Err(CaptureError::Open {
            iface: iface.name.clone(),
            source,
        }),
    }
}

/// Is this read error just the timeout (or a signal) rather than a broken socket?
pub(crate) fn is_idle(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn current_binary() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "$(command -v party-tui)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
";

    #[test]
    fn default_route_with_the_lowest_metric_wins() {
        assert_eq!(default_route_iface(TABLE).as_deref(), Some("eth0"));
    }

    #[test]
    fn no_default_route_or_garbage_gives_none() {
        let only_lan = TABLE.lines().take(2).collect::<Vec<_>>().join("\n");
        assert_eq!(default_route_iface(&only_lan), None);
        assert_eq!(default_route_iface(""), None);
        assert_eq!(default_route_iface("header\nwlan0 00000000"), None);
        let down = "h\nwlan0\t00000000\t0101A8C0\t0002\t0\t0\t600\t00000000";
        assert_eq!(default_route_iface(down), None);
    }

    #[test]
    fn a_missing_interface_names_the_ones_that_exist() {
        let err = find_interface(Some("no-such-if0")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("no-such-if0") && text.contains("lo"),
            "{text}"
        );
    }

    #[test]
    fn the_permission_message_gives_the_setcap_line() {
        let err = CaptureError::PermissionDenied {
            binary: "/usr/local/bin/party-tui".into(),
        };
        assert_eq!(
            err.to_string(),
            "button capture needs CAP_NET_RAW: sudo setcap cap_net_raw=ep /usr/local/bin/party-tui"
        );
    }
}
