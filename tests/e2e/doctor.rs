//! `party-tui doctor` on a good and a broken setup: each problem is named with its fix and the
//! exit status says whether anything is wrong.
use std::process::Command;

fn doctor(dir: &std::path::Path, data_dir: &std::path::Path, bind: &str) -> (i32, String) {
    doctor_with(dir, data_dir, &format!("[http]\nbind = \"{bind}\"\n"))
}

fn doctor_with(dir: &std::path::Path, data_dir: &std::path::Path, config: &str) -> (i32, String) {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_party-tui"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("doctor")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_good_setup_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out) = doctor(dir.path(), &dir.path().join("data"), "127.0.0.1:0");
    assert_eq!(code, 0, "{out}");
    // Everything works, but without a player only the demo plays: said, not "All good".
    assert!(out.contains("WARN  player: none configured"), "{out}");
    assert!(out.contains("add [sonos]"), "{out}");
    assert!(!out.contains("All good"), "{out}");
}

#[test]
fn a_taken_port_and_an_unwritable_data_dir_fail_with_their_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    // A regular file where the data directory should be: nothing can be written under it.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let (code, out) = doctor(dir.path(), &not_a_dir, &port);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("FAIL  HTTP port {port} is free")),
        "{out}"
    );
    assert!(out.contains("set [http] bind or --bind"), "{out}");
    assert!(out.contains("FAIL  data directory"), "{out}");
    assert!(out.contains("2 problem(s) found"), "{out}");
}

#[test]
fn an_unreachable_export_endpoint_is_named_and_the_key_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "[http]\nbind = \"127.0.0.1:0\"\n\n[export]\nbase_url = \"http://127.0.0.1:{port}\"\n\
         space = \"party\"\napi_key = \"k-very-secret-42\"\n"
    );
    let (code, out) = doctor_with(dir.path(), &dir.path().join("data"), &config);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "FAIL  export endpoint http://127.0.0.1:{port}/api/party/events accepts the API key"
        )),
        "{out}"
    );
    assert!(out.contains("unreachable"), "{out}");
    assert!(!out.contains("k-very-secret-42"), "{out}");
}
