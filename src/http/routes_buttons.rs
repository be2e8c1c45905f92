//! Network buttons: bt.tn-style web-link buttons (/button/{id}) and AWS IoT buttons (/iot).
use super::HttpState;
use super::body::{self, RawBody};
use super::reply::{ApiError, press_answer};
use crate::buttons::payloads::{self, WebButtonEvent};
use crate::core::{ClickKind, Input, Origin, Press, PressKind, Voter};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Mutex;

/// bt.tn retries a call only within seconds; remembering the last few hundred event ids is plenty.
const SEEN_EVENTS: usize = 256;
/// Ids are quoted in error messages up to this length.
const MAX_QUOTED_ID: usize = 64;

pub(crate) fn routes() -> Router<HttpState> {
    Router::new()
        .route(
            "/button/{id}",
            get(web_button).post(web_button).put(web_button),
        )
        .route("/iot", post(iot))
}

/// Event ids of web-button calls already taken, so a retry is answered without a second press.
#[derive(Default)]
pub(crate) struct SeenEvents(Mutex<VecDeque<(String, String)>>);

impl SeenEvents {
    /// Record (button, eid); false if it was already there.
    fn first_time(&self, button: &str, eid: &str) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if seen.iter().any(|(b, e)| b == button && e == eid) {
            return false;
        }
        if seen.len() >= SEEN_EVENTS {
            seen.pop_front();
        }
        seen.push_back((button.to_string(), eid.to_string()));
        true
    }

    /// The press was not recorded after all: let the retry through.
    fn forget(&self, button: &str, eid: &str) {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        seen.retain(|(b, e)| !(b == button && e == eid));
    }
}

async fn web_button(
    State(st): State<HttpState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    let Some(name) = st.buttons.by_id(&id).map(str::to_string) else {
        super::unknown::record(&st, "web button", &id);
        return Err(ApiError::not_found(format!(
            "no button with id `{}` is configured: add `id = \"{}\"` to a [[button]] in config.toml",
            short(&id),
            short(&id)
        )));
    };
    let mut params = body::query_pairs(&uri)?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let looks_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if body::is_json(&headers) || (!body::is_form(&headers) && looks_json) {
            params.extend(
                payloads::json_params(&bytes)
                    .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?,
            );
        } else {
            params.extend(body::form_pairs(bytes).await?);
        }
    }
    let WebButtonEvent { click, eid } =
        payloads::parse_web_button(&params).map_err(|e| ApiError::bad_request(e.to_string()))?;
    if let Some(eid) = &eid
        && !st.seen_eids.first_time(&id, eid)
    {
        return Ok(Json(json!({ "result": "duplicate event", "eid": eid })));
    }
    let answer = press(&st, &name, Origin::WebButton, click, None).await;
    if let (Err(_), Some(eid)) = (&answer, &eid) {
        st.seen_eids.forget(&id, eid);
    }
    answer
}

async fn iot(
    State(st): State<HttpState>,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    let event = payloads::parse_iot(&bytes).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let Some(name) = st.buttons.by_serial(&event.device).map(str::to_string) else {
        super::unknown::record(&st, "IoT button", &event.device);
        return Err(ApiError::not_found(format!(
            "no button with serial `{}` is configured: add `serial = \"{}\"` to a [[button]] in config.toml",
            short(&event.device),
            short(&event.device)
        )));
    };
    press(&st, &name, Origin::Iot, event.click, event.battery).await
}

async fn press(
    st: &HttpState,
    name: &str,
    origin: Origin,
    click: ClickKind,
    battery: Option<f32>,
) -> Result<Json<Value>, ApiError> {
    let voter = Voter::button(name);
    let input = Input::Press(Press {
        voter: voter.clone(),
        origin,
        kind: PressKind::Click(click),
        battery,
    });
    let effects = st.inbox.submit(input).await?;
    Ok(Json(
        serde_json::to_value(press_answer(&effects, &voter)).expect("a press answer is JSON"),
    ))
}

fn short(s: &str) -> String {
    s.chars().take(MAX_QUOTED_ID).collect()
}
