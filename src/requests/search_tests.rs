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

/// A catalogue that counts its calls and answers "slow …" queries only once the gate opens.
fn gated() -> (Arc<Searcher>, Arc<AtomicU64>, watch::Sender<bool>) {
    let calls = Arc::new(AtomicU64::new(0));
    let (gate, open) = watch::channel(false);
    let counted = calls.clone();
    let fake = move |q: &str| {
        counted.fetch_add(1, Ordering::SeqCst);
        let q = q.to_string();
        let mut open = open.clone();
        let fut = async move {
            if q.starts_with("slow") {
                let _ = open.wait_for(|o| *o).await;
            }
            Ok(vec![RequestedTrack {
                uri: format!("spotify:track:{q}"),
                title: q,
                artist: String::new(),
                album: String::new(),
                duration_ms: None,
                image: None,
            }])
        };
        Box::pin(fut) as futures::future::BoxFuture<'static, _>
    };
    let s = Searcher::new(Catalogue::Fake(Box::new(fake)), 100);
    (Arc::new(s), calls, gate)
}

fn spawn_search(s: &Arc<Searcher>, guest: &str, q: &str) -> tokio::task::JoinHandle<Outcome> {
    let (s, guest, q) = (s.clone(), guest.to_string(), q.to_string());
    tokio::spawn(async move { s.search(&guest, &q, Timestamp::from_millis(0)).await })
}

#[tokio::test(start_paused = true)]
async fn identical_searches_share_one_call_and_others_do_not_wait() {
    let (s, calls, gate) = gated();
    let a = spawn_search(&s, "g1", "slow song");
    let b = spawn_search(&s, "g2", "  Slow   SONG ");
    tokio::task::yield_now().await;
    // A different query is answered while the first is still out.
    let other = s.search("g3", "fast", Timestamp::from_millis(0)).await;
    assert_eq!(other.unwrap()[0].title, "fast");
    assert!(!a.is_finished() && !b.is_finished());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one call for the slow query, one for fast"
    );
    gate.send_replace(true);
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    assert!(Arc::ptr_eq(&a, &b));
    // Now cached: no further call.
    s.search("g4", "slow song", Timestamp::from_millis(0))
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(s.lock().in_flight.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_lead_hands_the_call_to_a_waiting_search() {
    let (s, calls, gate) = gated();
    let lead = spawn_search(&s, "g1", "slow one");
    tokio::task::yield_now().await;
    let follower = spawn_search(&s, "g2", "slow one");
    tokio::task::yield_now().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    lead.abort();
    let _ = lead.await;
    tokio::task::yield_now().await;
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the follower asked again");
    gate.send_replace(true);
    assert_eq!(follower.await.unwrap().unwrap()[0].title, "slow one");
    assert!(s.lock().in_flight.is_empty());
}

#[tokio::test(start_paused = true)]
async fn quiet_guests_are_forgotten() {
    let s = demo();
    let now = Timestamp::from_millis(0);
    for g in 0..1000 {
        s.search(&format!("guest{g}"), "laundromat", now)
            .await
            .unwrap();
    }
    assert_eq!(s.lock().guests.len(), 1000);
    tokio::time::advance(GUEST_WINDOW).await;
    s.search("late", "laundromat", now).await.unwrap();
    assert_eq!(s.lock().guests.len(), 1, "only the guest of this window");
}
