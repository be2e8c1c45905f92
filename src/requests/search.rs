//! Track search for the vote page: Spotify's catalogue through the party's login (or the demo
//! catalogue), cached per query, limited per guest, resting exactly as long as Spotify says.
use crate::core::{RequestedTrack, Timestamp, Track};
use crate::players::spotify::api::ApiFailure;
use crate::players::spotify::requests::{CallError, RequestsApi, SEARCH_LIMIT};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The same query within this long costs no API call.
pub const CACHE_TTL: Duration = Duration::from_secs(10 * 60);
/// Cached queries kept at most (oldest dropped first).
pub const CACHE_ENTRIES: usize = 512;
pub const DEFAULT_SEARCHES_PER_MINUTE: u32 = 20;
const GUEST_WINDOW: Duration = Duration::from_secs(60);
/// Longest query passed on (Spotify's own limit is far above what a phone types).
pub const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    #[error("search is resting, try again in {} s", .0.as_secs().max(1))]
    Resting(Duration),
    #[error("you are searching very fast: try again in {} s", .0.as_secs().max(1))]
    TooFast(Duration),
    #[error("search is not available: {0}")]
    Unavailable(String),
}

/// Where tracks are found.
pub enum Catalogue {
    /// The demo playlist: `--demo` shows the whole flow with no account.
    Demo(Vec<Track>),
    Spotify(Box<Mutex<RequestsApi>>),
}

struct CacheEntry {
    at: Instant,
    tracks: Arc<Vec<RequestedTrack>>,
}

#[derive(Default)]
struct Limits {
    cache: HashMap<String, CacheEntry>,
    guests: HashMap<String, VecDeque<Instant>>,
    resting_until: Option<Instant>,
}

pub struct Searcher {
    catalogue: Catalogue,
    per_minute: u32,
    limits: std::sync::Mutex<Limits>,
    /// Calls made to Spotify (the watcher's budget is shared; the bench counts these).
    pub api_calls: AtomicU64,
}

/// What is cached by: case, spacing and accents as typed do not make a new query.
fn normalize(q: &str) -> String {
    q.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A catalogue track as a search hit (the demo's tracks are requested by their key).
fn hit(t: &Track) -> RequestedTrack {
    RequestedTrack {
        uri: t.key(),
        title: t.title.clone(),
        artist: t.artist.clone(),
        album: t.album.clone(),
        duration_ms: t.duration_ms,
        image: t.art_uri.clone(),
    }
}

/// Demo catalogue search: every word of the query in the title, artist or album.
pub fn demo_search(list: &[Track], q: &str) -> Vec<RequestedTrack> {
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    list.iter()
        .filter(|t| {
            let hay = format!("{} {} {}", t.title, t.artist, t.album).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .take(SEARCH_LIMIT as usize)
        .map(hit)
        .collect()
}

impl Searcher {
    pub fn new(catalogue: Catalogue, per_minute: u32) -> Self {
        Searcher {
            catalogue,
            per_minute: per_minute.max(1),
            limits: Default::default(),
            api_calls: AtomicU64::new(0),
        }
    }

    /// Whether a URI can be requested from this catalogue (a Spotify track, or a demo track).
    pub fn accepts_uri(&self, uri: &str) -> bool {
        match &self.catalogue {
            Catalogue::Demo(list) => list.iter().any(|t| t.key() == uri),
            Catalogue::Spotify(_) => is_spotify_track_uri(uri),
        }
    }

    /// The track behind a URI a guest requests, from the catalogue (demo) or the cached search
    /// results (Spotify), so the journal carries what search showed, never what a client claims.
    pub fn lookup(&self, uri: &str) -> Option<RequestedTrack> {
        if let Catalogue::Demo(list) = &self.catalogue {
            return list.iter().find(|t| t.key() == uri).map(hit);
        }
        let limits = self.limits.lock().expect("search limits lock");
        limits
            .cache
            .values()
            .flat_map(|e| e.tracks.iter())
            .find(|t| t.uri == uri)
            .cloned()
    }

    pub async fn search(
        &self,
        guest: &str,
        q: &str,
        now: Timestamp,
    ) -> Result<Arc<Vec<RequestedTrack>>, SearchError> {
        let key = normalize(&q.chars().take(MAX_QUERY_CHARS).collect::<String>());
        {
            let mut l = self.limits.lock().expect("search limits lock");
            let t = Instant::now();
            let seen = l.guests.entry(guest.to_string()).or_default();
            while seen
                .front()
                .is_some_and(|&s| t.duration_since(s) >= GUEST_WINDOW)
            {
                seen.pop_front();
            }
            if seen.len() as u32 >= self.per_minute {
                let wait = GUEST_WINDOW - t.duration_since(*seen.front().expect("non-empty"));
                return Err(SearchError::TooFast(round_up(wait)));
            }
            seen.push_back(t);
            if let Some(e) = l
                .cache
                .get(&key)
                .filter(|e| t.duration_since(e.at) < CACHE_TTL)
            {
                return Ok(e.tracks.clone());
            }
            if let Some(until) = l.resting_until.filter(|&u| u > t) {
                return Err(SearchError::Resting(round_up(until - t)));
            }
        }
        let tracks = match &self.catalogue {
            Catalogue::Demo(list) => demo_search(list, &key),
            Catalogue::Spotify(api) => {
                self.api_calls.fetch_add(1, Ordering::Relaxed);
                match api.lock().await.search(&key, now).await {
                    Ok(t) => t,
                    Err(CallError::Api(ApiFailure::RateLimited(d))) => {
                        let mut l = self.limits.lock().expect("search limits lock");
                        l.resting_until = Some(Instant::now() + d);
                        return Err(SearchError::Resting(round_up(d)));
                    }
                    Err(e) => return Err(SearchError::Unavailable(e.to_string())),
                }
            }
        };
        let tracks = Arc::new(tracks);
        let mut l = self.limits.lock().expect("search limits lock");
        let t = Instant::now();
        if l.cache.len() >= CACHE_ENTRIES {
            l.cache.retain(|_, e| t.duration_since(e.at) < CACHE_TTL);
            if l.cache.len() >= CACHE_ENTRIES
                && let Some(oldest) = l
                    .cache
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone())
            {
                l.cache.remove(&oldest);
            }
        }
        l.cache.insert(
            key,
            CacheEntry {
                at: t,
                tracks: tracks.clone(),
            },
        );
        Ok(tracks)
    }
}

/// Whole seconds, rounded up, so "try again in N s" is never early.
fn round_up(d: Duration) -> Duration {
    Duration::from_secs(d.as_millis().div_ceil(1000) as u64)
}

/// `spotify:track:` and a 22-character base-62 id.
pub fn is_spotify_track_uri(uri: &str) -> bool {
    uri.strip_prefix("spotify:track:")
        .is_some_and(|id| id.len() == 22 && id.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Searcher {
        Searcher::new(Catalogue::Demo(crate::players::demo::playlist()), 3)
    }

    #[tokio::test(start_paused = true)]
    async fn demo_search_finds_by_words_and_limits_each_guest() {
        let s = demo();
        let now = Timestamp::from_millis(0);
        let hits = s.search("g1", "laundromat", now).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].title, "Midnight at the Laundromat");
        assert!(s.accepts_uri(&hits[0].uri));
        assert_eq!(s.lookup(&hits[0].uri).unwrap().title, hits[0].title);
        assert!(s.search("g1", "", now).await.unwrap().len() <= 10);
        s.search("g1", "x", now).await.unwrap();
        let err = s.search("g1", "y", now).await.unwrap_err();
        assert_eq!(err, SearchError::TooFast(Duration::from_secs(60)));
        // Another guest is not held back by the first.
        s.search("g2", "y", now).await.unwrap();
        tokio::time::advance(GUEST_WINDOW).await;
        s.search("g1", "y", now).await.unwrap();
    }

    #[test]
    fn spotify_uris_are_checked() {
        assert!(is_spotify_track_uri("spotify:track:4PTG3Z6ehGkBFwjybzWkR8"));
        assert!(!is_spotify_track_uri(
            "spotify:album:4PTG3Z6ehGkBFwjybzWkR8"
        ));
        assert!(!is_spotify_track_uri("spotify:track:4PTG3Z6e"));
        assert!(!is_spotify_track_uri(
            "spotify:track:4PTG3Z6ehGkBFwjybzWk/8"
        ));
    }
}
