//! Issue 12, HTTP side, on a headless demo party on loopback (in this process, or the binary
//! under a file-descriptor limit and where its stderr is the point):
//! slowloris from one address under a 1,024 file-descriptor limit, thousands of calls from
//! made-up buttons, made-up and altered guest cookies, a new-guest limit per address (and per
//! forwarded address behind a trusted proxy), 50 phones at once behind a tunnel, and a port
//! that is taken when the party starts.
mod party;

use crate::support;
use party::Party;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// Upper bound for anything these tests wait on; a pass takes far less.
pub(super) const LIMIT: Duration = Duration::from_secs(20);

/// A client whose connections come from `from` (any 127.0.0.0/8 address is loopback).
fn client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .local_address(from.parse::<IpAddr>().unwrap())
        .timeout(LIMIT)
        .build()
        .unwrap()
}

fn guest_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pt_guest="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

async fn vote(http: &reqwest::Client, party: &Party, cookie: &str) -> (u16, serde_json::Value) {
    let res = http
        .post(party.url("/api/vote"))
        .header("content-type", "application/json")
        .header("cookie", cookie)
        .body(r#"{"vote":"like"}"#)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn admin_token(data: &Path) -> String {
    std::fs::read_to_string(data.join("admin-token"))
        .unwrap()
        .trim()
        .to_string()
}

/// Finding 3: 1,100 connections from 127.0.0.2 that send half a request header and then
/// nothing, against a party limited to 1,024 open files. A guest from 127.0.0.1 gets the page
/// while the attack runs (a functional check with a timeout of a few seconds, not a timing
/// measurement), the attacker holds no more than its per-address share, and the server never
/// ran out of file descriptors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_from_one_address_does_not_lock_guests_out() {
    if !support::have_command("prlimit") {
        return support::skip_or_fail("prlimit is not installed (apt-get install util-linux)");
    }
    const ATTACK: usize = 1_100;
    // The attacker (this test) needs more than 1,024 descriptors itself.
    if party_tui::http::server::raise_fd_limit() < ATTACK as u64 + 200 {
        return support::skip_or_fail("this process may not open 1,300 files (ulimit -Hn)");
    }
    let dir = tempfile::tempdir().unwrap();
    let party = Party::start_with(
        dir.path(),
        "[demo]\nguests = 0\n",
        "127.0.0.1:0",
        Some(1024),
        true,
    );
    let target = party.addr;
    let mut attack = Vec::with_capacity(ATTACK);
    for _ in 0..ATTACK {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        let Ok(mut stream) = sock.connect(target).await else {
            continue;
        };
        use tokio::io::AsyncWriteExt;
        // Half a request: the rest would follow a byte every 20 s.
        let _ = stream
            .write_all(b"GET / HTTP/1.1\r\nHost: party\r\nX-Slow: a")
            .await;
        // Plain non-blocking sockets from here: a read below asks the kernel, not a cache.
        attack.push(stream.into_std().unwrap());
    }
    assert!(
        attack.len() > 1_000,
        "only {} attack connections",
        attack.len()
    );

    let guest = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let res = guest
        .get(party.url("/"))
        .send()
        .await
        .expect("the vote page answered a guest while the attack runs");
    assert_eq!(res.status(), 200);
    let cookie = guest_cookie(&res).expect("a guest cookie");
    let state = guest
        .get(party.url("/api/state"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the state answered while the attack runs");
    assert_eq!(state.status(), 200);

    // The guest was accepted after every attack connection, so by now the server has taken
    // its share of them and closed the rest.
    let mut open = 0;
    for mut s in &attack {
        use std::io::Read;
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => open += 1,
            _ => {}
        }
    }
    assert!(
        open <= party_tui::http::server::MAX_CONNS_PER_ADDR,
        "{open} attack connections still open"
    );
    drop(attack);
    let log = std::fs::read_to_string(dir.path().join("logs").join("party-tui.log")).unwrap();
    assert!(
        !log.contains("Too many open files"),
        "server ran out of fds"
    );
    assert!(
        log.contains("too many connections from one address"),
        "refusals are logged"
    );
}

/// Finding 4: 5,000 calls from made-up buttons leave the state guests receive small, put
/// nothing in the journal, show the host a short list, and nothing of them survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_unknown_buttons_keep_the_state_small() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    // The flood limit off, so every call reaches the button route.
    let config = "[demo]\nguests = 0\n\n[http]\nrate_limit_per_sec = 0\n";
    let party = Party::start(dir.path(), config, "127.0.0.1:0");
    let http = client("127.0.0.1");
    let state_size = async |party: &Party| {
        let res = http.get(party.url("/api/state")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap().len()
    };
    let before = state_size(&party).await;
    let statuses: Vec<u16> = futures::stream::iter(0..5_000u32)
        .map(|i| {
            let (http, url) = (
                http.clone(),
                party.url(&format!("/button/spam{i:05}x{}", i * 7919)),
            );
            async move { http.post(url).send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|&s| s == 404), "every call is a 404");
    let after = state_size(&party).await;
    assert!(
        after < 8 * 1024 && after < before + 1024,
        "/api/state grew from {before} to {after} bytes"
    );

    let admin = |party: &Party, path: &str| {
        http.get(party.url(path))
            .bearer_auth(admin_token(dir.path()))
            .send()
    };
    let list: serde_json::Value = admin(&party, "/api/admin/unknown-buttons")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = list["recent"].as_array().unwrap().len();
    assert!(
        (1..=party_tui::http::unknown::MAX_UNKNOWN).contains(&listed),
        "{list}"
    );
    assert!(list["calls_not_listed"].as_u64().unwrap() >= 5_000 - listed as u64);
    // The host's dashboard (here: the attached view's snapshot stream) shows them on the
    // status line.
    let mut stream = admin(&party, "/api/admin/snapshots").await.unwrap();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(LIMIT, stream.chunk())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let snap: serde_json::Value = serde_json::from_str(data).unwrap();
    let health = snap["health"].as_array().unwrap();
    assert!(
        health.iter().any(|h| h["name"] == "unknown buttons"
            && h["detail"].as_str().unwrap().contains("[[button]]")),
        "{health:?}"
    );
    let buttons = snap["buttons"].as_array().unwrap();
    assert!(
        buttons.is_empty(),
        "made-up buttons reached the party: {buttons:?}"
    );
    drop(stream);

    // Nothing of it in the journal, so nothing comes back after a restart.
    let journals = journal_text(&dir.path().join("demo"));
    assert!(!journals.contains("spam0"), "unknown calls were journaled");
    drop(party);
    let party = Party::start(dir.path(), config, "127.0.0.1:0");
    assert!(state_size(&party).await < before + 1024);
    let list: serde_json::Value = admin(&party, "/api/admin/unknown-buttons")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["recent"].as_array().unwrap().len(), 0, "{list}");
}

fn journal_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in walk(dir) {
        if entry.extension().is_some_and(|x| x == "jsonl") {
            text.push_str(&std::fs::read_to_string(&entry).unwrap_or_default());
        }
    }
    text
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .flat_map(|p| if p.is_dir() { walk(&p) } else { vec![p] })
        .collect()
}

/// Finding 5: only cookies the party issued vote; one address gets two new guests per hour
/// (the default); the signing key is 0600 and survives a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_issued_guests_vote_and_one_address_mints_only_a_few() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[demo]\nguests = 0\n";
    let party = Party::start(dir.path(), config, "127.0.0.1:0");
    let http = client("127.0.0.1");
    let visit = async |party: &Party| {
        let res = http.get(party.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200, "the page is always served");
        guest_cookie(&res)
    };
    // A script polling the state (no cookie) uses up none of the address's new guests.
    for _ in 0..5 {
        let res = http.get(party.url("/api/state")).send().await.unwrap();
        assert_eq!((res.status().as_u16(), guest_cookie(&res)), (200, None));
    }
    let first = visit(&party).await.expect("first guest");
    let second = visit(&party).await.expect("second guest");
    assert_ne!(first, second);
    assert_eq!(
        visit(&party).await,
        None,
        "a third new guest from one address within the hour"
    );

    let (status, answer) = vote(&http, &party, &first).await;
    assert_eq!(status, 200, "{answer}");
    // Made up, altered, or one guest's id with another's signature: 403, nothing counted.
    let (id1, sig1) = first.split_once('.').unwrap();
    let (_, sig2) = second.split_once('.').unwrap();
    let last = sig1.chars().last().unwrap();
    let flipped = format!(
        "{id1}.{}{}",
        &sig1[..sig1.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    for forged in [
        format!("pt_guest={:032x}", 0xfeed_u128),
        format!("pt_guest={:032x}.{}", 0xfeed_u128, "0".repeat(64)),
        flipped,
        format!("{id1}.{sig2}"),
    ] {
        let (status, answer) = vote(&http, &party, &forged).await;
        assert_eq!(status, 403, "{forged}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("not issued"),
            "{answer}"
        );
    }
    let journals = journal_text(&dir.path().join("demo"));
    let guest_entries = journals.lines().filter(|l| l.contains("\"guest:")).count();
    assert_eq!(
        guest_entries, 1,
        "only the issued guest's vote is journaled"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("guest-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    drop(party);
    let party = Party::start(dir.path(), config, "127.0.0.1:0");
    let (status, answer) = vote(&http, &party, &second).await;
    assert_eq!(
        status, 200,
        "a cookie issued before the restart still votes: {answer}"
    );
}

/// Behind a tunnel every guest arrives from the proxy's address. With the proxy trusted,
/// 50 phones opening the page, its state and voting at once get no 429 and a guest each, and
/// the new-guest limit counts per forwarded address. Without it, the same burst is one
/// address and is limited (the control that shows the test can fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_phones_behind_a_trusted_tunnel_all_get_in() {
    let dir = tempfile::tempdir().unwrap();
    let trusted = "[demo]\nguests = 0\n\n[http]\ntrusted_proxies = [\"127.0.0.1\"]\n";
    let party = Party::start(dir.path(), trusted, "127.0.0.1:0");
    let http = client("127.0.0.1");
    // Each phone's requests; 0 stands for no guest cookie or a connection the server closed.
    let phone = async |party: &Party, n: u32| -> Vec<u16> {
        let xff = format!("198.51.100.{}", n + 1);
        let Ok(page) = http
            .get(party.url("/"))
            .header("x-forwarded-for", &xff)
            .send()
            .await
        else {
            return vec![0];
        };
        let mut statuses = vec![page.status().as_u16()];
        let Some(cookie) = guest_cookie(&page) else {
            statuses.push(0);
            return statuses;
        };
        let with_guest = |req: reqwest::RequestBuilder| {
            req.header("x-forwarded-for", &xff)
                .header("cookie", &cookie)
                .send()
        };
        let requests = [
            with_guest(http.get(party.url("/api/state"))),
            with_guest(http.get(party.url("/api/state"))),
            with_guest(
                http.post(party.url("/api/vote"))
                    .header("content-type", "application/json")
                    .body(r#"{"vote":"like"}"#),
            ),
        ];
        for req in requests {
            statuses.push(req.await.map_or(0, |r| r.status().as_u16()));
        }
        statuses
    };
    let all = futures::future::join_all((0..50).map(|n| phone(&party, n))).await;
    for (n, statuses) in all.iter().enumerate() {
        assert_eq!(statuses, &[200, 200, 200, 200], "phone {n}");
    }
    // Per forwarded address: phone 0's address has one new guest left, then none.
    let again = |xff: &'static str| {
        http.get(party.url("/"))
            .header("x-forwarded-for", xff)
            .send()
    };
    assert!(guest_cookie(&again("198.51.100.1").await.unwrap()).is_some());
    assert!(guest_cookie(&again("198.51.100.1").await.unwrap()).is_none());
    assert!(guest_cookie(&again("203.0.113.9").await.unwrap()).is_some());
    drop(party);

    // Control: the same 50 phones without a trusted proxy are one address.
    let dir = tempfile::tempdir().unwrap();
    let party = Party::start(dir.path(), "[demo]\nguests = 0\n", "127.0.0.1:0");
    let all = futures::future::join_all((0..50).map(|n| phone(&party, n))).await;
    let refused = all
        .iter()
        .filter(|s| s.contains(&429) || s.contains(&0))
        .count();
    assert!(
        refused > 0,
        "untrusted X-Forwarded-For was believed: {all:?}"
    );
}

/// Part of finding 6: a port another program holds is a visible error (stderr when headless)
/// and is retried; the vote page comes up by itself once the port frees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_is_reported_and_the_page_comes_up_when_it_frees() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut party = Party::start_with(
        dir.path(),
        "[demo]\nguests = 0\n",
        &addr.to_string(),
        None,
        false,
    );
    let line = party.wait_for_line("cannot listen on", LIMIT);
    assert!(
        line.contains(&addr.to_string()) && line.contains("retrying"),
        "{line}"
    );
    drop(holder);
    // Retried every few seconds: up well within 30 s of the port freeing, and said on stderr
    // as the error was.
    party.wait_for_page(dir.path(), Duration::from_secs(30));
    party.wait_for_line(&format!("party-tui: vote page on http://{addr}/"), LIMIT);
    assert_eq!(party.addr, addr);
    let res = client("127.0.0.1")
        .get(party.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
