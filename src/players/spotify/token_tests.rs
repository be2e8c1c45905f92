use super::*;

fn token() -> Token {
    Token {
        access_token: "BQ-access-secret".into(),
        refresh_token: "AQ-refresh-secret".into(),
        expires_at: Timestamp::from_millis(3_600_000),
        scope: "user-read-playback-state".into(),
    }
}

#[test]
fn debug_never_shows_secrets() {
    let shown = format!("{:?} {:#?}", token(), token());
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("<redacted>") && shown.contains("user-read-playback-state"));
}

#[test]
fn refresh_is_due_a_minute_before_expiry() {
    let t = token();
    assert!(!t.needs_refresh(Timestamp::from_millis(3_600_000 - 61_000)));
    assert!(t.needs_refresh(Timestamp::from_millis(3_600_000 - 60_000)));
    assert!(t.needs_refresh(Timestamp::from_millis(4_000_000)));
}

#[test]
fn store_round_trips_in_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("sub/spotify_token.json"));
    assert!(store.load().unwrap().is_none(), "no login yet");
    store.save(&token()).unwrap();
    assert_eq!(store.load().unwrap(), Some(token()));
    let mut newer = token();
    newer.refresh_token = "AQ-rotated".into();
    store.save(&newer).unwrap();
    assert_eq!(store.load().unwrap().unwrap().refresh_token, "AQ-rotated");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn a_corrupt_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spotify_token.json");
    std::fs::write(&path, "{not json").unwrap();
    let err = TokenStore::new(&path).load().unwrap_err().to_string();
    assert!(err.contains("spotify_token.json"), "{err}");
}

#[test]
fn errors_say_what_to_do() {
    let e = TokenError::LoginExpired("invalid_grant: Refresh token revoked".into()).to_string();
    assert!(e.contains("party-tui spotify login"), "{e}");
    let e = TokenError::RedirectMismatch("http://127.0.0.1:8888/callback".into()).to_string();
    assert!(e.contains("http://127.0.0.1:8888/callback") && e.contains("Redirect URIs"));
    assert!(TokenError::Server(503).is_transient());
    assert!(!TokenError::InvalidClient.is_transient());
}
