//! A login over the token file (the watcher's, and guests' search's): the current token, refreshed ahead of expiry or on a 401, and every
//! rotated refresh token written to the token file before the new access token is used.
use super::token::{LOGIN_AGAIN, Token, TokenClient, TokenError, TokenStore};
use crate::core::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("not logged in to Spotify (no {0}): run `party-tui spotify login`")]
    NotLoggedIn(String),
    #[error("the saved Spotify login was refused earlier: {LOGIN_AGAIN}")]
    StillExpired,
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl SessionError {
    pub(crate) fn is_transient(&self) -> bool {
        matches!(self, SessionError::Token(e) if e.is_transient())
    }
}

pub(crate) struct Session {
    client: TokenClient,
    store: TokenStore,
    token: Option<Token>,
    /// A refresh token Spotify refused: not tried again until a new login replaces it.
    dead: Option<String>,
    /// Set when a rotated token could not be written (the dashboard says so).
    pub persist_warning: Option<String>,
}

impl Session {
    pub(crate) fn new(client: TokenClient, store: TokenStore) -> Self {
        Session {
            client,
            store,
            token: None,
            dead: None,
            persist_warning: None,
        }
    }

    /// An access token good for at least `REFRESH_AHEAD`.
    pub(crate) async fn access_token(&mut self, now: Timestamp) -> Result<String, SessionError> {
        let token = self.loaded()?;
        if token.needs_refresh(now) {
            return self.refresh(now).await;
        }
        Ok(token.access_token.expose().clone())
    }

    /// Refresh now (after a 401, or ahead of expiry), persisting the rotated refresh token.
    pub(crate) async fn refresh(&mut self, now: Timestamp) -> Result<String, SessionError> {
        if let Some(access) = self.adopt_rotated(now) {
            return Ok(access);
        }
        let old = self.loaded()?.refresh_token.expose().clone();
        let fresh = match self.client.refresh(&old, now).await {
            Ok(t) => t,
            Err(e @ TokenError::LoginExpired(_)) | Err(e @ TokenError::InvalidClient) => {
                // Forget it: the next attempt re-reads the file, where a new login may be waiting.
                self.dead = Some(old);
                self.token = None;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        // The old refresh token is spent: losing the new one would mean logging in again.
        self.persist_warning = match self.store.save(&fresh) {
            Ok(()) => None,
            Err(e) => {
                tracing::error!(error = %e, "rotated Spotify token not saved");
                Some(e.to_string())
            }
        };
        tracing::info!(expires_at = %fresh.expires_at, "Spotify token refreshed");
        let access = fresh.access_token.expose().clone();
        self.token = Some(fresh);
        Ok(access)
    }

    /// More than one session keeps this file (the watcher's, guests' search): when another
    /// one rotated the refresh token since we read it, ours is spent and the file's is the
    /// good one. Take it, and its access token too while that is still fresh. Not when our own
    /// rotation failed to save: then the file is the older one.
    fn adopt_rotated(&mut self, now: Timestamp) -> Option<String> {
        let mine = self.token.as_ref()?;
        if self.persist_warning.is_some() {
            return None;
        }
        let stored = self.store.load().ok().flatten()?;
        if stored.refresh_token == mine.refresh_token {
            return None;
        }
        tracing::info!("Spotify token was refreshed by another session; using it");
        let fresh = (!stored.needs_refresh(now)).then(|| stored.access_token.expose().clone());
        self.token = Some(stored);
        fresh
    }

    fn loaded(&mut self) -> Result<&Token, SessionError> {
        if self.token.is_none() {
            let token = self.store.load()?.ok_or_else(|| {
                SessionError::NotLoggedIn(self.store.path().display().to_string())
            })?;
            if self.dead.as_deref() == Some(token.refresh_token.expose().as_str()) {
                return Err(SessionError::StillExpired);
            }
            self.dead = None;
            self.token = Some(token);
        }
        Ok(self.token.as_ref().expect("loaded just above"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u32, expires_at: Timestamp) -> Token {
        Token {
            access_token: format!("access-{n}").into(),
            refresh_token: format!("refresh-{n}").into(),
            expires_at,
            scope: String::new(),
        }
    }

    #[tokio::test]
    async fn a_token_another_session_rotated_is_taken_not_refreshed_with_a_spent_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.json");
        let now = Timestamp::from_millis(10_000_000);
        let store = TokenStore::new(&path);
        store.save(&token(1, now)).unwrap();
        // Nothing listens there: a refresh would fail, so passing means none was tried.
        let client = TokenClient::new("http://127.0.0.1:9", "client");
        let mut search = Session::new(client, TokenStore::new(&path));
        assert!(search.access_token(now).await.is_err(), "token 1 is due");
        // The watcher's session rotated it meanwhile.
        store
            .save(&token(2, now + std::time::Duration::from_secs(3600)))
            .unwrap();
        assert_eq!(search.access_token(now).await.unwrap(), "access-2");
        assert_eq!(search.access_token(now).await.unwrap(), "access-2");
    }
}
