//! What the core decided. Every effect is journaled, logged and exported; adapters act on
//! the variants that concern them (`SkipDecided` → the player skips, `TriggerFired` → webhook).
use super::input::{Action, ClickKind, CommandSource, HostCommand, Origin, Voter};
use super::time::Timestamp;
use super::track::{Source, Track, TransportState};
use serde::{Deserialize, Serialize};

/// Why a press changed what it changed (or nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PressResult {
    Counted,
    /// This voter already cast this kind of vote on this track.
    Duplicate,
    /// A repeat from the same voter inside its debounce.
    Debounced,
    /// A skip vote after the vote window closed (or after the skip was won).
    WindowClosed,
    /// Counted, but the track is kept (host or protected artist/track): it will not be skipped.
    Protected,
    VotingPaused,
    NothingPlaying,
    /// The button has no action for this click, or is not configured.
    Unmapped,
    /// A press-sequence step with no vote in it: it only fired its triggers.
    Notified,
}

impl PressResult {
    pub(crate) fn label(self) -> &'static str {
        match self {
            PressResult::Counted => "counted",
            PressResult::Duplicate => "duplicate",
            PressResult::Debounced => "debounced",
            PressResult::WindowClosed => "window closed",
            PressResult::Protected => "protected",
            PressResult::VotingPaused => "voting paused",
            PressResult::NothingPlaying => "nothing playing",
            PressResult::Unmapped => "unmapped",
            PressResult::Notified => "notified",
        }
    }
    /// Whether the vote now stands in the tally.
    pub(crate) fn counted(self) -> bool {
        matches!(self, PressResult::Counted | PressResult::Protected)
    }
}

/// The vote window of the current track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Open,
    /// The skip fired.
    Won,
    /// The window ran out without enough votes.
    Closed,
}

impl WindowState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            WindowState::Open => "open",
            WindowState::Won => "won",
            WindowState::Closed => "closed",
        }
    }
}

/// Why the current track cannot be skipped by votes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "name")]
pub enum KeepReason {
    Host,
    /// A button or voter mapped to keep.
    Voter(String),
    ProtectedArtist(String),
    ProtectedTrack(String),
}

/// How a track's turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackResult {
    /// It played until another track replaced it (or the player stopped).
    Played,
    SkippedByVotes,
    SkippedByHost,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// The track or transport state changed (position-only updates produce nothing).
    Play {
        source: Source,
        player: String,
        state: TransportState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        track: Option<Track>,
        /// True when this is a new track (votes were reset, a new window opened).
        new_track: bool,
    },
    /// The previous track's turn is over: its final tally.
    TrackFinished {
        track: String,
        title: String,
        artist: String,
        likes: u32,
        skips: u32,
        result: TrackResult,
    },
    Press {
        voter: Voter,
        origin: Origin,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        click: Option<ClickKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<Action>,
        result: PressResult,
        /// Key of the track the press was about.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        track: Option<String>,
        likes: u32,
        skips: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        battery: Option<f32>,
    },
    /// The party (or the host) has spoken: the player must skip this track.
    SkipDecided {
        track: String,
        title: String,
        likes: u32,
        skips: u32,
        needed: u32,
        by_host: bool,
    },
    /// The vote window of a track ended, won (skip fired) or closed (ran out).
    WindowResult {
        track: String,
        window: WindowState,
        likes: u32,
        skips: u32,
        needed: u32,
    },
    /// A host command was applied.
    Host {
        command: HostCommand,
        #[serde(default, skip_serializing_if = "CommandSource::is_host")]
        by: CommandSource,
    },
    /// An adapter could not carry out a skip.
    SkipFailed { track: String, reason: String },
    TriggerFired {
        trigger: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        track: Option<Track>,
        likes: u32,
        skips: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        button: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        battery: Option<f32>,
        /// The 1-based press-sequence step that named this trigger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<u32>,
        /// The button's accepted presses this party, when a press fired it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        press_count: Option<u32>,
        /// The inbound hook that chained to this trigger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hook: Option<String>,
        /// The guest whose requested song started (`on = "request_played"`), by display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requester: Option<String>,
    },
    /// The trigger's call failed for good; `reason` has the service's own words, never a secret.
    TriggerFailed { trigger: String, reason: String },
    /// An inbound hook put a banner on the dashboard and the vote page until `until`.
    Notice {
        hook: String,
        text: String,
        until: Timestamp,
    },
    /// A guest's song request moved on (see `requests.rs`).
    Request(super::requests::RequestEvent),
    /// The party's rules changed (config.toml was edited between two runs): what changed, in
    /// the host's words.
    RulesChanged { changes: Vec<String> },
}

/// One line of the button log: an effect and when it happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub at: Timestamp,
    pub effect: Effect,
}

impl Effect {
    /// A trigger firing for `track` with its tally; the press, hook and request details stay
    /// empty for the callers that have them to fill in.
    pub fn trigger_fired(
        trigger: impl Into<String>,
        track: Option<Track>,
        likes: u32,
        skips: u32,
    ) -> Effect {
        Effect::TriggerFired {
            trigger: trigger.into(),
            track,
            likes,
            skips,
            button: None,
            battery: None,
            step: None,
            press_count: None,
            hook: None,
            requester: None,
        }
    }
}
