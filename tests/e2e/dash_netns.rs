//! The Dash capture end to end on a real interface: a veth pair whose far end, in its own
//! network namespace, carries a Dash MAC. `arping` sends ARP probes from 0.0.0.0 and the test
//! binary itself, re-run inside the namespace, sends raw DHCP frames. The capture must count one
//! press per burst, keep each button's debounce, and ignore MACs that are not configured.
//! Needs root (CAP_NET_ADMIN and CAP_NET_RAW), iproute2 and arping; elsewhere it skips, and in
//! CI (PARTY_TUI_REQUIRE_PRIVILEGED=1) it fails.
use crate::netns;
use crate::support;

use netns::Netns;
use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::buttons::discover::discover_until;
use party_tui::buttons::{DashButton, Mac, craft, spawn_capture};
use party_tui::core::{HealthLevel, Input, Origin, Press, Voter};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{Receiver, error::TryRecvError};
use tokio_util::sync::CancellationToken;

const KITCHEN: Mac = [0x68, 0x37, 0xe9, 0x5a, 0x11, 0x01];
const KITCHEN_TEXT: &str = "68:37:e9:5a:11:01";
const PORCH: Mac = [0x68, 0x37, 0xe9, 0x5a, 0x11, 0x02];
const HALL: Mac = [0x68, 0x37, 0xe9, 0x5a, 0x11, 0x03];
const STRANGER: Mac = [0x02, 0x00, 0x00, 0x5a, 0x11, 0x99];
/// Kitchen's own debounce; short so the test stays quick, longer than a burst.
const KITCHEN_DEBOUNCE: Duration = Duration::from_secs(5);
const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(10);
const PRESS_DEADLINE: Duration = Duration::from_secs(10);
const DHCP_DISCOVER: u8 = 1;
const DHCP_REQUEST: u8 = 3;

fn button(name: &str, mac: Mac, debounce: Option<Duration>) -> DashButton {
    DashButton {
        name: name.into(),
        mac,
        debounce,
    }
}

/// Messages until the next press, with a deadline; health reports are collected on the way.
fn next_press(rx: &mut Receiver<Msg>, health: &mut Vec<(HealthLevel, String)>) -> Press {
    support::wait_until("a press on the inbox", PRESS_DEADLINE, || {
        loop {
            match rx.try_recv() {
                Ok(Msg::Input {
                    input: Input::Press(p),
                    ..
                }) => return Some(p),
                Ok(Msg::Health(h)) => health.push((h.level, h.detail)),
                Ok(other) => panic!("unexpected message {other:?}"),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => panic!("capture dropped the inbox"),
            }
        }
    })
}

fn who(p: &Press) -> &str {
    p.voter.button_name().unwrap_or("?")
}

#[test]
fn dash_presses_on_a_veth() {
    if !support::have_command("arping") {
        return support::skip_or_fail("arping is not installed (apt-get install arping)");
    }
    let net = match Netns::create(KITCHEN_TEXT) {
        Ok(net) => net,
        Err(why) => return support::skip_or_fail(&why),
    };
    let buttons = vec![
        button("Kitchen", KITCHEN, Some(KITCHEN_DEBOUNCE)),
        button("Porch", PORCH, None),
        button("Hall", HALL, None),
    ];
    let (inbox, mut rx) = Inbox::new();
    let shutdown = CancellationToken::new();
    let capture = spawn_capture(
        Some(net.near.clone()),
        buttons,
        DEFAULT_DEBOUNCE,
        inbox,
        shutdown.clone(),
    )
    .expect("capture starts on the near end");
    let mut health = Vec::new();

    // 1. A burst of two ARP probes from the far end's own MAC: one press.
    net.arping_probes(2);
    let first = next_press(&mut rx, &mut health);
    let first_seen = Instant::now();
    assert_eq!(first.voter, Voter::button("Kitchen"));
    assert_eq!(first.origin, Origin::Dash);

    // 2. Kitchen again inside its debounce (by DHCP this time), then a device nobody configured
    //    (ARP probe and DHCP), then Porch's DHCP DISCOVER burst. Frames on one interface arrive
    //    in order, so when Porch's press arrives everything before it has been judged: the
    //    second probe of step 1, Kitchen's repeat and the stranger made no press.
    net.send_frames(&[
        craft::dhcp(KITCHEN, DHCP_DISCOVER),
        craft::arp_probe(STRANGER),
        craft::dhcp(STRANGER, DHCP_DISCOVER),
        craft::dhcp(PORCH, DHCP_DISCOVER),
        craft::dhcp(PORCH, DHCP_DISCOVER),
    ]);
    let last_kitchen_packet = Instant::now();
    let second = next_press(&mut rx, &mut health);
    assert_eq!(who(&second), "Porch", "got {second:?}");

    // 3. Once Kitchen's debounce has passed (and its last packet is more than a burst ago),
    //    a new burst of three probes plus a DHCP DISCOVER is exactly one new press. Waiting
    //    here is the behaviour under test: the debounce is wall-clock time.
    let ready = (first_seen + KITCHEN_DEBOUNCE).max(last_kitchen_packet + Duration::from_secs(4));
    support::wait_until("Kitchen's debounce to pass", PRESS_DEADLINE, || {
        (Instant::now() >= ready).then_some(())
    });
    net.arping_probes(3);
    net.send_frames(&[
        craft::dhcp(KITCHEN, DHCP_DISCOVER),
        craft::dhcp(HALL, DHCP_REQUEST),
    ]);
    let third = next_press(&mut rx, &mut health);
    assert_eq!(who(&third), "Kitchen", "got {third:?}");
    let fourth = next_press(&mut rx, &mut health);
    assert_eq!(
        who(&fourth),
        "Hall",
        "a second Kitchen press from one burst: {fourth:?}"
    );

    assert!(
        matches!(health.first(), Some((HealthLevel::Ok, d)) if d.contains(&net.near)),
        "health said {health:?}"
    );

    // Cancellation stops the thread within a read timeout or two.
    shutdown.cancel();
    support::wait_until("the capture thread to stop", Duration::from_secs(3), || {
        capture.is_finished().then_some(())
    });
    capture.join().expect("capture thread did not panic");
}

#[test]
fn a_missing_interface_is_an_error_naming_the_ones_that_exist() {
    let (inbox, mut rx) = Inbox::new();
    let err = spawn_capture(
        Some("no-such-if0".into()),
        vec![button("Kitchen", KITCHEN, None)],
        DEFAULT_DEBOUNCE,
        inbox,
        CancellationToken::new(),
    )
    .expect_err("no such interface");
    let text = err.to_string();
    assert!(
        text.contains("no-such-if0") && text.contains("lo"),
        "{text}"
    );
    match rx.try_recv() {
        Ok(Msg::Health(h)) => assert_eq!((h.level, h.detail), (HealthLevel::Error, text)),
        other => panic!("expected a health report, got {other:?}"),
    }
}

/// A `Write` the test can read while the discover thread writes to it.
#[derive(Clone, Default)]
struct SharedOut(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedOut {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[test]
fn discover_lists_devices_announcing_from_zero() {
    if !support::have_command("arping") {
        return support::skip_or_fail("arping is not installed (apt-get install arping)");
    }
    let net = match Netns::create(KITCHEN_TEXT) {
        Ok(net) => net,
        Err(why) => return support::skip_or_fail(&why),
    };
    let out = SharedOut::default();
    let shutdown = CancellationToken::new();
    let listener = {
        let (iface, mut out, shutdown) = (net.near.clone(), out.clone(), shutdown.clone());
        std::thread::spawn(move || discover_until(Some(iface), None, &shutdown, &mut out))
    };
    support::wait_until("discover to listen", PRESS_DEADLINE, || {
        out.text().contains("listening on").then_some(())
    });
    net.arping_probes(2);
    net.send_frames(&[
        craft::dhcp(STRANGER, DHCP_DISCOVER),
        // A host that already has an address is not a button waking up.
        craft::arp(PORCH, 1, [10, 213, 0, 7], [10, 213, 0, 1]),
    ]);
    support::wait_until("both devices listed", PRESS_DEADLINE, || {
        let text = out.text();
        (text.contains("68:37:e9:5a:11:01  ARP probe          2")
            && text.contains("02:00:00:5a:11:99  DHCP discover      1"))
        .then_some(())
    });
    shutdown.cancel();
    let found = listener.join().unwrap().expect("discover ran");
    assert_eq!(found.seen().len(), 2, "{}", out.text());
    assert!(!found.seen().contains_key(&PORCH));
    let table = found.table();
    assert!(
        table.contains("68:37:e9:5a:11:01  ARP probe          2"),
        "{table}"
    );
    assert!(
        table.contains("  yes\n") && table.contains("  -\n"),
        "{table}"
    );
}
