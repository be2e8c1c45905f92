//! Host overrides behind the token, and the guards: 413, 400, 401, 404, 405, 408, 429, idle
//! connections, and no panic (no 5xx) on any body to any route.
use crate::http_harness;

use http_harness::{Harness, Options, TOKEN, json_of, start};
use party_tui::core::{HostCommand, Input, Threshold};
use party_tui::http::RateLimit;
use party_tui::http::guard::{IDLE_TIMEOUT, REQUEST_TIMEOUT};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn admin(h: &Harness, cmd: &str, auth: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let mut req = h
        .http
        .post(h.url(&format!("/api/admin/{cmd}")))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    json_of(req.send().await.unwrap()).await
}

#[tokio::test]
async fn admin_needs_the_bearer_token_and_changes_nothing_without_it() {
    let mut h = start(Options::default()).await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some(TOKEN),
        Some("Basic Zm9vOmJhcg=="),
    ] {
        let res = h
            .http
            .post(h.url("/api/admin/skip"))
            .header("authorization", auth.unwrap_or(""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let (status, body) = json_of(res).await;
        assert_eq!(status, 401, "{auth:?}");
        assert!(body["error"].is_string());
    }
    // Not even unknown commands are revealed without the token.
    let (status, _) = admin(&h, "explode", None, "").await;
    assert_eq!(status, 401);
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn every_admin_command_with_the_token() {
    let mut h = start(Options::default()).await;
    let bearer = format!("Bearer {TOKEN}");
    let cases = [
        ("skip", "", HostCommand::SkipNow),
        ("keep", "", HostCommand::Keep(true)),
        ("keep", r#"{"keep":false}"#, HostCommand::Keep(false)),
        ("reset", "", HostCommand::ResetVotes),
        ("pause", "", HostCommand::PauseVoting),
        ("resume", "", HostCommand::ResumeVoting),
        (
            "threshold",
            r#"{"threshold":5}"#,
            HostCommand::SetThreshold(Threshold::Count(5)),
        ),
        (
            "threshold",
            r#"{"threshold":"40%"}"#,
            HostCommand::SetThreshold(Threshold::Percent(40)),
        ),
        ("window", r#"{"secs":30}"#, HostCommand::SetWindow(30)),
    ];
    for (cmd, body, want) in cases {
        let (status, answer) = admin(&h, cmd, Some(&bearer), body).await;
        assert_eq!(status, 200, "{cmd} {body}: {answer}");
        assert_eq!(answer["ok"], true);
        assert_eq!(h.next_input().await, Input::host(want), "{cmd} {body}");
    }
    for (cmd, body, status, says) in [
        ("threshold", r#"{"threshold":0}"#, 400, "at least 1"),
        ("threshold", "", 400, "empty body"),
        ("window", r#"{"secs":999999}"#, 400, "longer than a day"),
        ("window", r#"{"secs":-1}"#, 400, "malformed JSON"),
        ("keep", "yes", 400, "malformed JSON"),
        ("explode", "", 404, "unknown admin command"),
    ] {
        let (got, answer) = admin(&h, cmd, Some(&bearer), body).await;
        assert_eq!(got, status, "{cmd} {body}");
        assert!(
            answer["error"].as_str().unwrap().contains(says),
            "{cmd} {body}: {answer}"
        );
    }
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn bodies_over_16_kib_are_413_and_at_the_limit_are_read() {
    let mut h = start(Options::default()).await;
    let cookie = h.new_guest().await;
    for path in ["/api/vote", "/iot", "/button/door-1", "/api/admin/skip"] {
        let res = h
            .http
            .post(h.url(path))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(vec![b' '; 16 * 1024 + 1])
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        assert_eq!(status, 413, "{path}");
        assert!(
            body["error"].as_str().unwrap().contains("16 KiB"),
            "{path}: {body}"
        );
    }
    // Exactly 16 KiB is read (and then judged on its content).
    let mut body = br#"{"vote":"like"}"#.to_vec();
    body.resize(16 * 1024, b' ');
    let (status, _) = h.vote(&cookie, std::str::from_utf8(&body).unwrap()).await;
    assert_eq!(status, 200);
    h.next_input().await;
    h.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let h = start(Options::default()).await;
    let (status, body) = json_of(h.http.get(h.url("/nope")).send().await.unwrap()).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("no such route"));
    let (status, body) = json_of(h.http.get(h.url("/api/vote")).send().await.unwrap()).await;
    assert_eq!(status, 405);
    assert!(body["error"].is_string());
    h.stop().await;
}

#[tokio::test]
async fn one_address_is_rate_limited_with_retry_after() {
    let h = start(Options {
        rate_limit: Some(RateLimit {
            burst: 3,
            per_sec: 0.01,
        }),
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            h.http
                .get(h.url("/api/state"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let res = h.http.get(h.url("/api/state")).send().await.unwrap();
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let (status, body) = json_of(res).await;
    assert_eq!(status, 429);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("too many requests")
    );
    h.stop().await;
}

/// A body that never finishes gets 408 after the request timeout; a connection that sends
/// nothing is closed after the idle timeout. Paused time: the server's timers jump ahead.
#[tokio::test(start_paused = true)]
async fn slow_clients_time_out() {
    let h = start(Options::default()).await;
    let addr = h.base.strip_prefix("http://").unwrap().to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /iot HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"serialN")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let limit = REQUEST_TIMEOUT + Duration::from_secs(5);
    tokio::time::timeout(limit, slow.read_to_end(&mut answer))
        .await
        .expect("a stalled body was not timed out")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took too long"), "{answer}");

    let mut idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nhost").await.unwrap();
    let mut rest = Vec::new();
    // Closed (EOF or reset) rather than held open forever.
    let limit = IDLE_TIMEOUT + Duration::from_secs(5);
    let _ = tokio::time::timeout(limit, idle.read_to_end(&mut rest))
        .await
        .expect("an idle connection was held open");
    assert!(rest.is_empty() || !String::from_utf8_lossy(&rest).contains("200 OK"));
    h.stop().await;
}

/// Whatever arrives, no route panics or fails inside: every answer is below 500, and the
/// server still serves afterwards.
#[test]
fn no_route_fails_on_any_body() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut h = rt.block_on(start(Options::default()));
    let cookie = rt.block_on(h.new_guest());
    let routes = prop::sample::select(vec![
        ("POST", "/api/vote"),
        ("POST", "/api/join"),
        ("GET", "/api/state"),
        ("POST", "/iot"),
        ("GET", "/button/door-1"),
        ("POST", "/button/door-1"),
        ("PUT", "/button/door-1?ETYPE=pressed-long"),
        ("POST", "/button/%ff%fe"),
        ("POST", "/api/admin/threshold"),
        ("POST", "/api/admin/window"),
        ("POST", "/api/admin/keep"),
    ]);
    let types = prop::sample::select(vec![
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
    ]);
    let bodies = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        r#"\{"(vote|code|serialNumber|clickType|ETYPE|EID|threshold|secs|keep)":("[a-z%0-9 -]{0,12}"|-?[0-9]{1,25}|true|null|\[\]|\{\})\}"#
            .prop_map(String::into_bytes),
    ];
    let mut runner = TestRunner::new(Config::with_cases(300));
    runner
        .run(&(routes, types, bodies), |((method, path), ct, body)| {
            let status = rt.block_on(async {
                let mut req = h
                    .http
                    .request(method.parse().unwrap(), h.url(path))
                    .header("cookie", &cookie)
                    .header("authorization", format!("Bearer {TOKEN}"))
                    .body(body.clone());
                if !ct.is_empty() {
                    req = req.header("content-type", ct);
                }
                req.send().await.unwrap().status().as_u16()
            });
            prop_assert!(
                status < 500,
                "{method} {path} {ct} {:?} → {status}",
                String::from_utf8_lossy(&body)
            );
            Ok(())
        })
        .unwrap();
    rt.block_on(async {
        while h.inputs.try_recv().is_ok() {}
        assert_eq!(h.http.get(h.url("/")).send().await.unwrap().status(), 200);
        h.stop().await;
    });
}
