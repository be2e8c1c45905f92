//! Request bodies: read within the size limit, parsed as JSON or form with errors that say
//! what is wrong.
use super::reply::ApiError;
use axum::body::Bytes;
use axum::extract::{Form, FromRequest, Query, Request};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use serde::de::DeserializeOwned;

/// The raw body, at most `guard::MAX_BODY_BYTES` (the limit layers enforce it); a too-large
/// body is a JSON 413 rather than axum's plain-text rejection.
pub(crate) struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(RawBody(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body is larger than {} KiB",
                    super::guard::MAX_BODY_BYTES / 1024
                ),
            )),
            Err(e) => Err(ApiError::new(e.status(), e.body_text())),
        }
    }
}

/// Parse a JSON body; `example` shows the expected shape in the error.
pub(crate) fn json<T: DeserializeOwned>(body: &[u8], example: &str) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(format!(
            "empty body: expected JSON like {example}"
        )));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON ({e}): expected {example}")))
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/x-www-form-urlencoded")
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type(headers);
    ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json"))
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// `a=1&b=2` pairs from a form body, through axum's own form decoder.
pub async fn form_pairs(body: Bytes) -> Result<Vec<(String, String)>, ApiError> {
    let req = Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .map_err(|e| ApiError::bad_request(format!("malformed form: {e}")))?;
    match Form::<Vec<(String, String)>>::from_request(req, &()).await {
        Ok(Form(pairs)) => Ok(pairs),
        Err(e) => Err(ApiError::bad_request(format!(
            "malformed form: {}",
            e.body_text()
        ))),
    }
}

/// Query-string pairs (bt.tn GET calls carry their tags there).
pub(crate) fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    if uri.query().is_none() {
        return Ok(Vec::new());
    }
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {}", e.body_text())))
}
