//! `[spotify]`: present in config.toml means Spotify is the player.
use crate::support::env::Env;
use serde::Deserialize;
use std::path::PathBuf;

pub(crate) const CLIENT_ID_ENV: &str = "SPOTIFY_CLIENT_ID";
pub(crate) const DEFAULT_REDIRECT_PORT: u16 = 8888;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpotifyConfig {
    /// The Client ID of your app in the Spotify developer dashboard (else $SPOTIFY_CLIENT_ID).
    pub client_id: Option<String>,
    /// The login listens on http://127.0.0.1:PORT/callback; the app's Redirect URI must match.
    pub redirect_port: u16,
    /// Advanced: where the Web API and the accounts service live (tests point them at a fake).
    pub api_base_url: String,
    pub auth_base_url: String,
    /// Advanced: the token file (default: spotify_token.json in the config dir).
    pub token_file: Option<PathBuf>,
}

impl Default for SpotifyConfig {
    fn default() -> Self {
        SpotifyConfig {
            client_id: None,
            redirect_port: DEFAULT_REDIRECT_PORT,
            api_base_url: rspotify::DEFAULT_API_BASE_URL.to_string(),
            auth_base_url: rspotify::DEFAULT_AUTH_BASE_URL.to_string(),
            token_file: None,
        }
    }
}

impl SpotifyConfig {
    /// `[spotify] client_id`, else $SPOTIFY_CLIENT_ID as config loading read it (`resolve`).
    pub(crate) fn client_id(&self) -> anyhow::Result<String> {
        self.clean_client_id().ok_or_else(|| {
            anyhow::anyhow!(
                "no Spotify client id: create an app at https://developer.spotify.com/dashboard \
                 with the Redirect URI {}, then put its Client ID in [spotify] client_id \
                 (or {CLIENT_ID_ENV})",
                self.redirect_uri()
            )
        })
    }

    fn clean_client_id(&self) -> Option<String> {
        let id = self.client_id.as_deref()?.trim();
        (!id.is_empty()).then(|| id.to_string())
    }

    /// Config loading: a blank `client_id` is taken from $SPOTIFY_CLIENT_ID and the token
    /// file's default place (under $HOME) is settled, once, so the player, the search and
    /// `spotify login` never read the environment.
    pub(crate) fn resolve(&mut self, env: Env<'_>) {
        if self.clean_client_id().is_none() {
            self.client_id = env(CLIENT_ID_ENV).filter(|id| !id.trim().is_empty());
        }
        if self.token_file.is_none() {
            // Without a home directory this stays None; `token_path` then says what to do.
            self.token_file = super::token::TokenStore::default_path().ok();
        }
    }

    /// Config loading, for a `[spotify]` section: what the player refuses at start.
    pub(crate) fn check(&self) -> Result<(), String> {
        self.client_id().map(drop).map_err(|e| e.to_string())?;
        self.token_path().map(drop).map_err(|e| format!("{e:#}"))?;
        for (key, url) in [
            ("api_base_url", &self.api_base_url),
            ("auth_base_url", &self.auth_base_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "[spotify] {key} = \"{url}\" must start with http:// or https://"
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn redirect_uri(&self) -> String {
        super::login::redirect_uri(self.redirect_port)
    }

    pub(crate) fn token_path(&self) -> anyhow::Result<PathBuf> {
        match &self.token_file {
            Some(p) => Ok(p.clone()),
            None => super::token::TokenStore::default_path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_section_means_defaults_and_typos_are_rejected() {
        let c: SpotifyConfig = toml::from_str("").unwrap();
        assert_eq!(c, SpotifyConfig::default());
        assert_eq!(c.redirect_uri(), "http://127.0.0.1:8888/callback");
        let e = toml::from_str::<SpotifyConfig>("client = \"x\"").unwrap_err();
        assert!(e.to_string().contains("client"), "{e}");
    }

    #[test]
    fn a_spotify_section_makes_spotify_the_player() {
        let cfg = crate::config::Config::parse(
            "[spotify]\nclient_id = \"abc\"\nredirect_port = 9999\napi_base_url = \"http://127.0.0.1:1/v1/\"\n",
        )
        .unwrap();
        let s = cfg.spotify.unwrap();
        assert_eq!(s.client_id.as_deref(), Some("abc"));
        assert_eq!(s.redirect_uri(), "http://127.0.0.1:9999/callback");
        assert_eq!(s.auth_base_url, rspotify::DEFAULT_AUTH_BASE_URL);
        assert!(crate::config::Config::default().spotify.is_none());
        let e = crate::config::Config::parse("[spotify]\nredirect = 1\n").unwrap_err();
        assert!(e.to_string().contains("redirect"), "{e}");
    }

    #[test]
    fn the_configured_client_id_wins_and_blank_is_missing() {
        let c = SpotifyConfig {
            client_id: Some(" abc ".into()),
            ..Default::default()
        };
        assert_eq!(c.client_id().unwrap(), "abc");
        let blank = SpotifyConfig {
            client_id: Some("  ".into()),
            ..Default::default()
        };
        // Blank in config falls through to the environment as load read it; without it, the
        // error says what to do.
        let e = blank.client_id().unwrap_err().to_string();
        assert!(
            e.contains("[spotify] client_id") && e.contains("8888/callback"),
            "{e}"
        );
        let mut from_env = blank.clone();
        from_env.resolve(&|k| (k == CLIENT_ID_ENV).then(|| "env-id".to_string()));
        assert_eq!(from_env.client_id().unwrap(), "env-id");
    }
}
