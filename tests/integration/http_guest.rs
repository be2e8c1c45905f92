//! The guests' routes on a real socket: page and cookie, votes, state, live events, party code.
use crate::http_harness;

use http_harness::{Options, PATIENCE, cookie_pair, json_of, set_cookie, start};
use party_tui::core::effect::LogEntry;
use party_tui::core::{
    Action, Effect, Input, NowPlaying, Origin, Press, PressKind, PressResult, Snapshot, Source,
    Timestamp, Track, TransportState, Voter, Votes, WindowState,
};
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn first_visit_issues_an_httponly_lax_guest_cookie_once() {
    let h = start(Options::default()).await;
    let res = h.http.get(h.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let line = set_cookie(&res, "pt_guest").expect("guest cookie");
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Lax"),
        "{line}"
    );
    let cookie = cookie_pair(&res, "pt_guest").unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("new EventSource(\"/api/events\")"));
    let again = h
        .http
        .get(h.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_cookie(&again, "pt_guest"),
        None,
        "a known guest keeps its cookie"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_vote_is_one_press_per_guest_and_the_answer_is_the_verdict() {
    let mut h = start(Options::default()).await;
    let cookie = h.new_guest().await;
    let id = http_harness::guest_id_of(&cookie);

    let (status, body) = h.vote(&cookie, r#"{"vote":"like"}"#).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("counted")));
    assert_eq!(body["counted"], true);
    assert_eq!(
        h.next_input().await,
        Input::Press(Press {
            voter: Voter::guest(&id),
            origin: Origin::Phone,
            kind: PressKind::Vote(Action::Like),
            battery: None,
        })
    );
    // Hammering: every press reaches the party, which counts it once.
    for _ in 0..3 {
        let (status, body) = h.vote(&cookie, r#"{"vote":"like"}"#).await;
        assert_eq!((status, body["result"].as_str()), (200, Some("duplicate")));
        h.next_input().await;
    }
    let (status, body) = h.vote(&cookie, r#"{"vote":"skip"}"#).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("counted")));
    assert!(matches!(
        h.next_input().await,
        Input::Press(Press {
            kind: PressKind::Vote(Action::Skip),
            ..
        })
    ));
    h.stop().await;
}

#[tokio::test]
async fn votes_without_cookie_or_with_bad_bodies_are_refused_and_change_nothing() {
    let mut h = start(Options::default()).await;
    let (status, body) = h.vote("", r#"{"vote":"like"}"#).await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("cookie"));
    let (status, _) = h
        .vote("pt_guest=not-one-of-ours", r#"{"vote":"like"}"#)
        .await;
    assert_eq!(status, 403);

    let cookie = h.new_guest().await;
    for (body, says) in [
        (r#"{"vote":"maybe"}"#, "unknown variant `maybe`"),
        (r#"{"vote":"like""#, "malformed JSON"),
        ("vote=like", "malformed JSON"),
        ("", "empty body"),
        (r#"{"vote":"like","extra":1}"#, "unknown field `extra`"),
        (r#"{}"#, "missing field `vote`"),
    ] {
        let (status, answer) = h.vote(&cookie, body).await;
        assert_eq!(status, 400, "{body}");
        let msg = answer["error"].as_str().unwrap();
        assert!(msg.contains(says), "{body}: {msg}");
    }
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn no_2xx_unless_journaled() {
    let mut h = start(Options::default()).await;
    let cookie = h.new_guest().await;
    h.fail_journal.store(true, Ordering::SeqCst);
    let (status, body) = h.vote(&cookie, r#"{"vote":"like"}"#).await;
    assert_eq!(status, 503, "{body}");
    h.next_input().await;
    h.stop().await;
}

fn party_snapshot(liked_by: Vec<Voter>) -> Snapshot {
    let other = Voter::guest("ffffffffffffffffffffffffffffffff");
    Snapshot {
        at: Timestamp::from_millis(1_000_000),
        party: "friday".into(),
        now_playing: Some(NowPlaying {
            track: Track {
                title: "Blue Monday".into(),
                artist: "New Order".into(),
                album: "Power, Corruption & Lies".into(),
                duration_ms: Some(448_000),
                ..Track::default()
            },
            state: TransportState::Paused,
            source: Source::Demo,
            player: "Demo".into(),
            position_ms: 61_000,
            position_at: Timestamp::from_millis(1_000_000),
        }),
        votes: Votes {
            likes: liked_by.len() as u32,
            skips: 1,
            needed: 3,
            window: Some(WindowState::Open),
            window_closes_at: Some(Timestamp::from_millis(1_000_000 + 3_600_000)),
            liked_by: liked_by.into_iter().collect(),
            skipped_by: [other.clone()].into_iter().collect(),
            ..Votes::default()
        },
        log: vec![LogEntry {
            at: Timestamp::from_millis(999_000),
            effect: Effect::Press {
                voter: other,
                origin: Origin::Phone,
                click: None,
                action: Some(Action::Skip),
                result: PressResult::Counted,
                track: None,
                likes: 0,
                skips: 1,
                battery: None,
            },
        }],
        ..Snapshot::default()
    }
}

#[tokio::test]
async fn state_is_the_snapshot_for_this_guest_without_other_guests_ids() {
    let h = start(Options::default()).await;
    let cookie = h.new_guest().await;
    let me = Voter::guest(&http_harness::guest_id_of(&cookie));
    h.snapshots.send_replace(Arc::new(party_snapshot(vec![me])));
    let res = h
        .http
        .get(h.url("/api/state"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let (status, s) = json_of(res).await;
    assert_eq!(status, 200);
    assert_eq!(s["party"], "friday");
    let np = &s["now_playing"];
    assert_eq!(
        (np["title"].as_str(), np["artist"].as_str()),
        (Some("Blue Monday"), Some("New Order"))
    );
    assert_eq!(
        (np["duration_ms"].as_u64(), np["position_ms"].as_u64()),
        (Some(448_000), Some(61_000))
    );
    assert_eq!(
        (np["state"].as_str(), np["source"].as_str()),
        (Some("paused"), Some("demo"))
    );
    let v = &s["votes"];
    assert_eq!(
        (
            v["likes"].as_u64(),
            v["skips"].as_u64(),
            v["needed"].as_u64()
        ),
        (Some(1), Some(1), Some(3))
    );
    assert_eq!(v["window"], "open");
    let left = v["window_ms_left"].as_u64().unwrap();
    assert!(left > 3_500_000 && left <= 3_600_000, "{left}");
    assert_eq!(v["keep"], false);
    assert_eq!(
        (s["you"]["liked"].as_bool(), s["you"]["skipped"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(s["log"][0]["text"], "guest ffffff (phone): skip → counted");
    assert!(s["totals"].is_object());
    let raw = s.to_string();
    assert!(
        !raw.contains("ffffffffffffffff"),
        "another guest's id leaked: {raw}"
    );
    h.stop().await;
}

/// Read the next `event: state` from an SSE response.
async fn next_event(res: &mut reqwest::Response, buf: &mut String) -> serde_json::Value {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                assert!(block.contains("event: state"), "{block}");
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(PATIENCE, res.chunk())
            .await
            .expect("no event")
            .unwrap();
        buf.push_str(&String::from_utf8_lossy(&chunk.expect("stream ended")));
    }
}

#[tokio::test]
async fn events_stream_every_new_snapshot_and_end_on_shutdown() {
    let h = start(Options::default()).await;
    let mut res = h.http.get(h.url("/api/events")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    // Only the page issues guests: a script watching the stream uses up none.
    assert!(cookie_pair(&res, "pt_guest").is_none());
    let mut buf = String::new();
    let first = next_event(&mut res, &mut buf).await;
    assert_eq!(first["party"], "test-party");
    assert!(first["now_playing"].is_null());
    h.snapshots.send_replace(Arc::new(party_snapshot(vec![])));
    let second = next_event(&mut res, &mut buf).await;
    assert_eq!(second["now_playing"]["title"], "Blue Monday");
    // Shutdown must not wait for the phone to hang up.
    h.stop().await;
}

#[tokio::test]
async fn party_code_must_be_entered_before_voting() {
    let mut h = start(Options {
        party_code: Some("disco 42".into()),
        ..Options::default()
    })
    .await;
    let cookie = h.new_guest().await;
    let state = |c: String| {
        let req = h.http.get(h.url("/api/state")).header("cookie", c);
        async move { json_of(req.send().await.unwrap()).await.1 }
    };
    assert_eq!(state(cookie.clone()).await["you"]["code_required"], true);
    let (status, body) = h.vote(&cookie, r#"{"vote":"like"}"#).await;
    assert_eq!(status, 403);
    assert!(body["error"].as_str().unwrap().contains("party code"));

    let join = |code: &str| {
        h.http
            .post(h.url("/api/join"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "code": code }).to_string())
            .send()
    };
    let wrong = join("disco 43").await.unwrap();
    assert_eq!(wrong.status(), 403);
    assert_eq!(set_cookie(&wrong, "pt_joined"), None);
    let right = join(" disco 42 ").await.unwrap();
    assert_eq!(right.status(), 200);
    let pass = cookie_pair(&right, "pt_joined").expect("join pass");
    let both = format!("{cookie}; {pass}");
    assert_eq!(state(both.clone()).await["you"]["code_required"], false);
    let (status, body) = h.vote(&both, r#"{"vote":"like"}"#).await;
    assert_eq!((status, body["result"].as_str()), (200, Some("counted")));
    h.next_input().await;
    h.no_input();
    h.stop().await;
}
