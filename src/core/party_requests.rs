//! Where song requests meet the rest of the party: a guest's ask, the player's answers, what
//! starts playing, likes on a requested track, and expiry. The rules live in `requests.rs`.
use super::effect::Effect;
use super::input::Input;
use super::party::Party;
use super::requests::RequestInput;
use super::rules::TriggerCondition;
use super::time::Timestamp;

impl Party {
    pub(crate) fn on_request(
        &mut self,
        input: &RequestInput,
        at: Timestamp,
        out: &mut Vec<Effect>,
    ) {
        match input {
            RequestInput::Ask { voter, track } => {
                self.requests
                    .ask(&self.rules.requests, voter, track, at, out)
            }
            answer => self.requests.player_answer(answer, out),
        }
    }

    /// Runs after every input, on the effects it produced.
    pub(crate) fn requests_after(&mut self, input: &Input, at: Timestamp, out: &mut Vec<Effect>) {
        match input {
            Input::Player(_) => {
                let started = out.iter().find_map(|e| match e {
                    Effect::Play {
                        track: Some(t),
                        new_track: true,
                        ..
                    } => Some(t.clone()),
                    _ => None,
                });
                let stopped = out
                    .iter()
                    .any(|e| matches!(e, Effect::Play { track: None, .. }));
                if let Some(track) = started {
                    let requester = self
                        .requests
                        .track_started(&track, at, out)
                        .map(|r| r.voter.to_string());
                    if let Some(requester) = requester {
                        for t in &self.rules.triggers {
                            if t.when == TriggerCondition::RequestPlayed {
                                out.push(Effect::TriggerFired {
                                    trigger: t.name.clone(),
                                    track: Some(track.clone()),
                                    likes: 0,
                                    skips: 0,
                                    button: None,
                                    battery: None,
                                    step: None,
                                    press_count: None,
                                    hook: None,
                                    requester: Some(requester.clone()),
                                });
                            }
                        }
                    }
                } else if stopped {
                    self.requests.track_stopped(out);
                }
            }
            Input::Press(_) => {
                if let Some(cur) = &self.current {
                    self.requests.credit_likes(cur.likes.len() as u32);
                }
            }
            _ => {}
        }
        self.requests.expire_due(&self.rules.requests, at, out);
    }
}
