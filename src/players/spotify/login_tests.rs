use super::*;

const REDIRECT: &str = "http://127.0.0.1:8888/callback";

fn login() -> Login {
    Login::start("client-abc", REDIRECT, "http://127.0.0.1:9/").unwrap()
}

#[test]
fn the_authorize_url_asks_for_pkce_and_our_scopes() {
    let l = login();
    let url = Url::parse(l.url()).unwrap();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        "http://127.0.0.1:9/authorize"
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "client-abc");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(&q["state"], l.state.expose());
    let mut scopes: Vec<&str> = q["scope"].split(' ').collect();
    scopes.sort();
    let mut want = SCOPES.to_vec();
    want.sort();
    assert_eq!(scopes, want);
    // The challenge is the verifier hashed: checked end to end against the fake token endpoint.
    assert!(q["code_challenge"].len() >= 43);
}

#[test]
fn redirects_are_checked() {
    let l = login();
    let st = l.state.expose().clone();
    let ok = format!("{REDIRECT}?code=AQ-code&state={st}");
    assert_eq!(l.code_from_redirect(&ok).unwrap(), "AQ-code");
    assert_eq!(
        l.code_from_redirect(&format!("  {ok}\n")).unwrap(),
        "AQ-code"
    );

    let denied = format!("{REDIRECT}?error=access_denied&state={st}");
    let e = l.code_from_redirect(&denied).unwrap_err();
    assert!(
        matches!(&e, LoginError::Denied(w) if w == "access_denied"),
        "{e}"
    );
    assert!(e.to_string().contains("party-tui spotify login"));

    let other_port = format!("http://127.0.0.1:9999/callback?code=x&state={st}");
    let e = l.code_from_redirect(&other_port).unwrap_err();
    assert!(matches!(e, LoginError::WrongRedirect { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("exactly http://127.0.0.1:8888/callback"),
        "{e}"
    );
    assert!(e.is_fatal());

    let forged = format!("{REDIRECT}?code=x&state=someone-else");
    assert!(matches!(
        l.code_from_redirect(&forged),
        Err(LoginError::StateMismatch)
    ));
    for junk in [
        "yes",
        "",
        "http://127.0.0.1:8888/",
        "https://example.org/page",
    ] {
        let e = l.code_from_redirect(junk).unwrap_err();
        assert!(matches!(e, LoginError::NotARedirect(_)), "{junk}: {e}");
        assert!(!e.is_fatal());
    }
}

#[tokio::test]
async fn a_bad_paste_is_explained_and_the_next_line_counts() {
    let l = login();
    let input = format!("oops\n{REDIRECT}?code=AQ-2&state={}\n", l.state.expose());
    let said = std::sync::Mutex::new(Vec::new());
    let code = l
        .wait_for_code(None, input.as_bytes(), &|m| said.lock().unwrap().push(m))
        .await
        .unwrap();
    assert_eq!(code, "AQ-2");
    let said = said.into_inner().unwrap();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("paste the whole address"), "{said:?}");
}

#[tokio::test]
async fn closed_input_without_a_listener_ends_the_wait() {
    let l = login();
    let e = l.wait_for_code(None, &b""[..], &|_| {}).await.unwrap_err();
    assert!(matches!(e, LoginError::NoInput), "{e}");
}
