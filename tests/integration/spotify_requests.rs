//! Song requests through the real HTTP server, the real loop and journal, and the real Spotify
//! watcher, against the fake Spotify: search (limit, cache, 429 honoured exactly), request,
//! queueing (204 empty and 200 text both succeed; PREMIUM_REQUIRED and NO_ACTIVE_DEVICE fail in
//! plain words), and bad input answered with a 4xx.
use crate::spotify_support;

use party_tui::app::engine::{EffectSinks, Engine};
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::core::{Party, Rules, Snapshot};
use party_tui::http::{self, HttpState};
use party_tui::journal::Journal;
use party_tui::players::spotify::requests::RequestsApi;
use party_tui::players::spotify::run_player;
use party_tui::players::spotify::token::{Token, TokenStore};
use party_tui::requests::search::{Catalogue, Searcher};
use serde_json::{Value, json};
use spotify_support::fake::{Fake, Reply};
use spotify_support::sim::Sim;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const LIMIT: Duration = Duration::from_secs(20);

struct Rig {
    base: String,
    fake: Fake,
    http: reqwest::Client,
    journal: std::path::PathBuf,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn start() -> Rig {
    let fake = Fake::start(Sim::new(
        vec![spotify_support::sim::track(1, 600)],
        tokio::time::Instant::now(),
    ))
    .await;
    fake.with(|s| s.latency = Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("spotify_token.json"));
    let (access, refresh) = fake.issue();
    let clock = Clock::starting_at(spotify_support::T0, 1.0);
    store
        .save(&Token {
            access_token: access.into(),
            refresh_token: refresh.into(),
            expires_at: spotify_support::T0 + Duration::from_secs(3600),
            scope: String::new(),
        })
        .unwrap();
    let cfg = spotify_support::config(&fake, store.path().to_path_buf());
    let path = dir.path().join("p.jsonl");
    let (journal, _) = Journal::open(&path).unwrap();
    let party = Party::new("p", Rules::default());
    let (inbox, rx) = Inbox::new();
    let (snap_tx, snapshots) = watch::channel(Arc::new(party.snapshot(spotify_support::T0)));
    let (player_tx, player_rx) = mpsc::channel(8);
    let shutdown = CancellationToken::new();
    let sinks = EffectSinks {
        player: Some(player_tx),
        committed: None,
    };
    tokio::spawn(
        Engine::new(party, journal, clock.clone(), sinks, snap_tx).run(rx, shutdown.clone()),
    );
    tokio::spawn(run_player(
        cfg.clone(),
        inbox.clone(),
        player_rx,
        clock.clone(),
        shutdown.clone(),
    ));
    let searcher = Searcher::new(
        Catalogue::Spotify(Box::new(tokio::sync::Mutex::new(
            RequestsApi::new(&cfg).unwrap(),
        ))),
        20,
    );
    let state = HttpState::new(
        inbox,
        snapshots.clone(),
        Default::default(),
        "admin".into(),
        None,
        clock,
    )
    .with_search(Arc::new(searcher))
    // Every guest of this rig comes from 127.0.0.1: no cap on new guests per address.
    .with_limits(&http::HttpLimits {
        rate_limit: None,
        new_guests_per_hour: 0,
        trusted_proxies: Vec::new(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(http::serve(listener, state, shutdown.clone()));
    Rig {
        base,
        fake,
        http: reqwest::Client::new(),
        journal: path,
        snapshots,
        shutdown,
        _dir: dir,
    }
}

impl Rig {
    /// A new guest: the cookie the vote page sets.
    async fn guest(&self) -> String {
        let res = self.http.get(&self.base).send().await.unwrap();
        let set = res.headers()["set-cookie"].to_str().unwrap().to_string();
        set.split(';').next().unwrap().to_string()
    }

    /// A search running on its own task, for tests that hold one while they send another.
    fn spawn_search(
        &self,
        cookie: String,
        q: &'static str,
    ) -> tokio::task::JoinHandle<reqwest::StatusCode> {
        let (http, base) = (self.http.clone(), self.base.clone());
        tokio::spawn(async move {
            let url = format!("{base}/api/search");
            let res = http.get(url).query(&[("q", q)]).header("cookie", cookie);
            res.send().await.unwrap().status()
        })
    }

    async fn search(&self, cookie: &str, q: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/api/search", self.base))
            .query(&[("q", q)])
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }

    async fn request(&self, cookie: &str, body: &str) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/request", self.base))
            .header("cookie", cookie)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Waits until this guest's request in /api/state has `status`.
    async fn you_request(&self, cookie: &str, status: &str) -> Value {
        let start = tokio::time::Instant::now();
        loop {
            let s: Value = self
                .http
                .get(format!("{}/api/state", self.base))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if s["you"]["request"]["status"] == status {
                return s["you"]["request"].clone();
            }
            assert!(start.elapsed() < LIMIT, "no {status} request: {}", s["you"]);
            // The snapshot changes when the watcher's answer is applied: wait for that.
            let mut rx = self.snapshots.clone();
            let _ = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await;
        }
    }

    fn searches(&self) -> usize {
        self.fake.requests("GET", "/v1/search").len()
    }
}

#[tokio::test]
async fn search_answers_the_contract_caches_and_honours_a_429_exactly() {
    let p = start().await;
    let ann = p.guest().await;
    let res = p.search(&ann, "porch light").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["tracks"][0],
        json!({"uri": "spotify:track:0aAaAaAaAaAaAaAaAaAa01", "title": "Porch Light Waltz",
               "artist": "The Fake Band", "album": "Loopback", "duration_ms": 201_000,
               "image": "https://i.scdn.co/image/0aAaAaAaAaAaAaAaAaAa01-64"})
    );
    assert_eq!(body["tracks"].as_array().unwrap().len(), 2);
    assert_eq!(p.searches(), 1);
    // The same words (other case, spacing, another guest) cost no API call.
    let bob = p.guest().await;
    assert_eq!(p.search(&bob, "  Porch   LIGHT ").await.status(), 200);
    assert_eq!(p.searches(), 1);

    // Spotify says 429 for 7 s: the guest is told exactly, and no call is made meanwhile.
    p.fake.with(|s| {
        s.search_script
            .push_back(Reply::RateLimited { retry_after: 7 })
    });
    let res = p.search(&ann, "kitchen").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "7");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "search is resting, try again in 7 s");
    assert_eq!(body["retry_after_secs"], 7);
    let res = p.search(&bob, "floor").await;
    assert_eq!(res.status(), 429);
    assert_eq!(p.searches(), 2);
    // Cached answers still come while resting.
    assert_eq!(p.search(&bob, "porch light").await.status(), 200);

    // Bad input is a 4xx with words, never a call to Spotify.
    assert_eq!(p.search(&ann, "").await.status(), 400);
    assert_eq!(p.search(&ann, &"x".repeat(101)).await.status(), 400);
    let no_cookie = p
        .http
        .get(format!("{}/api/search?q=a", p.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 403);
    assert_eq!(p.searches(), 2);
    p.shutdown.cancel();
}

#[tokio::test]
async fn a_search_held_at_spotify_does_not_hold_up_another_guests_search() {
    let p = start().await;
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    let arrived = p.fake.with(|s| {
        s.search_hold = Some(hold.clone());
        s.search_arrived.clone()
    });
    let (ann, bob) = (p.guest().await, p.guest().await);
    let first = p.spawn_search(ann, "porch");
    tokio::time::timeout(LIMIT, arrived.notified())
        .await
        .unwrap();
    // The first search is at Spotify and stays there: another guest's other search must
    // reach Spotify too (it used to queue behind the first on the api's lock).
    let second = p.spawn_search(bob, "kitchen");
    tokio::time::timeout(LIMIT, arrived.notified())
        .await
        .expect("the second search reached Spotify while the first was held there");
    assert_eq!(p.searches(), 2);
    hold.add_permits(2);
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(second.await.unwrap(), 200);
}

#[tokio::test]
async fn a_request_is_journaled_queued_on_spotify_and_failures_come_back_in_plain_words() {
    let p = start().await;
    let ann = p.guest().await;
    assert_eq!(p.search(&ann, "porch").await.status(), 200);
    // Bad requests: 4xx, nothing journaled.
    assert_eq!(p.request(&ann, "{").await.0, 400);
    assert_eq!(
        p.request(&ann, r#"{"uri":"spotify:album:0aAaAaAaAaAaAaAaAaAa01"}"#)
            .await
            .0,
        400
    );
    let (status, body) = p
        .request(&ann, r#"{"uri":"spotify:track:0zZzZzZzZzZzZzZzZzZz99"}"#)
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("search for the song first")
    );
    let (status, _) = p
        .request(
            "pt_guest=nope",
            r#"{"uri":"spotify:track:0aAaAaAaAaAaAaAaAaAa01"}"#,
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        !std::fs::read_to_string(&p.journal)
            .unwrap_or_default()
            .contains("\"request\"")
    );

    // A 200 with an opaque text body is success too (never parsed).
    p.fake.with(|s| {
        s.queue_script
            .push_back(Reply::Text("oPClBVDzidwlAlSqmFF-zKNO62E"))
    });
    let (status, body) = p
        .request(&ann, r#"{"uri":"spotify:track:0aAaAaAaAaAaAaAaAaAa01"}"#)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["request"]["title"], "Porch Light Waltz");
    // Answered once journaled.
    let journal = std::fs::read_to_string(&p.journal).unwrap();
    assert!(journal.contains(r#""request":"ask""#), "{journal}");
    let r = p.you_request(&ann, "queued").await;
    assert_eq!(r["uri"], "spotify:track:0aAaAaAaAaAaAaAaAaAa01");
    // "queued" covers "sent to the player"; the player's own answer is journaled next.
    let start = tokio::time::Instant::now();
    while !std::fs::read_to_string(&p.journal)
        .unwrap()
        .contains(r#""request":"queued""#)
    {
        assert!(start.elapsed() < LIMIT, "Spotify's answer never journaled");
        let mut rx = p.snapshots.clone();
        let _ = tokio::time::timeout(Duration::from_millis(200), rx.changed()).await;
    }
    assert_eq!(
        p.fake.with(|s| s.queued.clone()),
        vec!["spotify:track:0aAaAaAaAaAaAaAaAaAa01"]
    );
    // One at a time: a second request is refused in words.
    let (_, body) = p
        .request(&ann, r#"{"uri":"spotify:track:0aAaAaAaAaAaAaAaAaAa02"}"#)
        .await;
    assert_eq!(body["request"]["status"], "refused");
    assert!(
        body["request"]["reason"]
            .as_str()
            .unwrap()
            .contains("one at a time")
    );

    // Not Premium, no device: failed requests that say what to do.
    for (reply, words) in [
        (Reply::Refused(403, "PREMIUM_REQUIRED"), "Premium"),
        (Reply::Refused(404, "NO_ACTIVE_DEVICE"), "start playback"),
    ] {
        let guest = p.guest().await;
        p.fake.with(|s| s.queue_script.push_back(reply));
        assert_eq!(p.search(&guest, "kitchen").await.status(), 200);
        let (status, _) = p
            .request(&guest, r#"{"uri":"spotify:track:0aAaAaAaAaAaAaAaAaAa03"}"#)
            .await;
        assert_eq!(status, 200);
        let r = p.you_request(&guest, "failed").await;
        assert!(r["reason"].as_str().unwrap().contains(words), "{r}");
    }
    // Everyone sees the queue, nobody's guest id.
    let s: Value = p
        .http
        .get(format!("{}/api/state", p.base))
        .header("cookie", &ann)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The queue names the request by its number (what the host approves by), never a guest.
    let id = s["requests"][0]["id"].as_u64().expect("a request number");
    assert_eq!(
        s["requests"],
        json!([{"id": id, "title": "Porch Light Waltz", "artist": "The Fake Band", "status": "queued", "likes": 0}])
    );
    assert!(!s.to_string().contains(ann.trim_start_matches("pt_guest=")));
    p.shutdown.cancel();
}
