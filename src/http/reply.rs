//! How the server answers: JSON error bodies everywhere, and the answer to a press.
use crate::bus::inbox::LoopStopped;
use crate::core::{Effect, Voter};
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a client gets as `{"error": "..."}` with the status.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds a client should wait before sending it again (`Retry-After`).
    pub retry_after: Option<u32>,
}

/// A vote the party could not record (the journal cannot be written): the vote page tries
/// again after this long, and keeps backing off by itself. The loop probes the journal every
/// half second while votes are refused, so the first retry after the space returns is taken.
pub(crate) const NOT_RECORDED_RETRY_SECS: u32 = 1;

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<LoopStopped> for ApiError {
    fn from(_: LoopStopped) -> Self {
        // The loop drops the reply when the journal cannot be written, too: not acknowledged,
        // not durable.
        ApiError {
            retry_after: Some(NOT_RECORDED_RETRY_SECS),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the party could not record this (journal unavailable or shutting down); try again",
            )
        }
    }
}

/// The answer to a press once it is journaled: the core's verdict on it. Typed rather than a
/// `serde_json::Value`: every vote builds one, and the map cost more than the serialising.
#[derive(Debug, serde::Serialize)]
pub(crate) struct PressAnswer {
    pub result: &'static str,
    pub counted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skips: Option<u32>,
}

pub(crate) fn press_answer(effects: &[Effect], voter: &Voter) -> PressAnswer {
    let verdict = effects.iter().find_map(|e| match e {
        Effect::Press {
            voter: v,
            result,
            likes,
            skips,
            ..
        } if v == voter => Some((*result, *likes, *skips)),
        _ => None,
    });
    match verdict {
        Some((result, likes, skips)) => PressAnswer {
            result: result.label(),
            counted: result.counted(),
            likes: Some(likes),
            skips: Some(skips),
        },
        // Journaled, but the core said nothing about it.
        None => PressAnswer {
            result: "recorded",
            counted: false,
            likes: None,
            skips: None,
        },
    }
}

/// Middleware: errors made outside our handlers (tower-http's 413 and 408, axum's 404/405 and
/// extractor rejections) come as plain text; give every client the same JSON shape.
pub(crate) async fn json_errors(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "request body is larger than {} KiB",
            super::guard::MAX_BODY_BYTES / 1024
        ),
        StatusCode::REQUEST_TIMEOUT => "request took too long".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this route".to_string(),
        _ => {
            let (_, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            let text = if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text
            };
            return ApiError::new(status, text).into_response();
        }
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&json!({ "error": message })).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}
