//! Triggers that tell people something: press-sequence steps that name triggers, `on = "press"`
//! and `on = "track_start"` conditions, and inbound hooks (notices, chained triggers). The core
//! only decides (`Effect::TriggerFired`, `Effect::Notice`); the trigger outlet makes the calls.
use super::effect::Effect;
use super::input::{HookCall, Voter};
use super::party::Party;
use super::rules::TriggerCondition;
use super::snapshot::Notice;
use super::time::Timestamp;
use std::time::Duration;

/// A notice longer than a day is a typo; shorter than a second is never seen.
pub(crate) const NOTICE_SECS_MAX: u64 = 24 * 3600;

impl Party {
    /// One firing of `trigger` with the current track and tally filled in.
    fn fire(&self, trigger: &str) -> Effect {
        let cur = self.current.as_ref();
        Effect::trigger_fired(
            trigger,
            cur.map(|c| c.track.clone()),
            cur.map_or(0, |c| c.likes.len() as u32),
            cur.map_or(0, |c| c.skips.len() as u32),
        )
    }

    /// The same, for a press by `voter` (a button fills in its name and press count).
    fn fire_for_press(&self, trigger: &str, voter: &Voter, step: Option<u32>) -> Effect {
        let mut effect = self.fire(trigger);
        if let Effect::TriggerFired {
            button,
            press_count,
            step: s,
            ..
        } = &mut effect
        {
            *s = step;
            if let Some(name) = voter.button_name() {
                *button = Some(name.to_string());
                *press_count = self
                    .buttons
                    .iter()
                    .find(|b| b.name == name)
                    .map(|b| b.presses);
            }
        }
        effect
    }

    /// A sequence step's triggers, in the order the step names them.
    pub(crate) fn step_triggers(
        &self,
        voter: &Voter,
        step: u32,
        names: &[String],
        out: &mut Vec<Effect>,
    ) {
        for name in names {
            out.push(self.fire_for_press(name, voter, Some(step)));
        }
    }

    /// `on = "press"`: every accepted press, or one button's.
    pub(crate) fn press_triggers(&self, voter: &Voter, out: &mut Vec<Effect>) {
        for t in &self.rules.triggers {
            if let TriggerCondition::Press { button } = &t.when
                && button
                    .as_deref()
                    .is_none_or(|b| voter.button_name() == Some(b))
            {
                out.push(self.fire_for_press(&t.name, voter, None));
            }
        }
    }

    /// `on = "track_start"`, right after the new track's `Play`.
    pub(crate) fn track_start_triggers(&self, out: &mut Vec<Effect>) {
        for t in &self.rules.triggers {
            if t.when == TriggerCondition::TrackStart {
                out.push(self.fire(&t.name));
            }
        }
    }

    pub(crate) fn on_hook(&mut self, call: &HookCall, at: Timestamp, out: &mut Vec<Effect>) {
        match call {
            HookCall::Notice { hook, text, secs } => {
                let until = at + Duration::from_secs((*secs).clamp(1, NOTICE_SECS_MAX));
                self.notice = Some(Notice {
                    text: text.clone(),
                    by: hook.clone(),
                    until,
                });
                out.push(Effect::Notice {
                    hook: hook.clone(),
                    text: text.clone(),
                    until,
                });
            }
            HookCall::Trigger { hook, trigger } => {
                let mut effect = self.fire(trigger);
                if let Effect::TriggerFired { hook: h, .. } = &mut effect {
                    *h = Some(hook.clone());
                }
                out.push(effect);
            }
        }
    }
}
