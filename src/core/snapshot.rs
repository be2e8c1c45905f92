//! The read-only view of a party that the dashboard, the HTTP API and attached views draw from.
use super::effect::{KeepReason, LogEntry, TrackResult, WindowState};
use super::rules::Threshold;
use super::time::Timestamp;
use super::track::{Source, Track, TransportState};
use super::voting::VoterSet;
use serde::{Deserialize, Serialize};

/// How many log lines a snapshot carries (newest first).
pub(crate) const SNAPSHOT_LOG_LINES: usize = 100;
/// How many minutes the likes-per-minute sparkline covers.
pub(crate) const SPARKLINE_MINUTES: usize = 30;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When this snapshot was taken (party time).
    pub at: Timestamp,
    pub party: String,
    pub now_playing: Option<NowPlaying>,
    pub votes: Votes,
    pub log: Vec<LogEntry>,
    /// Most-liked tracks of the party, best first (at most 5).
    pub top_tracks: Vec<TrackTally>,
    /// Likes in each of the last SPARKLINE_MINUTES minutes, oldest first.
    pub likes_per_minute: Vec<u64>,
    pub totals: Totals,
    pub buttons: Vec<ButtonStatus>,
    /// Filled in by the app loop from the adapters' reports, not by the core.
    pub health: Vec<SourceHealth>,
    /// Guests' song requests: open and playing ones, and each guest's latest (with its voter;
    /// the guests' view strips it).
    #[serde(default)]
    pub requests: Vec<super::requests::RequestInfo>,
    /// A banner an inbound hook asked for, while it lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
}

/// A banner from an inbound hook (`do = "notice"`), shown until `until` (party time).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub text: String,
    /// The hook's name.
    pub by: String,
    pub until: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NowPlaying {
    pub track: Track,
    pub state: TransportState,
    pub source: Source,
    pub player: String,
    /// Position as last reported, at `position_at`.
    pub position_ms: u64,
    pub position_at: Timestamp,
}

impl NowPlaying {
    /// Position extrapolated to `now` while playing, capped at the duration.
    pub fn position_at(&self, now: Timestamp) -> u64 {
        let mut pos = self.position_ms;
        if self.state == TransportState::Playing {
            pos += now.since(self.position_at).as_millis() as u64;
        }
        match self.track.duration_ms {
            Some(d) => pos.min(d),
            None => pos,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Votes {
    pub likes: u32,
    pub skips: u32,
    /// Skip votes needed now (the threshold resolved against active voters).
    pub needed: u32,
    pub threshold: Threshold,
    pub skip_margin: Option<u32>,
    /// None when nothing is playing.
    pub window: Option<WindowState>,
    pub window_closes_at: Option<Timestamp>,
    pub window_secs: u64,
    pub keep: Option<KeepReason>,
    pub paused: bool,
    /// Shared with the party's copy, not copied (see `VoterList`).
    pub liked_by: VoterSet,
    pub skipped_by: VoterSet,
    /// Voters who pressed lately (the share threshold's base): how many are voting.
    #[serde(default)]
    pub active_voters: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackTally {
    pub key: String,
    pub title: String,
    pub artist: String,
    pub likes: u32,
    pub skips: u32,
    pub result: Option<TrackResult>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub tracks: u32,
    pub likes: u64,
    pub skip_votes: u64,
    pub skips_fired: u32,
    pub presses: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ButtonStatus {
    pub name: String,
    pub last_seen: Option<Timestamp>,
    pub presses: u32,
    pub battery: Option<f32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    Ok,
    Warn,
    Error,
}

/// One adapter's health as the status line shows it: "Sonos: polling (no events for 30 s)".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub name: String,
    pub level: HealthLevel,
    pub detail: String,
}
