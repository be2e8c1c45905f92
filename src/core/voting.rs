//! Per-voter memory the rules need: when each voter last pressed (debounce, active voters for
//! share thresholds) and where a button is in its press sequence.
use super::input::Voter;
use super::time::Timestamp;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct VoterBook {
    /// Last accepted (not debounced) press per voter.
    last_press: HashMap<Voter, Timestamp>,
    /// Sequence buttons: (presses so far in this sequence, time of the last one).
    sequence: HashMap<Voter, (usize, Timestamp)>,
}

impl VoterBook {
    /// True when this press repeats the voter's last accepted one inside `debounce`.
    pub(crate) fn debounced(&self, voter: &Voter, at: Timestamp, debounce: Duration) -> bool {
        !debounce.is_zero()
            && self
                .last_press
                .get(voter)
                .is_some_and(|&last| at.since(last) < debounce)
    }

    /// Records an accepted press.
    pub(crate) fn pressed(&mut self, voter: &Voter, at: Timestamp) {
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
    pub(crate) fn sequence_step(
        &mut self,
        voter: &Voter,
        at: Timestamp,
        window: Duration,
    ) -> usize {
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
    pub(crate) fn active_since(&self, since: Timestamp) -> usize {
        self.last_press.values().filter(|&&t| t >= since).count()
    }
}

/// Who voted one way on the current track: in voting order with a hash set beside it, so the
/// one-vote check stays O(1) however many guests a track has (this is the hot path of every
/// press, and of replay).
///
/// Readers get the same voters as a `VoterSet` the published snapshot shares instead of
/// copying (a track with tens of thousands of guests made that copy the biggest cost of a
/// vote). It is brought up to date when a snapshot asks for it, with only the voters added
/// since the last one, so applying and replaying inputs never pay for it.
#[derive(Debug, Default)]
pub struct VoterList {
    order: Vec<Voter>,
    seen: std::collections::HashSet<Voter>,
    /// The persistent copy for snapshots, and how many of `order` (its first ones) it holds.
    shared: std::sync::Mutex<(VoterSet, usize)>,
}

impl VoterList {
    /// Adds the voter; false if they had already voted this way.
    pub(crate) fn insert(&mut self, voter: &Voter) -> bool {
        if self.seen.contains(voter) {
            return false;
        }
        self.seen.insert(voter.clone());
        self.order.push(voter.clone());
        true
    }
    pub(crate) fn contains(&self, voter: &Voter) -> bool {
        self.seen.contains(voter)
    }
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
    /// Takes the voter's vote back; false if they had not voted this way.
    pub(crate) fn remove(&mut self, voter: &Voter) -> bool {
        if !self.seen.remove(voter) {
            return false;
        }
        let at = self
            .order
            .iter()
            .position(|v| v == voter)
            .expect("seen ⇔ in order");
        self.order.remove(at);
        // A guest changing their mind (a skip replacing their like) is common: take them out
        // of the shared copy too rather than rebuilding it at the next snapshot.
        let (set, synced) = self.shared_mut();
        if at < *synced {
            set.0.remove(voter);
            *synced -= 1;
        }
        true
    }
    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.seen.clear();
        *self.shared_mut() = (VoterSet::default(), 0);
    }
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<Voter> {
        self.order.clone()
    }

    /// The voters as a set to share with readers: O(new voters · log n) since the last call.
    pub(crate) fn shared(&self) -> VoterSet {
        let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        let (set, synced) = &mut *shared;
        for v in &self.order[*synced..] {
            set.0.insert(v.clone());
        }
        *synced = self.order.len();
        set.clone()
    }

    fn shared_mut(&mut self) -> &mut (VoterSet, usize) {
        self.shared.get_mut().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clone for VoterList {
    fn clone(&self) -> Self {
        VoterList {
            order: self.order.clone(),
            seen: self.seen.clone(),
            shared: std::sync::Mutex::new(
                self.shared
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
        }
    }
}

/// Saved (in a checkpoint) as the voters in voting order: the set and the shared copy are
/// caches, rebuilt when read back.
impl serde::Serialize for VoterList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.order.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for VoterList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let order = Vec::<Voter>::deserialize(d)?;
        let seen: std::collections::HashSet<Voter> = order.iter().cloned().collect();
        if seen.len() != order.len() {
            return Err(serde::de::Error::custom("a voter is listed twice"));
        }
        Ok(VoterList {
            order,
            seen,
            shared: Default::default(),
        })
    }
}

/// Equal when the same voters voted in the same order (the snapshot copy is a cache).
impl PartialEq for VoterList {
    fn eq(&self, other: &Self) -> bool {
        self.order == other.order
    }
}

/// A snapshot's voters: a persistent set (cloning it is O(1)), serialised as a sorted list.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct VoterSet(imbl::OrdSet<Voter>);

impl VoterSet {
    pub(crate) fn contains(&self, voter: &Voter) -> bool {
        self.0.contains(voter)
    }
    pub fn to_vec(&self) -> Vec<Voter> {
        self.0.iter().cloned().collect()
    }
}

impl FromIterator<Voter> for VoterSet {
    fn from_iter<I: IntoIterator<Item = Voter>>(iter: I) -> Self {
        VoterSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Votes, changes of mind, new tracks and snapshots in any order: every snapshot's set holds
    /// exactly the voters the list holds, and an earlier snapshot is never changed afterwards.
    #[test]
    fn the_shared_copy_follows_the_list_and_old_snapshots_stay_as_they_were() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let mut list = VoterList::default();
        let mut taken: Vec<(VoterSet, Vec<Voter>)> = Vec::new();
        for _ in 0..20_000 {
            let voter = Voter::guest(&rng.random_range(0..40).to_string());
            match rng.random_range(0..100) {
                0..55 => {
                    list.insert(&voter);
                }
                55..80 => {
                    list.remove(&voter);
                }
                80..81 => list.clear(),
                _ => {
                    let set = list.shared();
                    let mut expected = list.to_vec();
                    expected.sort();
                    assert_eq!(set.to_vec(), expected);
                    taken.push((set, expected));
                }
            }
        }
        assert!(taken.len() > 1000, "the sequence took snapshots");
        for (set, expected) in &taken {
            assert_eq!(&set.to_vec(), expected, "an earlier snapshot changed");
        }
    }
}
