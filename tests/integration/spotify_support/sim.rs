//! A simulated Spotify account on tokio time: a queue of tracks that end naturally, skips that
//! land a moment after POST next, manual changes, pauses, ads and idle spells. Every track
//! change is logged with the instant it happened, so tests measure how late the watcher saw it.
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone, Debug)]
pub struct SimTrack {
    pub id: String,
    pub name: String,
    pub artist: String,
    pub artist_id: String,
    pub duration: Duration,
}

pub fn track(n: usize, secs: u64) -> SimTrack {
    SimTrack {
        // 22 base-62 characters, like a real Spotify id.
        id: format!("{n:0>22}"),
        name: format!("Song {n}"),
        artist: format!("Band {}", n % 7),
        artist_id: format!("{:a>22}", n % 7),
        duration: Duration::from_secs(secs),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Natural,
    OurSkip,
    Manual,
}

#[derive(Clone, Debug)]
pub struct Change {
    pub at: Instant,
    pub key: String,
    pub kind: ChangeKind,
}

pub struct Sim {
    pub tracks: Vec<SimTrack>,
    pub index: usize,
    /// When the current track's position was zero (shifted by pauses).
    pub started: Instant,
    pub paused_at: Option<Instant>,
    /// 204 for every GET while set.
    pub idle: bool,
    /// An ad plays (item null) instead of the track until this instant.
    pub ad_until: Option<Instant>,
    /// Spotify takes this long to act on POST next.
    pub skip_delay: Duration,
    pending_skip: Option<Instant>,
    pub changes: Vec<Change>,
}

impl Sim {
    pub fn new(tracks: Vec<SimTrack>, now: Instant) -> Self {
        Sim {
            tracks,
            index: 0,
            started: now,
            paused_at: None,
            idle: false,
            ad_until: None,
            skip_delay: Duration::from_millis(250),
            pending_skip: None,
            changes: Vec::new(),
        }
    }

    pub fn current(&self) -> &SimTrack {
        &self.tracks[self.index % self.tracks.len()]
    }

    /// Apply natural ends and pending skips up to `now`, each at its own instant.
    pub fn settle(&mut self, now: Instant) {
        loop {
            let end = match self.paused_at {
                Some(_) => None,
                None => Some(self.started + self.current().duration),
            };
            let next = match (end, self.pending_skip) {
                (Some(e), Some(s)) if s < e => Some((s, ChangeKind::OurSkip)),
                (None, Some(s)) => Some((s, ChangeKind::OurSkip)),
                (Some(e), _) => Some((e, ChangeKind::Natural)),
                (None, None) => None,
            };
            match next {
                Some((at, kind)) if at <= now => {
                    if kind == ChangeKind::OurSkip {
                        self.pending_skip = None;
                    }
                    self.advance(at, kind);
                }
                _ => return,
            }
        }
    }

    fn advance(&mut self, at: Instant, kind: ChangeKind) {
        self.index += 1;
        self.started = at;
        if self.paused_at.is_some() {
            self.paused_at = Some(at);
        }
        let key = self.current().id.clone();
        self.changes.push(Change { at, key, kind });
    }

    /// POST next arrived now.
    pub fn skip(&mut self, now: Instant) {
        self.settle(now);
        self.pending_skip = Some(now + self.skip_delay);
    }

    /// Someone picked the next song in the Spotify app.
    pub fn manual_next(&mut self, now: Instant) {
        self.settle(now);
        self.advance(now, ChangeKind::Manual);
    }

    pub fn pause(&mut self, now: Instant) {
        self.settle(now);
        self.paused_at.get_or_insert(now);
    }

    pub fn resume(&mut self, now: Instant) {
        self.settle(now);
        if let Some(p) = self.paused_at.take() {
            self.started += now - p;
        }
    }

    pub fn progress(&self, now: Instant) -> Duration {
        self.paused_at.unwrap_or(now) - self.started
    }

    /// The body of GET /me/player, or None for 204.
    pub fn render(&mut self, now: Instant) -> Option<Value> {
        self.settle(now);
        if self.idle {
            return None;
        }
        let playing = self.paused_at.is_none();
        if self.ad_until.is_some_and(|a| a > now) {
            return Some(playback(Value::Null, "ad", playing, 4_000));
        }
        let t = self.current().clone();
        let progress = self.progress(now).as_millis() as u64;
        Some(playback(track_item(&t), "track", playing, progress))
    }
}

/// GET /me/player as documented ("Get Playback State").
pub fn playback(item: Value, kind: &str, playing: bool, progress_ms: u64) -> Value {
    json!({
        "device": {"id": "5fbb3ba6aa454b5534c4ba43a8c7e8e45a63ad0e", "is_active": true,
                   "is_private_session": false, "is_restricted": false,
                   "name": "Living Room", "type": "Speaker", "volume_percent": 70},
        "repeat_state": "off", "shuffle_state": false,
        "context": {"type": "playlist", "href": "https://api.spotify.com/v1/playlists/p",
                    "external_urls": {}, "uri": "spotify:playlist:p"},
        "timestamp": 1_700_000_000_000u64, "progress_ms": progress_ms, "is_playing": playing,
        "item": item, "currently_playing_type": kind,
        "actions": {"disallows": {"resuming": playing}}
    })
}

/// A full track object as documented.
pub fn track_item(t: &SimTrack) -> Value {
    let artist = json!({"external_urls": {}, "href": null, "id": t.artist_id, "name": t.artist,
                        "type": "artist", "uri": format!("spotify:artist:{}", t.artist_id)});
    json!({
        "album": {"album_type": "album", "artists": [artist], "external_urls": {}, "href": null,
                  "id": "4aawyAB9vmqN3uQ7FjRGTy", "images": [], "name": format!("{} Live", t.artist),
                  "release_date": "2001-01-01", "release_date_precision": "day",
                  "total_tracks": 12, "type": "album", "uri": "spotify:album:4aawyAB9vmqN3uQ7FjRGTy"},
        "artists": [artist], "disc_number": 1, "duration_ms": t.duration.as_millis() as u64,
        "explicit": false, "external_ids": {}, "external_urls": {}, "href": null, "id": t.id,
        "is_local": false, "name": t.name, "popularity": 50, "preview_url": null,
        "track_number": 1, "type": "track", "uri": format!("spotify:track:{}", t.id)
    })
}
