//! Guests' song requests: the rules that admit or refuse them, the queue, and matching what
//! plays against open requests. Pure like the rest of the core: the player adapter queues the
//! track (`RequestEvent::Queue`) and reports back (`RequestInput::Queued` / `Failed`).
use super::effect::Effect;
use super::input::{CommandSource, Voter};
use super::time::Timestamp;
use super::track::Track;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub use super::request_events::RequestEvent;

pub(crate) const DEFAULT_OPEN_PER_GUEST: u32 = 1;
pub(crate) const DEFAULT_QUEUE_LENGTH: u32 = 20;
pub(crate) const DEFAULT_REPEAT: Duration = Duration::from_secs(60 * 60);
pub(crate) const DEFAULT_EXPIRE: Duration = Duration::from_secs(90 * 60);

/// Who lets a request into the queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Every request that passes the rules is queued at once.
    #[default]
    Auto,
    /// The host approves or rejects each one (dashboard keys, admin API).
    Host,
}

/// `[requests]` as the core applies it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRules {
    pub enabled: bool,
    /// Requests one guest may have waiting at once.
    pub open_per_guest: u32,
    /// Requests waiting for everyone at once.
    pub queue_length: u32,
    /// A track requested or played this recently cannot be requested again; zero: no limit.
    pub repeat: Duration,
    pub approval: Approval,
    /// A request that has not started playing this long after it was made expires; zero: never.
    pub expire: Duration,
}

impl Default for RequestRules {
    fn default() -> Self {
        RequestRules {
            enabled: true,
            open_per_guest: DEFAULT_OPEN_PER_GUEST,
            queue_length: DEFAULT_QUEUE_LENGTH,
            repeat: DEFAULT_REPEAT,
            approval: Approval::Auto,
            expire: DEFAULT_EXPIRE,
        }
    }
}

/// The track a guest asked for, as search described it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RequestedTrack {
    /// `spotify:track:<id>` (or a demo track's id in the demo).
    pub uri: String,
    pub title: String,
    #[serde(default)]
    pub artist: String,
    #[serde(default)]
    pub album: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// Journaled request inputs: a guest's ask and the player's answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "request")]
pub enum RequestInput {
    Ask {
        voter: Voter,
        track: RequestedTrack,
    },
    /// The player took the track into its queue.
    Queued {
        id: u64,
    },
    /// The player could not queue it; `reason` in plain words.
    Failed {
        id: u64,
        reason: String,
    },
}

/// Where a request stands. `contract` gives the words the page and scripts see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the host.
    Pending,
    /// Sent to the player, not yet confirmed.
    Queueing,
    Queued,
    Playing,
    Played,
    /// The rules said no.
    Refused,
    /// The host said no.
    Rejected,
    Failed,
    Expired,
}

impl RequestStatus {
    /// `pending|queued|playing|played|refused|failed|expired` (the API contract).
    pub fn contract(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Queueing | RequestStatus::Queued => "queued",
            RequestStatus::Playing => "playing",
            RequestStatus::Played => "played",
            RequestStatus::Refused | RequestStatus::Rejected => "refused",
            RequestStatus::Failed => "failed",
            RequestStatus::Expired => "expired",
        }
    }
    /// Still waiting to play: counts against the guest's and the queue's limits.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestStatus::Pending | RequestStatus::Queueing | RequestStatus::Queued
        )
    }
}

/// One request as readers see it (the dashboard sees the voter; guests only their own).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestInfo {
    pub id: u64,
    pub voter: Voter,
    pub track: RequestedTrack,
    pub status: RequestStatus,
    /// Why, in the guest's words, for refused, failed and expired requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub asked_at: Timestamp,
    /// Likes the track got while it played, credited to its requester.
    #[serde(default)]
    pub likes: u32,
}

/// All requests of the party.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RequestBook {
    next_id: u64,
    /// Open, playing and each guest's latest; older closed ones are dropped.
    requests: BTreeMap<u64, RequestInfo>,
    /// Each guest's latest request.
    latest: BTreeMap<Voter, u64>,
    /// When each track (by its match reference) last started playing or was last requested.
    recent: BTreeMap<String, Timestamp>,
    /// The request playing now, if what plays is one.
    playing: Option<u64>,
}

/// The reference two tracks match by: `spotify:track:<22-char id>` wherever it appears (a plain
/// Spotify URI, or a Sonos `x-sonos-spotify:spotify%3atrack%3a<id>?sid=…`), else the whole id.
pub fn match_ref(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    for marker in ["spotify:track:", "spotify%3atrack%3a"] {
        if let Some(pos) = lower.find(marker) {
            let start = pos + marker.len();
            let rest = &id[start..];
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            if end == 22 {
                return format!("spotify:track:{}", &rest[..end]);
            }
        }
    }
    id.to_string()
}

fn same_words(a: &str, b: &str) -> bool {
    !a.trim().is_empty() && a.trim().eq_ignore_ascii_case(b.trim())
}

/// Whether a playing track is this request: by id, else (relinked to another id for the
/// market) by title and artist.
fn is_same_track(track: &Track, req: &RequestedTrack) -> bool {
    if let Some(id) = track.id.as_deref().filter(|i| !i.is_empty())
        && match_ref(id) == match_ref(&req.uri)
    {
        return true;
    }
    same_words(&track.title, &req.title) && same_words(&track.artist, &req.artist)
}

impl RequestBook {
    /// Open and playing requests in the order they were made, then each guest's latest closed one.
    pub(crate) fn list(&self) -> Vec<RequestInfo> {
        self.requests.values().cloned().collect()
    }

    pub(crate) fn ask(
        &mut self,
        rules: &RequestRules,
        voter: &Voter,
        track: &RequestedTrack,
        at: Timestamp,
        out: &mut Vec<Effect>,
    ) {
        self.next_id += 1;
        let id = self.next_id;
        let refusal = self.refusal(rules, voter, track, at);
        // A guest's earlier closed request is forgotten once they ask again.
        if let Some(prev) = self.latest.insert(voter.clone(), id)
            && self
                .requests
                .get(&prev)
                .is_some_and(|r| !r.status.is_open() && r.status != RequestStatus::Playing)
        {
            self.requests.remove(&prev);
        }
        let mut info = RequestInfo {
            id,
            voter: voter.clone(),
            track: track.clone(),
            status: RequestStatus::Refused,
            reason: None,
            asked_at: at,
            likes: 0,
        };
        if let Some(reason) = refusal {
            info.reason = Some(reason.clone());
            self.requests.insert(id, info);
            out.push(Effect::Request(RequestEvent::Refused {
                id,
                voter: voter.clone(),
                title: track.title.clone(),
                reason,
            }));
            return;
        }
        self.recent.insert(match_ref(&track.uri), at);
        match rules.approval {
            Approval::Host => {
                info.status = RequestStatus::Pending;
                out.push(Effect::Request(RequestEvent::Pending {
                    id,
                    voter: voter.clone(),
                    title: track.title.clone(),
                    artist: track.artist.clone(),
                }));
            }
            Approval::Auto => {
                info.status = RequestStatus::Queueing;
                out.push(Effect::Request(RequestEvent::Queue {
                    id,
                    track: track.clone(),
                }));
            }
        }
        self.requests.insert(id, info);
    }

    /// Why the rules refuse this request, in the guest's words; None: admitted.
    fn refusal(
        &self,
        rules: &RequestRules,
        voter: &Voter,
        track: &RequestedTrack,
        at: Timestamp,
    ) -> Option<String> {
        if !rules.enabled {
            return Some("Requests are off tonight.".into());
        }
        let open = self.requests.values().filter(|r| r.status.is_open());
        let mine = open.clone().filter(|r| &r.voter == voter).count() as u32;
        if mine >= rules.open_per_guest {
            return Some(if rules.open_per_guest == 1 {
                "You already have a song waiting: one at a time, please.".into()
            } else {
                format!("You already have {mine} songs waiting; that is the most anyone can have.")
            });
        }
        if open.count() as u32 >= rules.queue_length {
            return Some("The request queue is full: try again after a few songs.".into());
        }
        let key = match_ref(&track.uri);
        if let Some(&when) = self.recent.get(&key)
            && (rules.repeat.is_zero() || at.since(when) < rules.repeat)
        {
            let mins = rules.repeat.as_secs().div_ceil(60);
            return Some(if rules.repeat.is_zero() {
                "That song has had its turn tonight: pick another one.".into()
            } else {
                format!(
                    "That song was requested or played in the last {mins} minutes: pick another one."
                )
            });
        }
        None
    }

    /// The host says yes or no to a pending request.
    pub(crate) fn decide(
        &mut self,
        id: u64,
        approve: bool,
        by: &CommandSource,
        out: &mut Vec<Effect>,
    ) {
        let Some(r) = self
            .requests
            .get_mut(&id)
            .filter(|r| r.status == RequestStatus::Pending)
        else {
            return;
        };
        if approve {
            r.status = RequestStatus::Queueing;
            out.push(Effect::Request(RequestEvent::Queue {
                id,
                track: r.track.clone(),
            }));
        } else {
            r.status = RequestStatus::Rejected;
            r.reason = Some("The host said no to this one.".into());
            // A rejected track may be asked for again.
            self.recent.remove(&match_ref(&r.track.uri));
            out.push(Effect::Request(RequestEvent::Rejected {
                id,
                title: r.track.title.clone(),
                by: by.clone(),
            }));
        }
    }

    /// The player's answer to a `Queue` effect.
    pub(crate) fn player_answer(&mut self, input: &RequestInput, out: &mut Vec<Effect>) {
        match input {
            RequestInput::Queued { id } => {
                if let Some(r) = self
                    .requests
                    .get_mut(id)
                    .filter(|r| r.status == RequestStatus::Queueing)
                {
                    r.status = RequestStatus::Queued;
                    out.push(Effect::Request(RequestEvent::Queued {
                        id: *id,
                        title: r.track.title.clone(),
                    }));
                }
            }
            RequestInput::Failed { id, reason } => {
                if let Some(r) = self
                    .requests
                    .get_mut(id)
                    .filter(|r| r.status == RequestStatus::Queueing)
                {
                    r.status = RequestStatus::Failed;
                    r.reason = Some(reason.clone());
                    self.recent.remove(&match_ref(&r.track.uri));
                    out.push(Effect::Request(RequestEvent::Failed {
                        id: *id,
                        title: r.track.title.clone(),
                        reason: reason.clone(),
                    }));
                }
            }
            RequestInput::Ask { .. } => {}
        }
    }

    /// A new track started: the request that was playing has played; the new one may be a request.
    /// Returns the request now playing.
    pub(crate) fn track_started(
        &mut self,
        track: &Track,
        at: Timestamp,
        out: &mut Vec<Effect>,
    ) -> Option<&RequestInfo> {
        self.track_stopped(out);
        if let Some(id) = track.id.as_deref() {
            self.recent.insert(match_ref(id), at);
        }
        let id = self
            .requests
            .values()
            .find(|r| {
                matches!(r.status, RequestStatus::Queueing | RequestStatus::Queued)
                    && is_same_track(track, &r.track)
            })?
            .id;
        let r = self.requests.get_mut(&id)?;
        r.status = RequestStatus::Playing;
        self.playing = Some(id);
        out.push(Effect::Request(RequestEvent::Playing {
            id,
            voter: r.voter.clone(),
            title: r.track.title.clone(),
            artist: r.track.artist.clone(),
        }));
        Some(r)
    }

    /// Nothing plays any more, or something else does.
    pub(crate) fn track_stopped(&mut self, out: &mut Vec<Effect>) {
        let Some(id) = self.playing.take() else {
            return;
        };
        if let Some(r) = self.requests.get_mut(&id) {
            r.status = RequestStatus::Played;
            out.push(Effect::Request(RequestEvent::Played {
                id,
                voter: r.voter.clone(),
                title: r.track.title.clone(),
                likes: r.likes,
            }));
        }
    }

    /// The playing request's track has `likes` now: its requester is credited with them (the
    /// track's own count, so a like a guest takes back by voting skip is taken back here too).
    pub(crate) fn credit_likes(&mut self, likes: u32) {
        if let Some(r) = self.playing.and_then(|id| self.requests.get_mut(&id)) {
            r.likes = likes;
        }
    }

    /// The earliest moment an open request expires.
    pub(crate) fn next_deadline(&self, rules: &RequestRules) -> Option<Timestamp> {
        if rules.expire.is_zero() {
            return None;
        }
        self.requests
            .values()
            .filter(|r| r.status.is_open())
            .map(|r| r.asked_at + rules.expire)
            .min()
    }

    pub(crate) fn expire_due(
        &mut self,
        rules: &RequestRules,
        at: Timestamp,
        out: &mut Vec<Effect>,
    ) {
        if rules.expire.is_zero() {
            return;
        }
        let mins = rules.expire.as_secs().div_ceil(60);
        for r in self.requests.values_mut() {
            if r.status.is_open() && r.asked_at + rules.expire <= at {
                r.status = RequestStatus::Expired;
                r.reason = Some(format!("It did not come up within {mins} minutes."));
                out.push(Effect::Request(RequestEvent::Expired {
                    id: r.id,
                    title: r.track.title.clone(),
                }));
            }
        }
    }
}
