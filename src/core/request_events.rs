//! What the core decides about guests' song requests, as effects (split from requests.rs).
use super::input::{CommandSource, Voter};
use super::requests::RequestedTrack;
use serde::{Deserialize, Serialize};

/// What the core decided about requests (inside `Effect::Request`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "request")]
pub enum RequestEvent {
    Refused {
        id: u64,
        voter: Voter,
        title: String,
        reason: String,
    },
    /// Admitted, waiting for the host's yes or no.
    Pending {
        id: u64,
        voter: Voter,
        title: String,
        artist: String,
    },
    /// The player must queue this track (the adapter answers with `Queued` or `Failed`).
    Queue {
        id: u64,
        track: RequestedTrack,
    },
    Queued {
        id: u64,
        title: String,
    },
    Failed {
        id: u64,
        title: String,
        reason: String,
    },
    Rejected {
        id: u64,
        title: String,
        #[serde(default, skip_serializing_if = "CommandSource::is_host")]
        by: CommandSource,
    },
    /// What plays now is this request: its guest is told.
    Playing {
        id: u64,
        voter: Voter,
        title: String,
        artist: String,
    },
    Played {
        id: u64,
        voter: Voter,
        title: String,
        likes: u32,
    },
    Expired {
        id: u64,
        title: String,
    },
}

impl RequestEvent {
    pub(crate) fn id(&self) -> u64 {
        match self {
            RequestEvent::Refused { id, .. }
            | RequestEvent::Pending { id, .. }
            | RequestEvent::Queue { id, .. }
            | RequestEvent::Queued { id, .. }
            | RequestEvent::Failed { id, .. }
            | RequestEvent::Rejected { id, .. }
            | RequestEvent::Playing { id, .. }
            | RequestEvent::Played { id, .. }
            | RequestEvent::Expired { id, .. } => *id,
        }
    }

    /// The serde tag ("refused", "queue", …), for exports.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RequestEvent::Refused { .. } => "refused",
            RequestEvent::Pending { .. } => "pending",
            RequestEvent::Queue { .. } => "queue",
            RequestEvent::Queued { .. } => "queued",
            RequestEvent::Failed { .. } => "failed",
            RequestEvent::Rejected { .. } => "rejected",
            RequestEvent::Playing { .. } => "playing",
            RequestEvent::Played { .. } => "played",
            RequestEvent::Expired { .. } => "expired",
        }
    }

    /// The guest it concerns, where the event names one.
    pub(crate) fn voter(&self) -> Option<&Voter> {
        match self {
            RequestEvent::Refused { voter, .. }
            | RequestEvent::Pending { voter, .. }
            | RequestEvent::Playing { voter, .. }
            | RequestEvent::Played { voter, .. } => Some(voter),
            _ => None,
        }
    }

    /// One line in the host's words (dashboard log, vote page log).
    pub(crate) fn plain(&self) -> String {
        match self {
            RequestEvent::Refused {
                voter,
                title,
                reason,
                ..
            } => format!(
                "request #{} {title} by {voter} refused: {reason}",
                self.id()
            ),
            RequestEvent::Pending {
                id, voter, title, ..
            } => format!("request #{id} {title} by {voter} waits for the host"),
            RequestEvent::Queue { id, track } => format!("request #{id} {}: queueing", track.title),
            RequestEvent::Queued { id, title } => format!("request #{id} {title} queued"),
            RequestEvent::Failed { id, title, reason } => {
                format!("request #{id} {title} failed: {reason}")
            }
            RequestEvent::Rejected { id, title, by } => {
                format!("request #{id} {title} rejected by {}", by.label())
            }
            RequestEvent::Playing {
                id, voter, title, ..
            } => format!("request #{id} playing: {title}, asked for by {voter}"),
            RequestEvent::Played {
                id,
                voter,
                title,
                likes,
            } => format!("request #{id} played: {title}, asked for by {voter} ({likes} likes)"),
            RequestEvent::Expired { id, title } => format!("request #{id} {title} expired"),
        }
    }
}
