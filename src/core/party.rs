//! The party state and `apply`: the one place where inputs become decisions.
//!
//! Everything here is a pure function of (state, input, time). The loop stamps each input with
//! its time, so replaying the journal through `apply` rebuilds exactly the same party.
use super::effect::{Effect, KeepReason, LogEntry, TrackResult, WindowState};
use super::input::{AdapterResult, HostCommand, HostOrder, Input};
use super::rules::{Rules, Threshold, TriggerCondition};
use super::snapshot::{ButtonStatus, Notice, SNAPSHOT_LOG_LINES, Totals, TrackTally};
use super::time::Timestamp;
use super::track::{PlayerUpdate, Source, Track, TransportState};
use super::voting::{VoterBook, VoterList};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet, VecDeque};

/// The track being played now and its votes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Current {
    pub track: Track,
    pub key: String,
    pub source: Source,
    pub player: String,
    pub state: TransportState,
    pub position_ms: u64,
    pub position_at: Timestamp,
    /// When the track started (first seen minus its reported position).
    pub started_at: Timestamp,
    /// None: the window spans the whole track.
    pub window_closes_at: Option<Timestamp>,
    pub window: WindowState,
    /// In the order they voted (the dashboard shows who).
    pub likes: VoterList,
    pub skips: VoterList,
    pub keep: Option<KeepReason>,
    /// Set once a skip is decided, so a track is skipped once and finishes with the right result.
    pub skipped: Option<TrackResult>,
    /// Triggers already fired for this track (each fires at most once per track).
    pub fired: HashSet<String>,
    /// Index of this play in `Party::tallies`.
    pub tally: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub(crate) name: String,
    pub(crate) rules: Rules,
    pub(crate) current: Option<Current>,
    pub(crate) paused: bool,
    pub(crate) voters: VoterBook,
    pub(crate) buttons: Vec<ButtonStatus>,
    pub(crate) log: VecDeque<LogEntry>,
    /// One tally per track played, in order.
    pub(crate) tallies: Vec<TrackTally>,
    /// Counted likes per minute (minute number since the epoch); only recent minutes are kept.
    pub(crate) likes_by_minute: BTreeMap<i64, u64>,
    pub(crate) totals: Totals,
    /// Battery triggers already fired, per (trigger, button): once per party, not per track.
    pub(crate) battery_fired: HashSet<(String, String)>,
    /// A hook's banner; cleared by the first input at or after its end (see `next_deadline`).
    pub(crate) notice: Option<Notice>,
    pub(crate) requests: super::requests::RequestBook,
    /// Whether the rules came from the journal (an `Input::Rules`), not only from the config
    /// the party was opened with: until they have, start journals them.
    #[serde(default)]
    pub(crate) rules_journaled: bool,
}

impl Party {
    pub fn new(name: impl Into<String>, rules: Rules) -> Self {
        let buttons = rules
            .buttons
            .iter()
            .map(|b| ButtonStatus {
                name: b.name.clone(),
                last_seen: None,
                presses: 0,
                battery: None,
            })
            .collect();
        Party {
            name: name.into(),
            rules,
            current: None,
            paused: false,
            voters: VoterBook::default(),
            buttons,
            log: VecDeque::with_capacity(SNAPSHOT_LOG_LINES),
            tallies: Vec::new(),
            likes_by_minute: BTreeMap::new(),
            totals: Totals::default(),
            battery_fired: HashSet::new(),
            notice: None,
            requests: Default::default(),
            rules_journaled: false,
        }
    }

    /// The rules this party decides by now.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Whether `rules` must be journaled before anything else happens: they differ from the
    /// ones in force, or the journal has never said which rules are in force.
    pub fn needs_rules(&self, rules: &Rules) -> bool {
        !self.rules_journaled || self.rules != *rules
    }

    /// New rules from here on. Decisions already made stay as they are; buttons new to the
    /// rules get a status line, and ones no longer configured keep theirs (their presses
    /// happened).
    fn on_rules(&mut self, rules: &Rules, out: &mut Vec<Effect>) {
        // The first rules a journal names are where its party starts, not a change: the rules
        // before them are whatever config.toml says at the time of a replay.
        let changes = if self.rules_journaled {
            rules.changes_from(&self.rules)
        } else {
            Vec::new()
        };
        for b in &rules.buttons {
            if !self.buttons.iter().any(|s| s.name == b.name) {
                self.buttons.push(ButtonStatus {
                    name: b.name.clone(),
                    last_seen: None,
                    presses: 0,
                    battery: None,
                });
            }
        }
        self.rules = rules.clone();
        self.rules_journaled = true;
        if !changes.is_empty() {
            out.push(Effect::RulesChanged { changes });
        }
    }

    /// Applies one input at time `at` and returns what was decided, in order.
    pub fn apply(&mut self, input: &Input, at: Timestamp) -> Vec<Effect> {
        let mut out = Vec::new();
        if self.notice.as_ref().is_some_and(|n| n.until <= at) {
            self.notice = None;
        }
        match input {
            Input::Player(update) => self.on_player(update, at, &mut out),
            Input::Press(press) => self.on_press(press, at, &mut out),
            Input::Host(order) => self.on_host(order, at, &mut out),
            Input::Result(AdapterResult::SkipFailed { track, reason }) => {
                // Let the host (or the votes, after a reset) try again.
                if let Some(cur) = self.current.as_mut().filter(|c| &c.key == track) {
                    cur.skipped = None;
                }
                out.push(Effect::SkipFailed {
                    track: track.clone(),
                    reason: reason.clone(),
                });
            }
            Input::Result(AdapterResult::TriggerFailed { trigger, reason }) => {
                out.push(Effect::TriggerFailed {
                    trigger: trigger.clone(),
                    reason: reason.clone(),
                })
            }
            Input::Hook(call) => self.on_hook(call, at, &mut out),
            Input::Request(request) => self.on_request(request, at, &mut out),
            Input::Tick => self.close_window_if_due(at, &mut out),
            Input::Rules(rules) => self.on_rules(rules, &mut out),
            // What was lost stays lost: the journal says so, the party goes on as it was.
            Input::Gap(_) => {}
        }
        self.requests_after(input, at, &mut out);
        // A deadline may also pass while other inputs arrive; close it in order.
        if !matches!(input, Input::Tick) {
            self.close_window_if_due(at, &mut out);
        }
        for effect in &out {
            if self.log.len() == SNAPSHOT_LOG_LINES {
                self.log.pop_front();
            }
            self.log.push_back(LogEntry {
                at,
                effect: effect.clone(),
            });
        }
        out
    }

    /// When the loop must call `apply(Input::Tick, …)` next, if ever.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let window = self
            .current
            .as_ref()
            .filter(|c| c.window == WindowState::Open)
            .and_then(|c| c.window_closes_at);
        let notice = self.notice.as_ref().map(|n| n.until);
        let expiry = self.requests.next_deadline(&self.rules.requests);
        window.into_iter().chain(notice).chain(expiry).min()
    }

    fn on_player(&mut self, update: &PlayerUpdate, at: Timestamp, out: &mut Vec<Effect>) {
        let Some(track) = update
            .track
            .as_ref()
            .filter(|_| update.state != TransportState::NoMedia)
        else {
            if self.current.is_some() {
                self.finish_current(out);
                out.push(Effect::Play {
                    source: update.source,
                    player: update.player.clone(),
                    state: update.state,
                    track: None,
                    new_track: false,
                });
            }
            return;
        };
        let key = track.key();
        let position = update.position_ms.unwrap_or(0);
        if let Some(cur) = self.current.as_mut().filter(|c| c.key == key) {
            let changed = cur.state != update.state;
            cur.state = update.state;
            cur.position_ms = update.position_ms.unwrap_or(cur.position_ms);
            cur.position_at = at;
            // Richer metadata may arrive later (album art, duration) for the same track.
            cur.track = track.clone();
            if changed {
                out.push(Effect::Play {
                    source: update.source,
                    player: update.player.clone(),
                    state: update.state,
                    track: Some(track.clone()),
                    new_track: false,
                });
            }
            return;
        }
        self.finish_current(out);
        let started_at = at - std::time::Duration::from_millis(position);
        let window_closes_at =
            (!self.rules.vote_window.is_zero()).then(|| started_at + self.rules.vote_window);
        self.tallies.push(TrackTally {
            key: key.clone(),
            title: track.title.clone(),
            artist: track.artist.clone(),
            likes: 0,
            skips: 0,
            result: None,
        });
        self.totals.tracks += 1;
        self.current = Some(Current {
            keep: self.protection(track),
            track: track.clone(),
            key,
            source: update.source,
            player: update.player.clone(),
            state: update.state,
            position_ms: position,
            position_at: at,
            started_at,
            window_closes_at,
            window: WindowState::Open,
            likes: VoterList::default(),
            skips: VoterList::default(),
            skipped: None,
            fired: HashSet::new(),
            tally: self.tallies.len() - 1,
        });
        out.push(Effect::Play {
            source: update.source,
            player: update.player.clone(),
            state: update.state,
            track: Some(track.clone()),
            new_track: true,
        });
        self.track_start_triggers(out);
    }

    /// A protected artist (by name or Spotify id) or track (by title or id) is never vote-skipped.
    fn protection(&self, track: &Track) -> Option<KeepReason> {
        let eq = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        if let Some(p) = self.rules.protected_artists.iter().find(|p| {
            eq(p, &track.artist)
                || track.artist.split(',').any(|a| eq(p, a))
                || track.artist_ids.iter().any(|id| eq(p, id))
        }) {
            return Some(KeepReason::ProtectedArtist(p.clone()));
        }
        self.rules
            .protected_tracks
            .iter()
            .find(|p| eq(p, &track.title) || track.id.as_deref().is_some_and(|id| eq(p, id)))
            .map(|p| KeepReason::ProtectedTrack(p.clone()))
    }

    /// Closes the current track's turn: window result if still open, final tally, triggers.
    fn finish_current(&mut self, out: &mut Vec<Effect>) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let (likes, skips) = (cur.likes.len() as u32, cur.skips.len() as u32);
        let result = cur.skipped.unwrap_or(TrackResult::Played);
        self.tallies[cur.tally].result = Some(result);
        out.push(Effect::TrackFinished {
            track: cur.key.clone(),
            title: cur.track.title.clone(),
            artist: cur.track.artist.clone(),
            likes,
            skips,
            result,
        });
        if skips == 0 && result == TrackResult::Played {
            for t in &self.rules.triggers {
                if t.when == TriggerCondition::FinishedWithoutSkipVotes {
                    out.push(Effect::trigger_fired(
                        t.name.clone(),
                        Some(cur.track.clone()),
                        likes,
                        skips,
                    ));
                }
            }
        }
    }

    /// Runs after every input, so the common case (nothing due) must not count voters.
    fn close_window_if_due(&mut self, at: Timestamp, out: &mut Vec<Effect>) {
        let due = self.current.as_ref().is_some_and(|c| {
            c.window == WindowState::Open && c.window_closes_at.is_some_and(|t| t <= at)
        });
        if !due {
            return;
        }
        let needed = self.needed(at);
        if let Some(cur) = self.current.as_mut() {
            cur.window = WindowState::Closed;
            out.push(Effect::WindowResult {
                track: cur.key.clone(),
                window: WindowState::Closed,
                likes: cur.likes.len() as u32,
                skips: cur.skips.len() as u32,
                needed,
            });
        }
    }

    /// Voters who pressed within the active window up to `at`.
    pub(crate) fn active_voters(&self, at: Timestamp) -> u32 {
        let n = self.voters.active_since(at - self.rules.active_window);
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Skip votes needed now: the count, or the share of voters active lately (never below the minimum).
    pub(crate) fn needed(&self, at: Timestamp) -> u32 {
        match self.rules.skip_threshold {
            Threshold::Count(n) => n,
            Threshold::Percent(p) => {
                let active = self.voters.active_since(at - self.rules.active_window) as u64;
                let share = (active * p as u64).div_ceil(100) as u32;
                share.max(self.rules.skip_threshold_min).max(1)
            }
        }
    }

    fn on_host(&mut self, order: &HostOrder, at: Timestamp, out: &mut Vec<Effect>) {
        let cmd = &order.command;
        out.push(Effect::Host {
            command: cmd.clone(),
            by: order.by.clone(),
        });
        match cmd {
            HostCommand::SkipNow => self.decide_skip(at, true, out),
            HostCommand::Keep(on) => {
                if let Some(cur) = self.current.as_mut() {
                    cur.keep = on.then_some(KeepReason::Host);
                }
                // Lifting a keep lets votes already cast take effect.
                self.decide_if_enough(at, out);
            }
            // Reset is the host's "start the skip vote over": the likes a track earned stay,
            // so the report and the likes/min total keep agreeing.
            HostCommand::ResetVotes => {
                if let Some(cur) = self.current.as_mut() {
                    cur.skips.clear();
                    self.tallies[cur.tally].skips = 0;
                }
            }
            HostCommand::PauseVoting => self.paused = true,
            HostCommand::ResumeVoting => self.paused = false,
            HostCommand::ApproveRequest(id) => self.requests.decide(*id, true, &order.by, out),
            HostCommand::RejectRequest(id) => self.requests.decide(*id, false, &order.by, out),
            HostCommand::SetThreshold(t) => {
                self.rules.skip_threshold = *t;
                self.decide_if_enough(at, out);
            }
            // The player carries it out (the loop sees the Host effect); the core learns of the
            // track when the player reports it.
            HostCommand::PlayPrevious => {}
            HostCommand::SetWindow(secs) => {
                self.rules.vote_window = std::time::Duration::from_secs(*secs);
                if let Some(cur) = self
                    .current
                    .as_mut()
                    .filter(|c| c.window == WindowState::Open)
                {
                    cur.window_closes_at =
                        (*secs > 0).then(|| cur.started_at + self.rules.vote_window);
                }
                // A shorter window may already have run out: the tail of `apply` closes it.
            }
        }
    }

    /// Skips the current track when the votes are enough and nothing protects it.
    pub(crate) fn decide_if_enough(&mut self, at: Timestamp, out: &mut Vec<Effect>) {
        let needed = self.needed(at);
        let margin = self.rules.skip_margin;
        let Some(cur) = self.current.as_ref() else {
            return;
        };
        let (likes, skips) = (cur.likes.len() as u32, cur.skips.len() as u32);
        let enough = skips >= needed && margin.is_none_or(|m| skips >= likes + m);
        if enough
            && cur.window == WindowState::Open
            && cur.keep.is_none()
            && cur.skipped.is_none()
            && !self.paused
        {
            self.decide_skip(at, false, out);
        }
    }

    /// The party (or the host) has spoken: tell the player, record why, fire skip triggers.
    fn decide_skip(&mut self, at: Timestamp, by_host: bool, out: &mut Vec<Effect>) {
        let needed = self.needed(at);
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        if cur.skipped.is_some() && !by_host {
            return;
        }
        let (likes, skips) = (cur.likes.len() as u32, cur.skips.len() as u32);
        // The host may repeat a skip (the player may have missed it); count the track once.
        if cur.skipped.is_none() {
            self.totals.skips_fired += 1;
        }
        cur.skipped = Some(if by_host {
            TrackResult::SkippedByHost
        } else {
            TrackResult::SkippedByVotes
        });
        out.push(Effect::SkipDecided {
            track: cur.key.clone(),
            title: cur.track.title.clone(),
            likes,
            skips,
            needed,
            by_host,
        });
        if !by_host && cur.window == WindowState::Open {
            cur.window = WindowState::Won;
            out.push(Effect::WindowResult {
                track: cur.key.clone(),
                window: WindowState::Won,
                likes,
                skips,
                needed,
            });
        }
        let track = cur.track.clone();
        for t in &self.rules.triggers {
            if t.when == TriggerCondition::SkipFired && cur.fired.insert(t.name.clone()) {
                out.push(Effect::trigger_fired(
                    t.name.clone(),
                    Some(track.clone()),
                    likes,
                    skips,
                ));
            }
        }
    }
}
