//! Bodies written from Spotify's documented "Get Playback State" format.
use super::*;
use serde_json::json;

fn artist(id: &str, name: &str) -> Value {
    json!({"external_urls": {}, "href": null, "id": id, "name": name, "type": "artist",
           "uri": format!("spotify:artist:{id}")})
}

fn track_item() -> Value {
    json!({
        "album": {"album_type": "album", "artists": [artist("3WrFJ7ztbogyGnTHbHJFl2", "The Beatles")],
                  "external_urls": {}, "href": null, "id": "0ETFjACtuP2ADo6LFhL6HN",
                  "images": [{"url": "https://i.scdn.co/image/abbey", "height": 640, "width": 640}],
                  "name": "Abbey Road", "release_date": "1969-09-26",
                  "release_date_precision": "day", "total_tracks": 17, "type": "album",
                  "uri": "spotify:album:0ETFjACtuP2ADo6LFhL6HN"},
        "artists": [artist("3WrFJ7ztbogyGnTHbHJFl2", "The Beatles"), artist("7FIoB5PHdrMZVC3q2HE5MS", "Billy Preston")],
        "disc_number": 1, "duration_ms": 259_946, "explicit": false,
        "external_ids": {"isrc": "GBAYE0601690"}, "external_urls": {},
        "href": "https://api.spotify.com/v1/tracks/2EqlS6tkEnglzr7tkKAAYD",
        "id": "2EqlS6tkEnglzr7tkKAAYD", "is_local": false, "name": "Come Together",
        "popularity": 80, "preview_url": null, "track_number": 1, "type": "track",
        "uri": "spotify:track:2EqlS6tkEnglzr7tkKAAYD"
    })
}

fn playback(item: Value, kind: &str, playing: bool) -> CurrentPlaybackContext {
    let body = json!({
        "device": {"id": "dev1", "is_active": true, "is_private_session": false,
                   "is_restricted": false, "name": "Kitchen speaker", "type": "Speaker",
                   "volume_percent": 60},
        "repeat_state": "off", "shuffle_state": false, "context": null,
        "timestamp": 1_700_000_000_000u64, "progress_ms": 42_000, "is_playing": playing,
        "item": item, "currently_playing_type": kind,
        "actions": {"disallows": {"resuming": true}}
    });
    serde_json::from_value(body).unwrap()
}

#[test]
fn a_track_with_its_ids() {
    let u = update(&playback(track_item(), "track", true));
    assert_eq!(u.source, Source::Spotify);
    assert_eq!(u.player, "Kitchen speaker");
    assert_eq!(u.state, TransportState::Playing);
    assert_eq!(u.position_ms, Some(42_000));
    let t = u.track.clone().unwrap();
    assert_eq!(t.id.as_deref(), Some("2EqlS6tkEnglzr7tkKAAYD"));
    assert_eq!(t.title, "Come Together");
    assert_eq!(t.artist, "The Beatles, Billy Preston");
    assert_eq!(
        t.artist_ids,
        ["3WrFJ7ztbogyGnTHbHJFl2", "7FIoB5PHdrMZVC3q2HE5MS"]
    );
    assert_eq!(t.album, "Abbey Road");
    assert_eq!(t.duration_ms, Some(259_946));
    assert_eq!(t.art_uri.as_deref(), Some("https://i.scdn.co/image/abbey"));
    assert_eq!(
        answer(&u),
        Answer::Playback {
            track: Some("2EqlS6tkEnglzr7tkKAAYD".into()),
            is_playing: true,
            progress: Some(Duration::from_millis(42_000)),
            duration: Some(Duration::from_millis(259_946)),
        }
    );
}

#[test]
fn paused_is_paused() {
    let u = update(&playback(track_item(), "track", false));
    assert_eq!(u.state, TransportState::Paused);
    assert!(matches!(
        answer(&u),
        Answer::Playback {
            is_playing: false,
            ..
        }
    ));
}

#[test]
fn an_ad_is_playing_without_a_track() {
    let u = update(&playback(Value::Null, "ad", true));
    assert_eq!(u.state, TransportState::Playing);
    assert_eq!(u.track, None);
    assert!(matches!(
        answer(&u),
        Answer::Playback {
            track: None,
            duration: None,
            ..
        }
    ));
}

#[test]
fn an_item_rspotify_cannot_read_still_gives_the_track() {
    // No album images, no external_ids, no disc_number: rspotify keeps it as raw JSON.
    let item = json!({"id": "6rqhFgbbKwnb9MLmUQDhG6", "name": "Speak to Me", "duration_ms": 90_000,
                      "type": "track", "artists": [{"id": "0k17h0D3J5VfsdmQ1iZtE9", "name": "Pink Floyd"}],
                      "album": {"name": "The Dark Side of the Moon"}});
    let t = update(&playback(item, "track", true)).track.unwrap();
    assert_eq!(t.id.as_deref(), Some("6rqhFgbbKwnb9MLmUQDhG6"));
    assert_eq!(
        (t.title.as_str(), t.artist.as_str()),
        ("Speak to Me", "Pink Floyd")
    );
    assert_eq!(t.album, "The Dark Side of the Moon");
    assert_eq!(t.artist_ids, ["0k17h0D3J5VfsdmQ1iZtE9"]);
    assert_eq!(t.duration_ms, Some(90_000));
}

#[test]
fn an_episode_is_a_track_of_its_show() {
    let item = json!({"id": "512ojhOuo1ktJprKbVcKyQ", "name": "Episode 12", "duration_ms": 1_800_000,
                      "type": "episode", "description": "…",
                      "show": {"id": "38bS44xjbVVZ3No3ByF1dJ", "name": "The Party Podcast",
                               "publisher": "Party People"}});
    let t = update(&playback(item, "episode", true)).track.unwrap();
    assert_eq!(t.id.as_deref(), Some("512ojhOuo1ktJprKbVcKyQ"));
    assert_eq!(t.title, "Episode 12");
    assert_eq!(t.artist, "The Party Podcast");
    assert_eq!(t.album, "The Party Podcast");
    assert_eq!(t.duration_ms, Some(1_800_000));
}

#[test]
fn nothing_playing_is_stopped() {
    let u = nothing_playing();
    assert_eq!((u.state, u.track), (TransportState::Stopped, None));
}
