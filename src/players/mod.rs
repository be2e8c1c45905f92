//! What a player is: a task that reports what plays (as `Input::Player` on the inbox) and
//! carries out skip commands, reporting failures back as `Input::Result(SkipFailed)`.
pub mod demo;
pub mod sonos;
pub mod spotify;

use tokio::sync::mpsc;

/// What the loop asks a player to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerCommand {
    /// Skip the track with this key (ignored if it is no longer playing).
    Skip { track: String },
    /// Add a guest's requested track to the player's queue; the player answers with
    /// `Input::Request(RequestInput::Queued | Failed)`.
    Queue {
        id: u64,
        track: crate::core::RequestedTrack,
    },
}

/// The loop's side of a running player.
#[derive(Clone, Debug)]
pub struct PlayerHandle {
    pub name: String,
    pub commands: mpsc::Sender<PlayerCommand>,
}
