//! End to end, as a guest would: the real binary (headless demo) and its vote page in a real
//! headless Chromium, driven over the DevTools protocol. A tap on Like is counted once,
//! acknowledged only once journaled, and a second tap is refused as a duplicate.
use crate::cdp;

use cdp::Chromium;
use cdp::party::{Party, demo_journals, eventually, first_track, read_journal};
use serde_json::{Value, json};
use std::path::Path;

async fn state(http: &reqwest::Client, url: &str) -> Value {
    let res = http
        .get(format!("{url}api/state"))
        .send()
        .await
        .expect("GET /api/state");
    assert_eq!(res.status(), 200);
    res.json().await.expect("state is JSON")
}

/// The phone presses in the party's journal.
fn phone_presses(data_dir: &Path) -> Vec<Value> {
    let journals = demo_journals(data_dir);
    assert_eq!(journals.len(), 1, "one new party: {journals:?}");
    read_journal(&journals[0])
        .into_iter()
        .filter(|e| e["input"]["type"] == "press" && e["input"]["origin"] == "phone")
        .collect()
}

/// The verdict the core journaled with a press.
fn verdict(entry: &Value) -> &Value {
    &entry["effects"]
        .as_array()
        .and_then(|fx| fx.iter().find(|f| f.get("result").is_some()))
        .unwrap_or_else(|| panic!("no verdict in {entry}"))["result"]
}

const PAGE_MSG: &str = "document.getElementById('msg').textContent";

#[tokio::test]
async fn a_like_tapped_in_chromium_is_journaled_counted_once_and_a_second_tap_refused() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // No simulated guests: the browser is the only one voting.
    let party = Party::start_configured(dir.path(), "[demo]\nguests = 0\n");
    let http = reqwest::Client::new();
    let title = first_track(&http, &party.url).await;

    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    page.navigate(&party.url).await;
    let shown =
        // Null-safe: the first polls may still see the blank page before navigation commits.
        "(() => { const t = document.getElementById('title'), l = document.getElementById('like'); \
         return t && l ? [t.textContent, l.disabled] : null; })()";
    eventually("the page to show the track with Like enabled", async || {
        (page.eval(shown).await == json!([title, false])).then_some(())
    })
    .await;

    // The click handler sets the message at once; the answer replaces it.
    let clicked =
        "document.getElementById('like').click(); document.getElementById('msg').textContent";
    assert_eq!(page.eval(clicked).await, "…");
    eventually("the page to confirm the vote", async || {
        (page.eval(PAGE_MSG).await == "Counted, thanks!").then_some(())
    })
    .await;
    // The answer came after the journal sync, so the press is on disk now.
    let guest = page
        .cookie(&party.url, "pt_guest")
        .await
        .expect("guest cookie");
    // The cookie is `<id>.<signature>`; the journal names the guest by its id.
    let guest = guest
        .split_once('.')
        .map(|(id, _)| id.to_string())
        .expect("a signed guest cookie");
    let presses = phone_presses(dir.path());
    assert_eq!(presses.len(), 1, "{presses:?}");
    assert_eq!(presses[0]["input"]["voter"], format!("guest:{guest}"));
    assert_eq!(presses[0]["input"]["kind"], json!({"vote": "like"}));
    assert_eq!(verdict(&presses[0]), "counted");
    // The snapshot is published right after the acknowledgement.
    eventually("/api/state to count the like", async || {
        let v = state(&http, &party.url).await["votes"]["likes"].clone();
        (v != 0).then_some(())
    })
    .await;
    assert_eq!(state(&http, &party.url).await["votes"]["likes"], 1);

    // Once the live state arrives, the page marks the vote and disables Like…
    let marked = "[document.getElementById('like').disabled, document.querySelector('#like small').textContent]";
    eventually("the page to mark the like", async || {
        (page.eval(marked).await == json!([true, "you liked this"])).then_some(())
    })
    .await;
    // …so a click does nothing: the handler would have replaced the message with "…".
    assert_eq!(page.eval(clicked).await, "Counted, thanks!");
    // A double tap faster than the live state still reaches the server (the button is
    // enabled then), which refuses it; the page says so.
    let double_tap = "document.getElementById('like').disabled = false; document.getElementById('like').click(); document.getElementById('msg').textContent";
    assert_eq!(page.eval(double_tap).await, "…");
    eventually("the page to report the duplicate", async || {
        (page.eval(PAGE_MSG).await == "You already voted on this track").then_some(())
    })
    .await;
    let presses = phone_presses(dir.path());
    assert_eq!(presses.len(), 2, "{presses:?}");
    assert_eq!(presses[1]["input"]["voter"], format!("guest:{guest}"));
    assert_eq!(verdict(&presses[1]), "duplicate");
    assert_eq!(state(&http, &party.url).await["votes"]["likes"], 1);

    drop(page);
    drop(chromium);
    drop(party);
}

/// The page's vote requests so far (the browser's own record of what it fetched).
const VOTE_POSTS: &str =
    "performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/vote')).length";

/// A vote tapped while the party cannot write its journal (the binary's file-size limit set
/// to the journal's length with prlimit, as a full disk would refuse it): the server answers
/// 503 with a Retry-After, the page says it is saving and sends the vote again by itself with
/// back-off, and once the limit is lifted the same tap lands and is counted, once.
#[tokio::test]
async fn a_vote_refused_while_the_journal_cannot_be_written_is_saved_by_itself_once_it_can() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    if !crate::support::have_command("prlimit") {
        return crate::support::skip_or_fail(
            "prlimit is not installed (apt-get install util-linux)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, crate::faults::CONFIG).unwrap();
    let data = dir.path().join("data");
    let party = crate::faults::start(&[], &data, &config, &[]);
    let url = format!("http://{}/", party.addr);
    let http = reqwest::Client::new();
    let title = first_track(&http, &url).await;

    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    page.navigate(&url).await;
    let ready = "(() => { const t = document.getElementById('title'), l = document.getElementById('like'); \
                 return t && l ? [t.textContent, l.disabled] : null; })()";
    eventually("the page to show the track with Like enabled", async || {
        (page.eval(ready).await == json!([title, false])).then_some(())
    })
    .await;

    // From now on the journal cannot grow: every write fails (EFBIG), as on a full disk.
    let journal = demo_journals(&data).pop().expect("a journal");
    let len = std::fs::metadata(&journal).unwrap().len();
    let limited = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &party.pid().to_string(),
            &format!("--fsize={len}:unlimited"),
        ])
        .status()
        .unwrap();
    assert!(limited.success());

    page.eval("document.getElementById('like').click()").await;
    eventually("the page to say it is saving the vote", async || {
        (page.eval(PAGE_MSG).await == "Saving your vote…").then_some(())
    })
    .await;
    // The page sends it again by itself (0.5 s, then 1 s: the server asks for 1 s).
    eventually("two more tries of the same vote", async || {
        (page.eval(VOTE_POSTS).await.as_u64() >= Some(3)).then_some(())
    })
    .await;
    assert_eq!(page.eval(PAGE_MSG).await, "Saving your vote…");
    assert!(
        phone_presses(&data).is_empty(),
        "nothing journaled meanwhile"
    );
    // What the page is answered: 503, and when to try again.
    let refused = http
        .post(format!("{url}button/b1"))
        .send()
        .await
        .expect("POST /button/b1");
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");

    let lifted = std::process::Command::new("prlimit")
        .args(["--pid", &party.pid().to_string(), "--fsize=unlimited"])
        .status()
        .unwrap();
    assert!(lifted.success());
    eventually(
        "the page to confirm the vote without another tap",
        async || (page.eval(PAGE_MSG).await == "Counted, thanks!").then_some(()),
    )
    .await;
    let presses = phone_presses(&data);
    assert_eq!(presses.len(), 1, "{presses:?}");
    assert_eq!(verdict(&presses[0]), "counted");
    eventually("/api/state to count the like", async || {
        (state(&http, &url).await["votes"]["likes"] == 1).then_some(())
    })
    .await;

    drop(page);
    drop(chromium);
    drop(party);
}
