//! Commands from Home Assistant's broker are fresh or ignored, with the whole program over a
//! real Mosquitto. A retained `cmd/skip` (what `mosquitto_pub -r` or an HA automation with
//! `retain: true` leaves on the broker) skips nothing at start or at a reconnect and is logged
//! once; the same message sent while party-tui listens is carried out once. A 5 MB retained
//! message and malformed payloads on command topics are dropped while the connection stays up,
//! and a real command after them is carried out.
//!
//! Each test ends its wait with a live Keep from "Home Assistant": the broker sends everything
//! to the party over one connection, in order, and one task handles it in that order, so once
//! the Keep is in the journal every message before it has been dealt with.
use crate::mqtt_broker;

use mqtt_broker::{Mosquitto, Party, publish_once, wait_for};

const NODE: &str = "party-test";
const BY: &str = "home-assistant";

fn cmd(leaf: &str) -> String {
    format!("party-tui/{NODE}/cmd/{leaf}")
}

/// A broker that logs every packet, so the test sees what it handed the party.
fn broker() -> Option<Mosquitto> {
    Mosquitto::start("allow_anonymous true\nlog_type all")
}

fn party(broker: &Mosquitto, dir: &std::path::Path) -> Party {
    let cfg = dir.join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[demo]\nguests = 0\n\n[http]\nbind = \"127.0.0.1:0\"\n\n\
             [mqtt]\nurl = \"{}\"\nclient_id = \"{NODE}\"\n",
            broker.url()
        ),
    )
    .unwrap();
    Party::start(&cfg, &dir.join("data"), &[])
}

/// Press HA's Keep button and wait until the journal has `n` of them.
async fn keep(broker: &Mosquitto, party: &Party, n: usize) {
    publish_once(broker.port, &cmd("keep"), b"PRESS".to_vec(), false).await;
    wait_for(&format!("keep number {n} from Home Assistant"), || {
        (party.host_commands("keep", BY) >= n).then_some(())
    })
    .await;
}

/// Log lines that say a retained command was ignored.
fn retained_lines(party: &Party) -> usize {
    party
        .log()
        .lines()
        .filter(|l| l.contains("command ignored") && l.contains("retained message"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retained_command_skips_nothing_at_start_or_at_a_reconnect() {
    let Some(mut broker) = broker() else { return };
    // Left on the broker before the party starts.
    publish_once(broker.port, &cmd("skip"), b"PRESS".to_vec(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let party = party(&broker, dir.path());
    wait_for("the stored skip handed to the party", || {
        (broker.retained_sent(NODE, &cmd("skip")) >= 1).then_some(())
    })
    .await;
    keep(&broker, &party, 1).await;
    assert_eq!(
        party.host_commands("skip_now", BY),
        0,
        "a stored skip skipped"
    );

    // Sent while the party listens, with the retain flag (an automation with `retain: true`):
    // the broker forwards it live, so it is a press, carried out once.
    publish_once(broker.port, &cmd("skip"), b"PRESS".to_vec(), true).await;
    wait_for("the live skip carried out", || {
        (party.host_commands("skip_now", BY) == 1).then_some(())
    })
    .await;

    // The broker restarts: the party reconnects and is handed the stored skip again.
    let before = broker.retained_sent(NODE, &cmd("skip"));
    broker.restart();
    wait_for("the stored skip handed over after the reconnect", || {
        (broker.retained_sent(NODE, &cmd("skip")) > before).then_some(())
    })
    .await;
    keep(&broker, &party, 2).await;
    assert_eq!(
        party.host_commands("skip_now", BY),
        1,
        "the journal grew by a skip nobody pressed"
    );
    assert_eq!(
        broker.connections(NODE),
        2,
        "one connection per broker start"
    );
    wait_for("the ignored skip in the log", || {
        (retained_lines(&party) >= 1).then_some(())
    })
    .await;
    assert_eq!(
        retained_lines(&party),
        1,
        "logged once, not at every reconnect:\n{}",
        party.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_commands_leave_the_link_up() {
    let Some(broker) = broker() else { return };
    let five_mb = vec![b'x'; 5 * 1024 * 1024];
    publish_once(broker.port, &cmd("skip"), five_mb.clone(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let party = party(&broker, dir.path());
    wait_for("the 5 MB message handed to the party", || {
        (broker.retained_sent(NODE, &cmd("skip")) >= 1).then_some(())
    })
    .await;

    // Live, and each one wrong: too long for the link, too long for a command, not text, not
    // a number HA's threshold takes.
    publish_once(broker.port, &cmd("skip"), five_mb, false).await;
    let mut long_keep = b"PRESS".to_vec();
    long_keep.resize(1024, b' ');
    publish_once(broker.port, &cmd("keep"), long_keep, false).await;
    publish_once(broker.port, &cmd("skip"), vec![0xc3, 0x28, 0xff], false).await;
    publish_once(broker.port, &cmd("voting_paused"), vec![0xff, 0xfe], false).await;
    let huge = b"99999999999999999999999".to_vec();
    publish_once(broker.port, &cmd("skip_threshold"), huge, false).await;

    keep(&broker, &party, 1).await;
    assert_eq!(
        party.host_commands("keep", BY),
        1,
        "the 1 KiB keep was taken"
    );
    for command in ["skip_now", "pause_voting", "resume_voting", "set_threshold"] {
        assert_eq!(party.host_commands(command, BY), 0, "{command}");
    }
    assert_eq!(
        broker.connections(NODE),
        1,
        "the connection never dropped:\n{}",
        party.log()
    );
    let log = wait_for("every refusal in the log", || {
        let log = party.log();
        (log.contains("incoming message too long")
            && log.contains("1024 bytes, more than a command's 256")
            && log.contains("not UTF-8")
            && log.contains("is not a whole number"))
        .then_some(log)
    })
    .await;
    assert!(!log.contains("MQTT connection down"), "{log}");
}
