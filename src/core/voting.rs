//! Per-voter memory the rules need: when each voter last pressed (debounce, active voters for
//! share thresholds) and where a button is in its press sequence.
use super::input::Voter;
use super::time::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoterBook {
    /// Last accepted (not debounced) press per voter.
    last_press: HashMap<Voter, Timestamp>,
    /// Sequence buttons: (presses so far in this sequence, time of the last one).
    sequence: HashMap<Voter, (usize, Timestamp)>,
}

impl VoterBook {
    /// True when this press repeats the voter's last accepted one inside `debounce`.
    pub fn debounced(&self, voter: &Voter, at: Timestamp, debounce: Duration) -> bool {
        !debounce.is_zero()
            && self
                .last_press
                .get(voter)
                .is_some_and(|&last| at.since(last) < debounce)
    }

    /// Records an accepted press.
    pub fn pressed(&mut self, voter: &Voter, at: Timestamp) {
        // Avoid cloning the voter on the hot path when it is already known.
        match self.last_press.get_mut(voter) {
            Some(last) => *last = at,
            None => {
                self.last_press.insert(voter.clone(), at);
            }
        }
    }

    /// The 0-based position of this press in the voter's sequence: presses more than
    /// `window` apart start a new sequence.
    pub fn sequence_step(&mut self, voter: &Voter, at: Timestamp, window: Duration) -> usize {
        let entry = self
            .sequence
            .entry(voter.clone())
            .or_insert((usize::MAX, at));
        let step = if entry.0 == usize::MAX || at.since(entry.1) > window {
            0
        } else {
            entry.0 + 1
        };
        *entry = (step, at);
        step
    }

    /// Voters who pressed at or after `since` (the denominator of a share threshold).
    pub fn active_since(&self, since: Timestamp) -> usize {
        self.last_press.values().filter(|&&t| t >= since).count()
    }
}
