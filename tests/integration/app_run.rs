//! `app::run` takes its socket and its shutdown (STYLE.md 15): a whole party in this process on
//! a port the test bound, announced in instance.json as the binary announces it, answering its
//! admin token, and stopped when told, leaving its journal and nothing else behind.
use crate::support::inproc::{InProcess, Start};
use serde_json::Value;

fn instance(dir: &std::path::Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("instance.json")).ok()?;
    Some(serde_json::from_str(&text).expect("instance.json is JSON"))
}

#[tokio::test]
async fn a_party_in_process_serves_on_its_socket_and_stops_when_told() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[demo]\nguests = 0\n").unwrap();
    let party = InProcess::demo(dir.path());
    let addr = party.addr;
    let inst = instance(dir.path()).expect("instance.json while the party runs");
    assert_eq!(inst["url"], format!("http://{addr}"));
    assert_eq!(inst["vote_url"], party.url);
    assert_eq!(inst["pid"], std::process::id());

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let unknown = format!("{}api/admin/unknown-buttons", party.url);
    let res = http.get(&unknown).send().await.unwrap();
    assert_eq!(res.status(), 401, "the admin API wants the token");
    let res = http
        .get(&unknown)
        .bearer_auth(&party.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    party.stop().expect("app::run ends cleanly");
    assert!(instance(dir.path()).is_none(), "the instance file goes");
    assert!(
        http.get(&unknown).send().await.is_err(),
        "nothing listens after the stop"
    );
    let journals = std::fs::read_dir(dir.path().join("demo/parties")).unwrap();
    assert!(
        journals
            .map(|e| e.unwrap().path())
            .any(|p| p.extension().is_some_and(|x| x == "jsonl")),
        "the party's journal stays"
    );

    // Back on the same address, as after a restart.
    let again = InProcess::start(
        dir.path(),
        Start {
            bind: addr,
            ..Start::default()
        },
    );
    assert_eq!(again.addr, addr);
    let res = http.get(format!("{}api/state", again.url)).send().await;
    assert_eq!(res.unwrap().status(), 200);
}
