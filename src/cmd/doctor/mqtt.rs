//! `party-tui doctor` for `[mqtt]` and `[cumulocity]`: log in once (as `<id>-doctor`, so a
//! running party's own connection is not thrown off) and say in plain words why not.
use crate::cmd::doctor::Check;
use crate::outlets::mqtt::link::{self, LinkEvent, LinkOptions};
use crate::outlets::mqtt::{CumulocityConfig, MqttConfig};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Longer than a TLS handshake over a slow Wi-Fi, short enough for a command someone waits on.
pub(crate) const DOCTOR_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn mqtt(cfg: &MqttConfig) -> Check {
    let what = format!("MQTT broker {} takes our login", cfg.url);
    if let Err(e) = cfg.validate() {
        return Check::bad(what, e);
    }
    let opts = LinkOptions {
        name: "MQTT".into(),
        broker: cfg.broker().expect("validated"),
        client_id: format!("{}-doctor", cfg.client_id()),
        username: cfg.username.clone(),
        password: cfg.password.clone(),
        will: None,
        ca_file: cfg.ca_file.clone(),
    };
    login(
        what,
        opts,
        "check [mqtt] url, username and password (or PARTY_TUI_MQTT_PASSWORD)",
    )
    .await
}

pub(crate) async fn cumulocity(cfg: &CumulocityConfig) -> Check {
    let what = format!("Cumulocity {} takes {}", cfg.url, cfg.username());
    if let Err(e) = cfg.validate() {
        return Check::bad(what, e);
    }
    let opts = LinkOptions {
        name: "Cumulocity".into(),
        broker: cfg.broker().expect("validated"),
        client_id: format!("d:{}-doctor", cfg.device_id()),
        username: Some(cfg.username()),
        password: cfg.password.clone(),
        will: None,
        ca_file: cfg.ca_file.clone(),
    };
    let hint = "check [cumulocity] url, tenant, user and password (or PARTY_TUI_C8Y_PASSWORD); \
                the user needs the device role";
    login(what, opts, hint).await
}

async fn login(what: String, opts: LinkOptions, hint: &str) -> Check {
    let mut tasks = tokio::task::JoinSet::new();
    let stop = CancellationToken::new();
    let outcome = match link::spawn(opts, None, stop.clone(), &mut tasks) {
        Err(why) => Err(why),
        Ok((_link, mut events)) => {
            match tokio::time::timeout(DOCTOR_TIMEOUT, events.recv()).await {
                Ok(Some(LinkEvent::Up)) => Ok(()),
                Ok(Some(LinkEvent::Down(why))) => Err(why),
                Ok(_) => Err("the connection stopped".into()),
                Err(_) => Err(format!("no answer within {DOCTOR_TIMEOUT:?}")),
            }
        }
    };
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    match outcome {
        Ok(()) => Check::ok(what),
        Err(why) => Check::bad(what, format!("{why}: {hint}")),
    }
}
