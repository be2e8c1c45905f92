//! The party's rules: what the host configured. Pure data; `party.rs` applies them.
use super::input::{Action, ClickKind};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;

pub(crate) const DEFAULT_SKIP_THRESHOLD: u32 = 3;
pub(crate) const DEFAULT_VOTE_WINDOW: Duration = Duration::from_secs(45);
/// Dash buttons repeat their broadcast 15–45 s later; 10 s covers the burst itself.
pub(crate) const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_SEQUENCE_WINDOW: Duration = Duration::from_secs(5);
pub(crate) const DEFAULT_ACTIVE_WINDOW: Duration = Duration::from_secs(30 * 60);

/// How many skip votes skip a track: a count (`3`) or a share of active voters (`"40%"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    Count(u32),
    Percent(u8),
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold::Count(DEFAULT_SKIP_THRESHOLD)
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n}"),
            Threshold::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl std::str::FromStr for Threshold {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            match p.trim().parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => Ok(Threshold::Percent(p)),
                _ => Err(format!("`{s}` is not a share between 1% and 100%")),
            }
        } else {
            match s.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(Threshold::Count(n)),
                _ => Err(format!(
                    "`{s}` is not a count of at least 1 or a share like \"40%\""
                )),
            }
        }
    }
}

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Threshold::Count(n) => s.serialize_u32(*n),
            Threshold::Percent(_) => s.serialize_str(&self.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Count(n) if n >= 1 && n <= u32::MAX as i64 => Ok(Threshold::Count(n as u32)),
            Raw::Count(n) => Err(serde::de::Error::custom(format!(
                "skip threshold {n} must be at least 1"
            ))),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// One step of a press sequence: a vote, triggers to fire (by `[[trigger]]` name), or both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub action: Option<Action>,
    pub notify: Vec<String>,
}

impl From<Action> for Step {
    fn from(action: Action) -> Self {
        Step {
            action: Some(action),
            notify: Vec::new(),
        }
    }
}

/// What a configured button does when pressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonActions {
    /// Every press does the same thing.
    Always(Action),
    /// The 1st, 2nd, 3rd… press within the sequence window do these steps; past the end, the
    /// last step repeats (an escalation stays escalated until the button rests a window long).
    Sequence(Vec<Step>),
    /// SINGLE / DOUBLE / LONG clicks (IoT, bt.tn) each do their own thing; unset kinds are ignored.
    ByClick {
        single: Option<Action>,
        double: Option<Action>,
        long: Option<Action>,
    },
}

impl ButtonActions {
    pub(crate) fn for_click(&self, click: ClickKind) -> Option<Action> {
        match self {
            ButtonActions::ByClick {
                single,
                double,
                long,
            } => match click {
                ClickKind::Single => *single,
                ClickKind::Double => *double,
                ClickKind::Long => *long,
            },
            ButtonActions::Always(a) => Some(*a),
            ButtonActions::Sequence(seq) => seq.first().and_then(|s| s.action),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonRule {
    /// The configured name; the voter is `Voter::button(name)`.
    pub name: String,
    pub actions: ButtonActions,
    /// None: the party's default debounce.
    pub debounce: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerCondition {
    /// The current track has at least this many likes.
    LikesAtLeast(u32),
    /// The party skipped a track (by votes or by the host).
    SkipFired,
    /// A track ended with no skip votes at all.
    FinishedWithoutSkipVotes,
    /// A button reported a battery level below this share (0.0–1.0).
    BatteryBelow(f32),
    /// Every accepted press (not debounced), or only this button's.
    Press { button: Option<String> },
    /// A new track started playing.
    TrackStart,
    /// No condition: fires only when a press-sequence step or an inbound hook names it.
    Named,
    /// A guest's requested song started playing.
    RequestPlayed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriggerRule {
    pub name: String,
    pub when: TriggerCondition,
}

/// Everything `Party::apply` decides by. Built from config.toml's `[party]`, `[[button]]`, `[[trigger]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    pub skip_threshold: Threshold,
    /// With a share threshold: never fewer than this many skip votes.
    pub skip_threshold_min: u32,
    /// With a share threshold: voters count as active if they pressed within this long.
    pub active_window: Duration,
    /// When set, skips must exceed likes by at least this many.
    pub skip_margin: Option<u32>,
    /// Skip votes count this long from the track's start; zero means the whole track.
    pub vote_window: Duration,
    /// Repeats from one network button inside this are "debounced".
    pub debounce: Duration,
    pub sequence_window: Duration,
    /// Case-insensitive artist names or Spotify artist ids whose tracks are never skipped by votes.
    pub protected_artists: Vec<String>,
    /// Case-insensitive titles or track ids that are never skipped by votes.
    pub protected_tracks: Vec<String>,
    pub buttons: Vec<ButtonRule>,
    pub triggers: Vec<TriggerRule>,
    /// `[requests]`: guests' song requests.
    pub requests: super::requests::RequestRules,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            skip_threshold: Threshold::default(),
            skip_threshold_min: 2,
            active_window: DEFAULT_ACTIVE_WINDOW,
            skip_margin: None,
            vote_window: DEFAULT_VOTE_WINDOW,
            debounce: DEFAULT_DEBOUNCE,
            sequence_window: DEFAULT_SEQUENCE_WINDOW,
            protected_artists: Vec::new(),
            protected_tracks: Vec::new(),
            buttons: Vec::new(),
            triggers: Vec::new(),
            requests: Default::default(),
        }
    }
}
