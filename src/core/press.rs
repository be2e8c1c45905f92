//! What one press does: debounce, map the click to an action, then count it under the rules.
use super::effect::{Effect, KeepReason, PressResult, WindowState};
use super::input::{Action, Origin, Press, PressKind, Voter};
use super::party::Party;
use super::rules::{ButtonActions, TriggerCondition};
use super::snapshot::ButtonStatus;
use super::time::Timestamp;
use std::time::Duration;

/// Unconfigured buttons the party lists at most (see `button_seen`).
pub const MAX_UNCONFIGURED_BUTTONS: usize = 16;

impl Party {
    pub(crate) fn on_press(&mut self, press: &Press, at: Timestamp, out: &mut Vec<Effect>) {
        self.totals.presses += 1;
        let voter = &press.voter;
        let rule_idx = voter
            .button_name()
            .and_then(|name| self.rules.buttons.iter().position(|b| b.name == name));
        let rule = rule_idx.map(|i| &self.rules.buttons[i]);
        // Only network buttons bounce (Dash bursts, webhook retries). Sequence buttons are
        // pressed in quick succession on purpose, so their default debounce is none.
        let debounce = match (press.origin, rule) {
            (Origin::Dash | Origin::WebButton | Origin::Iot, Some(r)) => {
                r.debounce.unwrap_or(match r.actions {
                    ButtonActions::Sequence(_) => Duration::ZERO,
                    _ => self.rules.debounce,
                })
            }
            (Origin::Dash | Origin::WebButton | Origin::Iot, None) => self.rules.debounce,
            _ => Duration::ZERO,
        };
        let debounced = self.voters.debounced(voter, at, debounce);
        if let Some(name) = voter.button_name() {
            self.button_seen(name, at, press.battery, !debounced);
        }
        let click = match press.kind {
            PressKind::Click(c) => Some(c),
            PressKind::Vote(_) => None,
        };
        if debounced {
            self.push_press(press, click, None, PressResult::Debounced, out);
            return;
        }
        self.voters.pressed(voter, at);
        let rule = rule_idx.map(|i| &self.rules.buttons[i]);
        // A sequence step: its 1-based number and the triggers it names.
        let mut step: Option<(u32, Vec<String>)> = None;
        let action = match (press.kind, rule) {
            (PressKind::Vote(a), _) => Some(a),
            (PressKind::Click(c), Some(r)) => match &r.actions {
                ButtonActions::Sequence(seq) if !seq.is_empty() => {
                    let n = self
                        .voters
                        .sequence_step(voter, at, self.rules.sequence_window)
                        .min(seq.len() - 1);
                    step = Some((n as u32 + 1, seq[n].notify.clone()));
                    seq[n].action
                }
                actions => actions.for_click(c),
            },
            (PressKind::Click(_), None) => None,
        };
        let notifies = step.as_ref().is_some_and(|(_, names)| !names.is_empty());
        let result = match action {
            None if notifies => PressResult::Notified,
            None | Some(Action::Ignore) => PressResult::Unmapped,
            Some(_) if self.paused => PressResult::VotingPaused,
            Some(_) if self.current.is_none() => PressResult::NothingPlaying,
            Some(a) => self.count(voter, a, at),
        };
        self.push_press(press, click, action, result, out);
        // The step's triggers fire whatever the vote's fate (nothing playing, voting paused):
        // the press itself is the message.
        if let Some((n, names)) = step {
            self.step_triggers(voter, n, &names, out);
        }
        match (action, result) {
            (Some(Action::Like), PressResult::Counted) => self.like_triggers(out),
            (Some(Action::Skip), PressResult::Counted) => self.decide_if_enough(at, out),
            _ => {}
        }
        self.press_triggers(voter, out);
        self.battery_triggers(press, out);
    }

    /// Counts a vote on the current track (which exists).
    fn count(&mut self, voter: &Voter, action: Action, at: Timestamp) -> PressResult {
        let cur = self.current.as_mut().expect("checked by the caller");
        let tally = &mut self.tallies[cur.tally];
        match action {
            Action::Like if !cur.likes.insert(voter) => PressResult::Duplicate,
            Action::Like => {
                // One stance per guest per track: a like replaces their skip vote. A button
                // is shared by many hands, so its like and skip both stand.
                if voter.button_name().is_none() && cur.skips.remove(voter) {
                    tally.skips = tally.skips.saturating_sub(1);
                    self.totals.skip_votes = self.totals.skip_votes.saturating_sub(1);
                }
                tally.likes += 1;
                self.totals.likes += 1;
                *self
                    .likes_by_minute
                    .entry(at.0.div_euclid(60_000))
                    .or_default() += 1;
                // Keep only what the sparkline shows (plus one minute of slack).
                let keep_from = at.0.div_euclid(60_000) - super::snapshot::SPARKLINE_MINUTES as i64;
                while self
                    .likes_by_minute
                    .first_key_value()
                    .is_some_and(|(&m, _)| m < keep_from)
                {
                    self.likes_by_minute.pop_first();
                }
                PressResult::Counted
            }
            Action::Skip if cur.skips.contains(voter) => PressResult::Duplicate,
            Action::Skip if cur.window != WindowState::Open => PressResult::WindowClosed,
            Action::Skip if !cur.skips.insert(voter) => PressResult::Duplicate,
            Action::Skip => {
                // …and a skip vote replaces their like, so each guest counts once.
                if voter.button_name().is_none() && cur.likes.remove(voter) {
                    tally.likes = tally.likes.saturating_sub(1);
                    self.totals.likes = self.totals.likes.saturating_sub(1);
                    // The like was cast during this track: take it from the latest minute that has one.
                    if let Some((_, n)) =
                        self.likes_by_minute.iter_mut().rev().find(|(_, n)| **n > 0)
                    {
                        *n -= 1;
                    }
                }
                tally.skips += 1;
                self.totals.skip_votes += 1;
                if cur.keep.is_some() {
                    PressResult::Protected
                } else {
                    PressResult::Counted
                }
            }
            Action::Keep => {
                if cur.keep.is_none() {
                    cur.keep = Some(KeepReason::Voter(voter.to_string()));
                }
                PressResult::Counted
            }
            Action::Ignore => PressResult::Unmapped,
        }
    }

    fn push_press(
        &self,
        press: &Press,
        click: Option<super::input::ClickKind>,
        action: Option<Action>,
        result: PressResult,
        out: &mut Vec<Effect>,
    ) {
        let cur = self.current.as_ref();
        out.push(Effect::Press {
            voter: press.voter.clone(),
            origin: press.origin,
            click,
            action,
            result,
            track: cur.map(|c| c.key.clone()),
            likes: cur.map_or(0, |c| c.likes.len() as u32),
            skips: cur.map_or(0, |c| c.skips.len() as u32),
            battery: press.battery,
        });
    }

    fn button_seen(&mut self, name: &str, at: Timestamp, battery: Option<f32>, accepted: bool) {
        let idx = match self.buttons.iter().position(|b| b.name == name) {
            Some(i) => i,
            // Unconfigured buttons are shown too, so the host can see who is knocking, but only
            // a few: journals written before unknown calls stopped being journaled can hold
            // thousands of made-up ids.
            None if self.buttons.len() >= self.rules.buttons.len() + MAX_UNCONFIGURED_BUTTONS => {
                return;
            }
            None => {
                self.buttons.push(ButtonStatus {
                    name: name.to_string(),
                    last_seen: None,
                    presses: 0,
                    battery: None,
                });
                self.buttons.len() - 1
            }
        };
        let b = &mut self.buttons[idx];
        b.last_seen = Some(at);
        b.presses += accepted as u32;
        if battery.is_some() {
            b.battery = battery;
        }
    }

    fn like_triggers(&mut self, out: &mut Vec<Effect>) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let likes = cur.likes.len() as u32;
        for t in &self.rules.triggers {
            if let TriggerCondition::LikesAtLeast(n) = t.when
                && likes >= n
                && cur.fired.insert(t.name.clone())
            {
                out.push(Effect::trigger_fired(
                    t.name.clone(),
                    Some(cur.track.clone()),
                    likes,
                    cur.skips.len() as u32,
                ));
            }
        }
    }

    /// A low battery is worth telling the host once per button, not on every press.
    fn battery_triggers(&mut self, press: &Press, out: &mut Vec<Effect>) {
        let (Some(level), Some(button)) = (press.battery, press.voter.button_name()) else {
            return;
        };
        for t in &self.rules.triggers {
            if let TriggerCondition::BatteryBelow(limit) = t.when
                && level < limit
                && self
                    .battery_fired
                    .insert((t.name.clone(), button.to_string()))
            {
                let cur = self.current.as_ref();
                out.push(Effect::TriggerFired {
                    trigger: t.name.clone(),
                    track: cur.map(|c| c.track.clone()),
                    likes: cur.map_or(0, |c| c.likes.len() as u32),
                    skips: cur.map_or(0, |c| c.skips.len() as u32),
                    button: Some(button.to_string()),
                    battery: Some(level),
                    step: None,
                    press_count: None,
                    hook: None,
                    requester: None,
                });
            }
        }
    }
}
