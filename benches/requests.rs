//! Song requests under load. `cargo bench --bench requests` prints:
//! 1. `/api/search` answer time, p50/p95, uncached (each query new: one call to the fake
//!    Spotify, answering at once, so this is our own cost) and cached (the same queries again);
//! 2. requests per minute sustained through HTTP, the loop and the fsynced journal;
//! 3. Spotify Web API calls in one simulated hour of playback with a dozen searches and six
//!    requests queued (the watcher's budget, ≤ 360 per hour, must still hold).
#[path = "../tests/integration/spotify_support/mod.rs"]
mod spotify_support;

use party_tui::app::engine::{EffectSinks, Engine};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::core::*;
use party_tui::http::{self, HttpState};
use party_tui::journal::Journal;
use party_tui::players::PlayerCommand;
use party_tui::players::spotify::requests::RequestsApi;
use party_tui::requests::search::{Catalogue, Searcher};
use spotify_support::fake::Fake;
use spotify_support::sim::{Sim, track};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const SEARCHES: usize = 300;
const LOAD_SECS: u64 = 5;
const CLIENTS: usize = 32;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(search_latency());
    rt.block_on(requests_per_minute());
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    paused.block_on(spotify_hour_with_requests());
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() - 1) * p / 100].as_secs_f64() * 1000.0
}

async fn login(fake: &Fake, dir: &std::path::Path) -> party_tui::players::spotify::SpotifyConfig {
    use party_tui::players::spotify::token::{Token, TokenStore};
    let store = TokenStore::new(dir.join("spotify_token.json"));
    let (access_token, refresh_token) = fake.issue();
    store
        .save(&Token {
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at: spotify_support::T0 + Duration::from_secs(24 * 3600),
            scope: String::new(),
        })
        .unwrap();
    spotify_support::config(fake, store.path().to_path_buf())
}

/// A server with the real loop and journal; no player (requests stay "queued").
async fn server(
    dir: &std::path::Path,
    searcher: Searcher,
    rules: Rules,
) -> (String, CancellationToken) {
    let clock = Clock::starting_at(spotify_support::T0, 1.0);
    let (journal, _) = Journal::open(&dir.join("p.jsonl")).unwrap();
    let party = Party::new("bench", rules);
    let (inbox, rx) = Inbox::new();
    let (snap_tx, snaps) = watch::channel(Arc::new(party.snapshot(spotify_support::T0)));
    let stop = CancellationToken::new();
    let sinks = EffectSinks::default();
    tokio::spawn(Engine::new(party, journal, clock.clone(), sinks, snap_tx).run(rx, stop.clone()));
    let state = HttpState::new(inbox, snaps, Default::default(), "t".into(), None, clock)
        .with_rate_limit(None)
        .with_search(Arc::new(searcher));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(http::serve(listener, state, stop.clone()));
    (base, stop)
}

fn cookie(i: usize) -> String {
    format!("pt_guest={i:032x}")
}

async fn search_latency() {
    let fake = Fake::start(Sim::new(vec![track(1, 600)], tokio::time::Instant::now())).await;
    fake.with(|s| s.latency = Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let cfg = login(&fake, dir.path()).await;
    let api = RequestsApi::new(&cfg).unwrap();
    let searcher = Searcher::new(
        Catalogue::Spotify(Box::new(tokio::sync::Mutex::new(api))),
        u32::MAX,
    );
    let (base, stop) = server(dir.path(), searcher, Rules::default()).await;
    let http = reqwest::Client::new();
    let run = async |label: &str| {
        let mut times = Vec::with_capacity(SEARCHES);
        for i in 0..SEARCHES {
            let t = Instant::now();
            let res = http
                .get(format!("{base}/api/search"))
                .query(&[("q", format!("porch {i}"))])
                .header("cookie", cookie(i % 50))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap();
            times.push(t.elapsed());
        }
        println!(
            "search {label}: n={SEARCHES} p50={:.2} ms p95={:.2} ms",
            pct(&mut times, 50),
            pct(&mut times, 95)
        );
    };
    run("uncached").await;
    let calls = fake.requests("GET", "/v1/search").len();
    run("cached").await;
    let again = fake.requests("GET", "/v1/search").len() - calls;
    println!("search: {calls} Spotify calls for {SEARCHES} new queries, {again} for the repeats");
    stop.cancel();
    fake.stop();
}

async fn requests_per_minute() {
    let dir = tempfile::tempdir().unwrap();
    let searcher = Searcher::new(
        Catalogue::Demo(party_tui::players::demo::playlist()),
        u32::MAX,
    );
    // Every guest may ask for any track again and again: each request is admitted and journaled.
    let rules = Rules {
        requests: RequestRules {
            open_per_guest: u32::MAX,
            queue_length: u32::MAX,
            repeat: Duration::from_millis(1),
            expire: Duration::ZERO,
            ..RequestRules::default()
        },
        ..Rules::default()
    };
    let (base, stop) = server(dir.path(), searcher, rules).await;
    let uris: Vec<String> = party_tui::players::demo::playlist()
        .iter()
        .map(|t| t.key())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(LOAD_SECS);
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (base, uris) = (base.clone(), uris.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let body = format!(r#"{{"uri":"{}"}}"#, uris[(c + n as usize) % uris.len()]);
                let res = http
                    .post(format!("{base}/api/request"))
                    .header("cookie", cookie(1000 + c))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let per_min = total as f64 * 60.0 / LOAD_SECS as f64;
    println!(
        "requests: {total} in {LOAD_SECS} s from {CLIENTS} guests, each journaled (fsync) before its answer: {per_min:.0} per minute"
    );
    stop.cancel();
}

async fn spotify_hour_with_requests() {
    let tracks = (1..=30)
        .map(|n| track(n, 180 + (n as u64 * 37) % 120))
        .collect();
    let r = spotify_support::rig(tracks).await;
    let cfg = spotify_support::config(&r.fake, r.store.path().to_path_buf());
    let searcher = Searcher::new(
        Catalogue::Spotify(Box::new(tokio::sync::Mutex::new(
            RequestsApi::new(&cfg).unwrap(),
        ))),
        u32::MAX,
    );
    let start = tokio::time::Instant::now();
    // A dozen searches (a few repeated, so cached) and six requests queued through the watcher.
    let queries = [
        "porch", "kitchen", "waltz", "porch", "choir", "floor", "reprise", "kitchen", "band",
        "mock", "light", "porch",
    ];
    for (i, q) in queries.iter().enumerate() {
        tokio::time::sleep_until(start + Duration::from_secs(240 * i as u64 + 30)).await;
        searcher
            .search(&format!("g{i}"), q, spotify_support::T0)
            .await
            .unwrap();
        if i % 2 == 0 {
            let uri = format!("spotify:track:0aAaAaAaAaAaAaAaAaAa0{}", 1 + i % 3);
            r.cmds
                .send(PlayerCommand::Queue {
                    id: i as u64,
                    track: RequestedTrack {
                        uri,
                        title: q.to_string(),
                        ..Default::default()
                    },
                })
                .await
                .unwrap();
        }
    }
    tokio::time::sleep_until(start + Duration::from_secs(3600)).await;
    let (all, searches, queued) = r.fake.with(|f| {
        let count = |p: &str| f.requests.iter().filter(|q| q.path == p).count();
        (
            f.requests.len(),
            count("/v1/search"),
            count("/v1/me/player/queue"),
        )
    });
    println!(
        "spotify hour with requests: {all} Web API calls ({searches} searches for 12 asked, {queued} queue adds, the rest the watcher's) (goal <= 360)"
    );
    r.stop().await;
}
