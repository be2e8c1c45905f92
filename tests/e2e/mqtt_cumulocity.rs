//! Cumulocity IoT's MQTT side over a real Mosquitto with a password file: `party-tui
//! --headless --demo` logs in as `<tenant>/<user>` (password from the environment), creates
//! its device and button children with the exact SmartREST lines, sends one `c8y_MAC_Event`
//! per press on the child's topic, and carries out a `511` skip from `s/ds`, acknowledged
//! `501` then `503`. Operations queued while party-tui was away (the answer to `500` after a
//! start or a reconnect) are refused `502` and not carried out. A wrong password and a TLS
//! name mismatch are explained in plain words.
use crate::mqtt_broker;

use mqtt_broker::platform::Platform;
use mqtt_broker::{Mosquitto, Party, wait_for};
use party_tui::outlets::mqtt::link::{self, LinkEvent, LinkOptions};
use party_tui::outlets::mqtt::settings::{Broker, Password};
use party_tui::outlets::mqtt::smartrest::parse_line;
use tokio_util::sync::CancellationToken;

const DEVICE: &str = "party-test";
const TENANT_USER: &str = "t12345/party-device";
const SECRET: &str = "s3cret, with \"quotes\"";

/// A broker that only lets our device and a platform-side watcher in.
fn broker() -> Option<Mosquitto> {
    let mut b = Mosquitto::start("allow_anonymous true")?;
    let passwd = b.add_user(TENANT_USER, SECRET);
    b.add_user("platform", "platform");
    let conf = format!("allow_anonymous false\npassword_file {}", passwd.display());
    *b.extra_mut() = conf;
    b.restart();
    Some(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cumulocity_device_tree_events_and_operations() {
    let Some(broker) = broker() else { return };
    let platform = Platform::start(broker.port, ("platform", "platform")).await;
    let dir = tempfile::tempdir().unwrap();
    let party = start_party(&broker, dir.path());

    let first: Vec<String> = wait_for("the device, its operations, its child, 500, 123", || {
        let lines = platform.on("s/us");
        lines.iter().any(|l| l == "123").then_some(lines)
    })
    .await;
    assert_eq!(
        &first[..6],
        [
            "100,party-test,c8y_PartyTui",
            "117,60",
            "114,c8y_Command",
            "101,bttn-1,\"Door, front\",c8y_WebButton",
            "500",
            "123"
        ]
    );
    // Nothing was queued; operations from now on reach the device after the answer to `123`.
    platform.answered_123(1).await;

    // One c8y_MAC_Event per press, on the child's own topic, with the journal's time.
    party.press("bttn-1").await;
    party.press("bttn-1").await;
    let events = wait_for("two MAC events", || {
        let got = platform.on("s/us/bttn-1");
        (got.len() >= 2).then_some(got)
    })
    .await;
    assert_eq!(events.len(), 2);
    let party_name = party.party();
    let seqs: Vec<u64> = party
        .lines()
        .iter()
        .filter(|l| l["input"]["type"] == "press")
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    for (m, seq) in events.iter().zip(&seqs) {
        let f = parse_line(m);
        assert_eq!(f.len(), 4, "{m}");
        assert_eq!((f[0].as_str(), f[1].as_str()), ("400", "c8y_MAC_Event"));
        assert!(f[2].starts_with("Door, front bttn-1: "), "{}", f[2]);
        assert!(
            f[2].ends_with(&format!("(id {party_name}:{seq}:0)")),
            "{}",
            f[2]
        );
        assert!(f[3].ends_with("+00:00"), "time {}", f[3]);
    }
    assert!(events[0].contains("like, counted"), "{}", events[0]);
    assert!(
        events[1].contains(": single, debounced"),
        "a repeat inside the debounce: {}",
        events[1]
    );
    // Tracks played so far, each a well-formed 400 line.
    for m in platform
        .on("s/us")
        .iter()
        .filter(|m| m.starts_with("400,c8y_TrackPlayed"))
    {
        assert_eq!(parse_line(m).len(), 4, "{m}");
    }

    // The platform asks for a skip.
    let acks = platform.operation(&format!("511,{DEVICE},skip")).await;
    assert_eq!(acks, ["501,c8y_Command", "503,c8y_Command,skip now"]);
    let skip = party
        .lines()
        .into_iter()
        .find(|l| l["input"]["type"] == "host")
        .expect("journaled");
    assert_eq!(
        (
            skip["input"]["command"].as_str(),
            skip["input"]["by"].as_str()
        ),
        (Some("skip_now"), Some("cumulocity"))
    );
    wait_for("c8y_TrackSkipped", || {
        platform
            .on("s/us")
            .iter()
            .find(|m| m.starts_with("400,c8y_TrackSkipped,"))
            .map(|_| ())
    })
    .await;

    // An unknown command is refused with the reason.
    let refused = platform
        .operation(&format!("511,{DEVICE},\"reboot now\""))
        .await;
    assert_eq!(refused[0], "501,c8y_Command");
    assert!(
        refused[1].starts_with("502,c8y_Command,\"unknown command `reboot now`"),
        "{}",
        refused[1]
    );
}

/// `party-tui --headless --demo` as the device, with one web button as its child.
fn start_party(broker: &Mosquitto, dir: &std::path::Path) -> Party {
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[demo]\nguests = 0\n\n[http]\nbind = \"127.0.0.1:0\"\n\n\
             [[button]]\nname = \"Door, front\"\nid = \"bttn-1\"\n\n\
             [cumulocity]\nurl = \"{}\"\ntenant = \"t12345\"\nuser = \"party-device\"\ndevice_id = \"{DEVICE}\"\n",
            broker.url()
        ),
    )
    .unwrap();
    Party::start(
        &cfg,
        &dir.join("data"),
        &[("PARTY_TUI_C8Y_PASSWORD", SECRET)],
    )
}

const OFFLINE: &str = "502,c8y_Command,sent while the party was offline: send it again";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_queued_while_offline_are_refused_at_start_and_after_a_reconnect() {
    let Some(mut broker) = broker() else { return };
    let platform = Platform::start(broker.port, ("platform", "platform")).await;
    // A skip created before the party started: the answer to its first `500`.
    platform.queue(&format!("511,{DEVICE},skip"));
    let dir = tempfile::tempdir().unwrap();
    let party = start_party(&broker, dir.path());
    assert_eq!(
        platform.statuses_reach(2).await,
        ["501,c8y_Command", OFFLINE],
        "refused with the reason"
    );
    platform.answered_123(1).await;
    // Sent after the platform's `124` on the same topic, so it arrives after it: live.
    let fresh = platform.operation(&format!("511,{DEVICE},skip")).await;
    assert_eq!(fresh, ["501,c8y_Command", "503,c8y_Command,skip now"]);
    assert_eq!(party.host_commands("skip_now", "cumulocity"), 1);

    // The broker goes away; a skip and a keep are created meanwhile; the broker returns.
    platform.queue(&format!("511,{DEVICE},skip"));
    platform.queue(&format!("511,{DEVICE},keep"));
    broker.restart();
    let all = platform.statuses_reach(8).await;
    assert_eq!(
        all[4..],
        ["501,c8y_Command", OFFLINE, "501,c8y_Command", OFFLINE],
        "both queued ones refused after the reconnect"
    );
    platform.answered_123(2).await;
    let fresh = platform.operation(&format!("511,{DEVICE},skip")).await;
    assert_eq!(fresh, ["501,c8y_Command", "503,c8y_Command,skip now"]);
    assert_eq!(platform.statuses("s/us").len(), 10);
    // Only the two fresh skips were carried out; the queued ones left no trace in the journal.
    assert_eq!(party.host_commands("skip_now", "cumulocity"), 2);
    assert_eq!(party.host_commands("keep", "cumulocity"), 0);
    let log = party.log();
    assert!(
        log.contains("Cumulocity operation queued while offline; refused"),
        "{log}"
    );
}

fn options(broker: Broker, password: &str) -> LinkOptions {
    LinkOptions {
        name: "Cumulocity".into(),
        broker,
        client_id: format!("d:{DEVICE}"),
        username: Some(TENANT_USER.into()),
        password: Some(Password::new(password)),
        will: None,
        ca_file: None,
    }
}

async fn first_event(opts: LinkOptions) -> LinkEvent {
    let mut tasks = tokio::task::JoinSet::new();
    let stop = CancellationToken::new();
    let (_link, mut events) = match link::spawn(opts, None, stop.clone(), &mut tasks) {
        Ok(l) => l,
        Err(why) => return LinkEvent::Down(why),
    };
    let ev = tokio::time::timeout(mqtt_broker::LIMIT, events.recv())
        .await
        .unwrap()
        .unwrap();
    stop.cancel();
    ev
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_explained() {
    let Some(broker) = broker() else { return };
    let at = Broker {
        host: "127.0.0.1".into(),
        port: broker.port,
        tls: false,
    };
    assert!(matches!(
        first_event(options(at.clone(), SECRET)).await,
        LinkEvent::Up
    ));
    let LinkEvent::Down(why) = first_event(options(at, "Xq7-nope-42")).await else {
        panic!("logged in with a wrong password")
    };
    assert!(
        why.contains("refused the login")
            && (why.contains("bad user name or password") || why.contains("not authorised")),
        "{why}"
    );
    assert!(
        !why.contains("Xq7-nope-42"),
        "the password never shows: {why}"
    );
}

/// A CA and a broker certificate for `localhost` made here; mosquitto serves it on TLS.
fn tls_broker() -> Option<(Mosquitto, std::path::PathBuf)> {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut b = Mosquitto::start("allow_anonymous true")?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "party-tui test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let (ca_file, cert_file, key_file) =
        (b.path("ca.pem"), b.path("broker.pem"), b.path("broker.key"));
    std::fs::write(&ca_file, ca.pem()).unwrap();
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    *b.extra_mut() = format!(
        "allow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}\n",
        ca_file.display(),
        cert_file.display(),
        key_file.display()
    );
    b.restart();
    Some((b, ca_file))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_our_own_ca_and_a_name_mismatch() {
    let Some((broker, ca)) = tls_broker() else {
        return;
    };
    let tls = |host: &str, ca: Option<&std::path::Path>| LinkOptions {
        ca_file: ca.map(|p| p.to_path_buf()),
        ..options(
            Broker {
                host: host.into(),
                port: broker.port,
                tls: true,
            },
            "",
        )
    };
    assert!(
        matches!(
            first_event(tls("localhost", Some(&ca))).await,
            LinkEvent::Up
        ),
        "{}",
        broker.log()
    );
    let LinkEvent::Down(why) = first_event(tls("127.0.0.1", Some(&ca))).await else {
        panic!("a certificate for another name was taken")
    };
    assert!(why.contains("is not for the name 127.0.0.1"), "{why}");
    // Without our CA the system roots do not know it (or there are none): refused, said plainly.
    if let LinkEvent::Down(why) = first_event(tls("localhost", None)).await {
        assert!(
            why.contains("TLS") || why.contains("root certificates"),
            "{why}"
        );
    } else {
        panic!("an unknown CA was trusted");
    }
}

/// `party-tui doctor` with this `[cumulocity]` password in the environment: (exit code, stdout).
fn doctor(broker: &Mosquitto, password: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[http]\nbind = \"127.0.0.1:0\"\n\n[cumulocity]\nurl = \"{}\"\ntenant = \"t12345\"\n\
             user = \"party-device\"\ndevice_id = \"{DEVICE}\"\n",
            broker.url()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("doctor")
        .env("PARTY_TUI_C8Y_PASSWORD", password)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_logs_in_and_explains_a_refusal() {
    let Some(broker) = broker() else { return };
    let (code, out) = doctor(&broker, SECRET);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok    Cumulocity mqtt://127.0.0.1"), "{out}");
    let (code, out) = doctor(&broker, "nope");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FAIL  Cumulocity"), "{out}");
    assert!(out.contains("refused the login"), "{out}");
    assert!(
        out.contains("PARTY_TUI_C8Y_PASSWORD"),
        "the fix is named: {out}"
    );
    assert!(
        !out.contains("nope") && !out.contains(SECRET),
        "no password in the output: {out}"
    );
}
