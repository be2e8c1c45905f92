//! End to end on the real binary (headless demo, real journal, real trigger runner): a web-link
//! button's three presses post to the chat, send an SMS and place a call, in that order and
//! each once, at strict fakes of Webex and Twilio; a fourth press after the sequence window
//! starts again. Inbound hooks with and without their token, and a notice reaching a real
//! headless Chromium's vote page.
use crate::cdp;
use crate::notify_fake;

use cdp::party::{eventually, first_track, state};
use notify_fake::*;
use serde_json::{Value, json};

const HOOK_TOKEN: &str = "hook-token-0123456789";
/// Party time runs this much faster than the wall clock (the demo's clock), so waiting out a
/// sequence window takes a moment.
const SPEED: &str = "4";
const SEQUENCE_WINDOW_SECS: i64 = 8;

/// The real binary, headless, on a free port, with the secrets the config names; the data
/// dir lives as long as the party.
struct NotifyParty {
    party: cdp::party::Party,
    /// The vote page's address without the trailing `/`.
    url: String,
    dir: tempfile::TempDir,
}

impl NotifyParty {
    fn start(config: &str) -> NotifyParty {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let party = cdp::party::Party::start_with(
            dir.path(),
            "127.0.0.1:0",
            &["--demo-speed", SPEED],
            &[
                ("PARTY_HOOK_TOKEN", HOOK_TOKEN),
                ("WEBEX_TOKEN", WEBEX_TOKEN),
                ("TWILIO_ACCOUNT_SID", TWILIO_SID),
                ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            ],
        );
        let url = party.url.trim_end_matches('/').to_string();
        NotifyParty { party, url, dir }
    }

    /// Every journal line of the party.
    fn journal(&self) -> Vec<Value> {
        cdp::party::demo_journal(self.dir.path())
    }

    /// Every journaled effect of one kind, in order.
    fn effects(&self, kind: &str) -> Vec<Value> {
        self.journal()
            .iter()
            .flat_map(|e| e["effects"].as_array().cloned().unwrap_or_default())
            .filter(|f| f["effect"] == kind)
            .collect()
    }
}

fn config(base: &str) -> String {
    format!(
        r#"
[demo]
guests = 0

[party]
sequence_window_secs = {SEQUENCE_WINDOW_SECS}

[[button]]
name = "Help"
id = "help-1"
sequence = [{{ action = "like", notify = ["chat"] }}, {{ notify = ["sms"] }}, {{ notify = ["call"] }}]

[[trigger]]
name = "chat"
url = "{base}/v1/messages"
headers = {{ Authorization = "Bearer ${{WEBEX_TOKEN}}" }}
body = '{{"roomId": "room-1", "markdown": "**{{button}}** pressed during *{{track}}*"}}'

[[trigger]]
name = "sms"
url = "{base}/2010-04-01/Accounts/${{TWILIO_ACCOUNT_SID}}/Messages.json"
auth = "basic"
username = "${{TWILIO_ACCOUNT_SID}}"
password = "${{TWILIO_AUTH_TOKEN}}"
form = {{ To = "+15558675310", From = "+15017122661", Body = "{{button}} needs you" }}

[[trigger]]
name = "call"
url = "{base}/2010-04-01/Accounts/${{TWILIO_ACCOUNT_SID}}/Calls.json"
auth = "basic"
username = "${{TWILIO_ACCOUNT_SID}}"
password = "${{TWILIO_AUTH_TOKEN}}"
form = {{ To = "+15558675310", From = "+15017122661", Twiml = "<Response><Say>Please come to the party.</Say></Response>" }}

[[hook]]
name = "cl-skip"
token = "${{PARTY_HOOK_TOKEN}}"
do = "skip"

[[hook]]
name = "cl-favourite"
token = "${{PARTY_HOOK_TOKEN}}"
do = "notice"
notice_secs = 600
text = "{{member}} unlocked a song"

[[hook]]
name = "page-me"
token = "${{PARTY_HOOK_TOKEN}}"
trigger = "sms"
"#
    )
}

/// Which service and resource a recorded call went to: "webex", "sms" or "call".
fn kind(c: &Recorded) -> &'static str {
    match (c.service, c.target.ends_with("Calls.json")) {
        ("webex", _) => "chat",
        ("twilio", false) => "sms",
        ("twilio", true) => "call",
        _ => "other",
    }
}

async fn press(http: &reqwest::Client, url: &str) -> Value {
    let res = http
        .post(format!("{url}/button/help-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_presses_chat_then_sms_then_call_and_a_rested_button_starts_again() {
    let fake = Fake::start().await;
    let party = NotifyParty::start(&config(&fake.base));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    first_track(&http, &party.party.url).await;

    // Each press is answered once journaled; the runner is woken by that commit and calls.
    // Each waits for the previous call to arrive, so arrival order is press order.
    let mut answers = Vec::new();
    for n in 1..=3 {
        answers.push(press(&http, &party.url).await["result"].clone());
        fake.wait_for(n).await;
    }
    assert_eq!(answers, ["counted", "notified", "notified"]);
    let calls = fake.calls();
    assert_eq!(
        calls.iter().map(kind).collect::<Vec<_>>(),
        ["chat", "sms", "call"]
    );
    assert!(
        calls.iter().all(|c| (200..300).contains(&c.status)),
        "{calls:?}"
    );
    assert_eq!(calls[1].form()[2].1, "Help needs you");
    assert!(
        calls[0].json()["markdown"]
            .as_str()
            .unwrap()
            .starts_with("**Help** pressed during *")
    );

    // Every step fired is journaled: trigger, step and the button's press count.
    let fired: Vec<(Value, Value)> = party
        .effects("trigger_fired")
        .iter()
        .map(|f| (f["trigger"].clone(), f["step"].clone()))
        .collect();
    assert_eq!(
        fired,
        [
            (json!("chat"), json!(1)),
            (json!("sms"), json!(2)),
            (json!("call"), json!(3))
        ]
    );

    // A rest longer than the sequence window (party time, as /api/state tells it), then a
    // fourth press starts again from the chat.
    let last_press = party
        .journal()
        .iter()
        .filter(|e| e["input"]["type"] == "press")
        .map(|e| e["at"].as_i64().unwrap())
        .max()
        .unwrap();
    eventually("the sequence window to pass", async || {
        let s = state(&http, &party.party.url).await?;
        (s["at"].as_i64()? > last_press + SEQUENCE_WINDOW_SECS * 1000 + 500).then_some(())
    })
    .await;
    // The like again: a duplicate if the same track still plays.
    let again = press(&http, &party.url).await["result"].clone();
    assert!(again == "duplicate" || again == "counted", "{again}");
    let calls = fake.wait_for(4).await;
    assert_eq!(
        calls.iter().map(kind).collect::<Vec<_>>(),
        ["chat", "sms", "call", "chat"]
    );
    let steps: Vec<Value> = party
        .effects("trigger_fired")
        .iter()
        .map(|f| f["step"].clone())
        .collect();
    assert_eq!(steps, [json!(1), json!(2), json!(3), json!(1)]);
    // The secrets went out in headers and the path, and are in no journal line.
    let journal = std::fs::read_to_string(&cdp::party::demo_journals(party.dir.path())[0]);
    let journal = journal.unwrap_or_default();
    assert!(!journal.contains(WEBEX_TOKEN) && !journal.contains(TWILIO_TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_need_their_token_and_are_journaled_with_their_name() {
    let fake = Fake::start().await;
    let party = NotifyParty::start(&config(&fake.base));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |path: &str| http.post(format!("{}{path}", party.url));
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(post("/hooks/cl-skip").send().await.unwrap()), 401);
    assert_eq!(
        status(post("/hooks/cl-skip?token=wrong").send().await.unwrap()),
        401
    );
    assert_eq!(
        status(
            post("/hooks/cl-skip")
                .bearer_auth("nope")
                .send()
                .await
                .unwrap()
        ),
        401
    );
    assert_eq!(
        status(
            post("/hooks/unknown")
                .bearer_auth(HOOK_TOKEN)
                .send()
                .await
                .unwrap()
        ),
        404
    );
    assert!(
        party.journal().iter().all(|e| e["input"]["type"] != "host"),
        "nothing journaled"
    );

    // Many rule engines can only set a URL: the token in the query string.
    let res = post(&format!("/hooks/cl-skip?token={HOOK_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let hosts: Vec<Value> = party
        .journal()
        .into_iter()
        .filter(|e| e["input"]["type"] == "host")
        .collect();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["input"]["command"], "skip_now");
    assert_eq!(hosts[0]["input"]["by"], json!({"hook": "cl-skip"}));

    // A hook chained to an outbound trigger: the SMS goes out, journaled with the hook.
    let res = post("/hooks/page-me")
        .bearer_auth(HOOK_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let calls = fake.wait_for(1).await;
    assert_eq!(kind(&calls[0]), "sms");
    let fired = party.effects("trigger_fired");
    assert_eq!(
        (fired[0]["trigger"].as_str(), fired[0]["hook"].as_str()),
        (Some("sms"), Some("page-me"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_notice_shows_on_the_vote_page_in_chromium() {
    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let fake = Fake::start().await;
    let party = NotifyParty::start(&config(&fake.base));
    let chromium = cdp::Chromium::launch(browser, &party.dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    page.navigate(&format!("{}/", party.url)).await;
    let banner = "(() => { const n = document.getElementById('notice'); return n ? [n.hidden, n.textContent] : null; })()";
    eventually("the page to load with the banner hidden", async || {
        (page.eval(banner).await == json!([true, ""])).then_some(())
    })
    .await;

    // A rules engine posts JSON; the hook's text template takes its fields.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = http
        .post(format!("{}/hooks/cl-favourite", party.url))
        .bearer_auth(HOOK_TOKEN)
        .json(&json!({"member": "Ann", "points": 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("the banner to show the notice", async || {
        (page.eval(banner).await == json!([false, "Ann unlocked a song"])).then_some(())
    })
    .await;
    let notices = party.effects("notice");
    assert_eq!(notices.len(), 1);
    assert_eq!(
        (notices[0]["hook"].as_str(), notices[0]["text"].as_str()),
        (Some("cl-favourite"), Some("Ann unlocked a song"))
    );
    drop(page);
    drop(chromium);
}
