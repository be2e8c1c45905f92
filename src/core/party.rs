//! The party state and `apply`. (Stub: to be filled in.)
use super::effect::Effect;
use super::input::Input;
use super::rules::Rules;
use super::snapshot::Snapshot;
use super::time::Timestamp;

#[derive(Clone, Debug, PartialEq)]
pub struct Party {
    rules: Rules,
    name: String,
}

impl Party {
    pub fn new(name: impl Into<String>, rules: Rules) -> Self {
        Party {
            rules,
            name: name.into(),
        }
    }
    pub fn rules(&self) -> &Rules {
        &self.rules
    }
    pub fn apply(&mut self, _input: &Input, _at: Timestamp) -> Vec<Effect> {
        Vec::new()
    }
    pub fn next_deadline(&self) -> Option<Timestamp> {
        None
    }
    pub fn snapshot(&self, at: Timestamp) -> Snapshot {
        Snapshot {
            at,
            party: self.name.clone(),
            ..Snapshot::default()
        }
    }
}
