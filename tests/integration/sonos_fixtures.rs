//! Every recorded Sonos payload in ../shared/fixtures/sonos parses to the expected values:
//! GetPositionInfo payloads carry SoCo's expected result; the others are listed here.
//! A fresh clone has no fixtures directory, so this skips (PARTY_TUI_FIXTURES overrides the path).
use party_tui::core::TransportState;
use party_tui::players::sonos::didl::{absolute_uri, parse_didl, parse_hms, unwrap_text_attr};
use party_tui::players::sonos::lastchange::{AvtChange, parse_notify};
use party_tui::players::sonos::soap::{SoapReply, parse_reply, position_change};
use party_tui::players::sonos::state::AvtState;
use std::path::PathBuf;

/// SoCo's recorded results resolve album art against this speaker.
const SOCO_BASE: &str = "http://192.168.1.101:1400";

/// (title, artist, album) of a track.
type Tag<'a> = (&'a str, &'a str, &'a str);

fn tag(t: &party_tui::core::Track) -> Tag<'_> {
    (&t.title, &t.artist, &t.album)
}

#[test]
fn every_recorded_sonos_payload() {
    let Some(dir) = crate::support::recorded_fixtures("sonos") else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap();
    let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no payloads in {}", dir.display());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        if name.starts_with("getpositioninfo_parsed_") {
            check_soco_position(&name, &text);
        } else if name.starts_with("notify_") {
            check_notify(&name, &text);
        } else if name.starts_with("didl_") {
            check_didl(&name, &text);
        } else if name == "getpositioninfo_spotify_track.xml" {
            let SoapReply::Ok(out) = parse_reply(&text).unwrap() else {
                panic!("{name}: fault")
            };
            let mut s = AvtState::default();
            s.apply(position_change(&out));
            let t = s.track(SOCO_BASE).unwrap();
            assert_eq!(
                tag(&t),
                ("Ex's & Oh's", "Elle King", "Love Stuff"),
                "{name}"
            );
            assert_eq!(
                (t.duration_ms, s.position_ms),
                (Some(202_000), Some(142_000))
            );
            assert!(
                t.id.unwrap().contains("sid=9&flags=8224"),
                "{name}: one level of escaping left"
            );
        } else if name == "lastchange_radio_parsed.json" {
            check_radio_json(&text);
        } else {
            panic!("{name}: a new recorded payload: add its expected values to this test");
        }
    }
}

/// SoCo's media_metadata payloads: `input` is GetPositionInfo's output, `result` what it shows.
fn check_soco_position(name: &str, text: &str) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let out = v["input"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    let want = &v["result"];
    let want = |k: &str| want[k].as_str().unwrap().to_string();
    let item = parse_didl(&want("metadata")).unwrap().unwrap();
    let song = item.song();
    // Deviation from SoCo: iHeart's `TITLE text="Song" amgTrackId="…"` shows just the song.
    assert_eq!(
        (
            song.title.as_str(),
            song.artist.as_str(),
            song.album.as_str()
        ),
        (
            unwrap_text_attr(&want("title")).as_str(),
            want("artist").as_str(),
            want("album").as_str()
        ),
        "{name}"
    );
    let mut s = AvtState::default();
    s.apply(position_change(&out));
    s.apply(AvtChange {
        transport_state: Some(TransportState::Playing),
        ..AvtChange::default()
    });
    let t = s.track(SOCO_BASE).unwrap();
    assert!(!t.title.is_empty(), "{name}: always something to show");
    if !song.title.is_empty() {
        assert_eq!(t.title, song.title, "{name}");
    }
    let art = want("album_art");
    assert_eq!(
        t.art_uri.unwrap_or_default(),
        absolute_uri(&art, SOCO_BASE),
        "{name}"
    );
    assert_eq!(s.position_ms, parse_hms(&want("position")), "{name}");
    assert_eq!(
        t.duration_ms,
        parse_hms(&want("duration")).filter(|&d| d > 0),
        "{name}"
    );
}

fn check_notify(name: &str, text: &str) {
    let change = parse_notify(text).unwrap().unwrap();
    let mut s = AvtState::default();
    s.apply(change);
    let u = s.update("Room", SOCO_BASE).unwrap();
    assert_eq!(u.state, TransportState::Playing, "{name}");
    let t = u.track.unwrap();
    let (want, duration): (Tag, Option<u64>) = match name {
        "notify_avtransport_lastchange_linein.xml" => (("Audio Component", "", ""), None),
        "notify_avtransport_lastchange_playing_spotify_nodesonosts.xml" => (
            ("Survive", "Bass Modulators", "Survive (feat. Bram Boender)"),
            Some(204_000),
        ),
        "notify_avtransport_lastchange_spotify_track.xml" => (
            (
                "Intermezzo No. 3 in C-sharp minor, Op. 117 - Andante con moto",
                "Johannes Brahms",
                "Glenn Gould plays Brahms: 4 Ballades op. 10; 2 Rhapsodies op. 79; 10 Intermezzi",
            ),
            Some(318_000),
        ),
        _ => panic!("{name}: a new recorded payload: add its expected values to this test"),
    };
    assert_eq!((tag(&t), t.duration_ms), (want, duration), "{name}");
    if duration.is_some() {
        let art = t.art_uri.unwrap();
        assert!(
            art.starts_with("http://192.168.1.101:1400/getaa?s=1&u=x-sonos-spotify"),
            "{art}"
        );
    }
}

fn check_didl(name: &str, text: &str) {
    let item = parse_didl(text).unwrap().unwrap();
    let song = item.song();
    let got = (
        song.title.as_str(),
        song.artist.as_str(),
        song.album.as_str(),
    );
    match name {
        "didl_audio_broadcast.xml" => {
            assert_eq!(got, ("", "", ""), "{name}: a station, no song");
            assert_eq!(item.station(), Some("DR P3 93.9 (Euro Hits)"));
        }
        "didl_track.xml" => {
            assert_eq!(
                got,
                ("17 - Track 17", "Den sorte skole", "Lektion #1 (Mix tape)")
            );
            assert!(item.art_uri.unwrap().ends_with("&v=15"));
        }
        _ => panic!("{name}: a new recorded payload: add its expected values to this test"),
    }
}

/// node-sonos-discovery's pre-parsed radio LastChange (lower-case keys, values unescaped once).
fn check_radio_json(text: &str) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let val = |k: &str| v[k]["val"].as_str().map(str::to_string);
    let mut s = AvtState::default();
    s.apply(AvtChange {
        transport_state: val("transportstate")
            .and_then(|s| party_tui::players::sonos::lastchange::transport_state(&s)),
        track_uri: val("currenttrackuri"),
        track_duration: val("currenttrackduration"),
        track_metadata: val("currenttrackmetadata"),
        // This recording's AVTransportURIMetaData lacks a space between attributes.
        transport_uri_metadata: val("avtransporturimetadata"),
        enqueued_metadata: val("r:enqueuedtransporturimetadata"),
        rel_time: None,
    });
    assert_eq!(s.station.as_deref(), Some("Lugna Favoriter"));
    let u = s.update("Room", SOCO_BASE).unwrap();
    assert_eq!(u.state, TransportState::Playing);
    let t = u.track.unwrap();
    assert_eq!(tag(&t), ("Bleeding Love", "Leona Lewis", ""));
    assert_eq!(
        (t.id, t.duration_ms),
        (None, None),
        "radio: told apart by name, no length"
    );
}
