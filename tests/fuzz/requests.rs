//! Guests' song requests: Spotify's search answers and error bodies (GET /search, POST
//! /me/player/queue), its Retry-After, and on Sonos the AddURIToQueue replies and faults plus
//! the Spotify account learned from a URI the speaker played.
use crate::mutate::{JSON, XML, mutated, mutated_text};
use crate::{fixtures, fuzz};
use party_tui::players::sonos::control;
use party_tui::players::sonos::enqueue::{
    SERVICE_TYPE_EU, account_from_uri, add_uri_args, other_type, refused_words,
};
use party_tui::players::sonos::soap::{SoapReply, parse_reply};
use party_tui::players::spotify::api::{ApiFailure, MAX_MESSAGE_CHARS, refusal};
use party_tui::players::spotify::requests::{parse_search, queue_failure_words};
use party_tui::players::spotify::schedule::{RETRY_AFTER_MAX, parse_retry_after};
use party_tui::requests::search::is_spotify_track_uri;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Written from the Web API reference (Search for Item, type=track): two tracks, a local file,
/// a null item, covers in three sizes.
const SEARCH: &str = r#"{"tracks":{"href":"https://api.spotify.com/v1/search?query=never&type=track&offset=0&limit=10","limit":10,"next":null,"offset":0,"previous":null,"total":3,"items":[{"album":{"album_type":"single","name":"Whenever You Need Somebody","images":[{"url":"https://i.scdn.co/image/640","height":640,"width":640},{"url":"https://i.scdn.co/image/300","height":300,"width":300},{"url":"https://i.scdn.co/image/64","height":64,"width":64}],"uri":"spotify:album:a"},"artists":[{"name":"Rick Astley","uri":"spotify:artist:r"}],"duration_ms":213573,"explicit":false,"id":"4PTG3Z6ehGkBFwjybzWkR8","is_local":false,"name":"Never Gonna Give You Up","type":"track","uri":"spotify:track:4PTG3Z6ehGkBFwjybzWkR8"},{"album":{"name":"Mix","images":[]},"artists":[{"name":"A"},{"name":"B, C"}],"duration_ms":1,"name":"Two Artists","uri":"spotify:track:0000000000000000000000"},{"album":null,"artists":[],"duration_ms":null,"is_local":true,"name":"home.mp3","uri":"spotify:local:::home:180"},null]}}"#;

/// Spotify's error object as player commands answer it.
const ERRORS: &[&str] = &[
    r#"{"error":{"status":403,"message":"Player command failed: Premium required","reason":"PREMIUM_REQUIRED"}}"#,
    r#"{"error":{"status":404,"message":"Player command failed: No active device found","reason":"NO_ACTIVE_DEVICE"}}"#,
    r#"{"error":{"status":404,"message":"Device not found"}}"#,
    r#"{"error":{"status":400,"message":"Invalid limit"}}"#,
    "Too many requests",
    "",
];

fn spotify_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![SEARCH.as_bytes().to_vec()];
    seeds.extend(ERRORS.iter().map(|s| s.as_bytes().to_vec()));
    seeds.extend(fixtures("requests/spotify", &[".json"]));
    seeds
}

fn words_of(f: &ApiFailure) -> Result<(), String> {
    let words = queue_failure_words(f);
    if words.trim().is_empty() || f.to_string().trim().is_empty() {
        return Err(format!("{f:?} without words"));
    }
    Ok(())
}

/// Every body Spotify can answer a search or a queue call with, mutated: read as search
/// results (tracks only) and as an error object (a refusal in words).
#[test]
fn spotify_search_and_errors_mutated() {
    let own = parse_search(SEARCH.as_bytes()).expect("our seed reads");
    assert_eq!(own.len(), 2, "{own:?}");
    fuzz(
        "spotify search and error bodies (mutated)",
        (mutated(spotify_seeds(), JSON), 400u16..500),
        |(body, status)| {
            match parse_search(&body) {
                Ok(tracks) => {
                    if let Some(t) = tracks.iter().find(|t| !t.uri.starts_with("spotify:track:")) {
                        return Err(format!("not a track: {t:?}"));
                    }
                }
                Err(e) => words_of(&e)?,
            }
            let f = refusal(status, &body);
            match &f {
                ApiFailure::Refused {
                    message, reason, ..
                } if [Some(message), reason.as_ref()]
                    .iter()
                    .flatten()
                    .any(|t| t.chars().count() > MAX_MESSAGE_CHARS) =>
                {
                    Err(format!("a {status} kept too much: {f:?}"))
                }
                ApiFailure::Refused { status: s, .. } if *s == status => words_of(&f),
                other => Err(format!("a {status} read as {other:?}")),
            }
        },
    );
}

/// A cover: its URL and width.
type Cover = (String, Option<u32>);

#[derive(Clone, Debug)]
struct Item {
    kind: &'static str,
    id: String,
    name: String,
    artists: Vec<String>,
    album: Option<(String, Vec<Cover>)>,
    duration: Option<u64>,
}

fn item() -> impl Strategy<Value = Item> {
    let kind = prop_oneof![
        4 => Just("track"),
        1 => Just("episode"),
        1 => Just("local"),
    ];
    let image = (
        "[a-z0-9:/.]{0,20}",
        prop::option::of(prop_oneof![0u32..200, any::<u32>()]),
    );
    (
        kind,
        "[A-Za-z0-9]{0,22}",
        any::<String>(),
        vec(any::<String>(), 0..4),
        prop::option::of((any::<String>(), vec(image, 0..4))),
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(kind, id, name, artists, album, duration)| Item {
            kind,
            id,
            name,
            artists,
            album,
            duration,
        })
}

/// Search answers built from the format: any names, artists, covers and durations, tracks
/// among episodes, local files and null items. What a guest sees is every track, in order.
#[test]
fn spotify_search_structured() {
    fuzz(
        "spotify search (structured)",
        vec(prop::option::of(item()), 0..12),
        |items| {
            let json_items: Vec<Value> = items
                .iter()
                .map(|i| match i {
                    None => Value::Null,
                    Some(i) => json!({
                        "uri": format!("spotify:{}:{}", i.kind, i.id),
                        "name": i.name,
                        "artists": i.artists.iter().map(|a| json!({"name": a})).collect::<Vec<_>>(),
                        "album": i.album.as_ref().map(|(name, images)| json!({
                            "name": name,
                            "images": images.iter().map(|(u, w)| json!({"url": u, "width": w})).collect::<Vec<_>>(),
                        })),
                        "duration_ms": i.duration,
                    }),
                })
                .collect();
            let body = json!({"tracks": {"items": json_items}}).to_string();
            let got = parse_search(body.as_bytes()).map_err(|e| format!("{e}: {body}"))?;
            let want: Vec<&Item> = items
                .iter()
                .flatten()
                .filter(|i| i.kind == "track")
                .collect();
            if got.len() != want.len() {
                return Err(format!("{} tracks read, {} sent", got.len(), want.len()));
            }
            for (g, w) in got.iter().zip(want) {
                let images = w.album.as_ref().map_or(&[][..], |a| &a.1[..]);
                let image_ok = match &g.image {
                    None => images.is_empty(),
                    Some(url) => images.iter().any(|(u, _)| u == url),
                };
                if g.uri != format!("spotify:track:{}", w.id)
                    || g.title != w.name
                    || g.artist != w.artists.join(", ")
                    || g.album != w.album.as_ref().map(|a| a.0.clone()).unwrap_or_default()
                    || g.duration_ms != w.duration
                    || !image_ok
                {
                    return Err(format!("read {g:?} from {w:?}"));
                }
            }
            Ok(())
        },
    );
}

/// Retry-After as Spotify (or anything between) sends it: whatever it says, the wait fits on
/// any clock and is never longer than the cap.
#[test]
fn spotify_retry_after_any_text() {
    let header = prop_oneof![
        "[0-9]{1,30}",
        " ?-?[0-9]{0,6}(\\.[0-9]{0,3})?(e[0-9]{1,3})? ?",
        any::<String>(),
    ];
    let now = std::time::Instant::now();
    let later = tokio::time::Instant::now();
    fuzz(
        "spotify retry-after (any text)",
        prop::option::of(header),
        |h| {
            let d = parse_retry_after(h.as_deref());
            if d > RETRY_AFTER_MAX || now.checked_add(d).is_none() || later.checked_add(d).is_none()
            {
                return Err(format!("{h:?} waits {d:?}"));
            }
            if let Some(n) = h.as_deref().and_then(|h| h.trim().parse::<u64>().ok())
                && n <= RETRY_AFTER_MAX.as_secs()
                && d.as_secs() != n
            {
                return Err(format!("{h:?} waits {d:?}"));
            }
            words_of(&ApiFailure::RateLimited(d))
        },
    );
}

fn envelope(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>{inner}</s:Body></s:Envelope>"#
    )
}

fn fault(code: &str) -> String {
    envelope(&format!(
        r#"<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode></UPnPError></detail></s:Fault>"#
    ))
}

/// AddURIToQueue's answers (written from the AVTransport service description) and faults,
/// with the recorded ones, mutated: a fault is always told in words.
#[test]
fn sonos_enqueue_replies_mutated() {
    let mut seeds: Vec<Vec<u8>> = vec![
        envelope(
            r#"<u:AddURIToQueueResponse xmlns:u="urn:schemas-upnp-org:service:AVTransport:1"><FirstTrackNumberEnqueued>3</FirstTrackNumberEnqueued><NumTracksAdded>1</NumTracksAdded><NewQueueLength>3</NewQueueLength></u:AddURIToQueueResponse>"#,
        ),
        fault("800"),
        fault("714"),
        fault("402"),
        fault("99999"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    seeds.extend(fixtures("requests/sonos", &[".xml"]));
    fuzz(
        "sonos enqueue replies (mutated)",
        mutated_text(seeds, XML),
        |body| {
            match parse_reply(&body) {
                Ok(SoapReply::Ok(_)) => {}
                Ok(SoapReply::Fault { code, description }) => {
                    if refused_words(code).trim().is_empty()
                        || control::upnp_words(code, &description).trim().is_empty()
                    {
                        return Err(format!("fault {code} without words"));
                    }
                }
                Err(e) if e.to_string().is_empty() => {
                    return Err("an error without words".into());
                }
                Err(_) => {}
            }
            Ok(())
        },
    );
}

/// The Spotify URIs a speaker reports (`x-sonos-spotify:…?sid=9&flags=8224&sn=7`) with any
/// sid and sn, their query in any order, and any text: the account read is the one in the
/// URI, and queueing with it (and with the other region's type) builds the call.
#[test]
fn sonos_spotify_uris() {
    let number = prop_oneof![
        (0u64..20).prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[0-9a-z-]{0,12}",
    ];
    let structured = (
        "[A-Za-z0-9]{22}",
        number.clone(),
        number,
        any::<bool>(),
        "x[a-z]{0,5}=[a-z0-9&]{0,4}",
    )
        .prop_map(|(id, sid, sn, swap, junk)| {
            let (a, b) = (format!("sid={sid}"), format!("sn={sn}"));
            let (a, b) = if swap { (b, a) } else { (a, b) };
            (
                format!("x-sonos-spotify:spotify%3atrack%3a{id}?{a}&flags=8224&{b}&{junk}"),
                Some((id, sid, sn)),
            )
        });
    let mut recorded: Vec<String> = Vec::new();
    for body in fixtures("requests/sonos", &[".xml"]) {
        let text = String::from_utf8_lossy(&body).replace("&amp;", "&");
        for (at, _) in text.match_indices("x-sonos-spotify:") {
            let uri: String = text[at..]
                .chars()
                .take_while(|c| !matches!(c, '<' | '"' | '\'' | ' ' | '\n'))
                .collect();
            recorded.push(uri);
        }
    }
    let any_text = prop_oneof![
        any::<String>(),
        "x-sonos-spotify:[ -~]{0,40}",
        (0..recorded.len().max(1))
            .prop_map(move |i| { recorded.get(i).cloned().unwrap_or_default() }),
    ]
    .prop_map(|s| (s, None));
    fuzz(
        "sonos spotify uris",
        prop_oneof![structured, any_text],
        |(uri, parts)| {
            let account = account_from_uri(&uri);
            if let Some((_, sid, sn)) = &parts {
                let sid_ok = sid.parse::<u32>().is_ok_and(|s| {
                    s.checked_mul(256)
                        .is_some_and(|t| t.checked_add(7).is_some())
                });
                let sn_ok = !sn.is_empty() && sn.chars().all(|c| c.is_ascii_digit());
                match &account {
                    Some(a) if sid_ok && sn_ok && sid.parse() == Ok(a.sid) && a.sn == *sn => {}
                    None if !(sid_ok && sn_ok) => {}
                    got => return Err(format!("{uri} read as {got:?}")),
                }
            }
            let track = match &parts {
                Some((id, ..)) => format!("spotify:track:{id}"),
                None => uri.clone(),
            };
            let first = account
                .as_ref()
                .map_or(SERVICE_TYPE_EU, |a| a.service_type());
            for service_type in [first, other_type(first)] {
                let args = add_uri_args(&track, account.as_ref(), service_type);
                if args.is_some() != is_spotify_track_uri(&track) {
                    return Err(format!("{track} queued: {args:?}"));
                }
                if let (Some(args), Some(a)) = (&args, &account)
                    && service_type == first
                    && !args[1].1.contains(&format!("sid={}&", a.sid))
                {
                    return Err(format!("{uri}: {args:?} lost the sid"));
                }
            }
            Ok(())
        },
    );
}
