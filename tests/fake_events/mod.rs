//! A fake CompetitionLabs events API on 127.0.0.1 for the export tests and bench. It validates
//! every request against the contract (POST /api/{space}/events, X-API-KEY, a JSON array of
//! 1..=10,000 events with memberRefId, action, entityRefId strings, a numeric sourceValue, an
//! ISO 8601 UTC millisecond transactionTimestamp, a string batchId, metadata map or list) and
//! can be told to fail: 500s, 429 with Retry-After, hanging past the client's timeout,
//! dropping the connection, 400 for a poisoned event.
#![allow(dead_code)]
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const MAX_EVENTS: usize = 10_000;

#[derive(Clone, Debug)]
pub enum Fail {
    Status(u16),
    TooMany {
        retry_after_secs: u64,
    },
    /// Answer only after this long (longer than the client's timeout).
    Hang(Duration),
    /// Close the connection without an answer.
    Drop,
}

#[derive(Default)]
pub struct Inner {
    /// Every accepted event, duplicates included, in arrival order.
    pub events: Vec<Value>,
    /// (arrival, events in body, status answered) of every request.
    pub requests: Vec<(Instant, usize, u16)>,
    pub violations: Vec<String>,
    pub plan: VecDeque<Fail>,
    pub poison: HashSet<String>,
    /// Every `fail_every`-th request answers 500 (0: never).
    pub fail_every: usize,
    /// Accepted requests are answered after this long (a slow receiver).
    pub delay: Duration,
    /// An outage: every request answers 503 while set.
    pub down: bool,
}

pub struct Fake {
    pub key: String,
    pub space: String,
    pub inner: Mutex<Inner>,
    /// Accepted requests whose answer is still held back by `delay` (the client has not
    /// heard 2xx yet, but the events are recorded).
    pub in_flight: AtomicUsize,
}

pub struct FakeEvents {
    pub addr: SocketAddr,
    pub fake: Arc<Fake>,
}

impl FakeEvents {
    pub async fn start(space: &str, key: &str) -> FakeEvents {
        let fake = Arc::new(Fake {
            key: key.into(),
            space: space.into(),
            inner: Mutex::new(Inner::default()),
            in_flight: AtomicUsize::new(0),
        });
        let app = axum::Router::new()
            .route("/api/{space}/events", axum::routing::post(events))
            // 10,000 events are ~3 MB; axum's default 2 MB limit would answer 413.
            .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeEvents { addr, fake }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.fake.inner.lock().unwrap())
    }

    /// The distinct ids received.
    pub fn ids(&self) -> HashSet<String> {
        self.with(|i| i.events.iter().map(|e| id_of(e).to_string()).collect())
    }
}

pub fn id_of(e: &Value) -> &str {
    e["batchId"].as_str().unwrap_or("")
}

struct InFlight<'a>(&'a AtomicUsize);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn events(
    State(f): State<Arc<Fake>>,
    Path(space): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = Instant::now();
    let (fail, delay) = {
        let mut i = f.inner.lock().unwrap();
        let n = i.requests.len() + 1;
        let outage = i.down.then_some(Fail::Status(503));
        let fail = outage
            .or_else(|| i.plan.pop_front())
            .or_else(|| (i.fail_every > 0 && n % i.fail_every == 0).then_some(Fail::Status(500)));
        (fail, i.delay)
    };
    let answer = |status: u16, n: usize| {
        f.inner.lock().unwrap().requests.push((arrived, n, status));
    };
    match fail {
        Some(Fail::Status(s)) => {
            answer(s, 0);
            return (StatusCode::from_u16(s).unwrap(), "injected failure").into_response();
        }
        Some(Fail::TooMany { retry_after_secs }) => {
            answer(429, 0);
            let ra = [("retry-after", retry_after_secs.to_string())];
            return (StatusCode::TOO_MANY_REQUESTS, ra, "slow down").into_response();
        }
        Some(Fail::Hang(d)) => {
            answer(0, 0);
            tokio::time::sleep(d).await;
            return StatusCode::OK.into_response();
        }
        Some(Fail::Drop) => {
            answer(0, 0);
            // No catch-panic layer: the connection task ends and the socket closes unanswered.
            panic!("fake events API: dropping this connection on purpose");
        }
        None => {}
    }
    let given = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if given != f.key {
        answer(401, 0);
        // Echo the key back, as careless servers do: the client must scrub it.
        return (StatusCode::UNAUTHORIZED, format!("unknown key {given}")).into_response();
    }
    let events = match validate(&f.space, &space, &headers, &body) {
        Ok(events) => events,
        Err(v) => {
            answer(400, 0);
            f.inner.lock().unwrap().violations.push(v.clone());
            return (StatusCode::BAD_REQUEST, v).into_response();
        }
    };
    let poisoned = {
        let i = f.inner.lock().unwrap();
        events
            .iter()
            .map(id_of)
            .find(|id| i.poison.contains(*id))
            .map(String::from)
    };
    if let Some(id) = poisoned {
        answer(400, events.len());
        return (StatusCode::BAD_REQUEST, format!("event {id} is invalid")).into_response();
    }
    {
        let mut i = f.inner.lock().unwrap();
        i.requests.push((arrived, events.len(), 200));
        i.events.extend(events);
    }
    if !delay.is_zero() {
        f.in_flight.fetch_add(1, Ordering::SeqCst);
        let _guard = InFlight(&f.in_flight);
        tokio::time::sleep(delay).await;
    }
    StatusCode::OK.into_response()
}

fn validate(
    want_space: &str,
    space: &str,
    h: &HeaderMap,
    body: &[u8],
) -> Result<Vec<Value>, String> {
    if space != want_space {
        return Err(format!("space {space}"));
    }
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(format!("content-type {ct:?}"));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(events) = v else {
        return Err("body is not an array".into());
    };
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(format!("{} events in one request", events.len()));
    }
    for e in &events {
        check_event(e).map_err(|why| format!("{why}: {e}"))?;
    }
    Ok(events)
}

fn check_event(e: &Value) -> Result<(), String> {
    for k in ["memberRefId", "action", "entityRefId", "batchId"] {
        match e.get(k).and_then(Value::as_str) {
            Some(s) if !s.is_empty() => {}
            _ => return Err(format!("{k} missing or not a non-empty string")),
        }
    }
    if !e.get("sourceValue").is_some_and(Value::is_number) {
        return Err("sourceValue is not a number".into());
    }
    let ts = e
        .get("transactionTimestamp")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !is_iso_utc_millis(ts) {
        return Err(format!("transactionTimestamp {ts:?}"));
    }
    match e.get("metadata") {
        None | Some(Value::Object(_)) => Ok(()),
        Some(Value::Array(items))
            if items.iter().all(|i| {
                i.get("key").is_some_and(Value::is_string) && i.get("value").is_some()
            }) =>
        {
            Ok(())
        }
        Some(other) => Err(format!("metadata {other}")),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` then `Z` or `+00:00`.
pub fn is_iso_utc_millis(s: &str) -> bool {
    let (main, zone) = match s.len() {
        24 => s.split_at(23),
        29 => s.split_at(23),
        _ => return false,
    };
    let shape = main.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        19 => b == b'.',
        _ => b.is_ascii_digit(),
    });
    shape && (zone == "Z" || zone == "+00:00") && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Poll an observable condition until it holds or the limit passes (real time: the fake is a
/// real socket).
pub async fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
