//! Every recorded request payload in ../shared/fixtures/requests, through the code that meets
//! it: Spotify's search body and error bodies (served by the fake Spotify to the real client),
//! and the Sonos AddURIToQueue requests we must send, byte for byte in their arguments.
//! A fresh clone has no fixtures directory, so this skips and says so (PARTY_TUI_FIXTURES
//! overrides the path).
use crate::spotify_support;

use party_tui::core::requests::match_ref;
use party_tui::players::sonos::enqueue::{SpotifyAccount, account_from_uri, add_uri_args};
use party_tui::players::sonos::soap::{SoapReply, parse_reply};
use party_tui::players::spotify::requests::{
    CallError, RequestsApi, parse_search, queue_failure_words,
};
use party_tui::players::spotify::token::{Token, TokenStore};
use spotify_support::fake::{Fake, Reply};
use spotify_support::sim::{Sim, track};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixtures_dir() -> Option<PathBuf> {
    crate::support::recorded_fixtures("requests")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn args_of(xml: &str) -> HashMap<String, String> {
    match parse_reply(xml).expect("a SOAP envelope") {
        SoapReply::Ok(args) => args,
        other => panic!("{other:?}"),
    }
}

#[test]
fn recorded_search_body_becomes_request_results() {
    let Some(dir) = fixtures_dir() else { return };
    let hits = parse_search(read(&dir, "spotify/search_tracks_200.json").as_bytes()).unwrap();
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].uri, "spotify:track:4PTG3Z6ehGkBFwjybzWkR8");
    assert_eq!(hits[0].title, "Never Gonna Give You Up");
    assert_eq!(hits[0].artist, "Rick Astley");
    assert!(
        hits.iter()
            .all(|h| h.duration_ms.is_some() && !h.album.is_empty())
    );
    assert!(hits.iter().all(|h| {
        h.image
            .as_deref()
            .is_some_and(|i| i.starts_with("https://i.scdn.co/"))
    }));
}

#[test]
fn recorded_sonos_enqueue_requests_are_what_we_send() {
    let Some(dir) = fixtures_dir() else { return };
    // node-sonos-ts's request, with the account serial 7 on service 9.
    let recorded = args_of(&read(&dir, "sonos/add_uri_to_queue_spotify.xml"));
    let account = SpotifyAccount {
        sid: 9,
        sn: "7".into(),
    };
    let ours: HashMap<String, String> =
        add_uri_args("spotify:track:3b9xTm2eiaCRTGqUEWuzxc", Some(&account), 2311)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    assert_eq!(ours, recorded);
    // SoCo's ShareLink form, when no serial has been seen yet.
    let recorded = args_of(&read(&dir, "sonos/add_uri_to_queue_spotify_sharelink.xml"));
    let ours: HashMap<String, String> =
        add_uri_args("spotify:track:4PTG3Z6ehGkBFwjybzWkR8", None, 2311)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    assert_eq!(ours, recorded);
    // The answer, and the 800 fault the retry is for.
    let answer = args_of(&read(&dir, "sonos/add_uri_to_queue_response.xml"));
    assert_eq!(answer["NewQueueLength"], "1");
    assert!(matches!(
        parse_reply(&read(&dir, "sonos/add_uri_to_queue_fault_800.xml")).unwrap(),
        SoapReply::Fault { code: 800, .. }
    ));
    assert!(matches!(
        parse_reply(&read(&dir, "sonos/upnp_fault_714_observed.xml")).unwrap(),
        SoapReply::Fault { code: 714, .. }
    ));
}

#[test]
fn a_recorded_sonos_queue_teaches_the_account_and_matches_by_track_id() {
    let Some(dir) = fixtures_dir() else { return };
    let xml = read(&dir, "sonos/browse_queue_spotify.xml");
    let result = &args_of(&xml)["Result"];
    let didl = roxmltree::Document::parse(result).unwrap();
    let uris: Vec<&str> = didl
        .descendants()
        .filter(|n| n.tag_name().name() == "res")
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(uris.len(), 49);
    for uri in uris {
        assert_eq!(
            account_from_uri(uri),
            Some(SpotifyAccount {
                sid: 9,
                sn: "2".into()
            }),
            "{uri}"
        );
        let r = match_ref(uri);
        assert!(
            r.starts_with("spotify:track:") && r.len() == 14 + 22,
            "{uri} → {r}"
        );
    }
}

/// The recorded error bodies, served by the fake with their status, through the real client.
#[tokio::test]
async fn recorded_spotify_errors_come_back_in_plain_words() {
    let Some(dir) = fixtures_dir() else { return };
    let fake = Fake::start(Sim::new(vec![track(1, 600)], tokio::time::Instant::now())).await;
    fake.with(|s| s.latency = Duration::ZERO);
    let tmp = tempfile::tempdir().unwrap();
    let store = TokenStore::new(tmp.path().join("token.json"));
    let (access, refresh) = fake.issue();
    let now = spotify_support::T0;
    store
        .save(&Token {
            access_token: access.into(),
            refresh_token: refresh.into(),
            expires_at: now + Duration::from_secs(3600),
            scope: String::new(),
        })
        .unwrap();
    let mut api =
        RequestsApi::new(&spotify_support::config(&fake, store.path().to_path_buf())).unwrap();
    let uri = "spotify:track:4PTG3Z6ehGkBFwjybzWkR8";
    for (file, status, words) in [
        ("add_to_queue_403_premium_required.json", 403, "Premium"),
        (
            "add_to_queue_404_no_active_device.json",
            404,
            "No Spotify device is playing",
        ),
        (
            "add_to_queue_404_device_not_found.json",
            404,
            "device is gone",
        ),
        ("error_429_quota_exceeded.json", 429, "resting"),
    ] {
        let body = read(&dir, &format!("spotify/{file}"));
        fake.with(|s| s.queue_script.push_back(Reply::Raw(status, body)));
        let Err(CallError::Api(e)) = api.add_to_queue(uri, now).await else {
            panic!("{file}: not an API failure")
        };
        let said = queue_failure_words(&e);
        assert!(said.contains(words), "{file}: {said}");
    }
    let body = read(&dir, "spotify/search_400_invalid_limit.json");
    fake.with(|s| s.search_script.push_back(Reply::Raw(400, body)));
    let Err(CallError::Api(e)) = api.search("never gonna", now).await else {
        panic!("invalid limit: not an API failure")
    };
    assert!(e.to_string().contains("Invalid limit"), "{e}");
    fake.stop();
}
