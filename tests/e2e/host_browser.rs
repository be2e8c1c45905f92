//! End to end, as the host would: `party-tui host-link` prints a one-time link for the running
//! party; the phone (headless Chromium) opens it, lands on `/host` signed in, and taps Skip,
//! which the party journals as given from the host page. The link works once; without the
//! session nothing is allowed. Screenshots of `/host`, `/` and the disconnected state at phone
//! and desktop widths are written for a person to look at, and checked not to overflow.
use crate::cdp;

use cdp::party::{Party, demo_journal, eventually, first_track, state};
use cdp::{Cdp, Chromium};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Phone widths (a small Android, an iPhone) and a desktop, in CSS pixels.
const WIDTHS: [(u32, bool); 3] = [(320, true), (390, true), (1280, false)];

fn host_link(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("host-link")
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .output()
        .expect("run party-tui host-link");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        out.status.success(),
        "host-link failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The link alone on its own line, nothing else on stdout.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    lines[0].to_string()
}

/// The host commands in the party's journal.
fn host_inputs(data_dir: &Path) -> Vec<Value> {
    demo_journal(data_dir)
        .into_iter()
        .filter(|e| e["input"]["type"] == "host")
        .map(|e| e["input"].clone())
        .collect()
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Nothing sticks out sideways: a phone must not scroll horizontally.
const FITS: &str = "document.documentElement.scrollWidth <= window.innerWidth";

/// Every control a screen reader or script would look for has a name.
const UNNAMED_CONTROLS: &str = "[...document.querySelectorAll('button, input')]\
    .filter(b => !((b.getAttribute('aria-label') || '').trim() || (b.textContent || '').trim() \
                   || (b.id && document.querySelector('label[for=' + b.id + ']'))))\
    .map(b => b.outerHTML)";

async fn shoot_at_widths(page: &mut Cdp, name: &str) {
    for (width, mobile) in WIDTHS {
        page.set_width(width, mobile).await;
        // Layout is synchronous on the next evaluation; the check reads it.
        assert_eq!(page.eval(FITS).await, true, "{name} overflows at {width}px");
        let path = shots_dir().join(format!("{name}-{width}.png"));
        page.screenshot(&path).await;
        eprintln!("screenshot: {}", path.display());
    }
}

#[tokio::test]
async fn the_host_signs_in_by_one_time_link_and_skips_from_the_phone() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The binary: it is killed later as a power cut would, and the page must notice.
    let mut party = Party::start_binary_configured(
        dir.path(),
        "[demo]\nguests = 0\n\n[http]\nparty_code = \"disco\"\n",
    );
    let http = reqwest::Client::new();
    let title = first_track(&http, &party.url).await;

    // Without a session, the page and the commands are closed.
    let res = http.get(format!("{}host", party.url)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("party-tui host-link"));
    let res = http
        .post(format!("{}api/host/skip", party.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let link = host_link(dir.path());
    assert!(
        link.starts_with(&format!("{}h/", party.url)),
        "{link} is not on {}",
        party.url
    );

    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    page.navigate(&link).await;
    let shown = "(() => { const t = document.getElementById('title'), s = document.getElementById('skip'); \
         return t && s ? [location.pathname, t.textContent, s.disabled] : null; })()";
    eventually("/host to show the track with Skip enabled", async || {
        (page.eval(shown).await == json!(["/host", title, false])).then_some(())
    })
    .await;
    assert_eq!(page.eval(UNNAMED_CONTROLS).await, json!([]));
    // The host sees the party code to tell the guests.
    eventually("the party code on /host", async || {
        (page
            .eval("document.getElementById('code').textContent")
            .await
            == "disco")
            .then_some(())
    })
    .await;
    // Controls are found by their names, as a screen reader would.
    for name in [
        "Skip this track now",
        "Keep this track",
        "Reset skip votes",
        "Play the previous track again",
        "Pause voting",
        "Raise the skip threshold",
        "Lower the skip threshold",
        "Set the vote window",
        "Sign out this phone",
    ] {
        let found = format!("!!document.querySelector('[aria-label=\"{name}\"]')");
        assert_eq!(page.eval(&found).await, true, "no control named {name:?}");
    }
    shoot_at_widths(&mut page, "host").await;

    page.eval("document.querySelector('[aria-label=\"Skip this track now\"]').click()")
        .await;
    eventually("the page to confirm the skip", async || {
        (page
            .eval("document.getElementById('msg').textContent")
            .await
            == "Done: skip now")
            .then_some(())
    })
    .await;
    // Answered after the journal sync: the skip is on disk, from the host page.
    let hosts = host_inputs(dir.path());
    assert_eq!(
        hosts,
        vec![json!({"type": "host", "command": "skip_now", "by": "host-page"})]
    );

    // Undo: the previous track (the one just skipped) plays again.
    eventually("the demo to move on after the skip", async || {
        let s = state(&http, &party.url).await?;
        (s["now_playing"]["title"].as_str()? != title).then_some(())
    })
    .await;
    page.eval("document.querySelector('[aria-label=\"Play the previous track again\"]').click()")
        .await;
    eventually("the skipped track to play again", async || {
        let s = state(&http, &party.url).await?;
        (s["now_playing"]["title"].as_str()? == title).then_some(())
    })
    .await;
    assert_eq!(
        host_inputs(dir.path())[1],
        json!({"type": "host", "command": "play_previous", "by": "host-page"})
    );

    // The same link again is refused, in words, and signs nobody in.
    let res = http.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("already used"));

    // The guests' page at the same widths, for comparison.
    page.navigate(&party.url).await;
    eventually("the vote page", async || {
        (page
            .eval(
                "document.getElementById('title') && document.getElementById('title').textContent",
            )
            .await
            != Value::Null)
            .then_some(())
    })
    .await;
    // Phones must not capitalise the code.
    assert_eq!(
        page.eval("document.getElementById('code').getAttribute('autocapitalize')")
            .await,
        "none"
    );
    // Guests read the rule in a line, and host actions in plain words with their origin.
    eventually("the rule in a line", async || {
        (page
            .eval("document.getElementById('rules').textContent")
            .await
            == "3 skip votes in the first 45 s skip a song")
            .then_some(())
    })
    .await;
    eventually(
        "the guests' log to name the host's skip in plain words",
        async || {
            let log = page
                .eval("document.getElementById('log').textContent")
                .await;
            log.as_str()?
                .contains("host (phone): skip now")
                .then_some(())
        },
    )
    .await;
    shoot_at_widths(&mut page, "vote").await;

    // The party stops: the page greys out under a banner and the buttons go dead.
    party.kill();
    let offline = "[document.body.classList.contains('disconnected'), \
                    getComputedStyle(document.getElementById('offline')).display]";
    eventually("the vote page to show it is disconnected", async || {
        (page.eval(offline).await == json!([true, "block"])).then_some(())
    })
    .await;
    shoot_at_widths(&mut page, "vote-disconnected").await;

    // The party comes back on the same address: the banner and the grey go by themselves.
    let addr = party
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let _back = Party::start_on(dir.path(), &addr);
    eventually(
        "the vote page to clear the banner on reconnect",
        async || (page.eval(offline).await == json!([false, "none"])).then_some(()),
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('live').textContent")
            .await,
        "live"
    );

    drop(page);
    drop(chromium);
}

#[tokio::test(flavor = "current_thread")]
async fn the_host_approves_a_guests_song_request_from_the_phone() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let party = Party::start_configured(
        dir.path(),
        "[demo]\nguests = 0\n\n[requests]\napproval = \"host\"\n",
    );
    let http = reqwest::Client::new();
    // A guest: the vote page issues the cookie, the demo catalogue answers the search.
    let res = http.get(&party.url).send().await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let found: Value = http
        .get(format!("{}api/search?q=laundromat", party.url))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uri = found["tracks"][0]["uri"]
        .as_str()
        .expect("a demo track")
        .to_string();
    let asked = http
        .post(format!("{}api/request", party.url))
        .header("Cookie", &cookie)
        .json(&json!({ "uri": uri }))
        .send()
        .await
        .unwrap();
    assert!(
        asked.status().is_success(),
        "{}",
        asked.text().await.unwrap()
    );

    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    page.navigate(&host_link(dir.path())).await;
    let approve = "(() => { const b = document.querySelector('#requests button[aria-label^=\"Approve\"]'); \
         if (!b) return false; b.click(); return true; })()";
    eventually(
        "the pending request with its Approve button on /host",
        async || (page.eval(approve).await == json!(true)).then_some(()),
    )
    .await;
    eventually("the request to be approved and queued", async || {
        let s = state(&http, &party.url).await?;
        let queue = s["requests"].as_array()?;
        queue
            .iter()
            .any(|r| r["status"] == "queued" || r["status"] == "playing")
            .then_some(())
    })
    .await;
    let approved: Vec<Value> = host_inputs(dir.path())
        .into_iter()
        .filter(|input| input["command"] == "approve_request")
        .collect();
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0]["by"], "host-page");
}
