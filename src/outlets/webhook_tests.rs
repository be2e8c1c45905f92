use super::*;
use crate::core::TriggerCondition;

/// The `[[trigger]]` tables of a config text (the whole `Config` is the command layer's).
#[derive(Debug, serde::Deserialize)]
struct Config {
    #[serde(rename = "trigger", default)]
    triggers: Vec<TriggerConfig>,
}

impl Config {
    fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    fn check_env(&self, env: crate::support::env::Env<'_>) -> Result<(), String> {
        for t in &self.triggers {
            Webhook::from_config(t, env).transpose()?;
        }
        Ok(())
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some("tok-123456".into()),
        "SID" => Some("AC00000000000000000000000000000000".into()),
        _ => None,
    }
}

fn config(url: &str, method: Option<&str>, body: Option<&str>) -> TriggerConfig {
    TriggerConfig {
        name: "fav".into(),
        when: TriggerCondition::LikesAtLeast(5),
        url: Some(url.into()),
        method: method.map(String::from),
        body: body.map(String::from),
        ..TriggerConfig::default()
    }
}

fn one(toml_text: &str) -> Webhook {
    let cfg = Config::parse(toml_text).unwrap();
    Webhook::from_config(&cfg.triggers[0], &env)
        .unwrap()
        .unwrap()
}

#[test]
fn placeholders_are_filled_json_safely() {
    let hook = Webhook::from_config(
        &config(
            "http://127.0.0.1:9/hook",
            Some("put"),
            Some(r#"{"text": "{track} by {artist} ({likes}/{skips}) {button}", "battery": {battery}, "n": {press_count}, "at": "{vote_url}", "who": "{requester}"}"#),
        ),
        &env,
    )
    .unwrap()
    .unwrap();
    assert_eq!(hook.method, reqwest::Method::PUT);
    let fired = Fired {
        trigger: "fav".into(),
        track: "Say \"Hi\"".into(),
        artist: "Band".into(),
        likes: 5,
        skips: 1,
        vote_url: "http://pi:8080/".into(),
        requester: "guest 1a2b3c".into(),
        ..Fired::default()
    };
    let Payload::Json(text) = hook.render(&fired) else {
        panic!("json")
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["text"], "Say \"Hi\" by Band (5/1) ");
    assert!(v["battery"].is_null());
    assert!(v["n"].is_null());
    assert_eq!(v["at"], "http://pi:8080/");
    assert_eq!(v["who"], "guest 1a2b3c");
    let default = Webhook::from_config(&config("https://x/", None, None), &env)
        .unwrap()
        .unwrap();
    let Payload::Json(text) = default.render(&fired) else {
        panic!("json")
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (v["trigger"].as_str(), v["likes"].as_u64()),
        (Some("fav"), Some(5))
    );
}

#[test]
fn form_fields_are_plain_text_in_the_written_order() {
    let hook = one(r#"
        [[trigger]]
        name = "sms"
        url = "https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json"
        auth = "basic"
        username = "${SID}"
        password = "${TOKEN}"
        form = { To = "+15558675310", From = "+15017122661", Body = "{button} pressed {press_count}x: {track}" }
        "#);
    let fired = Fired {
        track: "A & B".into(),
        button: "Kitchen".into(),
        press_count: Some(2),
        ..Fired::default()
    };
    assert_eq!(
        hook.render(&fired),
        Payload::Form(vec![
            ("To".into(), "+15558675310".into()),
            ("From".into(), "+15017122661".into()),
            ("Body".into(), "Kitchen pressed 2x: A & B".into()),
        ])
    );
    assert!(hook.url.contains("AC00000000000000000000000000000000"));
    // Secrets are scrubbed from anything shown, and never in Debug.
    let said = hook.scrub("bad token tok-123456 for AC00000000000000000000000000000000");
    assert_eq!(said, "bad token <secret> for <secret>");
    assert!(!format!("{hook:?}").contains("tok-123456"));
}

#[test]
fn twiml_values_are_xml_escaped_and_other_fields_are_not() {
    let hook = one(r#"
        [[trigger]]
        name = "call"
        url = "https://api.twilio.com/2010-04-01/Accounts/${SID}/Calls.json"
        form = { To = "+15558675310", Twiml = "<Response><Say voice=\"{artist}\">{track} on {button}</Say></Response>", Note = "{track}" }
        "#);
    let fired = Fired {
        track: r#"Rock & Roll <Live> "2"'s"#.into(),
        artist: r#"a"b"#.into(),
        button: "</Say><Hangup/>".into(),
        ..Fired::default()
    };
    let Payload::Form(fields) = hook.render(&fired) else {
        panic!("a form")
    };
    assert_eq!(
        fields[1],
        (
            "Twiml".into(),
            "<Response><Say voice=\"a&quot;b\">Rock &amp; Roll &lt;Live&gt; &quot;2&quot;&apos;s \
             on &lt;/Say&gt;&lt;Hangup/&gt;</Say></Response>"
                .into()
        )
    );
    // The escaped document parses, and says exactly the text we were given.
    let doc = roxmltree::Document::parse(&fields[1].1).expect("well-formed TwiML");
    let say = doc.descendants().find(|n| n.has_tag_name("Say")).unwrap();
    assert_eq!(say.attribute("voice"), Some(r#"a"b"#));
    assert_eq!(
        say.text(),
        Some(r#"Rock & Roll <Live> "2"'s on </Say><Hangup/>"#)
    );
    assert_eq!(fields[2].1, r#"Rock & Roll <Live> "2"'s"#, "plain text");
}

#[test]
fn headers_take_env_and_unset_names_are_named() {
    let hook = one(r#"
        [[trigger]]
        name = "chat"
        url = "https://webexapis.com/v1/messages"
        headers = { Authorization = "Bearer ${TOKEN}" }
        body = '{"roomId": "r", "markdown": "**{track}**"}'
        "#);
    assert_eq!(hook.headers["authorization"], "Bearer tok-123456");
    assert!(hook.headers["authorization"].is_sensitive());
    let cfg = Config::parse(
        r#"
        [[trigger]]
        name = "chat"
        url = "https://webexapis.com/v1/messages"
        headers = { Authorization = "Bearer ${WEBEX_TOKEN_UNSET}" }
        "#,
    )
    .unwrap();
    let e = cfg.check_env(&env).unwrap_err();
    assert!(
        e.contains("chat") && e.contains("${WEBEX_TOKEN_UNSET} is not set"),
        "{e}"
    );
}

#[test]
fn bad_webhooks_are_named() {
    let bad = |c: TriggerConfig| Webhook::from_config(&c, &env).unwrap().unwrap_err();
    let e = bad(config("ftp://x", None, None));
    assert!(e.contains("ftp://x"), "{e}");
    let e = bad(config("http://x", Some("TRACE"), None));
    assert!(e.contains("TRACE"), "{e}");
    let e = bad(config("http://x", None, Some(r#"{"t": {track}}"#)));
    assert!(e.contains("not JSON"), "{e}");
    let mut no_url = config("http://x", None, None);
    no_url.url = None;
    assert!(Webhook::from_config(&no_url, &env).is_none());
    for (text, want) in [
        (
            "auth = \"basic\"\nusername = \"u\"",
            "needs `username` and `password`",
        ),
        ("auth = \"digest\"", "\"digest\""),
        ("body = '{}'\nform = { a = \"b\" }", "not both"),
        ("timeout_secs = 0", "timeout_secs"),
        ("button = \"Kitchen\"", "only goes with on"),
    ] {
        let toml_text = format!("[[trigger]]\nname = \"t\"\nurl = \"http://x\"\n{text}\n");
        let e = Config::parse(&toml_text).unwrap_err().to_string();
        assert!(e.contains(want), "{want}: {e}");
    }
}
