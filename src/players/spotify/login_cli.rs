//! The terminal side of `party-tui spotify login`: what to print, where to listen, stdin.
use super::SpotifyConfig;
use super::login::Login;
use super::token::{TokenClient, TokenStore};
use crate::bus::clock::Clock;
use anyhow::{Context, Result};

pub(crate) async fn run(cfg: &SpotifyConfig) -> Result<()> {
    let client_id = cfg.client_id()?;
    let redirect = cfg.redirect_uri();
    let store = TokenStore::new(cfg.token_path()?);
    let login = Login::start(&client_id, &redirect, &cfg.auth_base_url)?;
    println!("1. Open this link in a browser (on this machine or any other) and allow access:\n");
    println!("   {}\n", login.url());
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", cfg.redirect_port)).await {
        Ok(l) => {
            println!(
                "2. If the browser runs on this machine, that is all: waiting for it on {redirect}."
            );
            Some(l)
        }
        Err(e) => {
            println!(
                "2. (Cannot listen on 127.0.0.1:{}: {e}.)",
                cfg.redirect_port
            );
            None
        }
    };
    println!(
        "   If the browser runs elsewhere, it ends on a page that does not load: copy the whole \
         address from its address bar, paste it here and press Enter.\n"
    );
    println!(
        "   The app's Redirect URI in the Spotify developer dashboard must be exactly {redirect}."
    );
    let tokens = TokenClient::new(&cfg.auth_base_url, &client_id);
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let clock = Clock::system();
    let token = login
        .complete(
            listener,
            stdin,
            &|m| eprintln!("party-tui: {m}"),
            &tokens,
            &store,
            || clock.now(),
        )
        .await
        .context("Spotify login failed")?;
    println!(
        "\nLogged in to Spotify (scopes: {}). The login is kept in {} (readable only by you).",
        token.scope,
        store.path().display()
    );
    Ok(())
}
