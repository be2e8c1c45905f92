//! Song requests end to end as guests see them: the real binary (headless demo) and its vote
//! page in a real headless Chromium. A guest searches the demo catalogue, requests a track, and
//! when the demo player plays it the page says "Your song is playing now"; another guest (its
//! own browser context, its own cookie) sees the queue but never that message.
use crate::cdp;

use cdp::party::{Party, demo_journal, eventually, first_track};
use cdp::{Cdp, Chromium};
use serde_json::{Value, json};

const WISH: &str = "Midnight at the Laundromat";
const PLAYING_NOW: &str = "Your song is playing now";

const STATUS: &str = "(() => { const s = document.getElementById('req-status'); return s ? s.textContent : null; })()";

#[tokio::test]
async fn a_guest_requests_a_song_and_only_that_guest_is_told_when_it_plays() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let party = Party::start_configured(dir.path(), "[demo]\nguests = 0\n");
    let http = reqwest::Client::new();
    let first = first_track(&http, &party.url).await;
    assert_ne!(first, WISH, "the demo starts with another track");

    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut ann = chromium.page().await;
    ann.navigate(&party.url).await;
    eventually("the request form", async || {
        (ann.eval("!!document.getElementById('req-q')").await == json!(true)).then_some(())
    })
    .await;
    ann.eval("document.getElementById('req-q').value = 'laundromat'; document.getElementById('req-form').requestSubmit()")
        .await;
    let hits = "[...document.querySelectorAll('.req-hit')].map(li => li.textContent)";
    let shown = eventually("search results", async || {
        let v = ann.eval(hits).await;
        v.as_array().filter(|a| !a.is_empty()).cloned()
    })
    .await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].as_str().unwrap().contains(WISH), "{shown:?}");
    ann.eval("document.querySelector('.req-hit button').click()")
        .await;
    eventually("the request to be queued", async || {
        let s = ann.eval(STATUS).await;
        s.as_str()
            .filter(|s| s.contains(WISH) && s.contains("in the queue"))
            .map(|_| ())
    })
    .await;
    // The request is in the journal with the guest's own voter id, and the demo queued it.
    let guest = ann
        .cookie(&party.url, "pt_guest")
        .await
        .expect("guest cookie");
    let entries = demo_journal(dir.path());
    let ask = entries
        .iter()
        .find(|e| e["input"]["type"] == "request" && e["input"]["request"] == "ask")
        .expect("the request is journaled");
    // The cookie is `<id>.<signature>`: the journal holds the id.
    let id = guest.split('.').next().unwrap();
    assert_eq!(ask["input"]["voter"], format!("guest:{id}"));
    assert_eq!(ask["input"]["track"]["title"], WISH);
    assert!(entries.iter().any(|e| e["input"]["request"] == "queued"));

    // The host skips the current track; the demo plays the request next.
    let token = std::fs::read_to_string(dir.path().join("admin-token")).unwrap();
    let res = http
        .post(format!("{}api/admin/skip", party.url))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let told = eventually("the requester's page to say it plays", async || {
        let s = ann.eval(STATUS).await;
        s.as_str()
            .filter(|s| s.starts_with(PLAYING_NOW))
            .map(str::to_string)
    })
    .await;
    assert!(told.contains(WISH), "{told}");
    assert_eq!(
        ann.eval("document.getElementById('title').textContent")
            .await,
        WISH
    );

    // Another guest: sees the same track and the queue, never the message.
    let mut bob = Cdp::connect(&chromium.ws_url).await;
    bob.open_private_page().await;
    bob.navigate(&party.url).await;
    let queue = "(() => { const q = document.getElementById('req-queue'); return q ? q.textContent : ''; })()";
    eventually(
        "the other guest's page to show the request playing",
        async || {
            let q = bob.eval(queue).await;
            q.as_str()
                .filter(|q| q.contains(WISH) && q.contains("playing"))
                .map(|_| ())
        },
    )
    .await;
    let bob_guest = bob
        .cookie(&party.url, "pt_guest")
        .await
        .expect("bob's cookie");
    assert_ne!(bob_guest, guest, "a separate guest");
    assert_eq!(bob.eval(STATUS).await, "");
    let body = bob.eval("document.body.innerText").await;
    assert!(!body.as_str().unwrap().contains(PLAYING_NOW), "{body}");
    let bob_state = bob
        .eval("fetch('/api/state').then(r => r.json()).then(s => s.you.request)")
        .await;
    assert_eq!(bob_state, Value::Null);

    drop((ann, bob));
    drop(chromium);
    drop(party);
}
