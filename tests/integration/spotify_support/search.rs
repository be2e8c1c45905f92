//! The fake Spotify's catalogue: GET /v1/search (type=track, limit 1–10 as Development Mode
//! apps get since February 2026) and POST /v1/me/player/queue. Bodies are ours, written from
//! the documented format (full track objects as search returns them).
use super::fake::{Reply, Shared, arrive, reply};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub struct CatalogueTrack {
    pub id: &'static str,
    pub title: &'static str,
    pub artist: &'static str,
    pub album: &'static str,
    pub duration_ms: u64,
}

pub fn catalogue() -> Vec<CatalogueTrack> {
    let t = |id, title, artist, album, duration_ms| CatalogueTrack {
        id,
        title,
        artist,
        album,
        duration_ms,
    };
    vec![
        t(
            "0aAaAaAaAaAaAaAaAaAa01",
            "Porch Light Waltz",
            "The Fake Band",
            "Loopback",
            201_000,
        ),
        t(
            "0aAaAaAaAaAaAaAaAaAa02",
            "Porch Light Reprise",
            "The Fake Band",
            "Loopback",
            95_000,
        ),
        t(
            "0aAaAaAaAaAaAaAaAaAa03",
            "Kitchen Floor",
            "Mock Choir",
            "Stubs",
            245_000,
        ),
    ]
}

/// A full track object as /v1/search returns it.
pub fn track_object(t: &CatalogueTrack) -> Value {
    let artist_id = format!(
        "{:0<22}",
        t.artist
            .replace(' ', "")
            .chars()
            .take(22)
            .collect::<String>()
    );
    json!({
        "album": {
            "album_type": "album",
            "artists": [{"id": artist_id, "name": t.artist, "type": "artist", "uri": format!("spotify:artist:{artist_id}")}],
            "id": "1bBbBbBbBbBbBbBbBbBb01",
            "images": [
                {"height": 640, "url": format!("https://i.scdn.co/image/{}-640", t.id), "width": 640},
                {"height": 300, "url": format!("https://i.scdn.co/image/{}-300", t.id), "width": 300},
                {"height": 64, "url": format!("https://i.scdn.co/image/{}-64", t.id), "width": 64}
            ],
            "name": t.album,
            "release_date": "2024-01-01",
            "release_date_precision": "day",
            "total_tracks": 9,
            "type": "album",
            "uri": "spotify:album:1bBbBbBbBbBbBbBbBbBb01"
        },
        "artists": [{"id": artist_id, "name": t.artist, "type": "artist", "uri": format!("spotify:artist:{artist_id}")}],
        "disc_number": 1,
        "duration_ms": t.duration_ms,
        "explicit": false,
        "external_ids": {"isrc": "XXFAKE000001"},
        "external_urls": {"spotify": format!("https://open.spotify.com/track/{}", t.id)},
        "href": format!("https://api.spotify.com/v1/tracks/{}", t.id),
        "id": t.id,
        "is_local": false,
        "is_playable": true,
        "name": t.title,
        "preview_url": null,
        "track_number": 1,
        "type": "track",
        "uri": format!("spotify:track:{}", t.id)
    })
}

pub async fn search(
    State(st): Shared,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !arrive(&st, "GET", "/v1/search", &h).await {
        return reply(Reply::Status(401));
    }
    let (hold, arrived) = {
        let s = st.lock().unwrap();
        (s.search_hold.clone(), s.search_arrived.clone())
    };
    arrived.notify_one();
    if let Some(hold) = hold {
        hold.acquire().await.unwrap().forget();
    }
    let mut s = st.lock().unwrap();
    if let Some(r) = s.search_script.pop_front() {
        return reply(r);
    }
    let limit: usize = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 5,
        Some(Ok(l)) if (1..=10).contains(&l) => l,
        _ => {
            let body = json!({"error": {"status": 400, "message": "Invalid limit"}});
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    if q.get("type").map(String::as_str) != Some("track") {
        let body = json!({"error": {"status": 400, "message": "Missing parameter type"}});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let words = q.get("q").cloned().unwrap_or_default().to_lowercase();
    let items: Vec<Value> = s
        .catalogue
        .iter()
        .filter(|t| {
            let hay = format!("{} {}", t.title, t.artist).to_lowercase();
            words.split_whitespace().all(|w| hay.contains(w))
        })
        .take(limit)
        .map(track_object)
        .collect();
    axum::Json(json!({"tracks": {
        "href": "https://api.spotify.com/v1/search", "items": items, "limit": limit,
        "next": null, "offset": 0, "previous": null, "total": items.len()
    }}))
    .into_response()
}

pub async fn queue(
    State(st): Shared,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !arrive(&st, "POST", "/v1/me/player/queue", &h).await {
        return reply(Reply::Status(401));
    }
    let mut s = st.lock().unwrap();
    if let Some(r) = s.queue_script.pop_front() {
        let ok = matches!(r, Reply::NoContent | Reply::Text(_));
        if ok {
            s.queued.push(q.get("uri").cloned().unwrap_or_default());
        }
        return reply(r);
    }
    match q.get("uri") {
        Some(uri) if uri.starts_with("spotify:track:") => {
            s.queued.push(uri.clone());
            StatusCode::NO_CONTENT.into_response()
        }
        _ => {
            let body = json!({"error": {"status": 400, "message": "Invalid track uri"}});
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
    }
}
