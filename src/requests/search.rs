//! Track search for the vote page: Spotify's catalogue through the party's login (or the demo
//! catalogue), cached per query, limited per guest, resting exactly as long as Spotify says.
use crate::core::{RequestedTrack, Timestamp, Track};
use crate::players::spotify::api::ApiFailure;
use crate::players::spotify::requests::{CallError, RequestsApi, SEARCH_LIMIT};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

/// The same query within this long costs no API call.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(10 * 60);
/// Cached queries kept at most (oldest dropped first).
pub(crate) const CACHE_ENTRIES: usize = 512;
pub(crate) const DEFAULT_SEARCHES_PER_MINUTE: u32 = 20;
const GUEST_WINDOW: Duration = Duration::from_secs(60);
/// Longest query passed on (Spotify's own limit is far above what a phone types).
pub(crate) const MAX_QUERY_CHARS: usize = 100;

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
    /// Tests: answers when the test says so.
    #[cfg(test)]
    Fake(FakeSearch),
}

#[cfg(test)]
type FakeSearch = Box<
    dyn Fn(&str) -> futures::future::BoxFuture<'static, Result<Vec<RequestedTrack>, SearchError>>
        + Send
        + Sync,
>;

struct CacheEntry {
    at: Instant,
    tracks: Arc<Vec<RequestedTrack>>,
}

type Outcome = Result<Arc<Vec<RequestedTrack>>, SearchError>;
/// Filled once by the search that calls the catalogue; every identical search waits on it.
type Flight = watch::Receiver<Option<Outcome>>;

#[derive(Default)]
struct Limits {
    cache: HashMap<String, CacheEntry>,
    guests: HashMap<String, VecDeque<Instant>>,
    /// When `guests` last forgot the guests quiet for a whole window (it stays bounded by the
    /// guests of the last two windows, not every phone of the night).
    guests_pruned: Option<Instant>,
    resting_until: Option<Instant>,
    in_flight: HashMap<String, Flight>,
}

/// What a search does next, decided under the limits lock.
enum Turn {
    Done(Outcome),
    Follow(Flight),
    Lead(watch::Sender<Option<Outcome>>),
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
pub(crate) fn demo_search(list: &[Track], q: &str) -> Vec<RequestedTrack> {
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
    pub(crate) fn accepts_uri(&self, uri: &str) -> bool {
        match &self.catalogue {
            Catalogue::Demo(list) => list.iter().any(|t| t.key() == uri),
            Catalogue::Spotify(_) => is_spotify_track_uri(uri),
            #[cfg(test)]
            Catalogue::Fake(_) => true,
        }
    }

    /// The track behind a URI a guest requests, from the catalogue (demo) or the cached search
    /// results (Spotify), so the journal carries what search showed, never what a client claims.
    pub(crate) fn lookup(&self, uri: &str) -> Option<RequestedTrack> {
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

    /// Results for `q`: from the cache, from an identical search already under way, or from
    /// one catalogue call. No lock is held while the catalogue is asked, so one slow query
    /// holds back only the guests who typed the same thing.
    pub async fn search(&self, guest: &str, q: &str, now: Timestamp) -> Outcome {
        let key = normalize(&q.chars().take(MAX_QUERY_CHARS).collect::<String>());
        let mut turn = self.admit(guest, &key)?;
        loop {
            match turn {
                Turn::Done(outcome) => return outcome,
                Turn::Follow(mut flight) => match flight.wait_for(Option::is_some).await {
                    Ok(done) => return done.clone().expect("waited for Some"),
                    // The caller that led was cancelled (its guest went away): look again,
                    // without charging this guest a second search.
                    Err(_) => turn = self.lock().turn(&key),
                },
                Turn::Lead(tx) => {
                    let lead = Lead {
                        searcher: self,
                        key: &key,
                        tx,
                    };
                    let outcome = self.fetch(&key, now).await;
                    return lead.finish(outcome);
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Limits> {
        self.limits.lock().expect("search limits lock")
    }

    /// Charges `guest` one search, then decides the turn.
    fn admit(&self, guest: &str, key: &str) -> Result<Turn, SearchError> {
        let mut l = self.lock();
        let t = Instant::now();
        if l.guests_pruned
            .is_none_or(|p| t.duration_since(p) >= GUEST_WINDOW)
        {
            l.guests.retain(|_, seen| {
                seen.back()
                    .is_some_and(|&s| t.duration_since(s) < GUEST_WINDOW)
            });
            l.guests_pruned = Some(t);
        }
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
        Ok(l.turn(key))
    }

    /// The catalogue's answer for `key`; a rest Spotify asks for comes back as `Resting` with
    /// its exact length (rounded by `Lead::finish`).
    async fn fetch(&self, key: &str, now: Timestamp) -> Result<Vec<RequestedTrack>, SearchError> {
        let api = match &self.catalogue {
            Catalogue::Demo(list) => return Ok(demo_search(list, key)),
            #[cfg(test)]
            Catalogue::Fake(f) => return f(key).await,
            Catalogue::Spotify(api) => api,
        };
        self.api_calls.fetch_add(1, Ordering::Relaxed);
        // The lock covers fetching (rarely refreshing) the token, never the search itself:
        // each lock is its own statement, as a guard in a `match` scrutinee would live until
        // the end of the match, across the search.
        let authorized = api.lock().await.authorize(now).await;
        let mut result = match authorized {
            Ok(auth) => auth.search(key).await.map_err(|e| (e, Some(auth))),
            Err(e) => Err((e, None)),
        };
        if let Err((CallError::Api(ApiFailure::Unauthorized), Some(stale))) = &result {
            let authorized = api.lock().await.reauthorize(stale, now).await;
            result = match authorized {
                Ok(auth) => auth.search(key).await.map_err(|e| (e, None)),
                Err(e) => Err((e, None)),
            };
        }
        result.map_err(|(e, _)| match e {
            CallError::Api(ApiFailure::RateLimited(d)) => SearchError::Resting(d),
            e => SearchError::Unavailable(e.to_string()),
        })
    }
}

impl Limits {
    /// A fresh cached answer, a rest in force, an identical search to wait for, or the lead.
    fn turn(&mut self, key: &str) -> Turn {
        let t = Instant::now();
        if let Some(e) = self
            .cache
            .get(key)
            .filter(|e| t.duration_since(e.at) < CACHE_TTL)
        {
            return Turn::Done(Ok(e.tracks.clone()));
        }
        if let Some(until) = self.resting_until.filter(|&u| u > t) {
            return Turn::Done(Err(SearchError::Resting(round_up(until - t))));
        }
        if let Some(flight) = self.in_flight.get(key) {
            return Turn::Follow(flight.clone());
        }
        let (tx, rx) = watch::channel(None);
        self.in_flight.insert(key.to_string(), rx);
        Turn::Lead(tx)
    }

    fn remember(&mut self, key: &str, tracks: Arc<Vec<RequestedTrack>>) {
        let t = Instant::now();
        if self.cache.len() >= CACHE_ENTRIES {
            self.cache.retain(|_, e| t.duration_since(e.at) < CACHE_TTL);
            if self.cache.len() >= CACHE_ENTRIES
                && let Some(oldest) = self
                    .cache
                    .iter()
                    .min_by_key(|(_, e)| e.at)
                    .map(|(k, _)| k.clone())
            {
                self.cache.remove(&oldest);
            }
        }
        self.cache
            .insert(key.to_string(), CacheEntry { at: t, tracks });
    }
}

/// The search that calls the catalogue for `key`. Dropped before it finishes (its guest's
/// request was cancelled), it clears the way so a waiting search takes the lead.
struct Lead<'a> {
    searcher: &'a Searcher,
    key: &'a str,
    tx: watch::Sender<Option<Outcome>>,
}

impl Lead<'_> {
    fn finish(self, fetched: Result<Vec<RequestedTrack>, SearchError>) -> Outcome {
        let mut l = self.searcher.lock();
        let outcome = match fetched {
            Ok(tracks) => {
                let tracks = Arc::new(tracks);
                l.remember(self.key, tracks.clone());
                Ok(tracks)
            }
            Err(SearchError::Resting(d)) => {
                l.resting_until = Some(Instant::now() + d);
                Err(SearchError::Resting(round_up(d)))
            }
            Err(e) => Err(e),
        };
        // Under the lock, with the cache already filled: no search sees neither.
        l.in_flight.remove(self.key);
        self.tx.send_replace(Some(outcome.clone()));
        outcome
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.tx.borrow().is_none() {
            // Only this search inserts or removes `key` while it leads.
            self.searcher.lock().in_flight.remove(self.key);
        }
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
#[path = "search_tests.rs"]
mod tests;
