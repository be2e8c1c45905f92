//! What the loop does with an entry's effects once the entry is durable: log them and hand
//! the player its commands.
use super::engine::EffectSinks;
use crate::core::{Effect, HostCommand, RequestEvent};
use crate::journal::Entry;
use crate::players::PlayerCommand;

pub(super) fn carry_out(sinks: &EffectSinks, entry: &Entry) {
    for effect in &entry.effects {
        // Every vote is in the journal already; at a party's busiest, a log line for each
        // would cost more than the vote.
        if matches!(effect, Effect::Press { .. }) {
            tracing::debug!(target: "party", seq = entry.seq, effect = ?effect);
        } else {
            tracing::info!(target: "party", seq = entry.seq, effect = ?effect);
        }
        let cmd = match effect {
            Effect::Host {
                command: HostCommand::PlayPrevious,
                ..
            } => PlayerCommand::Previous,
            Effect::Request(RequestEvent::Queue { id, track }) => PlayerCommand::Queue {
                id: *id,
                track: track.clone(),
            },
            Effect::SkipDecided { track, .. } => PlayerCommand::Skip {
                track: track.clone(),
            },
            _ => continue,
        };
        send_to_player(sinks, cmd);
    }
}

/// A command the player cannot take is dropped with a warning: a skip or "previous" is not
/// carried out, a request stays "queued" until it expires (the loop holds no inbox sender
/// of its own, or it would never see the last one go).
fn send_to_player(sinks: &EffectSinks, cmd: PlayerCommand) {
    let (cmd, why) = match &sinks.player {
        Some(player) => match player.try_send(cmd) {
            Ok(()) => return,
            Err(e) => (e.into_inner(), "the player is not taking commands"),
        },
        None => (cmd, "no player is running"),
    };
    tracing::warn!(?cmd, "player command dropped: {why}");
}
