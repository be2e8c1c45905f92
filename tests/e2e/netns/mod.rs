//! A throwaway network namespace with a veth pair: the near end stays here (the capture listens
//! on it), the far end lives in the namespace and plays the Dash button. Names are unique per
//! run and Drop removes everything, also when the test fails.
#![allow(dead_code)]
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The ignored test in the test binary that sends frames when re-run inside the namespace: one
/// helper here for every test file of the binary, named by its path from the binary's root.
pub const SEND_HELPER: &str = "netns::send_frames_helper";
pub const ENV_IFACE: &str = "DASH_TEST_SEND_IFACE";
pub const ENV_FRAMES: &str = "DASH_TEST_SEND_FRAMES";

static NEXT: AtomicU32 = AtomicU32::new(0);

pub struct Netns {
    pub ns: String,
    /// In our namespace; where the capture listens.
    pub near: String,
    /// In `ns`; carries the button's MAC.
    pub far: String,
}

impl Netns {
    /// Build the namespace and pair with `far_mac` on the far end, both ends up. `Err` says why
    /// this machine cannot (no iproute2, no CAP_NET_ADMIN, …).
    pub fn create(far_mac: &str) -> Result<Netns, String> {
        if !crate::support::have_command("ip") {
            return Err("iproute2's `ip` is not installed".into());
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        // Interface names are limited to 15 bytes.
        let (near, far) = (format!("pd{pid:x}n{n}"), format!("pd{pid:x}f{n}"));
        let ns = format!("party-tui-dash-{pid}-{n}");
        run("ip", &["netns", "add", &ns])
            .map_err(|e| format!("cannot create a network namespace: {e}"))?;
        // From here on Drop cleans up whatever the following steps made.
        let net = Netns { ns, near, far };
        net.setup(far_mac)?;
        Ok(net)
    }

    fn setup(&self, far_mac: &str) -> Result<(), String> {
        let (ns, near, far) = (&self.ns, &self.near, &self.far);
        run(
            "ip",
            &[
                "link", "add", near, "type", "veth", "peer", "name", far, "netns", ns,
            ],
        )?;
        run("ip", &["-n", ns, "link", "set", far, "address", far_mac])?;
        run("ip", &["link", "set", near, "up"])?;
        run("ip", &["-n", ns, "link", "set", far, "up"])?;
        // A veth carries frames only once both ends are up: wait for the kernel to say so.
        let state = format!("/sys/class/net/{near}/operstate");
        crate::support::wait_until("the veth pair to come up", Duration::from_secs(5), || {
            let s = std::fs::read_to_string(&state).ok()?;
            (s.trim() == "up").then_some(())
        });
        Ok(())
    }

    /// Run a command inside the namespace.
    pub fn exec(&self, cmd: &[&str]) -> Output {
        let mut args = vec!["netns", "exec", &self.ns];
        args.extend_from_slice(cmd);
        Command::new("ip")
            .args(&args)
            .output()
            .expect("run ip netns exec")
    }

    /// ARP probes (sender 0.0.0.0) from the far end, as an old Dash firmware sends them.
    /// Returns once arping has sent them all.
    pub fn arping_probes(&self, count: u32) {
        let count = count.to_string();
        let out = self.exec(&[
            "arping",
            "-0",
            "-c",
            &count,
            "-W",
            "0.2",
            "-i",
            &self.far,
            "10.213.0.1",
        ]);
        let said = String::from_utf8_lossy(&out.stdout);
        // arping exits 1 when nobody answers, which is the point of a probe: check it sent them.
        assert!(
            said.contains(&format!("{count} packets transmitted")),
            "arping failed: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Put raw frames on the wire from the far end, in order: the test binary re-runs its
    /// send helper inside the namespace. Returns once they are sent.
    pub fn send_frames(&self, frames: &[Vec<u8>]) {
        let exe = std::env::current_exe().expect("test binary path");
        let hex: Vec<String> = frames.iter().map(|f| to_hex(f)).collect();
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .arg(exe)
            .args([SEND_HELPER, "--exact", "--ignored", "--nocapture"])
            .env(ENV_IFACE, &self.far)
            .env(ENV_FRAMES, hex.join(","))
            .output()
            .expect("re-run the test binary in the namespace");
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains(&format!("sent {} frames", frames.len())),
            "send helper failed: {said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes the far end, and with it the near end of the pair.
        let _ = run("ip", &["netns", "del", &self.ns]);
        let _ = run("ip", &["link", "del", &self.near]);
    }
}

/// Not a test of its own: `Netns::send_frames` re-runs the binary with only this test, inside
/// the namespace, to put raw frames on the far end.
#[test]
#[ignore = "helper run inside the namespace by Netns::send_frames"]
fn send_frames_helper() {
    if !send_from_env() {
        eprintln!("send_frames_helper: nothing to send (run by a netns test)");
    }
}

/// The helper's side: send the frames the parent put in the environment; false if not asked.
pub fn send_from_env() -> bool {
    use pnet::datalink::{self, Channel};
    let (Ok(iface), Ok(frames)) = (std::env::var(ENV_IFACE), std::env::var(ENV_FRAMES)) else {
        return false;
    };
    let nic = datalink::interfaces()
        .into_iter()
        .find(|i| i.name == iface)
        .unwrap_or_else(|| panic!("no interface {iface} in this namespace"));
    let Ok(Channel::Ethernet(mut tx, _rx)) = datalink::channel(&nic, Default::default()) else {
        panic!("cannot open a datalink channel on {iface}");
    };
    let frames: Vec<Vec<u8>> = frames.split(',').map(from_hex).collect();
    for f in &frames {
        tx.send_to(f, None)
            .expect("a send result")
            .expect("frame sent");
    }
    println!("sent {} frames", frames.len());
    true
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{cmd} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}
