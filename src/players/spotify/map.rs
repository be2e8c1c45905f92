//! Spotify's playback state as the engine's `PlayerUpdate`, and as the scheduler's `Answer`.
use super::schedule::Answer;
use crate::core::{PlayerUpdate, Source, Track, TransportState};
use rspotify::model::{CurrentPlaybackContext, PlayableItem};
use rspotify::prelude::Id;
use serde_json::Value;
use std::time::Duration;

/// Shown when no device is named (204: nothing plays anywhere).
pub(crate) const PLAYER_NAME: &str = "Spotify";

pub fn update(ctx: &CurrentPlaybackContext) -> PlayerUpdate {
    let state = if ctx.is_playing {
        TransportState::Playing
    } else {
        TransportState::Paused
    };
    PlayerUpdate {
        source: Source::Spotify,
        player: Some(ctx.device.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| PLAYER_NAME.into()),
        state,
        // An ad has no item: no track, so its time is nobody's and votes wait for the next one.
        track: ctx.item.as_ref().and_then(track),
        position_ms: ctx
            .progress
            .and_then(|p| u64::try_from(p.num_milliseconds()).ok()),
    }
}

/// 204: nothing plays on any device.
pub(crate) fn nothing_playing() -> PlayerUpdate {
    PlayerUpdate {
        source: Source::Spotify,
        player: PLAYER_NAME.into(),
        state: TransportState::Stopped,
        track: None,
        position_ms: None,
    }
}

pub fn answer(update: &PlayerUpdate) -> Answer {
    Answer::Playback {
        track: update.track.as_ref().map(Track::key),
        is_playing: update.state == TransportState::Playing,
        progress: update.position_ms.map(Duration::from_millis),
        duration: update
            .track
            .as_ref()
            .and_then(|t| t.duration_ms)
            .map(Duration::from_millis),
    }
}

pub fn track(item: &PlayableItem) -> Option<Track> {
    match item {
        PlayableItem::Track(t) => Some(Track {
            id: t.id.as_ref().map(|id| id.id().to_string()),
            title: t.name.clone(),
            artist: join(t.artists.iter().map(|a| a.name.as_str())),
            album: t.album.name.clone(),
            duration_ms: ms(t.duration),
            artist_ids: t
                .artists
                .iter()
                .filter_map(|a| a.id.as_ref().map(|id| id.id().to_string()))
                .collect(),
            art_uri: t.album.images.first().map(|i| i.url.clone()),
        }),
        PlayableItem::Episode(e) => Some(Track {
            id: Some(e.id.id().to_string()),
            title: e.name.clone(),
            // A show's publisher is gone from the API; the show is what listeners know anyway.
            artist: e.show.name.clone(),
            album: e.show.name.clone(),
            duration_ms: ms(e.duration),
            artist_ids: Vec::new(),
            art_uri: e.images.first().map(|i| i.url.clone()),
        }),
        PlayableItem::Unknown(v) => lenient(v),
    }
}

/// rspotify keeps items it cannot read as raw JSON (Spotify drops fields now and then): take
/// what a track or episode still says rather than lose the track.
fn lenient(v: &Value) -> Option<Track> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let title = s(v, "name").filter(|n| !n.is_empty())?;
    let artists = v.get("artists").and_then(Value::as_array);
    let artist = match artists {
        Some(list) => join(list.iter().filter_map(|a| a.get("name")?.as_str())),
        None => v
            .get("show")
            .and_then(|sh| s(sh, "name"))
            .unwrap_or_default(),
    };
    let album = v
        .get("album")
        .or_else(|| v.get("show"))
        .and_then(|a| s(a, "name"))
        .unwrap_or_default();
    Some(Track {
        id: s(v, "id"),
        title,
        artist,
        album,
        duration_ms: v.get("duration_ms").and_then(Value::as_u64),
        artist_ids: artists
            .map(|l| l.iter().filter_map(|a| s(a, "id")).collect())
            .unwrap_or_default(),
        art_uri: None,
    })
}

fn join<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}

fn ms(d: chrono::Duration) -> Option<u64> {
    u64::try_from(d.num_milliseconds()).ok()
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
