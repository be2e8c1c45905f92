//! Dash capture figures: frames parsed per second, and the delay from a frame going onto a veth
//! to its press coming out of the inbox, p50/p99 (goal: p99 ≤ 1 ms). Run: `cargo bench --bench
//! arp`. The latency part needs root (it makes a veth pair); without it, it measures the same
//! path minus the socket, and says so.
use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::buttons::arp::Watcher;
use party_tui::buttons::{DashButton, Mac, craft, parse_frame, spawn_capture};
use party_tui::core::Input;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const PARSE_ROUNDS: usize = 2_000_000;
const PRESSES: usize = 2_000;
const RECV_DEADLINE: Duration = Duration::from_secs(2);

fn main() {
    let frames = traffic_mix();
    parse_throughput(&frames);
    latency();
}

/// What a home network carries: mostly TCP and IPv6, some ARP, now and then a DHCP.
fn traffic_mix() -> Vec<Vec<u8>> {
    let dash: Mac = [0x68, 0x37, 0xe9, 0, 0, 1];
    let mut tcp = craft::dhcp([2, 0, 0, 0, 0, 7], 1);
    tcp[14 + 9] = 6; // protocol TCP: an IPv4 frame the parser must look into and drop
    tcp.resize(1514, 0);
    let mut ipv6 = tcp.clone();
    ipv6[12..14].copy_from_slice(&0x86ddu16.to_be_bytes());
    vec![
        tcp.clone(),
        ipv6,
        tcp,
        craft::arp([2, 0, 0, 0, 0, 8], 1, [192, 168, 1, 9], [192, 168, 1, 1]),
        craft::arp_probe(dash),
        craft::dhcp(dash, 1),
    ]
}

fn parse_throughput(frames: &[Vec<u8>]) {
    let start = Instant::now();
    let mut hits = 0usize;
    for i in 0..PARSE_ROUNDS {
        hits += usize::from(parse_frame(black_box(&frames[i % frames.len()])).is_some());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse_frame: {:.1} M frames/s ({PARSE_ROUNDS} frames of a TCP/IPv6/ARP/DHCP mix, {hits} sightings)",
        PARSE_ROUNDS as f64 / secs / 1e6
    );

    let buttons = [button(0)];
    let mut watcher = Watcher::new(&buttons, Duration::from_secs(10));
    let start = Instant::now();
    for i in 0..PARSE_ROUNDS {
        black_box(watcher.on_frame(black_box(&frames[i % frames.len()]), i as u64));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "watcher (parse + lookup + debounce): {:.1} M frames/s",
        PARSE_ROUNDS as f64 / secs / 1e6
    );
}

/// Button `i`: a distinct MAC each, since one button presses at most once per debounce.
fn button(i: usize) -> DashButton {
    let [a, b, c, d] = (i as u32).to_be_bytes();
    DashButton {
        name: format!("b{i}"),
        mac: [0x68, 0x37, a, b, c, d],
        debounce: None,
    }
}

fn latency() {
    let buttons: Vec<DashButton> = (0..PRESSES).map(button).collect();
    let Some(pair) = VethPair::create() else {
        println!("latency: no veth pair (needs root and iproute2); measuring without a socket");
        return latency_without_socket(&buttons);
    };
    let (inbox, mut rx) = Inbox::new();
    let shutdown = CancellationToken::new();
    let capture = spawn_capture(
        Some(pair.near.clone()),
        buttons.clone(),
        Duration::from_secs(10),
        inbox,
        shutdown.clone(),
    )
    .expect("capture on the veth");
    let far = pnet::datalink::interfaces()
        .into_iter()
        .find(|i| i.name == pair.far)
        .expect("far end");
    let Ok(pnet::datalink::Channel::Ethernet(mut tx, _)) =
        pnet::datalink::channel(&far, Default::default())
    else {
        panic!("cannot send on {}", pair.far);
    };
    let mut samples = Vec::with_capacity(PRESSES);
    for b in &buttons {
        let frame = craft::arp_probe(b.mac);
        let sent = Instant::now();
        tx.send_to(&frame, None).unwrap().unwrap();
        wait_press(&mut rx);
        samples.push(sent.elapsed());
    }
    shutdown.cancel();
    capture.join().unwrap();
    report("frame sent on veth → press out of the inbox", &mut samples);
}

fn latency_without_socket(buttons: &[DashButton]) {
    let (inbox, mut rx) = Inbox::new();
    let mut watcher = Watcher::new(buttons, Duration::from_secs(10));
    let mut samples = Vec::with_capacity(buttons.len());
    for (i, b) in buttons.iter().enumerate() {
        let frame = craft::arp_probe(b.mac);
        let start = Instant::now();
        let press = watcher.on_frame(&frame, i as u64).expect("a press");
        inbox.blocking_send(Input::Press(press)).unwrap();
        wait_press(&mut rx);
        samples.push(start.elapsed());
    }
    report(
        "frame parsed → press out of the inbox (no socket)",
        &mut samples,
    );
}

fn wait_press(rx: &mut tokio::sync::mpsc::Receiver<Msg>) {
    let deadline = Instant::now() + RECV_DEADLINE;
    loop {
        match rx.try_recv() {
            Ok(Msg::Input { .. }) => return,
            Ok(Msg::Health(_)) => {}
            // Spinning keeps the measuring side from adding its own wake-up delay.
            Err(_) if Instant::now() < deadline => std::hint::spin_loop(),
            Err(e) => panic!("no press within {RECV_DEADLINE:?}: {e}"),
        }
    }
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "latency, {what} ({} presses): p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

/// A veth pair in this namespace: frames sent on `far` arrive on `near`.
struct VethPair {
    near: String,
    far: String,
}

impl VethPair {
    fn create() -> Option<VethPair> {
        let pid = std::process::id();
        let pair = VethPair {
            near: format!("pb{pid:x}n"),
            far: format!("pb{pid:x}f"),
        };
        let ok = ip(&[
            "link", "add", &pair.near, "type", "veth", "peer", "name", &pair.far,
        ]) && ip(&["link", "set", &pair.near, "up"])
            && ip(&["link", "set", &pair.far, "up"]);
        let state = format!("/sys/class/net/{}/operstate", pair.near);
        let deadline = Instant::now() + Duration::from_secs(5);
        while ok && Instant::now() < deadline {
            if std::fs::read_to_string(&state).is_ok_and(|s| s.trim() == "up") {
                return Some(pair);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        ip(&["link", "del", &self.near]);
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}
