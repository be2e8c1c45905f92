//! What a messaging service said when it refused a call, in its own words: Twilio and Webex
//! answer JSON with `message`, Telegram `description`, ntfy `error`, Slack a plain-text word.
//! Telegram's flood control also puts the wait in the body (`parameters.retry_after`).
use serde_json::Value;
use std::time::Duration;

/// How much of a service's answer goes into the log and the journal.
pub const MESSAGE_CHARS: usize = 200;

/// The service's own message from an error body, or None when the body says nothing.
pub fn service_message(body: &str) -> Option<String> {
    let text = body.trim();
    if text.is_empty() {
        return None;
    }
    let found = match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
            field("message")
                .or_else(|| field("description"))
                .or_else(|| field("error"))
                .or_else(|| {
                    v.pointer("/errors/0/description")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                // JSON that names nothing we know: show it as it came.
                .unwrap_or_else(|| text.to_string())
        }
        Err(_) => text.to_string(),
    };
    // One line, no control characters: it ends up in a terminal log line.
    let one_line: String = found
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    Some(one_line.trim().to_string()).filter(|s| !s.is_empty())
}

/// Telegram's `{"parameters":{"retry_after":5}}` in a 429 body.
pub fn body_retry_after(body: &str) -> Option<Duration> {
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    let secs = v.pointer("/parameters/retry_after")?.as_f64()?;
    super::client::parse_retry_after(&secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_says_it_in_its_own_words() {
        let twilio = r#"{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#;
        assert_eq!(
            service_message(twilio).unwrap(),
            "The 'To' number +15005550001 is not a valid phone number."
        );
        let telegram =
            r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#;
        assert_eq!(
            service_message(telegram).unwrap(),
            "Bad Request: chat not found"
        );
        assert_eq!(
            service_message("channel_not_found\n").unwrap(),
            "channel_not_found"
        );
        let ntfy =
            r#"{"code":42901,"http":429,"error":"limit reached: too many requests","link":"x"}"#;
        assert_eq!(
            service_message(ntfy).unwrap(),
            "limit reached: too many requests"
        );
        assert_eq!(service_message("  "), None);
        assert_eq!(service_message("a\nb").unwrap(), "a b");
        assert_eq!(
            service_message(&"x".repeat(500)).unwrap().len(),
            MESSAGE_CHARS
        );
    }

    #[test]
    fn telegram_flood_control_wait() {
        let body = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#;
        assert_eq!(body_retry_after(body), Some(Duration::from_secs(5)));
        assert_eq!(body_retry_after("ok"), None);
        // A number no clock can wait (it used to panic) waits the longest we ever wait.
        let huge = r#"{"ok":false,"error_code":429,"parameters":{"retry_after":1.5e308}}"#;
        assert_eq!(
            body_retry_after(huge),
            Some(super::super::client::RETRY_AFTER_MAX)
        );
    }
}
