//! Host overrides over HTTP, behind a bearer token kept in a 0600 file in the data dir.
use super::HttpState;
use super::body::{self, RawBody};
use super::guard::ct_eq;
use super::reply::ApiError;
use crate::core::{CommandKind, HostCommand, Input, Threshold};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::io;
use std::path::Path as FsPath;

pub(crate) const ADMIN_TOKEN_FILE: &str = "admin-token";
/// A vote window longer than a day is a typo.
const MAX_WINDOW_SECS: u64 = 24 * 3600;

pub(crate) fn routes() -> Router<HttpState> {
    Router::new().route("/api/admin/{command}", post(admin))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KeepBody {
    keep: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdBody {
    threshold: Threshold,
}

/// `{"id":N}`: which guest request the host approves or rejects.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestIdBody {
    id: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowBody {
    secs: u64,
}

async fn admin(
    State(st): State<HttpState>,
    Path(command): Path<String>,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> Result<Json<Value>, ApiError> {
    // Before anything else, so a caller without the token learns nothing, not even the commands.
    authorize(&st, &headers)?;
    let command = parse_command(&command, &bytes)?;
    tracing::info!(?command, "admin command over http");
    let effects = st.inbox.submit(Input::host(command.clone())).await?;
    Ok(Json(
        json!({ "ok": true, "command": command, "effects": effects }),
    ))
}

/// The host command named in the path (`skip`, `threshold`, …) with its JSON body; shared by
/// the admin API and the host page.
pub(super) fn parse_command(command: &str, bytes: &[u8]) -> Result<HostCommand, ApiError> {
    let empty = bytes.iter().all(u8::is_ascii_whitespace);
    let Some(kind) = CommandKind::from_name(command) else {
        let all: Vec<CommandKind> = CommandKind::all().collect();
        return Err(ApiError::not_found(format!(
            "unknown admin command `{}`: {}",
            command.chars().take(32).collect::<String>(),
            CommandKind::list(&all, ", ")
        )));
    };
    Ok(match kind {
        CommandKind::SkipNow => HostCommand::SkipNow,
        CommandKind::Keep => {
            let b: KeepBody = if empty {
                KeepBody::default()
            } else {
                body::json(bytes, r#"{"keep":true} or {"keep":false} (or no body)"#)?
            };
            HostCommand::Keep(b.keep.unwrap_or(true))
        }
        CommandKind::ResetVotes => HostCommand::ResetVotes,
        CommandKind::PauseVoting => HostCommand::PauseVoting,
        CommandKind::ResumeVoting => HostCommand::ResumeVoting,
        CommandKind::PlayPrevious => HostCommand::PlayPrevious,
        CommandKind::SetThreshold => {
            let b: ThresholdBody = body::json(bytes, r#"{"threshold":3} or {"threshold":"40%"}"#)?;
            HostCommand::SetThreshold(b.threshold)
        }
        CommandKind::SetWindow => {
            let b: WindowBody = body::json(bytes, r#"{"secs":45} (0 = the whole track)"#)?;
            if b.secs > MAX_WINDOW_SECS {
                return Err(ApiError::bad_request(format!(
                    "window of {} s is longer than a day; at most {MAX_WINDOW_SECS}",
                    b.secs
                )));
            }
            HostCommand::SetWindow(b.secs)
        }
        CommandKind::ApproveRequest | CommandKind::RejectRequest => {
            let b: RequestIdBody = body::json(bytes, r#"{"id":3} (the request's id)"#)?;
            if kind == CommandKind::ApproveRequest {
                HostCommand::ApproveRequest(b.id)
            } else {
                HostCommand::RejectRequest(b.id)
            }
        }
    })
}

pub(super) fn authorize(st: &HttpState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(t)
            if !st.admin_token.expose().is_empty()
                && ct_eq(t.as_bytes(), st.admin_token.expose().as_bytes()) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong admin token: run `party-tui admin-token` on the Pi",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "admin commands need `Authorization: Bearer <token>` (`party-tui admin-token` prints it)",
        )),
    }
}

/// The admin token from `<data_dir>/admin-token`, created (0600, 256 random bits) on first start.
pub fn load_or_create_admin_token(data_dir: &FsPath) -> io::Result<String> {
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            tighten_permissions(&path)?;
            return Ok(text.trim().to_string());
        }
        Ok(_) => std::fs::remove_file(&path)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(data_dir)?;
    let token = crate::support::hex::encode(&rand::random::<[u8; 32]>());
    let file = crate::support::atomic_file::AtomicFile::default()
        .private()
        .keep_existing();
    match file.write(&path, format!("{token}\n").as_bytes()) {
        Ok(()) => Ok(token),
        // Another process won the race: use its token.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_string())
        }
        Err(e) => Err(e),
    }
}

/// A token file others can read is a token others can use: make it owner-only.
fn tighten_permissions(path: &FsPath) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "admin token file was readable by others; now 0600");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_created_once_owner_only_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested");
        let t1 = load_or_create_admin_token(&data).unwrap();
        assert_eq!(t1.len(), 64);
        assert_eq!(load_or_create_admin_token(&data).unwrap(), t1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = data.join(ADMIN_TOKEN_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(load_or_create_admin_token(&data).unwrap(), t1);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
