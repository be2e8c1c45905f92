//! The Dash capture: a named thread reads every frame on one interface through pnet, parses it,
//! collapses bursts, and sends one press per button press to the inbox. The read has a timeout
//! so the thread notices cancellation within `READ_TIMEOUT`.
use super::burst::Debouncer;
use super::frame::{Mac, Sighting, format_mac, parse_frame};
use super::iface::{self, CaptureError, READ_TIMEOUT};
use crate::bus::inbox::Inbox;
use crate::core::{ClickKind, HealthLevel, Input, Origin, Press, PressKind, Voter};
use std::collections::{HashMap, HashSet};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub(crate) const HEALTH_NAME: &str = "buttons";
/// After a read error other than the timeout (interface down, Wi-Fi reconnecting), wait this
/// long before reading again rather than spinning on the error.
const ERROR_BACKOFF: Duration = Duration::from_secs(1);
/// Unlisted devices we remember (to log each once); a busy network must not grow this forever.
const MAX_UNLISTED: usize = 256;

/// One configured `[[button]]` with a MAC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashButton {
    pub name: String,
    pub mac: Mac,
    /// The button's own debounce; `None` means the party default.
    pub debounce: Option<Duration>,
}

/// The `[[button]]`s of the config that are Dash buttons (the ones with a `mac`).
pub fn dash_buttons(buttons: &[super::ButtonConfig]) -> Vec<DashButton> {
    buttons
        .iter()
        .filter_map(|b| {
            // The config already rejected malformed MACs; a None here cannot happen.
            let mac = super::frame::parse_mac(b.mac.as_deref()?)?;
            Some(DashButton {
                name: b.name.clone(),
                mac,
                // Debounce is applied by the party (see app::run), not twice.
                debounce: None,
            })
        })
        .collect()
}

/// Turns sightings into presses for the configured buttons. No IO, so tests feed it frames.
#[derive(Debug)]
pub struct Watcher {
    names: HashMap<Mac, String>,
    debouncer: Debouncer,
    unlisted: HashSet<Mac>,
}

impl Watcher {
    pub fn new(buttons: &[DashButton], default_debounce: Duration) -> Self {
        let per_button = buttons
            .iter()
            .filter_map(|b| Some((b.mac, b.debounce?)))
            .collect();
        Watcher {
            names: buttons.iter().map(|b| (b.mac, b.name.clone())).collect(),
            debouncer: Debouncer::new(default_debounce, per_button),
            unlisted: HashSet::new(),
        }
    }

    /// One frame off the wire at `at_ms` (monotonic): the press it makes, if any.
    pub fn on_frame(&mut self, frame: &[u8], at_ms: u64) -> Option<Press> {
        let Sighting { mac, kind } = parse_frame(frame)?;
        let Some(name) = self.names.get(&mac) else {
            // Kept in the log so a host can find a button without `discover buttons`.
            if kind.is_from_unaddressed_host()
                && self.unlisted.len() < MAX_UNLISTED
                && self.unlisted.insert(mac)
            {
                tracing::info!(mac = %format_mac(&mac), %kind, "unlisted device announced itself");
            }
            return None;
        };
        if !self.debouncer.observe(mac, at_ms) {
            tracing::debug!(button = %name, %kind, "repeat inside burst or debounce");
            return None;
        }
        tracing::info!(button = %name, %kind, "dash press");
        Some(Press {
            voter: Voter::button(name),
            origin: Origin::Dash,
            // A Dash button has one gesture; it cannot tell a double or long press.
            kind: PressKind::Click(ClickKind::Single),
            battery: None,
        })
    }
}

/// Start capturing on `iface` (default: the default route's interface). Opening the socket
/// happens here, so a missing interface or missing permission is an error now, also reported
/// to the status line; frames sent after this returns are seen.
pub fn spawn_capture(
    iface: Option<String>,
    buttons: Vec<DashButton>,
    default_debounce: Duration,
    inbox: Inbox,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, CaptureError> {
    let opened = iface::find_interface(iface.as_deref())
        .and_then(|i| iface::open_receiver(&i).map(|rx| (i.name, rx)));
    let (name, mut rx) = match opened {
        Ok(ok) => ok,
        Err(e) => {
            tracing::error!("{e}");
            inbox.try_health(HEALTH_NAME, HealthLevel::Error, e.to_string());
            return Err(e);
        }
    };
    inbox.try_health(
        HEALTH_NAME,
        HealthLevel::Ok,
        format!("listening on {name} for {} Dash buttons", buttons.len()),
    );
    tracing::info!(iface = %name, buttons = buttons.len(), "dash capture started");
    let mut watcher = Watcher::new(&buttons, default_debounce);
    std::thread::Builder::new()
        .name("dash-capture".into())
        .spawn(move || {
            let start = Instant::now();
            let mut failing = false;
            while !shutdown.is_cancelled() {
                match rx.next() {
                    Ok(frame) => {
                        let at_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                        if failing {
                            failing = false;
                            inbox.try_health(
                                HEALTH_NAME,
                                HealthLevel::Ok,
                                format!("listening on {name}"),
                            );
                        }
                        let Some(press) = watcher.on_frame(frame, at_ms) else {
                            continue;
                        };
                        if inbox.blocking_send(Input::Press(press)).is_err() {
                            break; // the party loop is gone: nothing left to tell
                        }
                    }
                    Err(e) if iface::is_idle(&e) => {}
                    Err(e) => {
                        if !failing {
                            failing = true;
                            tracing::warn!(iface = %name, "capture read failed: {e}");
                            inbox.try_health(
                                HEALTH_NAME,
                                HealthLevel::Error,
                                format!("capture on {name}: {e}"),
                            );
                        }
                        wait_or_cancel(&shutdown, ERROR_BACKOFF);
                    }
                }
            }
            tracing::info!(iface = %name, "dash capture stopped");
        })
        .map_err(CaptureError::Thread)
}

/// Back off without becoming deaf to shutdown for longer than one read timeout.
fn wait_or_cancel(shutdown: &CancellationToken, total: Duration) {
    let until = Instant::now() + total;
    while !shutdown.is_cancelled() && Instant::now() < until {
        std::thread::sleep(READ_TIMEOUT.min(until.saturating_duration_since(Instant::now())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buttons::craft;

    const KITCHEN: Mac = [0x68, 0x37, 0xe9, 0, 0, 1];
    const PORCH: Mac = [0x68, 0x37, 0xe9, 0, 0, 2];
    const STRANGER: Mac = [0x02, 0, 0, 0, 0, 9];

    fn watcher() -> Watcher {
        let b = |name: &str, mac, debounce| DashButton {
            name: name.into(),
            mac,
            debounce,
        };
        Watcher::new(
            &[
                b("Kitchen", KITCHEN, None),
                b("Porch", PORCH, Some(Duration::from_secs(30))),
            ],
            Duration::from_secs(10),
        )
    }

    #[test]
    fn a_configured_button_presses_once_per_burst_as_a_single_dash_click() {
        let mut w = watcher();
        let press = w.on_frame(&craft::arp_probe(KITCHEN), 0).unwrap();
        assert_eq!(press.voter, Voter::button("Kitchen"));
        assert_eq!(press.origin, Origin::Dash);
        assert_eq!(press.kind, PressKind::Click(ClickKind::Single));
        assert_eq!(w.on_frame(&craft::arp_probe(KITCHEN), 1500), None);
        assert_eq!(w.on_frame(&craft::dhcp(KITCHEN, 1), 2500), None);
        assert!(w.on_frame(&craft::dhcp(KITCHEN, 3), 12_000).is_some());
    }

    #[test]
    fn unlisted_macs_and_other_frames_are_ignored() {
        let mut w = watcher();
        assert_eq!(w.on_frame(&craft::arp_probe(STRANGER), 0), None);
        assert_eq!(w.on_frame(&[0u8; 60], 0), None);
        assert!(w.unlisted.contains(&STRANGER));
    }

    #[test]
    fn per_button_debounce_applies_and_buttons_are_independent() {
        let mut w = watcher();
        assert!(w.on_frame(&craft::arp_probe(PORCH), 0).is_some());
        assert!(w.on_frame(&craft::arp_probe(KITCHEN), 100).is_some());
        assert_eq!(w.on_frame(&craft::arp_probe(PORCH), 20_000), None);
        assert!(w.on_frame(&craft::arp_probe(KITCHEN), 20_000).is_some());
        assert!(w.on_frame(&craft::arp_probe(PORCH), 30_000).is_some());
    }
}
