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

/// Who voted one way on the current track, in voter order. A persistent set: the snapshot
/// published after every batch shares it with the party instead of copying it (a track with
/// tens of thousands of guests made that copy the biggest cost of a vote), and a guest's page
/// asks it whether they voted in O(log n).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct VoterList(imbl::OrdSet<Voter>);

impl VoterList {
    /// Adds the voter; false if they had already voted this way.
    pub fn insert(&mut self, voter: &Voter) -> bool {
        if self.0.contains(voter) {
            return false;
        }
        self.0.insert(voter.clone());
        true
    }
    pub fn contains(&self, voter: &Voter) -> bool {
        self.0.contains(voter)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Takes the voter's vote back; false if they had not voted this way.
    pub fn remove(&mut self, voter: &Voter) -> bool {
        self.0.remove(voter).is_some()
    }
    pub fn clear(&mut self) {
        self.0.clear();
    }
    pub fn iter(&self) -> impl Iterator<Item = &Voter> {
        self.0.iter()
    }
    pub fn to_vec(&self) -> Vec<Voter> {
        self.0.iter().cloned().collect()
    }
}

impl FromIterator<Voter> for VoterList {
    fn from_iter<I: IntoIterator<Item = Voter>>(iter: I) -> Self {
        VoterList(iter.into_iter().collect())
    }
}
