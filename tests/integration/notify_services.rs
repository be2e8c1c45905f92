//! Triggers that call messaging services, against strict fakes written from the documented
//! formats (tests/notify_fake): every recipe in config.toml, the services' own error words,
//! no retry of what a retry cannot fix, Telegram's flood-control wait, and secrets scrubbed.
//! The recorded request/response pairs in ../shared/fixtures/notify, when present, are
//! replayed against the same fakes and our requests compared with them byte for byte.
use crate::notify_fake;

use notify_fake::*;
use party_tui::config::Config;
use party_tui::outlets::client::Outcome;
use party_tui::outlets::reply_text::{body_retry_after, service_message};
use party_tui::outlets::webhook::{Fired, Webhook};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

const ROOM: &str = "Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0";
const HOOK_TOKEN: &str = "hook-token-0123456789";

fn env_for(fake: &Fake) -> HashMap<String, String> {
    [
        ("WEBEX_TOKEN", WEBEX_TOKEN.to_string()),
        ("WEBEX_ROOM_ID", ROOM.to_string()),
        ("TWILIO_ACCOUNT_SID", TWILIO_SID.to_string()),
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN.to_string()),
        (
            "SLACK_WEBHOOK_URL",
            format!(
                "{}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
                fake.base
            ),
        ),
        ("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN.to_string()),
        ("TELEGRAM_CHAT_ID", "111111111".to_string()),
        ("HA_WEBHOOK_ID", "party_lights".to_string()),
        ("PARTY_HOOK_TOKEN", HOOK_TOKEN.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The commented recipes of the shipped config.toml, uncommented, with the services' hosts
/// pointed at the fake.
pub fn recipes(base: &str) -> String {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml")).unwrap();
    let start = text
        .find("# ---- messaging recipes ----")
        .expect("recipes start marker");
    let end = text
        .find("# ---- end of messaging recipes ----")
        .expect("recipes end marker");
    let toml_line = |l: &&str| {
        let rest = l.strip_prefix("# ").unwrap_or("");
        rest.starts_with("[[")
            || rest.split_once(" = ").is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    let body: Vec<&str> = text[start..end]
        .lines()
        .filter(toml_line)
        .map(|l| &l[2..])
        .collect();
    let mut out = body.join("\n");
    for host in [
        "https://webexapis.com",
        "https://api.twilio.com",
        "https://ntfy.sh",
        "https://api.telegram.org",
        "http://homeassistant.local:8123",
    ] {
        out = out.replace(host, base);
    }
    out
}

fn fired() -> Fired {
    Fired {
        trigger: "t".into(),
        track: "Dancing Queen".into(),
        artist: "ABBA".into(),
        likes: 5,
        skips: 1,
        button: "Help".into(),
        press_count: Some(3),
        step: Some(2),
        party: "2026-12-01".into(),
        vote_url: "http://192.168.1.5:8080/".into(),
        ..Fired::default()
    }
}

/// Up to three tries, as the trigger outlet would (its retries are tested in src/outlets):
/// 10 ms apart, or as long as the service asks.
async fn call(hook: &Webhook) -> Result<(), String> {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let body = hook.render(&fired());
    for attempt in 1.. {
        match hook.send(&http, &body, "p:1:0").await {
            Outcome::Accepted => return Ok(()),
            Outcome::Retry { reason, .. } if attempt == 3 => {
                return Err(format!("{reason} after 3 attempts"));
            }
            Outcome::Retry { after, .. } => {
                tokio::time::sleep(after.unwrap_or(Duration::from_millis(10))).await;
            }
            Outcome::Rejected { reason, .. } | Outcome::Misconfigured { reason, .. } => {
                return Err(reason);
            }
        }
    }
    unreachable!()
}

fn webhooks(cfg: &Config, env: &HashMap<String, String>) -> HashMap<String, Webhook> {
    let lookup = |k: &str| env.get(k).cloned();
    cfg.triggers
        .iter()
        .map(|t| {
            let h = Webhook::from_config(t, &lookup)
                .expect("a url")
                .expect("builds");
            (t.name.clone(), h)
        })
        .collect()
}

#[tokio::test]
async fn every_recipe_in_config_toml_is_accepted_by_its_service() {
    let fake = Fake::start().await;
    let env = env_for(&fake);
    let cfg = Config::from_toml(&recipes(&fake.base), &|k| env.get(k).cloned())
        .expect("the recipes load, every ${NAME} known");
    assert_eq!(cfg.hooks.len(), 3);
    let hooks = webhooks(&cfg, &env);
    let mut names: Vec<&String> = hooks.keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["call", "chat", "lights", "ntfy", "slack", "sms", "telegram"]
    );
    for name in ["chat", "sms", "call", "slack", "ntfy", "telegram", "lights"] {
        call(&hooks[name])
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let calls = fake.calls();
    assert!(
        calls.iter().all(|c| (200..300).contains(&c.status)),
        "{calls:?}"
    );
    assert_eq!(calls.len(), 7, "each once, nothing retried");
    let by = |service: &str, path_part: &str| {
        calls
            .iter()
            .find(|c| c.service == service && c.target.contains(path_part))
            .unwrap_or_else(|| panic!("no {service} {path_part}"))
    };
    let webex = by("webex", "/v1/messages").json();
    assert_eq!(webex["roomId"], ROOM);
    assert_eq!(
        webex["markdown"],
        "**Help** was pressed during *Dancing Queen* by ABBA"
    );
    let sms = by("twilio", "Messages.json");
    assert_eq!(sms.status, 201);
    // The `+` of an E.164 number must travel as %2B (a bare + is a space in a form).
    assert!(
        String::from_utf8_lossy(&sms.body)
            .starts_with("To=%2B15558675310&From=%2B15017122661&Body=")
    );
    assert_eq!(
        sms.form()[2].1,
        "Help needs you (3 presses). Now playing: Dancing Queen"
    );
    let voice = by("twilio", "Calls.json").form();
    assert_eq!(voice[2].0, "Twiml");
    assert!(
        voice[2]
            .1
            .starts_with("<Response><Say>The Help button was pressed")
    );
    assert_eq!(
        by("slack", "/services/").json()["text"],
        "The party skipped Dancing Queen by ABBA (1 votes)"
    );
    let ntfy = by("ntfy", "/");
    assert_eq!(
        (
            ntfy.json()["topic"].as_str(),
            ntfy.json()["message"].as_str()
        ),
        (Some("my-party-now-playing"), Some("Dancing Queen by ABBA"))
    );
    let tg = by("telegram", "/sendMessage").json();
    assert_eq!(
        tg["text"],
        "Dancing Queen by ABBA has 5 likes. Vote: http://192.168.1.5:8080/"
    );
    let ha = by("homeassistant", "/api/webhook/party_lights").json();
    assert_eq!(
        (ha["presses"].as_u64(), ha["party"].as_str()),
        (Some(3), Some("2026-12-01"))
    );
}

fn one_trigger(toml_text: &str, env: &HashMap<String, String>) -> Webhook {
    let cfg = Config::parse(toml_text).unwrap();
    webhooks(&cfg, env).into_values().next().unwrap()
}

#[tokio::test]
async fn refusals_are_not_retried_and_show_the_services_own_words() {
    let fake = Fake::start().await;
    let mut env = env_for(&fake);
    let base = &fake.base;
    let twilio = |to: &str| {
        format!(
            r#"[[trigger]]
            name = "sms"
            url = "{base}/2010-04-01/Accounts/${{TWILIO_ACCOUNT_SID}}/Messages.json"
            auth = "basic"
            username = "${{TWILIO_ACCOUNT_SID}}"
            password = "${{TWILIO_AUTH_TOKEN}}"
            form = {{ To = "{to}", From = "+15017122661", Body = "hi" }}"#
        )
    };
    let cases = [
        (
            twilio(TWILIO_INVALID_TO),
            "HTTP 400: The 'To' number +15005550001 is not a valid phone number.",
        ),
        (
            format!(
                "[[trigger]]\nname = \"s\"\nurl = \"{base}/services/T0/B0/ARCHIVED\"\nbody = '{{\"text\": \"x\"}}'"
            ),
            "HTTP 410: channel_is_archived",
        ),
        (
            "[[trigger]]\nname = \"s\"\nurl = \"${SLACK_WEBHOOK_URL}\"\nbody = '{\"blocks\": []}'"
                .to_string(),
            "HTTP 400: no_text",
        ),
        (
            format!(
                "[[trigger]]\nname = \"tg\"\nurl = \"{base}/botWRONG/sendMessage\"\nbody = '{{\"chat_id\": 1, \"text\": \"x\"}}'"
            ),
            "HTTP 401: Unauthorized",
        ),
        (
            format!(
                "[[trigger]]\nname = \"w\"\nurl = \"{base}/v1/messages\"\nheaders = {{ Authorization = \"Bearer ${{WEBEX_TOKEN}}\" }}\nbody = '{{\"roomId\": \"r\", \"toPersonEmail\": \"a@b.c\", \"markdown\": \"x\"}}'"
            ),
            "HTTP 400: Exactly one of roomId, toPersonId or toPersonEmail is required",
        ),
    ];
    // Webex counts the markdown in bytes: 7,439 at most.
    let long = "é".repeat(3720);
    let cases = cases.into_iter().chain([(
        format!("[[trigger]]\nname = \"w\"\nurl = \"{base}/v1/messages\"\nheaders = {{ Authorization = \"Bearer ${{WEBEX_TOKEN}}\" }}\nbody = '{{\"roomId\": \"r\", \"markdown\": \"{long}\"}}'"),
        "HTTP 400: Message length exceeds the maximum of 7439 bytes",
    )]).collect::<Vec<_>>();
    for (i, (toml_text, want)) in cases.iter().enumerate() {
        let hook = one_trigger(toml_text, &env);
        assert_eq!(call(&hook).await.unwrap_err(), *want);
        assert_eq!(fake.calls().len(), i + 1, "{want}: tried once, not retried");
    }
    // A wrong token: Twilio's word for it, and the token is nowhere in the reason.
    env.insert("TWILIO_AUTH_TOKEN".into(), "wrong-token-4242".into());
    let hook = one_trigger(&twilio("+15558675310"), &env);
    assert_eq!(call(&hook).await.unwrap_err(), "HTTP 401: Authenticate");
}

#[tokio::test]
async fn telegram_flood_control_is_waited_out() {
    let fake = Fake::start().await;
    let env = env_for(&fake);
    let cfg = Config::parse(&recipes(&fake.base)).unwrap();
    let hook = webhooks(&cfg, &env).remove("telegram").unwrap();
    fake.flood_telegram(1);
    call(&hook).await.expect("sent after the wait");
    let calls = fake.calls();
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [429, 200]
    );
    // Our back-off is 10 ms here: only parameters.retry_after (1 s) explains the gap.
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
}

#[tokio::test]
async fn secrets_echoed_by_a_service_are_scrubbed() {
    use axum::http::HeaderMap;
    // A service that quotes the credentials back in its error (some do, in debug modes).
    let app = axum::Router::new().route(
        "/{*rest}",
        axum::routing::post(|h: HeaderMap| async move {
            let auth = h["authorization"].to_str().unwrap().to_string();
            (
                axum::http::StatusCode::BAD_REQUEST,
                format!("bad credentials: {auth}"),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let env: HashMap<String, String> =
        [("SECRET_TOKEN".to_string(), "very-secret-7".to_string())].into();
    let hook = one_trigger(
        &format!(
            "[[trigger]]\nname = \"x\"\nurl = \"{base}/hook/${{SECRET_TOKEN}}\"\nheaders = {{ Authorization = \"Bearer ${{SECRET_TOKEN}}\" }}"
        ),
        &env,
    );
    let reason = call(&hook).await.unwrap_err();
    assert_eq!(reason, "HTTP 400: bad credentials: Bearer <secret>");
    // A network error names no URL (it holds the token here).
    let dead = one_trigger(
        "[[trigger]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/hook/${SECRET_TOKEN}\"",
        &env,
    );
    let reason = call(&dead).await.unwrap_err();
    assert!(
        reason.starts_with("network: ") && !reason.contains("very-secret-7"),
        "{reason}"
    );
}

/// One `*.request.http` file: method, target, headers, body.
struct RecordedRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(path: &Path) -> RecordedRequest {
    let text = std::fs::read(path).unwrap();
    let split = text
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("blank line after headers");
    let head = String::from_utf8(text[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap().split(' ');
    let (method, target) = (
        first.next().unwrap().to_string(),
        first.next().unwrap().to_string(),
    );
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    RecordedRequest {
        method,
        target,
        headers,
        body: text[split + 2..].to_vec(),
    }
}

/// The statuses recorded for a request: from `<stem>.<status>.*` (Home Assistant's replies are
/// shared by its JSON and form requests).
fn recorded_statuses(dir: &Path, stem: &str) -> Vec<(u16, PathBuf)> {
    let base = stem.trim_end_matches("_json").trim_end_matches("_form");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for prefix in [format!("{stem}."), format!("{base}.")] {
            if let Some(rest) = name.strip_prefix(&prefix)
                && let Some(code) = rest.split('.').next().and_then(|c| c.parse::<u16>().ok())
            {
                out.push((code, path.clone()));
                break;
            }
        }
    }
    out
}

fn fixtures_dir() -> Option<PathBuf> {
    crate::support::recorded_fixtures("notify")
}

#[tokio::test]
async fn recorded_requests_replay_against_the_fakes_and_ours_match_them() {
    // The fakes above still ran without them.
    let Some(dir) = fixtures_dir() else {
        return;
    };
    let fake = Fake::start().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut replayed = 0;
    let mut requests: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".request.http"))
        .collect();
    requests.sort();
    for path in &requests {
        let stem = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".request.http")
            .to_string();
        let req = parse_request(path);
        let mut call = http.request(
            req.method.parse().unwrap(),
            format!("{}{}", fake.base, req.target),
        );
        for (k, v) in &req.headers {
            if k != "host" && k != "content-length" {
                call = call.header(k, v);
            }
        }
        let res = call.body(req.body.clone()).send().await.unwrap();
        let status = res.status().as_u16();
        let answer = res.text().await.unwrap();
        let recorded = recorded_statuses(&dir, &stem);
        let ok = if recorded.is_empty() {
            (200..300).contains(&status)
        } else {
            recorded.iter().any(|(s, _)| *s == status)
        };
        assert!(
            ok,
            "{stem}: the fake answered {status} ({answer}), recorded {recorded:?}"
        );
        // The fake's success answer says nothing the service's does not (names from the recording).
        if let Some((_, file)) = recorded.iter().find(|(s, _)| *s == status) {
            let text = std::fs::read_to_string(file).unwrap();
            if file.extension().is_some_and(|e| e == "json") {
                let want: serde_json::Value = serde_json::from_str(&text).unwrap();
                let got: serde_json::Value = serde_json::from_str(&answer).unwrap();
                for key in got.as_object().unwrap().keys() {
                    assert!(
                        want.get(key).is_some() || key == "html",
                        "{stem}: the fake's `{key}` is not in {file:?}"
                    );
                }
            } else if file.extension().is_some_and(|e| e == "txt") {
                assert_eq!(answer, text, "{stem}");
            }
        }
        replayed += 1;
    }
    assert!(replayed >= 10, "only {replayed} recorded requests");

    // Our sender, configured like the recordings, sends the same bytes.
    let env: HashMap<String, String> = [
        ("TWILIO_ACCOUNT_SID".to_string(), TWILIO_SID.to_string()),
        ("TWILIO_AUTH_TOKEN".to_string(), TWILIO_TOKEN.to_string()),
    ]
    .into();
    let twilio = |resource: &str, last: &str| {
        format!(
            r#"[[trigger]]
            name = "t"
            url = "{}/2010-04-01/Accounts/${{TWILIO_ACCOUNT_SID}}/{resource}"
            auth = "basic"
            username = "${{TWILIO_ACCOUNT_SID}}"
            password = "${{TWILIO_AUTH_TOKEN}}"
            form = {{ To = "+15558675310", From = "+15017122661", {last} }}"#,
            fake.base
        )
    };
    let ours = [
        (
            "twilio_messages_create",
            twilio(
                "Messages.json",
                r#"Body = "This is the ship that made the Kessel Run in fourteen parsecs?""#,
            ),
        ),
        (
            "twilio_calls_create",
            twilio(
                "Calls.json",
                r#"Twiml = "<Response><Say>Ahoy, World!</Say></Response>""#,
            ),
        ),
        (
            "homeassistant_webhook_json",
            format!(
                "[[trigger]]\nname = \"t\"\nurl = \"{}/api/webhook/json_webhook\"\nbody = '{{\"hello\": \"world\"}}'",
                fake.base
            ),
        ),
        (
            "slack_webhook",
            format!(
                "[[trigger]]\nname = \"t\"\nurl = \"{}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\"\nbody = '{{\"text\":\"Hello, World!\"}}'",
                fake.base
            ),
        ),
    ];
    for (stem, toml_text) in ours {
        let before = fake.calls().len();
        let hook = one_trigger(&toml_text, &env);
        call(&hook).await.unwrap_or_else(|e| panic!("{stem}: {e}"));
        let sent = &fake.calls()[before];
        let want = parse_request(&dir.join(format!("{stem}.request.http")));
        assert_eq!(sent.target, want.target, "{stem}");
        assert_eq!(
            String::from_utf8_lossy(&sent.body),
            String::from_utf8_lossy(&want.body),
            "{stem}"
        );
        for (k, v) in &want.headers {
            if k == "authorization" || k == "content-type" {
                assert!(
                    sent.header(k).starts_with(v.split(';').next().unwrap()),
                    "{stem}: {k} {} vs {v}",
                    sent.header(k)
                );
            }
        }
    }

    // The recorded error bodies, read the way the sender reads them.
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    assert_eq!(
        service_message(&read("twilio_error_400.json")).unwrap(),
        "The 'To' number +15005550001 is not a valid phone number."
    );
    assert_eq!(
        service_message(&read("twilio_error_401.json")).unwrap(),
        "Authenticate"
    );
    assert_eq!(
        service_message(&read("telegram_error_400.json")).unwrap(),
        "Bad Request: chat not found"
    );
    assert_eq!(
        service_message(&read("webex_error_415.json")).unwrap(),
        "Content type 'application/xml' not supported"
    );
    assert_eq!(
        service_message(&read("ntfy_error_429.json")).unwrap(),
        "limit reached: too many requests"
    );
    assert_eq!(
        body_retry_after(&read("telegram_error_429.json")),
        Some(Duration::from_secs(5))
    );
    let slack: serde_json::Value =
        serde_json::from_str(&read("slack_webhook_errors.json")).unwrap();
    for e in slack.as_array().unwrap() {
        let word = e["body"].as_str().unwrap();
        assert_eq!(service_message(word).as_deref(), Some(word));
    }
}
