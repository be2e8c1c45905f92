//! Loading as `check-config` and the party do it (`load_with`): every setting an adapter used
//! to refuse only when it started is refused here, naming its key (and line); today's
//! shipped config.toml loads verbatim; secrets are read once and never shown.
use super::{Config, load_with};
use std::path::Path;

fn env(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some("tok-123456".into()),
        "PARTY_TUI_EXPORT_API_KEY" => Some("env-key-1234".into()),
        "PARTY_TUI_MQTT_PASSWORD" => Some("mqtt-pass-99".into()),
        "PARTY_TUI_C8Y_PASSWORD" => Some("c8y-pass-77".into()),
        "SPOTIFY_CLIENT_ID" => Some("env-client".into()),
        _ => None,
    }
}

fn nothing(_: &str) -> Option<String> {
    None
}

/// The error `load_with` gives for this text, as `check-config` prints it.
fn refusal(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let err = load_with(Some(&path), env).expect_err(text);
    let typed = err
        .downcast_ref::<super::ConfigError>()
        .unwrap_or_else(|| panic!("not a ConfigError: {err:#}"));
    assert_eq!(typed.path.as_deref(), Some(path.as_path()));
    format!("{err:#}")
}

#[test]
fn what_adapters_refused_at_start_is_refused_at_load() {
    // (config text, words the error must hold: the key and, where we know it, its line)
    let cases: &[(&str, &[&str])] = &[
        (
            "[export]\nbase_url = \"ftp://x\"\nspace = \"s\"\napi_key = \"k\"\n",
            &["line 2:", "base_url = \"ftp://x\"", "http://"],
        ),
        (
            "[export]\nbase_url = \"http://x\"\nspace = \"a/b\"\napi_key = \"k\"\n",
            &["line 3:", "space = \"a/b\""],
        ),
        (
            "[export]\nbase_url = \"http://x\"\nspace = \"s\"\n",
            &["no API key", "api_key", "PARTY_TUI_EXPORT_API_KEY"],
        ),
        (
            "[export]\nbase_url = \"http://x\"\nspace = \"s\"\napi_key = \"caf\u{e9}\"\n",
            &["line 4:", "api_key", "header"],
        ),
        (
            "[mqtt]\nurl = \"mqtts://x\"\nca_file = \"/nonexistent/ca.pem\"\n",
            &["line 3:", "cannot read ca_file /nonexistent/ca.pem"],
        ),
        (
            "[mqtt]\nurl = \"http://broker\"\n",
            &[
                "line 2:",
                "[mqtt] url = \"http://broker\"",
                "mqtt://host:1883",
            ],
        ),
        (
            "[mqtt]\nurl = \"mqtt://x\"\ntopic_prefix = \"party/#\"\n",
            &["line 3:", "topic_prefix = \"party/#\"", "wildcards"],
        ),
        (
            "[mqtt]\nurl = \"mqtt://x\"\ndiscovery_prefix = \"/ha\"\n",
            &["line 3:", "discovery_prefix"],
        ),
        (
            "[cumulocity]\nurl = \"https://x\"\ntenant = \"t\"\nuser = \"u\"\n",
            &["line 2:", "[cumulocity] url"],
        ),
        (
            "[cumulocity]\nurl = \"mqtts://x\"\ntenant = \"t\"\nuser = \"u\"\ndevice_id = \"a:b\"\n",
            &["line 5:", "device_id = \"a:b\""],
        ),
        (
            "[cumulocity]\nurl = \"mqtts://x\"\ntenant = \"\"\nuser = \"u\"\n",
            &["line 3:", "`tenant`"],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"ftp://x\"\n",
            &["line 3:", "trigger `t`", "url = \"ftp://x\""],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x\"\nmethod = \"TRACE\"\n",
            &["line 4:", "method = \"TRACE\""],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x\"\nheaders = { \"a b\" = \"v\" }\n",
            &["line 4:", "headers"],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x\"\nbody = '{\"t\": {track}}'\n",
            &["line 4:", "body", "not JSON"],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x/${UNSET_URL}\"\n",
            &["line 3:", "url", "${UNSET_URL} is not set"],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x\"\nauth = \"basic\"\nusername = \"u\"\npassword = \"${UNSET_PW}\"\n",
            &["line 6:", "password", "${UNSET_PW}"],
        ),
        (
            "[[trigger]]\nname = \"t\"\nurl = \"http://x\"\nform = { To = \"${UNSET_TO}\" }\n",
            &["line 4:", "form.To", "${UNSET_TO}"],
        ),
        (
            "[[hook]]\nname = \"h\"\ntoken = \"${UNSET_HOOK}\"\ndo = \"skip\"\n",
            &["line 3:", "hook `h`", "token", "${UNSET_HOOK}"],
        ),
        (
            "[[button]]\nname = \"b\"\nid = \"x\"\nsequence = [{ action = \"like\", notify = [\"nope\"] }]\n",
            &["button `b`", "notify = [\"nope\"]", "names no [[trigger]]"],
        ),
        (
            "[[hook]]\nname = \"h\"\ntoken = \"0123456789\"\ntrigger = \"nope\"\n",
            &["hook `h`", "trigger = \"nope\""],
        ),
        (
            "[spotify]\nredirect_port = 8888\n",
            &["line 1:", "no Spotify client id", "[spotify] client_id"],
        ),
        (
            "[spotify]\nclient_id = \"x\"\napi_base_url = \"ftp://x\"\n",
            &["line 3:", "api_base_url = \"ftp://x\""],
        ),
    ];
    for (text, words) in cases {
        let e = refusal(text, &nothing);
        for w in *words {
            assert!(e.contains(w), "{text}\nrefused as: {e}\nmissing: {w}");
        }
    }
}

#[test]
fn the_shipped_config_loads_verbatim() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
    let (cfg, _) = load_with(Some(&path), &nothing).unwrap();
    let text = include_str!("../../config.toml");
    let again = Config::from_toml(text, &env).unwrap();
    assert_eq!(cfg.http.bind, again.http.bind);
    assert_eq!(format!("{:?}", cfg.rules()), format!("{:?}", again.rules()));
}

#[test]
fn secrets_are_read_once_into_their_sections_and_never_shown() {
    let text = "[export]\nbase_url = \"http://x\"\nspace = \"s\"\n\
                [mqtt]\nurl = \"mqtt://x\"\n\
                [cumulocity]\nurl = \"mqtts://x\"\ntenant = \"t\"\nuser = \"u\"\n\
                [[trigger]]\nname = \"t\"\nurl = \"http://x\"\nheaders = { Authorization = \"Bearer ${TOKEN}\" }\n\
                [[hook]]\nname = \"h\"\ntoken = \"${TOKEN}\"\ndo = \"skip\"\n";
    let cfg = Config::from_toml(text, &env).unwrap();
    let export = cfg.export.as_ref().unwrap();
    assert_eq!(export.api_key.as_ref().unwrap().expose(), "env-key-1234");
    let mqtt = cfg.mqtt.as_ref().unwrap();
    assert_eq!(mqtt.password.as_ref().unwrap().expose(), "mqtt-pass-99");
    let c8y = cfg.cumulocity.as_ref().unwrap();
    assert_eq!(c8y.password.as_ref().unwrap().expose(), "c8y-pass-77");
    assert_eq!(cfg.hooks[0].resolved.expose(), "tok-123456");
    assert_eq!(
        cfg.triggers[0].env.get("TOKEN").as_deref(),
        Some("tok-123456")
    );
    // The webhook is built from what load captured, with the environment gone.
    let hook =
        crate::outlets::webhook::Webhook::from_config(&cfg.triggers[0], &cfg.triggers[0].lookup())
            .unwrap()
            .unwrap();
    assert_eq!(hook.scrub("x tok-123456 y"), "x <secret> y");
    assert_eq!(cfg.spotify_or_default().client_id().unwrap(), "env-client");
    let shown = format!("{cfg:?}");
    for secret in ["env-key-1234", "mqtt-pass-99", "c8y-pass-77", "tok-123456"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

#[test]
fn the_file_wins_where_the_environment_is_silent() {
    let text = "[export]\nbase_url = \"http://x\"\nspace = \"s\"\napi_key = \"file-key\"\n\
                [spotify]\nclient_id = \"file-client\"\n";
    let cfg = Config::from_toml(text, &nothing).unwrap();
    assert_eq!(cfg.export.unwrap().api_key.unwrap().expose(), "file-key");
    assert_eq!(cfg.spotify.unwrap().client_id().unwrap(), "file-client");
    // The environment wins over the file for the export key, as it always did.
    let cfg = Config::from_toml(text, &env).unwrap();
    assert_eq!(
        cfg.export.unwrap().api_key.unwrap().expose(),
        "env-key-1234"
    );
}

#[test]
fn commands_that_run_no_party_say_what_a_party_could_not_use_and_go_on() {
    // The README's systemd setup: the export key lives in a file only systemd reads, so
    // `report` or `spotify login` run by hand see no key.
    let text = "[export]\nbase_url = \"https://x.example\"\nspace = \"s\"\n";
    assert!(
        Config::from_toml(text, &nothing).is_err(),
        "the party refuses it"
    );
    let (cfg, said) = Config::from_toml_for_tool(text, &nothing).unwrap();
    assert!(cfg.export.is_some());
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].message.contains("no API key"), "{said:?}");
    // Triggers and hooks were refused by every command before, and still are.
    let trigger = "[[trigger]]\nname = \"t\"\non = \"skip\"\nurl = \"${NOPE}\"\n";
    assert!(Config::from_toml_for_tool(trigger, &nothing).is_err());
}
