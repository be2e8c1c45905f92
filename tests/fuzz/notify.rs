//! What messaging services answer a trigger's call with: the error body in the service's own
//! words (Twilio, Webex, Telegram, ntfy JSON; Slack plain text), Telegram's wait in the body,
//! and the Retry-After header (`reply_text.rs`, `client.rs`).
use crate::mutate::{JSON, mutated};
use crate::{fixtures, fuzz};
use party_tui::outlets::client::{RETRY_AFTER_MAX, parse_retry_after};
use party_tui::outlets::reply_text::{MESSAGE_CHARS, body_retry_after, service_message};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Written from each service's documented error shape.
const BODIES: &[&str] = &[
    r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#,
    r#"{"message":"The request requires a valid access token set in the Authorization request header.","errors":[{"description":"The request requires a valid access token set in the Authorization request header."}],"trackingId":"ROUTER_0000"}"#,
    r#"{"errors":[{"description":"Content type must be application/json"}]}"#,
    r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#,
    r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#,
    "{\"code\":42901,\"http\":429,\"error\":\"limit reached: too many requests\",\"link\":\"https://ntfy.sh/docs/publish/#limitations\"}\n",
    "no_text",
    "channel_is_archived",
    "",
];

fn seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = BODIES.iter().map(|s| s.as_bytes().to_vec()).collect();
    seeds.extend(fixtures("notify", &[".json", ".txt"]));
    // Responses recorded with their headers: the body after the empty line.
    for http in fixtures("notify", &[".200.http", ".429.http"]) {
        let text = String::from_utf8_lossy(&http);
        if let Some((_, body)) = text.split_once("\n\n") {
            seeds.push(body.as_bytes().to_vec());
        }
    }
    // Slack's plain-text error words, from its table.
    for table in fixtures("notify", &["slack_webhook_errors.json"]) {
        if let Ok(Value::Array(rows)) = serde_json::from_slice::<Value>(&table) {
            seeds.extend(
                rows.iter()
                    .filter_map(|r| r.get("body").and_then(Value::as_str))
                    .map(|b| b.as_bytes().to_vec()),
            );
        }
    }
    seeds
}

/// A wait a sender may sleep: at most the cap, and it fits on any clock.
fn sane(d: Duration) -> bool {
    d <= RETRY_AFTER_MAX && Instant::now().checked_add(d).is_some()
}

/// Error bodies as the services send them, mutated: the words are one short line or nothing,
/// and a wait read from the body is a sane one.
#[test]
fn reply_bodies_mutated() {
    fuzz(
        "notify reply bodies (mutated)",
        mutated(seeds(), JSON),
        |buf| {
            let body = String::from_utf8_lossy(&buf);
            if let Some(m) = service_message(&body)
                && (m.is_empty()
                    || m.chars().count() > MESSAGE_CHARS
                    || m.chars().any(char::is_control)
                    || m.trim() != m)
            {
                return Err(format!("said {m:?}"));
            }
            match body_retry_after(&body) {
                Some(d) if !sane(d) => Err(format!("waits {d:?}")),
                _ => Ok(()),
            }
        },
    );
}

/// Telegram's flood control with any number in `parameters.retry_after`, and Retry-After
/// headers of any text: a number of seconds up to the cap is read as it is, every wait is sane.
#[test]
fn retry_after_any_number() {
    let number = prop_oneof![
        any::<f64>().prop_map(|f| json!(f)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        (0u64..7200).prop_map(|n| json!(n)),
        Just(json!("5")),
        Just(Value::Null),
    ];
    let header = prop_oneof![
        "[0-9]{1,30}",
        " ?-?[0-9]{0,6}(\\.[0-9]{0,3})?(e[0-9]{1,3})? ?",
        any::<String>(),
    ];
    fuzz(
        "retry-after (any number)",
        (number, header),
        |(secs, header)| {
            let body = json!({"ok": false, "error_code": 429,
                "description": "Too Many Requests", "parameters": {"retry_after": secs}})
            .to_string();
            let from_body = body_retry_after(&body);
            match (from_body, secs.as_f64()) {
                (Some(d), _) if !sane(d) => return Err(format!("{body} waits {d:?}")),
                (Some(d), Some(s))
                    if (0.0..=3600.0).contains(&s) && d != Duration::from_secs_f64(s) =>
                {
                    return Err(format!("{body} waits {d:?}"));
                }
                (None, Some(s)) if s >= 0.0 => return Err(format!("{body} read no wait")),
                _ => {}
            }
            match parse_retry_after(&header) {
                Some(d) if !sane(d) => Err(format!("{header:?} waits {d:?}")),
                Some(d) => match header.trim().parse::<u64>() {
                    Ok(n) if n <= 3600 && d != Duration::from_secs(n) => {
                        Err(format!("{header:?} waits {d:?}"))
                    }
                    _ => Ok(()),
                },
                None => Ok(()),
            }
        },
    );
}
