//! Spotify: GET /me/player bodies (rspotify's model, then our mapping to what plays).
use crate::mutate::{JSON, mutated};
use crate::{fixtures, fuzz};
use party_tui::players::spotify::map;
use rspotify::model::CurrentPlaybackContext;

/// Written from the Web API reference (Get Playback State), with a track and an episode.
const PLAYER: &str = r#"{"device":{"id":"d1","is_active":true,"is_private_session":false,"is_restricted":false,"name":"Kitchen","type":"Speaker","volume_percent":55,"supports_volume":true},"repeat_state":"off","shuffle_state":false,"context":{"type":"playlist","href":"https://api.spotify.com/v1/playlists/p","external_urls":{"spotify":"https://open.spotify.com/playlist/p"},"uri":"spotify:playlist:p"},"timestamp":1700000000000,"progress_ms":42000,"is_playing":true,"item":{"album":{"album_type":"album","total_tracks":10,"available_markets":["SE"],"external_urls":{"spotify":"https://open.spotify.com/album/a"},"href":"https://api.spotify.com/v1/albums/a","id":"a","images":[{"url":"https://i.scdn.co/image/x","height":640,"width":640}],"name":"An Album","release_date":"2020-01-01","release_date_precision":"day","type":"album","uri":"spotify:album:a","artists":[{"external_urls":{"spotify":"https://open.spotify.com/artist/r"},"href":"https://api.spotify.com/v1/artists/r","id":"r","name":"A Band","type":"artist","uri":"spotify:artist:r"}]},"artists":[{"external_urls":{"spotify":"https://open.spotify.com/artist/r"},"href":"https://api.spotify.com/v1/artists/r","id":"r","name":"A Band","type":"artist","uri":"spotify:artist:r"}],"available_markets":["SE"],"disc_number":1,"duration_ms":201000,"explicit":false,"external_ids":{"isrc":"X"},"external_urls":{"spotify":"https://open.spotify.com/track/t"},"href":"https://api.spotify.com/v1/tracks/t","id":"4iV5W9uYEdYUVa79Axb7Rh","is_local":false,"name":"A Song","popularity":50,"preview_url":null,"track_number":1,"type":"track","uri":"spotify:track:4iV5W9uYEdYUVa79Axb7Rh"},"currently_playing_type":"track","actions":{"disallows":{"resuming":true}}}"#;

#[test]
fn player_bodies_mutated() {
    let own = PLAYER.as_bytes().to_vec();
    serde_json::from_slice::<CurrentPlaybackContext>(&own).expect("our seed reads");
    let mut seeds = vec![own];
    seeds.extend(fixtures(
        "spotify",
        &["player_200.json", "currently_playing_200.json"],
    ));
    fuzz("spotify player (mutated)", mutated(seeds, JSON), |body| {
        if let Ok(ctx) = serde_json::from_slice::<CurrentPlaybackContext>(&body) {
            let update = map::update(&ctx);
            let _ = map::answer(&update);
        }
        Ok(())
    });
}
