//! What is playing, as every player adapter describes it.
use serde::{Deserialize, Serialize};

/// Where the now-playing information comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Demo,
    Sonos,
    Spotify,
}

impl Source {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Source::Demo => "demo",
            Source::Sonos => "Sonos",
            Source::Spotify => "Spotify",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportState {
    Playing,
    Paused,
    Stopped,
    Transitioning,
    NoMedia,
}

impl TransportState {
    pub(crate) fn label(self) -> &'static str {
        match self {
            TransportState::Playing => "playing",
            TransportState::Paused => "paused",
            TransportState::Stopped => "stopped",
            TransportState::Transitioning => "transitioning",
            TransportState::NoMedia => "no media",
        }
    }
}

/// A track (or radio stream item, or episode) as far as the player knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Track {
    /// Stable id where the source has one (Spotify track id, Sonos URI); else None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(default)]
    pub artist: String,
    #[serde(default)]
    pub album: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Spotify artist ids, used to match protected artists by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artist_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art_uri: Option<String>,
}

impl Track {
    /// The identity used to tell one track from the next: the id, else title and artist.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) if !id.is_empty() => id.clone(),
            _ => format!("{} — {}", self.title, self.artist),
        }
    }
}

/// One observation from a player adapter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayerUpdate {
    pub source: Source,
    /// Room or device name ("Living Room", "Demo").
    pub player: String,
    pub state: TransportState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<Track>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_ms: Option<u64>,
}
