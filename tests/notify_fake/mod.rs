//! Strict fakes of the messaging services, written from their documented formats (see the
//! README's notification section): Twilio Messages and Calls, Webex messages, Slack incoming
//! webhooks, ntfy, Telegram sendMessage and a Home Assistant webhook, all on one 127.0.0.1:0
//! server. Each checks what the real service checks (method, path, auth form, Content-Type,
//! E.164 numbers, size limits, one Webex destination) and answers with the real status and
//! body shape (201 for Twilio, plain `ok` for Slack, …). Every request is recorded.
#![allow(dead_code)]
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

pub const TWILIO_SID: &str = "AC00000000000000000000000000000000";
pub const TWILIO_TOKEN: &str = "your_auth_token";
pub const WEBEX_TOKEN: &str = "FAKEWEBEXTOKEN00000000000000000000000000000000";
pub const TELEGRAM_TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
/// Twilio's test-credentials number that is never valid.
pub const TWILIO_INVALID_TO: &str = "+15005550001";
const WEBEX_TEXT_MAX_BYTES: usize = 7439;
const TWILIO_BODY_MAX_CHARS: usize = 1600;
const TWILIO_TWIML_MAX_CHARS: usize = 4000;
const TELEGRAM_TEXT_MAX_CHARS: usize = 4096;

#[derive(Clone, Debug)]
pub struct Recorded {
    pub service: &'static str,
    pub method: Method,
    /// Path and query as sent.
    pub target: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub status: u16,
    pub at: Instant,
}

impl Recorded {
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    calls: Vec<Recorded>,
    /// Telegram answers flood control (429) this many more times.
    telegram_floods: u32,
}

#[derive(Clone)]
pub struct Fake {
    inner: Arc<Mutex<Inner>>,
    count: Arc<watch::Sender<usize>>,
    pub base: String,
}

impl Fake {
    pub async fn start() -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let fake = Fake {
            inner: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            base,
        };
        let app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/{resource}", post(twilio))
            .route("/v1/messages", post(webex_message))
            .route("/v1/rooms", post(webex_room))
            .route("/services/{a}/{b}/{c}", post(slack))
            .route("/api/webhook/{id}", any(home_assistant))
            .route("/{bot}/sendMessage", any(telegram))
            .route("/", post(ntfy_json))
            .route("/{topic}", post(ntfy_topic))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn calls(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn flood_telegram(&self, times: u32) {
        self.inner.lock().unwrap().telegram_floods = times;
    }

    /// Waits (signalled, not polled) until at least `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Recorded> {
        let mut rx = self.count.subscribe();
        tokio::time::timeout(std::time::Duration::from_secs(20), rx.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("fewer than {n} requests arrived: {:?}", self.calls()))
            .unwrap();
        self.calls()
    }

    fn record(&self, service: &'static str, req: &Req, status: StatusCode) {
        let mut inner = self.inner.lock().unwrap();
        inner.calls.push(Recorded {
            service,
            method: req.method.clone(),
            target: req.uri.to_string(),
            headers: req.headers.clone(),
            body: req.body.clone(),
            status: status.as_u16(),
            at: Instant::now(),
        });
        let n = inner.calls.len();
        drop(inner);
        self.count.send_replace(n);
    }
}

/// What every handler gets.
struct Req {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// Every fake service records the whole request: one extractor instead of four in each handler.
impl<S: Send + Sync> FromRequest<S> for Req {
    type Rejection = Response;
    async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?;
        Ok(Req {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        })
    }
}

impl Req {
    fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    }
    fn auth(&self) -> String {
        self.headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

fn answer(
    fake: &Fake,
    service: &'static str,
    req: &Req,
    status: StatusCode,
    body: Response,
) -> Response {
    fake.record(service, req, status);
    (status, body).into_response()
}

fn json_body(v: Value) -> Response {
    axum::Json(v).into_response()
}

fn text_body(s: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s).into_response()
}

fn is_e164(n: &str) -> bool {
    let digits = n.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

fn basic(user: &str, password: &str) -> String {
    use base64_lite::encode;
    format!("Basic {}", encode(format!("{user}:{password}").as_bytes()))
}

/// Just enough base64 for the fake's expected Authorization header.
mod base64_lite {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(data: &[u8]) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

fn twilio_error(code: u32, message: &str, status: u16) -> Response {
    json_body(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

async fn twilio(
    State(fake): State<Fake>,
    Path((sid, resource)): Path<(String, String)>,
    req: Req,
) -> Response {
    let fail = |status: StatusCode, code, msg: &str| {
        answer(
            &fake,
            "twilio",
            &req,
            status,
            twilio_error(code, msg, status.as_u16()),
        )
    };
    if sid != TWILIO_SID || req.auth() != basic(TWILIO_SID, TWILIO_TOKEN) {
        return fail(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    if !req
        .content_type()
        .starts_with("application/x-www-form-urlencoded")
    {
        return fail(
            StatusCode::BAD_REQUEST,
            20001,
            "Content-Type must be form-encoded",
        );
    }
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
    let (Some(to), Some(from)) = (get("To"), get("From")) else {
        return fail(
            StatusCode::BAD_REQUEST,
            21604,
            "A 'To' and 'From' phone number is required.",
        );
    };
    // An unencoded `+` arrives as a space: no longer E.164.
    if to == TWILIO_INVALID_TO || !is_e164(to) {
        let msg = format!("The 'To' number {to} is not a valid phone number.");
        return fail(StatusCode::BAD_REQUEST, 21211, &msg);
    }
    if !is_e164(from) {
        let msg = format!("The 'From' number {from} is not a valid phone number.");
        return fail(StatusCode::BAD_REQUEST, 21212, &msg);
    }
    let (kind, extra) = match resource.as_str() {
        "Messages.json" => {
            let Some(text) = get("Body").filter(|b| !b.is_empty()) else {
                return fail(StatusCode::BAD_REQUEST, 21602, "Message body is required.");
            };
            if text.chars().count() > TWILIO_BODY_MAX_CHARS {
                return fail(
                    StatusCode::BAD_REQUEST,
                    21617,
                    "The concatenated message body exceeds the 1600 character limit.",
                );
            }
            (
                "SM",
                json!({ "body": text, "num_segments": "1", "num_media": "0" }),
            )
        }
        "Calls.json" => {
            match (get("Twiml"), get("Url")) {
                (Some(t), None) if t.chars().count() > TWILIO_TWIML_MAX_CHARS => {
                    return fail(StatusCode::BAD_REQUEST, 32018, "TwiML is too long");
                }
                (Some(t), None) if t.starts_with("<Response>") && t.contains("<Say") => {}
                (None, Some(u)) if u.starts_with("http") => {}
                _ => {
                    return fail(
                        StatusCode::BAD_REQUEST,
                        21205,
                        "Exactly one of Twiml and Url is required.",
                    );
                }
            }
            (
                "CA",
                json!({ "direction": "outbound-api", "duration": null }),
            )
        }
        _ => {
            return fail(
                StatusCode::NOT_FOUND,
                20404,
                "The requested resource was not found",
            );
        }
    };
    let sid_out = format!("{kind}{}", "0".repeat(32));
    let mut reply = json!({
        "account_sid": TWILIO_SID,
        "api_version": "2010-04-01",
        "from": from,
        "to": to,
        "sid": sid_out,
        "status": "queued",
        "price": null,
        "price_unit": "USD",
        "uri": format!("/2010-04-01/Accounts/{TWILIO_SID}/{}/{sid_out}.json", &resource[..resource.len() - 5]),
    });
    reply
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    answer(&fake, "twilio", &req, StatusCode::CREATED, json_body(reply))
}

fn webex_error(message: &str) -> Response {
    json_body(json!({
        "message": message,
        "errors": [{ "description": message }],
        "trackingId": "FAKE_00000000-0000-0000-0000-000000000000",
    }))
}

/// The request's JSON, or the status and body Webex refuses it with.
#[allow(clippy::result_large_err)]
fn webex_checks(req: &Req) -> Result<Value, (StatusCode, Response)> {
    if req.auth() != format!("Bearer {WEBEX_TOKEN}") {
        let m =
            "The request requires a valid access token set in the Authorization request header.";
        return Err((StatusCode::UNAUTHORIZED, webex_error(m)));
    }
    let ct = req.content_type();
    if !ct.starts_with("application/json") {
        let m = format!("Content type '{ct}' not supported");
        return Err((StatusCode::UNSUPPORTED_MEDIA_TYPE, webex_error(&m)));
    }
    serde_json::from_slice(&req.body).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            webex_error("Unable to parse the JSON body"),
        )
    })
}

async fn webex_message(State(fake): State<Fake>, req: Req) -> Response {
    let v = match webex_checks(&req) {
        Ok(v) => v,
        Err((s, r)) => return answer(&fake, "webex", &req, s, r),
    };
    let dests = ["roomId", "toPersonId", "toPersonEmail"]
        .iter()
        .filter(|k| v.get(**k).is_some())
        .count();
    let bad = |m: &str| {
        answer(
            &fake,
            "webex",
            &req,
            StatusCode::BAD_REQUEST,
            webex_error(m),
        )
    };
    if dests != 1 {
        return bad("Exactly one of roomId, toPersonId or toPersonEmail is required");
    }
    let texts: Vec<&str> = ["text", "markdown", "html"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .collect();
    if texts.is_empty() {
        return bad("text, markdown, html or files is required");
    }
    if texts.iter().any(|t| t.len() > WEBEX_TEXT_MAX_BYTES) {
        return bad("Message length exceeds the maximum of 7439 bytes");
    }
    let mut reply = json!({
        "id": "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvZmFrZQ",
        "roomType": "group",
        "personId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mYWtl",
        "personEmail": "bot@example.com",
        "created": "2026-12-01T20:00:00.000Z",
    });
    for k in ["roomId", "toPersonId", "toPersonEmail", "text", "markdown"] {
        if let Some(x) = v.get(k) {
            reply[k] = x.clone();
        }
    }
    if reply.get("text").is_none() {
        // Webex derives the plain text from the markdown.
        reply["text"] = v["markdown"].clone();
    }
    answer(&fake, "webex", &req, StatusCode::OK, json_body(reply))
}

async fn webex_room(State(fake): State<Fake>, req: Req) -> Response {
    let v = match webex_checks(&req) {
        Ok(v) => v,
        Err((s, r)) => return answer(&fake, "webex", &req, s, r),
    };
    let Some(title) = v.get("title").and_then(Value::as_str) else {
        let r = webex_error("title is required");
        return answer(&fake, "webex", &req, StatusCode::BAD_REQUEST, r);
    };
    let mut reply = json!({
        "id": "Y2lzY29zcGFyazovL3VzL1JPT00vZmFrZQ",
        "title": title,
        "type": "group",
        "isLocked": false,
        "lastActivity": "2026-12-01T20:00:00.000Z",
        "created": "2026-12-01T20:00:00.000Z",
    });
    if let Some(t) = v.get("teamId") {
        reply["teamId"] = t.clone();
    }
    answer(&fake, "webex", &req, StatusCode::OK, json_body(reply))
}

async fn slack(
    State(fake): State<Fake>,
    Path((_, _, c)): Path<(String, String, String)>,
    req: Req,
) -> Response {
    let word = |s: StatusCode, w: &'static str| answer(&fake, "slack", &req, s, text_body(w));
    if c == "ARCHIVED" {
        return word(StatusCode::GONE, "channel_is_archived");
    }
    let v: Value = match serde_json::from_slice(&req.body) {
        Ok(v) if req.content_type().starts_with("application/json") => v,
        _ => return word(StatusCode::BAD_REQUEST, "invalid_payload"),
    };
    if v.get("text")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return word(StatusCode::BAD_REQUEST, "no_text");
    }
    word(StatusCode::OK, "ok")
}

/// Home Assistant answers 200 with an empty body whatever happens (the id is the secret).
async fn home_assistant(State(fake): State<Fake>, req: Req) -> Response {
    let status = match req.method {
        Method::POST | Method::PUT | Method::HEAD => StatusCode::OK,
        _ => StatusCode::METHOD_NOT_ALLOWED,
    };
    answer(&fake, "homeassistant", &req, status, ().into_response())
}

fn ntfy_message(topic: &str, message: &str, title: Option<&str>, priority: Option<u8>) -> Response {
    let mut v = json!({
        "id": "fakeid000001",
        "time": 1_764_619_200,
        "expires": 1_764_619_200 + 43_200,
        "event": "message",
        "topic": topic,
    });
    if let Some(t) = title {
        v["title"] = json!(t);
    }
    v["message"] = json!(message);
    if let Some(p) = priority {
        v["priority"] = json!(p);
    }
    let mut line = serde_json::to_string(&v).unwrap();
    line.push('\n');
    ([(header::CONTENT_TYPE, "application/json")], line).into_response()
}

fn ntfy_priority(p: &str) -> Option<u8> {
    match p.to_ascii_lowercase().as_str() {
        "1" | "min" => Some(1),
        "2" | "low" => Some(2),
        "3" | "default" => Some(3),
        "4" | "high" => Some(4),
        "5" | "max" | "urgent" => Some(5),
        _ => None,
    }
}

async fn ntfy_topic(State(fake): State<Fake>, Path(topic): Path<String>, req: Req) -> Response {
    let h = |names: &[&str]| {
        names.iter().find_map(|n| {
            req.headers
                .get(*n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
    };
    let title = h(&["title", "x-title", "t"]);
    let priority = match h(&["priority", "x-priority", "p"]) {
        Some(p) => match ntfy_priority(&p) {
            Some(p) => Some(p),
            None => {
                let e = json!({"code": 40007, "http": 400, "error": "invalid priority"});
                return answer(&fake, "ntfy", &req, StatusCode::BAD_REQUEST, json_body(e));
            }
        },
        None => None,
    };
    let message = String::from_utf8_lossy(&req.body).to_string();
    let r = ntfy_message(&topic, &message, title.as_deref(), priority);
    answer(&fake, "ntfy", &req, StatusCode::OK, r)
}

/// The JSON form goes to the root URL with the topic inside.
async fn ntfy_json(State(fake): State<Fake>, req: Req) -> Response {
    let v: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let Some(topic) = v.get("topic").and_then(Value::as_str) else {
        let e = json!({"code": 40001, "http": 400, "error": "invalid request: topic missing"});
        return answer(&fake, "ntfy", &req, StatusCode::BAD_REQUEST, json_body(e));
    };
    let message = v
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("triggered");
    let priority = v.get("priority").and_then(Value::as_u64).map(|p| p as u8);
    let r = ntfy_message(
        topic,
        message,
        v.get("title").and_then(Value::as_str),
        priority,
    );
    answer(&fake, "ntfy", &req, StatusCode::OK, r)
}

async fn telegram(State(fake): State<Fake>, Path(bot): Path<String>, req: Req) -> Response {
    let fail = |status: StatusCode, description: &str| {
        let v = json!({"ok": false, "error_code": status.as_u16(), "description": description});
        answer(&fake, "telegram", &req, status, json_body(v))
    };
    if bot != format!("bot{TELEGRAM_TOKEN}") {
        return fail(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let floods = {
        let mut inner = fake.inner.lock().unwrap();
        let f = inner.telegram_floods;
        inner.telegram_floods = f.saturating_sub(1);
        f
    };
    if floods > 0 {
        // The wait only in the body, as some proxies strip Retry-After.
        let v = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}});
        return answer(
            &fake,
            "telegram",
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            json_body(v),
        );
    }
    let params: Value = if req.content_type().starts_with("application/json") {
        serde_json::from_slice(&req.body).unwrap_or(Value::Null)
    } else {
        let pairs = form_urlencoded::parse(&req.body).into_owned();
        Value::Object(pairs.map(|(k, v)| (k, Value::String(v))).collect())
    };
    let chat = params.get("chat_id").cloned().unwrap_or(Value::Null);
    if chat.is_null() {
        return fail(StatusCode::BAD_REQUEST, "Bad Request: chat_id is empty");
    }
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    if text.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            "Bad Request: message text is empty",
        );
    }
    if text.chars().count() > TELEGRAM_TEXT_MAX_CHARS {
        return fail(StatusCode::BAD_REQUEST, "Bad Request: message is too long");
    }
    let v = json!({"ok": true, "result": {
        "message_id": 1,
        "from": {"id": 123456, "is_bot": true, "first_name": "Party Bot", "username": "party_bot"},
        "chat": {"id": chat, "type": "private"},
        "date": 1_764_619_200,
        "text": text,
    }});
    answer(&fake, "telegram", &req, StatusCode::OK, json_body(v))
}
