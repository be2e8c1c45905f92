//! The Spotify watcher against a fake Web API on 127.0.0.1, on paused tokio time: what reaches
//! the inbox, and which requests were made when.
use crate::spotify_support;

use party_tui::core::{AdapterResult, HealthLevel, TransportState};
use party_tui::players::PlayerCommand;
use spotify_support::fake::Reply;
use spotify_support::sim::{ChangeKind, track};
use spotify_support::{Event, rig, rig_with};
use std::time::Duration;
use tokio::time::Instant;

const S: Duration = Duration::from_secs(1);
const GET: (&str, &str) = ("GET", "/v1/me/player");
const NEXT: (&str, &str) = ("POST", "/v1/me/player/next");

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test(start_paused = true)]
async fn a_natural_end_is_seen_promptly_with_few_requests() {
    let mut r = rig(vec![track(1, 40), track(2, 200)]).await;
    let (_, first) = r.track_update(&track(1, 0).id, 5 * S).await;
    let t = first.track.unwrap();
    assert_eq!(first.player, "Living Room");
    assert_eq!(first.state, TransportState::Playing);
    assert_eq!((t.title.as_str(), t.artist.as_str()), ("Song 1", "Band 1"));
    assert_eq!(t.artist_ids, [track(1, 0).artist_id]);
    assert_eq!(t.duration_ms, Some(40_000));
    let (seen, _) = r.track_update(&track(2, 0).id, 60 * S).await;
    let changed = r.fake.with(|f| f.sim.changes[0].clone());
    assert_eq!(changed.kind, ChangeKind::Natural);
    let delay = seen - changed.at;
    assert!(
        delay <= Duration::from_millis(1500),
        "seen {delay:?} after the end"
    );
    // 40 s of playback: the first poll, routine checks at 12 s intervals, and the end poll.
    let gets = r.fake.requests(GET.0, GET.1).len();
    assert!(gets <= 5, "{gets} requests for one 40 s track");
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_manual_change_in_the_app_is_seen_within_15_s() {
    let mut r = rig(vec![track(1, 200), track(2, 200)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    tokio::time::sleep(secs(20)).await;
    let at = Instant::now();
    r.fake.with(|f| f.sim.manual_next(at));
    let (seen, _) = r.track_update(&track(2, 0).id, 30 * S).await;
    assert!(
        seen - at <= 15 * S,
        "manual change seen after {:?}",
        seen - at
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn our_skip_posts_next_and_sees_the_next_track_at_once() {
    let mut r = rig(vec![track(1, 200), track(2, 200)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    // A skip for a track that is no longer playing is stale: no request.
    r.cmds
        .send(PlayerCommand::Skip {
            track: "gone".into(),
        })
        .await
        .unwrap();
    let asked = Instant::now();
    r.cmds
        .send(PlayerCommand::Skip {
            track: track(1, 0).id,
        })
        .await
        .unwrap();
    let (seen, _) = r.track_update(&track(2, 0).id, 10 * S).await;
    assert_eq!(r.fake.requests(NEXT.0, NEXT.1).len(), 1);
    let change = r.fake.with(|f| f.sim.changes[0].clone());
    assert_eq!(change.kind, ChangeKind::OurSkip);
    assert!(
        seen - change.at <= Duration::from_millis(1500),
        "{:?}",
        seen - change.at
    );
    assert!(
        seen - asked <= 2 * S,
        "{:?} from command to new track",
        seen - asked
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn skip_refusals_come_back_in_host_words() {
    let mut r = rig(vec![track(1, 300)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    r.fake.with(|f| {
        f.next_script
            .push_back(Reply::Refused(403, "PREMIUM_REQUIRED"));
        f.next_script
            .push_back(Reply::Refused(404, "NO_ACTIVE_DEVICE"));
    });
    let key = track(1, 0).id;
    for words in ["Premium", "no Spotify device is active"] {
        r.cmds
            .send(PlayerCommand::Skip { track: key.clone() })
            .await
            .unwrap();
        match r.result(5 * S).await {
            AdapterResult::SkipFailed { track, reason } => {
                assert_eq!(track, key);
                assert!(reason.contains(words), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn paused_and_idle_are_polled_slowly() {
    let mut r = rig(vec![track(1, 200)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    let now = Instant::now();
    r.fake.with(|f| f.sim.pause(now));
    let (paused_at, _) = r
        .update_where(20 * S, |u| u.state == TransportState::Paused)
        .await;
    r.fake.with(|f| f.sim.idle = true);
    let (idle_at, u) = r
        .update_where(40 * S, |u| u.state == TransportState::Stopped)
        .await;
    assert_eq!(u.track, None);
    assert!(
        idle_at - paused_at >= 29 * S,
        "paused poll after {:?}",
        idle_at - paused_at
    );
    r.fake.with(|f| f.sim.idle = false);
    let (back, _) = r.update_where(90 * S, |u| u.track.is_some()).await;
    assert!(
        back - idle_at >= 59 * S,
        "idle poll after {:?}",
        back - idle_at
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_of_hours_is_honoured_and_skips_wait_too() {
    let mut r = rig(vec![track(1, 3 * 3600)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    r.fake.with(|f| {
        f.player_script
            .push_back(Reply::RateLimited { retry_after: 7200 })
    });
    let h = r
        .health_where(20 * S, |h| h.level == HealthLevel::Warn)
        .await;
    assert!(
        h.detail.contains("rate limited") && h.detail.contains("2 h"),
        "{}",
        h.detail
    );
    let limited_at = *r.fake.requests(GET.0, GET.1).last().unwrap();
    // A skip while Spotify asked us to wait: refused at once, no request.
    r.cmds
        .send(PlayerCommand::Skip {
            track: track(1, 0).id,
        })
        .await
        .unwrap();
    match r.result(S).await {
        AdapterResult::SkipFailed { reason, .. } => {
            assert!(reason.contains("rate limit"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert!(r.fake.requests(NEXT.0, NEXT.1).is_empty());
    r.update_where(3 * 3600 * S, |_| true).await;
    let gets = r.fake.requests(GET.0, GET.1);
    let i = gets.iter().position(|t| *t == limited_at).unwrap();
    let waited = gets[i + 1] - limited_at;
    // Retry-After counts from the answer, which arrives one latency after the request.
    let latency = r.fake.with(|f| f.latency);
    assert_eq!(
        waited,
        secs(7200) + latency,
        "next request after {waited:?}"
    );
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn server_errors_back_off_exponentially() {
    let mut r = rig(vec![track(1, 600)]).await;
    r.fake.with(|f| {
        for _ in 0..3 {
            f.player_script.push_back(Reply::Status(503));
        }
    });
    let (_, u) = r.update_where(60 * S, |_| true).await;
    assert!(u.track.is_some());
    let gets = r.fake.requests(GET.0, GET.1);
    assert_eq!(gets.len(), 4);
    let latency = r.fake.with(|f| f.latency);
    let gaps: Vec<Duration> = gets.windows(2).map(|w| w[1] - w[0] - latency).collect();
    assert_eq!(gaps, [secs(2), secs(4), secs(8)]);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_401_refreshes_persists_the_rotated_token_and_retries() {
    let mut r = rig(vec![track(1, 600), track(2, 600)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    let before = r.store.load().unwrap().unwrap();
    // Spotify revokes the access token early.
    r.fake.with(|f| f.access_tokens.clear());
    r.fake.with(|f| f.sim.manual_next(Instant::now()));
    let (_, u) = r.track_update(&track(2, 0).id, 20 * S).await;
    assert_eq!(u.state, TransportState::Playing);
    let after = r.store.load().unwrap().unwrap();
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "rotated refresh token saved"
    );
    assert_ne!(after.access_token, before.access_token);
    // The spent refresh token is gone at Spotify; the saved one is the live one.
    r.fake.with(|f| {
        assert!(!f.refresh_tokens.contains(before.refresh_token.expose()));
        assert!(f.refresh_tokens.contains(after.refresh_token.expose()));
    });
    assert_eq!(r.fake.requests("POST", "/api/token").len(), 1);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_token_near_expiry_is_refreshed_before_the_poll() {
    let mut r = rig_with(vec![track(1, 600)], Some(secs(30))).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    let token = r.store.load().unwrap().unwrap();
    assert_eq!(token.refresh_token, "AQ-refresh-2");
    // Refreshed first, so no request was ever refused.
    let tokens = r.fake.requests("POST", "/api/token");
    let gets = r.fake.requests(GET.0, GET.1);
    assert_eq!((tokens.len(), gets.len()), (1, 1));
    let order: Vec<String> = r
        .fake
        .with(|f| f.requests.iter().map(|q| q.path.clone()).collect());
    assert_eq!(order, ["/api/token", "/v1/me/player"]);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_expired_login_says_to_log_in_again() {
    let mut r = rig(vec![track(1, 600)]).await;
    r.fake.with(|f| {
        f.access_tokens.clear();
        f.refresh_tokens.clear();
    });
    let h = r
        .health_where(10 * S, |h| h.level == HealthLevel::Error)
        .await;
    assert!(
        h.detail.contains("run `party-tui spotify login` again"),
        "{}",
        h.detail
    );
    // It does not hammer the accounts service with the dead refresh token.
    r.health_where(70 * S, |h| h.level == HealthLevel::Error)
        .await;
    assert_eq!(r.fake.requests("POST", "/api/token").len(), 1);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn not_logged_in_is_an_error_until_a_login_appears() {
    let mut r = rig_with(vec![track(1, 600)], None).await;
    let h = r
        .health_where(5 * S, |h| h.level == HealthLevel::Error)
        .await;
    assert!(h.detail.contains("party-tui spotify login"), "{}", h.detail);
    assert!(r.fake.requests(GET.0, GET.1).is_empty());
    // A login in another terminal: picked up without a restart.
    let (access, refresh) = r.fake.issue();
    let token = party_tui::players::spotify::token::Token {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at: spotify_support::T0 + secs(7200),
        scope: String::new(),
    };
    r.store.save(&token).unwrap();
    r.track_update(&track(1, 0).id, 40 * S).await;
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_ad_is_playing_without_a_track_and_the_next_song_follows() {
    let mut r = rig(vec![track(1, 200), track(2, 200)]).await;
    let now = Instant::now();
    r.fake.with(|f| f.sim.ad_until = Some(now + secs(30)));
    let (_, ad) = r.update_where(5 * S, |_| true).await;
    assert_eq!((ad.state, ad.track), (TransportState::Playing, None));
    // An ad has no length to predict: the routine check finds the song after it.
    let (seen, _) = r.track_update(&track(1, 0).id, 40 * S).await;
    assert!(seen - now <= secs(30) + 15 * S);
    r.stop().await;
}

#[tokio::test(start_paused = true)]
async fn health_says_last_answer_and_next_poll() {
    let mut r = rig(vec![track(1, 200)]).await;
    let h = r.health_where(5 * S, |_| true).await;
    assert_eq!(h.name, "Spotify");
    assert_eq!(h.level, HealthLevel::Ok);
    assert!(
        h.detail
            .contains("last answer playing \u{201c}Song 1\u{201d}"),
        "{}",
        h.detail
    );
    assert!(h.detail.contains("next poll in 12 s"), "{}", h.detail);
    while let Some((_, ev)) = r.next_event(Duration::ZERO).await {
        assert!(!matches!(ev, Event::Result(_)));
    }
    r.stop().await;
}

/// Every recorded body: GET /me/player answers go through the fake to the watcher; bodies of
/// GET /me/player/currently-playing (no device) through the mapping. A fresh clone has no
/// fixtures directory, so this one skips (or fails in CI).
#[tokio::test(start_paused = true)]
async fn every_recorded_body() {
    use party_tui::players::spotify::map;
    use rspotify::model::CurrentlyPlayingContext;
    let Some(dir) = crate::support::recorded_fixtures("spotify") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no bodies in {}", dir.display());
    let mut r = rig(vec![track(1, 600)]).await;
    r.track_update(&track(1, 0).id, 5 * S).await;
    for path in files {
        let name = path.display().to_string();
        let body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let want = body["item"]["id"].as_str().map(str::to_string);
        if body.get("device").is_some() {
            r.fake
                .with(|f| f.player_script.push_back(Reply::Body(body.clone())));
            let (_, u) = r
                .update_where(20 * S, |u| {
                    u.track.as_ref().and_then(|t| t.id.clone()) == want
                })
                .await;
            let t = u.track.unwrap();
            assert!(!t.title.is_empty() && !t.artist.is_empty(), "{name}: {t:?}");
            assert_eq!(
                t.duration_ms,
                body["item"]["duration_ms"].as_u64(),
                "{name}"
            );
        } else {
            let ctx: CurrentlyPlayingContext =
                serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            let t = ctx
                .item
                .as_ref()
                .and_then(map::track)
                .unwrap_or_else(|| panic!("{name}: no track"));
            assert_eq!(t.id, want, "{name}");
            assert!(!t.artist_ids.is_empty(), "{name}");
        }
    }
    r.stop().await;
}
