//! From packets to presses: one Dash press puts 1–3 packets on the wire within a few seconds
//! (ARP probes 1–2 s apart per RFC 5227, or DHCP retries), and users of amazon-dash and dasshio
//! report the whole announcement repeating 15–45 s later. Pure: time comes in as milliseconds
//! on a monotonic clock, so tests state the times outright.
use super::frame::Mac;
use std::collections::HashMap;
use std::time::Duration;

/// Packets closer together than this are one burst, whatever the debounce. Sliding: each packet
/// extends the burst, so probes 2 s apart stay one press even with a debounce of 0.
pub const BURST_GAP: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug)]
struct ButtonState {
    last_packet_ms: u64,
    last_press_ms: u64,
}

/// Per-button state only: one button inside its debounce never delays another (dasshio's bug
/// was a global pause after any press).
#[derive(Debug)]
pub(crate) struct Debouncer {
    default: Duration,
    per_button: HashMap<Mac, Duration>,
    state: HashMap<Mac, ButtonState>,
}

impl Debouncer {
    pub(crate) fn new(default: Duration, per_button: HashMap<Mac, Duration>) -> Self {
        Debouncer {
            default,
            per_button,
            state: HashMap::new(),
        }
    }

    /// The debounce for `mac`: its own if configured, else the default.
    pub(crate) fn debounce_for(&self, mac: &Mac) -> Duration {
        self.per_button.get(mac).copied().unwrap_or(self.default)
    }

    /// A packet from `mac` arrived at `at_ms`. True when it starts a new press: it is not part of
    /// the burst still going on, and the button's debounce since its last press has passed.
    pub(crate) fn observe(&mut self, mac: Mac, at_ms: u64) -> bool {
        let debounce = millis(self.debounce_for(&mac));
        let burst_gap = millis(BURST_GAP);
        match self.state.get_mut(&mac) {
            None => {
                self.state.insert(
                    mac,
                    ButtonState {
                        last_packet_ms: at_ms,
                        last_press_ms: at_ms,
                    },
                );
                true
            }
            Some(s) => {
                // saturating: a clock that steps back counts as "no time passed", never a press.
                let since_packet = at_ms.saturating_sub(s.last_packet_ms);
                let since_press = at_ms.saturating_sub(s.last_press_ms);
                s.last_packet_ms = s.last_packet_ms.max(at_ms);
                let press = since_packet >= burst_gap && since_press >= debounce;
                if press {
                    s.last_press_ms = at_ms;
                }
                press
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Mac = [0x68, 0x37, 0xe9, 0, 0, 1];
    const B: Mac = [0x68, 0x37, 0xe9, 0, 0, 2];
    const SEC: u64 = 1000;

    fn debouncer(default_secs: u64) -> Debouncer {
        Debouncer::new(Duration::from_secs(default_secs), HashMap::new())
    }

    /// Feed (mac, ms) packets; return the times that became presses.
    fn presses(d: &mut Debouncer, packets: &[(Mac, u64)]) -> Vec<(Mac, u64)> {
        packets
            .iter()
            .copied()
            .filter(|&(mac, at)| d.observe(mac, at))
            .collect()
    }

    #[test]
    fn a_burst_of_one_to_three_packets_is_one_press() {
        for burst in [vec![0], vec![0, 1200], vec![0, 1100, 2900]] {
            let mut d = debouncer(10);
            let packets: Vec<_> = burst.iter().map(|&t| (A, 100 * SEC + t)).collect();
            assert_eq!(presses(&mut d, &packets), vec![(A, 100 * SEC)], "{burst:?}");
        }
    }

    #[test]
    fn repeats_inside_the_debounce_are_swallowed_and_the_next_press_counts() {
        let mut d = debouncer(10);
        let got = presses(&mut d, &[(A, 0), (A, 5 * SEC), (A, 9_999), (A, 15 * SEC)]);
        assert_eq!(got, vec![(A, 0), (A, 15 * SEC)]);
        // Exactly at the debounce boundary (and past the burst) is a new press.
        let mut d = debouncer(10);
        let got = presses(&mut d, &[(A, 0), (A, 5 * SEC), (A, 10 * SEC)]);
        assert_eq!(got, vec![(A, 0), (A, 10 * SEC)]);
    }

    #[test]
    fn the_debounce_is_measured_from_the_press_not_the_last_repeat() {
        // A button that announces every 4 s still presses once per debounce, not never.
        let mut d = debouncer(10);
        let packets: Vec<_> = (0..8).map(|i| (A, i * 4 * SEC)).collect();
        assert_eq!(
            presses(&mut d, &packets),
            vec![(A, 0), (A, 12 * SEC), (A, 24 * SEC)]
        );
    }

    #[test]
    fn a_burst_stays_one_press_even_with_zero_debounce() {
        let mut d = debouncer(0);
        let got = presses(&mut d, &[(A, 0), (A, 2 * SEC), (A, 4 * SEC), (A, 8 * SEC)]);
        assert_eq!(got, vec![(A, 0), (A, 8 * SEC)]);
    }

    #[test]
    fn one_button_in_its_debounce_never_blocks_another() {
        let mut d = debouncer(10);
        let got = presses(
            &mut d,
            &[(A, 0), (B, 100), (A, 200), (B, 5 * SEC), (A, 6 * SEC)],
        );
        assert_eq!(got, vec![(A, 0), (B, 100)]);
        assert!(d.observe(A, 10 * SEC));
        assert!(d.observe(B, 10_100));
    }

    #[test]
    fn per_button_debounce_overrides_the_default() {
        let mut d = Debouncer::new(
            Duration::from_secs(10),
            HashMap::from([(B, Duration::from_secs(30))]),
        );
        assert_eq!(d.debounce_for(&A), Duration::from_secs(10));
        assert_eq!(d.debounce_for(&B), Duration::from_secs(30));
        let got = presses(
            &mut d,
            &[(A, 0), (B, 0), (A, 15 * SEC), (B, 15 * SEC), (B, 30 * SEC)],
        );
        assert_eq!(got, vec![(A, 0), (B, 0), (A, 15 * SEC), (B, 30 * SEC)]);
    }

    #[test]
    fn a_clock_that_steps_back_never_makes_a_press() {
        let mut d = debouncer(10);
        assert!(d.observe(A, 50 * SEC));
        assert!(!d.observe(A, 0));
        assert!(!d.observe(A, 55 * SEC));
        assert!(d.observe(A, 60 * SEC));
    }
}
