//! The host page's HTTP side against a real server: one-time links, session cookies, host
//! commands journaled with their origin, sign-out of every phone; and what guests see of the
//! party (its name, the code compared as phones type it, how many are here).
use crate::http_harness;

use http_harness::{Options, TOKEN, cookie_pair, json_of, start};
use party_tui::core::{CommandSource, HostCommand, HostOrder, Input, Snapshot};
use std::sync::Arc;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A POST from the signed-in phone (its session cookie, a JSON body).
async fn as_phone(
    client: &reqwest::Client,
    h: &http_harness::Harness,
    path: &str,
    cookie: &str,
    body: &str,
) -> reqwest::Response {
    client
        .post(h.url(path))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// A POST from a script with the admin token.
async fn as_script(
    client: &reqwest::Client,
    h: &http_harness::Harness,
    path: &str,
) -> reqwest::Response {
    client
        .post(h.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
}

async fn open_host(
    client: &reqwest::Client,
    h: &http_harness::Harness,
    cookie: &str,
) -> reqwest::Response {
    client
        .get(h.url("/host"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// A fresh link's path from the admin API, as `party-tui host-link` gets it.
async fn new_link(h: &http_harness::Harness) -> String {
    let res = h
        .http
        .post(h.url("/api/admin/host-link"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in_secs"], 600);
    body["path"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_link_signs_one_phone_in_and_its_commands_are_journaled_as_the_host_pages() {
    let mut h = start(Options::default()).await;
    let client = no_redirects();
    // Not signed in: the page explains how, the API refuses.
    let res = client.get(h.url("/host")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = client.post(h.url("/api/host/skip")).send().await.unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("party-tui host-link"),
        "{body}"
    );

    let link = new_link(&h).await;
    assert!(link.starts_with("/h/"), "{link}");
    let res = client.get(h.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/host");
    let cookie = cookie_pair(&res, "pt_host").expect("a host session cookie");
    let set = http_harness::set_cookie(&res, "pt_host").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );

    let res = open_host(&client, &h, &cookie).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("aria-label=\"Skip this track now\"")
    );

    let res = as_phone(&client, &h, "/api/host/skip", &cookie, "").await;
    let (status, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["done"], "skip now");
    assert_eq!(
        h.next_input().await,
        Input::Host(HostOrder {
            command: HostCommand::SkipNow,
            by: CommandSource::HostPage
        })
    );
    // Bodies are checked like the admin API's.
    let res = as_phone(
        &client,
        &h,
        "/api/host/threshold",
        &cookie,
        r#"{"threshold":"40%"}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(matches!(
        h.next_input().await,
        Input::Host(HostOrder {
            by: CommandSource::HostPage,
            ..
        })
    ));
    let res = as_phone(
        &client,
        &h,
        "/api/host/window",
        &cookie,
        r#"{"secs":"soon"}"#,
    )
    .await;
    assert_eq!(res.status(), 400);

    let res = as_phone(&client, &h, "/api/host/previous", &cookie, "").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        h.next_input().await,
        Input::Host(HostOrder {
            command: HostCommand::PlayPrevious,
            by: CommandSource::HostPage
        })
    );

    // The link was for one phone.
    let res = client.get(h.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("already used"));
    let res = client.get(h.url("/h/not-a-ticket")).send().await.unwrap();
    assert_eq!(res.status(), 403);

    // The admin token keeps working for scripts, as the host.
    let res = as_script(&client, &h, "/api/host/pause").await;
    assert_eq!(res.status(), 200);
    assert_eq!(h.next_input().await, Input::host(HostCommand::PauseVoting));

    // Signing every phone out ends the session.
    let res = as_script(&client, &h, "/api/admin/host-signout").await;
    assert_eq!(res.status(), 200);
    let res = open_host(&client, &h, &cookie).await;
    assert_eq!(res.status(), 401);
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn a_new_party_ends_the_session_and_minting_needs_the_token() {
    let h = start(Options::default()).await;
    let client = no_redirects();
    let res = client
        .post(h.url("/api/admin/host-link"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"],
        "wrong admin token: run `party-tui admin-token` on the Pi"
    );
    let link = new_link(&h).await;
    let res = client.get(h.url(&link)).send().await.unwrap();
    let cookie = cookie_pair(&res, "pt_host").unwrap();
    h.snapshots.send_replace(Arc::new(Snapshot {
        party: "the-next-party".into(),
        ..Snapshot::default()
    }));
    let res = open_host(&client, &h, &cookie).await;
    assert_eq!(res.status(), 401);
    h.stop().await;
}

#[tokio::test]
async fn the_party_code_ignores_case_and_spaces() {
    let h = start(Options {
        party_code: Some("disco".into()),
        ..Options::default()
    })
    .await;
    let guest = h.new_guest().await;
    for (typed, ok) in [
        ("Disco", true),
        ("  DISCO ", true),
        ("disco2", false),
        ("", false),
    ] {
        let res = h
            .http
            .post(h.url("/api/join"))
            .header("cookie", &guest)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "code": typed }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().is_success(), ok, "{typed:?}");
    }
    h.stop().await;
}

#[tokio::test]
async fn guests_see_the_party_name_and_how_many_are_here() {
    let h = start(Options {
        party_name: Some("  Anna's 30th ".into()),
        ..Options::default()
    })
    .await;
    let mut snap = Snapshot {
        party: "2026-12-01_1437".into(),
        ..Snapshot::default()
    };
    snap.votes.active_voters = 4;
    h.snapshots.send_replace(Arc::new(snap));
    // One phone has the live page open.
    let stream = h.http.get(h.url("/api/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let (_, state) = json_of(h.http.get(h.url("/api/state")).send().await.unwrap()).await;
    assert_eq!(state["party"], "Anna's 30th");
    assert_eq!(
        state["guests"],
        serde_json::json!({"connected": 1, "voting": 4})
    );
    assert_eq!(state["votes"]["window_secs"], 0);
    drop(stream);
    h.stop().await;
}
