//! `party-tui spotify login` against the fake accounts service on 127.0.0.1: the browser
//! reaching the listener, the pasted redirect, denied consent, a redirect URI mismatch, and the
//! refresh token rotating on every refresh and being persisted.
use crate::spotify_support;

use party_tui::core::Timestamp;
use party_tui::players::spotify::login::{Login, LoginError, redirect_uri};
use party_tui::players::spotify::token::{TokenClient, TokenError, TokenStore};
use spotify_support::fake::Fake;
use spotify_support::sim::{Sim, track};
use tokio::io::{AsyncWriteExt, BufReader};

const NOW: Timestamp = spotify_support::T0;

struct LoginRig {
    fake: Fake,
    login: Login,
    listener: tokio::net::TcpListener,
    store: TokenStore,
    tokens: TokenClient,
    _dir: tempfile::TempDir,
}

async fn setup() -> LoginRig {
    let fake = Fake::start(Sim::new(vec![track(1, 200)], tokio::time::Instant::now())).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirect = redirect_uri(listener.local_addr().unwrap().port());
    fake.with(|f| f.registered_redirect = redirect.clone());
    let login = Login::start("fake-client", &redirect, &fake.auth_base()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::new(dir.path().join("spotify_token.json"));
    let tokens = TokenClient::new(&fake.auth_base(), "fake-client");
    LoginRig {
        fake,
        login,
        listener,
        store,
        tokens,
        _dir: dir,
    }
}

/// Where the consent page sends the browser (without following it).
async fn consent_redirect(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    resp.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_browser_reaches_the_listener() {
    let r = setup().await;
    // Nothing is pasted: the terminal stays open and silent.
    let (_keep_open, silent) = tokio::io::duplex(64);
    let url = r.login.url().to_string();
    let browser = tokio::spawn(async move {
        let page = reqwest::get(url).await.unwrap();
        (page.status(), page.text().await.unwrap())
    });
    let token = r
        .login
        .complete(
            Some(r.listener),
            BufReader::new(silent),
            &|m| panic!("{m}"),
            &r.tokens,
            &r.store,
            || NOW,
        )
        .await
        .unwrap();
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("logged in"), "{page}");
    assert_eq!(r.store.load().unwrap(), Some(token.clone()));
    assert_eq!(token.refresh_token, "AQ-refresh-1");
    assert_eq!(token.expires_at, NOW + std::time::Duration::from_secs(3600));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "token file mode {mode:o}");
    }
}

#[tokio::test]
async fn a_pasted_redirect_works_when_the_browser_is_elsewhere() {
    let r = setup().await;
    let location = consent_redirect(r.login.url()).await;
    let (mut terminal, input) = tokio::io::duplex(1024);
    terminal.write_all(b"\nnot this\n").await.unwrap();
    terminal
        .write_all(format!("{location}\n").as_bytes())
        .await
        .unwrap();
    let said = std::sync::Mutex::new(Vec::new());
    let token = r
        .login
        .complete(
            Some(r.listener),
            BufReader::new(input),
            &|m| said.lock().unwrap().push(m),
            &r.tokens,
            &r.store,
            || NOW,
        )
        .await
        .unwrap();
    assert_eq!(r.store.load().unwrap().unwrap(), token);
    let said = said.into_inner().unwrap();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("paste the whole address"), "{said:?}");
    r.fake
        .with(|f| assert!(f.refresh_tokens.contains(token.refresh_token.expose())));
}

#[tokio::test]
async fn declined_consent_says_to_press_agree() {
    let r = setup().await;
    r.fake.with(|f| f.deny_consent = true);
    let location = consent_redirect(r.login.url()).await;
    let pasted = format!("{location}\n");
    let e = r
        .login
        .complete(
            None,
            pasted.as_bytes(),
            &|_| {},
            &r.tokens,
            &r.store,
            || NOW,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, LoginError::Denied(_)), "{e}");
    assert!(e.to_string().contains("Agree"), "{e}");
    assert!(r.store.load().unwrap().is_none());
}

#[tokio::test]
async fn a_redirect_uri_the_app_does_not_have_is_explained() {
    let r = setup().await;
    r.fake
        .with(|f| f.registered_redirect = "http://127.0.0.1:8888/callback".into());
    let pasted = format!("{}\n", consent_redirect(r.login.url()).await);
    let e = r
        .login
        .complete(
            None,
            pasted.as_bytes(),
            &|_| {},
            &r.tokens,
            &r.store,
            || NOW,
        )
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(
        matches!(e, LoginError::Token(TokenError::RedirectMismatch(_))),
        "{text}"
    );
    assert!(
        text.contains(r.login.redirect_uri()) && text.contains("Redirect URIs"),
        "{text}"
    );
}

#[tokio::test]
async fn every_refresh_rotates_the_refresh_token_and_the_spent_one_is_refused() {
    let r = setup().await;
    let pasted = format!("{}\n", consent_redirect(r.login.url()).await);
    let first = r
        .login
        .complete(
            None,
            pasted.as_bytes(),
            &|_| {},
            &r.tokens,
            &r.store,
            || NOW,
        )
        .await
        .unwrap();
    let second = r
        .tokens
        .refresh(first.refresh_token.expose(), NOW)
        .await
        .unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    let e = r
        .tokens
        .refresh(first.refresh_token.expose(), NOW)
        .await
        .unwrap_err();
    assert!(matches!(e, TokenError::LoginExpired(_)), "{e}");
    assert!(
        e.to_string()
            .contains("run `party-tui spotify login` again"),
        "{e}"
    );
    // Secrets stay out of Debug output.
    assert!(!format!("{second:?}").contains(second.refresh_token.expose().as_str()));
}

#[tokio::test]
async fn an_unknown_client_id_says_where_to_find_the_right_one() {
    let r = setup().await;
    let wrong = TokenClient::new(&r.fake.auth_base(), "typo");
    let e = wrong.refresh("AQ-anything", NOW).await.unwrap_err();
    assert!(matches!(e, TokenError::InvalidClient), "{e}");
    assert!(e.to_string().contains("client_id"), "{e}");
}
