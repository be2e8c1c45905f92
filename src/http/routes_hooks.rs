//! Rule triggers coming in: `POST /hooks/{name}` from a rules engine (CompetitionLabs, Home
//! Assistant, a script). The token comes as `Authorization: Bearer …` or `?token=…` (many rule
//! engines can only set a URL). Skip and keep arrive as host commands given by the hook; a
//! notice or a chained trigger as `Input::Hook`. Every call is journaled with the hook's name.
use super::HttpState;
use super::body::{self, RawBody};
use super::guard::ct_eq;
use super::reply::ApiError;
use super::settings::{HookConfig, HookDo};
use crate::buttons::payloads;
use crate::core::{CommandSource, HookCall, HostCommand, Input};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

/// A notice is one line on a phone: longer text is cut.
pub(crate) const NOTICE_MAX_CHARS: usize = 140;

pub(crate) fn routes() -> Router<HttpState> {
    Router::new().route("/hooks/{name}", post(hook))
}

/// The configured hooks with their tokens resolved (from `${…}` when the config was loaded).
#[derive(Clone, Default)]
pub(crate) struct HookDirectory {
    hooks: Vec<(HookConfig, String)>,
}

impl HookDirectory {
    /// Hooks as config loading resolved them; one whose token was never resolved (a config
    /// built without `config::load`) is left out rather than served with an empty token.
    pub(crate) fn from_config(hooks: &[HookConfig]) -> Self {
        let hooks = hooks
            .iter()
            .filter_map(|h| {
                if h.resolved.expose().is_empty() {
                    tracing::error!(hook = %h.name, "hook not served: its token was not resolved");
                    return None;
                }
                Some((h.clone(), h.resolved.expose().clone()))
            })
            .collect();
        HookDirectory { hooks }
    }

    fn get(&self, name: &str) -> Option<&(HookConfig, String)> {
        self.hooks.iter().find(|(h, _)| h.name == name)
    }
}

async fn hook(
    State(st): State<HttpState>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    let Some((cfg, token)) = st.hooks.get(&name) else {
        return Err(ApiError::not_found(format!(
            "no hook `{}` is configured: add a [[hook]] with this name to config.toml",
            name.chars().take(64).collect::<String>()
        )));
    };
    let query = body::query_pairs(&uri)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .or_else(|| {
            query
                .iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.as_str())
        });
    match given {
        Some(t) if ct_eq(t.as_bytes(), token.as_bytes()) => {}
        Some(_) => {
            tracing::warn!(hook = %cfg.name, "hook called with a wrong token");
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong hook token"));
        }
        None => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "hooks need `Authorization: Bearer <token>` or `?token=<token>`",
            ));
        }
    }
    let by = CommandSource::Hook(cfg.name.clone());
    let input = match &cfg.act {
        HookDo::Skip => Input::host_by(HostCommand::SkipNow, by),
        HookDo::Keep => Input::host_by(HostCommand::Keep(true), by),
        HookDo::Trigger(trigger) => Input::Hook(HookCall::Trigger {
            hook: cfg.name.clone(),
            trigger: trigger.clone(),
        }),
        HookDo::Notice { text, secs } => {
            let params = body_params(&headers, &bytes).await?;
            Input::Hook(HookCall::Notice {
                hook: cfg.name.clone(),
                text: notice_text(&cfg.name, text.as_deref(), &params, &bytes),
                secs: *secs,
            })
        }
    };
    tracing::info!(hook = %cfg.name, "hook called");
    let effects = st.inbox.submit(input).await?;
    Ok(Json(
        json!({ "ok": true, "hook": cfg.name, "effects": effects }),
    ))
}

/// Fields of a JSON object or form body (strings and numbers), for the notice's text.
async fn body_params(headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let looks_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if body::is_json(headers) || (!body::is_form(headers) && looks_json) {
        payloads::json_params(bytes)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))
    } else if body::is_form(headers) {
        body::form_pairs(axum::body::Bytes::copy_from_slice(bytes)).await
    } else {
        Ok(Vec::new())
    }
}

/// The body's `text` (or `message`), else the template with `{field}` filled from the body,
/// else a plain-text body, else the hook's name. One line, at most `NOTICE_MAX_CHARS`.
fn notice_text(
    hook: &str,
    template: Option<&str>,
    params: &[(String, String)],
    raw: &[u8],
) -> String {
    let field = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.clone());
    let plain = (params.is_empty() && !raw.starts_with(b"{"))
        .then(|| String::from_utf8_lossy(raw).trim().to_string())
        .filter(|s| !s.is_empty());
    let text = field("text")
        .or_else(|| field("message"))
        .or_else(|| {
            template.map(|t| {
                params.iter().fold(t.to_string(), |acc, (k, v)| {
                    acc.replace(&format!("{{{k}}}"), v)
                })
            })
        })
        .or(plain)
        .unwrap_or_else(|| hook.to_string());
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(NOTICE_MAX_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn notice_text_comes_from_the_body_or_the_template() {
        assert_eq!(
            notice_text("h", Some("x"), &p(&[("text", "Hi")]), b""),
            "Hi"
        );
        assert_eq!(
            notice_text(
                "h",
                Some("{member} won {prize}"),
                &p(&[("member", "Ann"), ("prize", "a song")]),
                b""
            ),
            "Ann won a song"
        );
        assert_eq!(
            notice_text("h", None, &[], b"Cake is served\n"),
            "Cake is served"
        );
        assert_eq!(notice_text("h", None, &[], b""), "h");
        assert_eq!(
            notice_text("h", None, &p(&[("text", "a\nb")]), b"").len(),
            3
        );
        let long = "x".repeat(500);
        assert_eq!(
            notice_text("h", None, &p(&[("text", &long)]), b"")
                .chars()
                .count(),
            NOTICE_MAX_CHARS
        );
    }
}
