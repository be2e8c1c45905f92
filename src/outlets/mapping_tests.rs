use super::*;
use crate::core::*;

const AT: Timestamp = Timestamp(1_522_693_267_123); // 2018-04-02T18:21:07.123Z

fn track() -> Track {
    Track {
        id: Some("spotify:track:1".into()),
        title: "Song".into(),
        artist: "Band".into(),
        album: "LP".into(),
        duration_ms: Some(192_000),
        ..Track::default()
    }
}

fn entry(effects: Vec<Effect>) -> Entry {
    Entry {
        seq: 41,
        at: AT,
        input: Input::Tick,
        effects,
    }
}

#[test]
fn timestamps_are_iso_utc_millis() {
    assert_eq!(iso_millis(AT), "2018-04-02T18:21:07.123+00:00");
    assert_eq!(iso_millis(Timestamp(0)), "1970-01-01T00:00:00.000+00:00");
}

#[test]
fn a_play_is_the_room_the_track_and_the_state() {
    let e = map_effect(
        "p:1:0".into(),
        AT,
        &Effect::Play {
            source: Source::Sonos,
            player: "Living Room".into(),
            state: TransportState::NoMedia,
            track: Some(track()),
            new_track: true,
        },
    );
    assert_eq!(e.member_ref_id, "Living Room");
    assert_eq!(e.action, "no_media");
    assert_eq!(e.entity_ref_id, "spotify:track:1");
    assert_eq!(e.source_value, 1);
    let meta: Vec<&str> = e.metadata.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        meta,
        [
            "title",
            "artist",
            "album",
            "track_length",
            "source",
            "new_track"
        ]
    );
    assert_eq!(e.metadata[3].1, json!("0:03:12"));
    assert_eq!(e.metadata[4].1, json!("sonos"));
}

#[test]
fn a_track_without_id_is_known_by_title() {
    let mut t = track();
    t.id = None;
    let play = Effect::Play {
        source: Source::Demo,
        player: "Demo".into(),
        state: TransportState::Playing,
        track: Some(t),
        new_track: false,
    };
    assert_eq!(map_effect("x".into(), AT, &play).entity_ref_id, "Song");
}

#[test]
fn presses_name_the_voter_and_the_action_or_raw_click() {
    let press = |voter: Voter, click, action| Effect::Press {
        voter,
        origin: Origin::Iot,
        click,
        action,
        result: PressResult::Counted,
        track: Some("t1".into()),
        likes: 2,
        skips: 1,
        battery: Some(0.5),
    };
    let liked = map_effect(
        "a".into(),
        AT,
        &press(
            Voter::button("Sofa"),
            Some(ClickKind::Double),
            Some(Action::Like),
        ),
    );
    assert_eq!(
        (liked.member_ref_id.as_str(), liked.action.as_str()),
        ("Sofa", "like")
    );
    assert_eq!(liked.entity_ref_id, "t1");
    let raw = map_effect(
        "b".into(),
        AT,
        &press(Voter::guest("abc"), Some(ClickKind::Single), None),
    );
    assert_eq!(
        (raw.member_ref_id.as_str(), raw.action.as_str()),
        ("guest:abc", "SINGLE")
    );
    let keys: Vec<&str> = liked.metadata.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "origin", "button", "click", "battery", "outcome", "likes", "skips"
        ]
    );
    assert_eq!(liked.metadata[4].1, json!("counted"));
}

#[test]
fn party_decisions_carry_their_votes() {
    let skip = map_effect(
        "s".into(),
        AT,
        &Effect::SkipDecided {
            track: "t1".into(),
            title: "Song".into(),
            likes: 1,
            skips: 4,
            needed: 3,
            by_host: false,
        },
    );
    assert_eq!(
        (
            skip.member_ref_id.as_str(),
            skip.action.as_str(),
            skip.source_value
        ),
        ("party", "skipped", 4)
    );
    let window = map_effect(
        "w".into(),
        AT,
        &Effect::WindowResult {
            track: "t1".into(),
            window: WindowState::Closed,
            likes: 0,
            skips: 2,
            needed: 3,
        },
    );
    assert_eq!(window.action, "window_closed");
    let fired = map_effect(
        "f".into(),
        AT,
        &Effect::trigger_fired("fav", Some(track()), 5, 0),
    );
    assert_eq!(
        (
            fired.action.as_str(),
            fired.entity_ref_id.as_str(),
            fired.source_value
        ),
        ("trigger", "spotify:track:1", 5)
    );
    assert_eq!(fired.metadata[0], ("trigger", json!("fav")));
}

#[test]
fn ids_are_stable_per_party_seq_and_effect_index() {
    let e = entry(vec![
        Effect::Host {
            command: HostCommand::SkipNow,
            by: Default::default(),
        },
        Effect::Host {
            command: HostCommand::SetWindow(30),
            by: Default::default(),
        },
    ]);
    let a = events_of("fri", &e);
    assert_eq!(a, events_of("fri", &e));
    let ids: Vec<&str> = a.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["fri:41:0", "fri:41:1"]);
    assert_eq!(a[1].entity_ref_id, "set_window");
    assert_eq!(a[1].metadata, vec![("value", json!(30))]);
}

#[test]
fn render_uses_field_names_and_metadata_format() {
    let e = events_of(
        "fri",
        &entry(vec![Effect::SkipFailed {
            track: "t1".into(),
            reason: "offline".into(),
        }]),
    )
    .remove(0);
    let map = render(&e, &FieldNames::default(), MetadataFormat::Map);
    assert_eq!(
        map,
        json!({
            "memberRefId": "party", "action": "skip_failed", "entityRefId": "t1",
            "sourceValue": 1, "transactionTimestamp": "2018-04-02T18:21:07.123+00:00",
            "batchId": "fri:41:0", "metadata": {"reason": "offline"}
        })
    );
    let names = FieldNames {
        event_id: "relatesToExternal".into(),
        ..FieldNames::default()
    };
    let list = render(&e, &names, MetadataFormat::List);
    assert_eq!(list["relatesToExternal"], json!("fri:41:0"));
    assert!(list.get("batchId").is_none());
    assert_eq!(
        list["metadata"],
        json!([{"key": "reason", "value": "offline"}])
    );
}

#[test]
fn every_effect_maps_to_one_event() {
    let effects = vec![
        Effect::TrackFinished {
            track: "t".into(),
            title: "T".into(),
            artist: "A".into(),
            likes: 3,
            skips: 0,
            result: TrackResult::Played,
        },
        Effect::TriggerFailed {
            trigger: "fav".into(),
            reason: "500".into(),
        },
        Effect::Host {
            command: HostCommand::SetThreshold(Threshold::Percent(40)),
            by: Default::default(),
        },
    ];
    let events = events_of("p", &entry(effects));
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].action, "finished");
    assert_eq!(events[1].entity_ref_id, "fav");
    assert_eq!(events[2].metadata[0].1, json!("40%"));
}
