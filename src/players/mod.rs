//! What a player is: a task that reports what plays (as `Input::Player` on the inbox) and
//! carries out skip commands, reporting failures back as `Input::Result(SkipFailed)`.
pub mod demo;
pub mod sonos;
pub mod spotify;

/// What the loop asks a player to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlayerCommand {
    /// Skip the track with this key (ignored if it is no longer playing).
    Skip { track: String },
    /// Go back to the previous track (the host's undo of a skip), where the player can.
    Previous,
    /// Add a guest's requested track to the player's queue; the player answers with
    /// `Input::Request(RequestInput::Queued | Failed)`.
    Queue {
        id: u64,
        track: crate::core::RequestedTrack,
    },
}

/// The host asked to go back a track and the player could not (radio, a free Spotify
/// account, no active device): the status line says so, under the player's own name.
pub(crate) async fn previous_refused(inbox: &crate::bus::inbox::Inbox, player: &str, reason: &str) {
    inbox
        .health(
            player,
            crate::core::HealthLevel::Warn,
            format!("cannot go back to the previous track: {reason}"),
        )
        .await;
}
