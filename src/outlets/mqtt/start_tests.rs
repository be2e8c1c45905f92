//! Home Assistant and Cumulocity turned on in the middle of an old party start at the
//! journal's end (Cumulocity used to replay the whole evening as events): the cursor is placed
//! as the outlet starts, before any broker answers, so no broker is needed here.
use super::*;
use crate::outlets::PartyFiles;
use crate::outlets::store::CursorFile;

#[tokio::test]
async fn mqtt_outlets_new_to_an_old_party_start_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("p.jsonl");
    std::fs::write(
        &journal,
        "an evening of lines\nbefore the outlets were on\n",
    )
    .unwrap();
    let end = std::fs::metadata(&journal).unwrap().len();
    // Nothing listens on the discard port: the links keep trying in the background.
    let mqtt: MqttConfig = toml::from_str(r#"url = "mqtt://127.0.0.1:9""#).unwrap();
    let cumulocity: CumulocityConfig = toml::from_str(
        r#"
        url = "mqtt://127.0.0.1:9"
        tenant = "t1"
        user = "u"
        password = "p"
        device_id = "pi"
        "#,
    )
    .unwrap();
    let (inbox, _rx) = Inbox::new();
    let (_committed, committed_rx) = watch::channel(end);
    let (_snaps, snapshots) = watch::channel(Arc::new(Snapshot::default()));
    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let wiring = Wiring {
        mqtt: Some(&mqtt),
        cumulocity: Some(&cumulocity),
        buttons: &[],
        files: PartyFiles {
            party: "p",
            journal: &journal,
            store_dir: dir.path(),
            vote_url: None,
        },
        inbox: &inbox,
        clock: &Clock::system(),
        committed: &committed_rx,
        snapshots: &snapshots,
        shutdown: &stop,
    };
    spawn(wiring, &mut tasks).await;
    for kind in ["mqtt", "cumulocity"] {
        let cursor = CursorFile::new(export_file(dir.path(), "p", &format!("{kind}.cursor")));
        assert!(cursor.path().exists(), "{kind}: placed at once");
        assert_eq!(cursor.load().offset, end, "{kind}");
    }
    stop.cancel();
    tasks.shutdown().await;
}
