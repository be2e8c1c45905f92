use super::*;
use crate::core::*;

use crate::outlets::mqtt::test_config::Config;

const AT: Timestamp = Timestamp(1_522_693_267_123); // 2018-04-02T18:21:07.123Z

fn c8y() -> C8y {
    let cfg = Config::parse(
        r#"
[[button]]
name = "Kitchen Dash"
mac = "00:00:5E:00:53:01"
[[button]]
name = "Sofa, left"
serial = "G030PT022"
[[button]]
name = "Door"
id = "bttn-77"
"#,
    )
    .unwrap();
    C8y::new("party-tui-pi", &cfg.buttons)
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
fn csv_fields_are_quoted_by_the_smartrest_rules() {
    let cases = [
        ("plain", "plain"),
        (
            "This value, needs escaping",
            "\"This value, needs escaping\"",
        ),
        ("random\"quote", "\"random\"\"quote\""),
        ("two\nlines", "\"two\nlines\""),
        ("tab\there", "\"tab\there\""),
        (" padded", "\" padded\""),
        ("padded ", "\"padded \""),
        ("", ""),
    ];
    for (raw, want) in cases {
        assert_eq!(field(raw), want, "{raw:?}");
        assert_eq!(
            parse_line(&field(raw)),
            vec![raw.to_string()],
            "{raw:?} round trip"
        );
    }
    // The recorded lines read back as the documentation says.
    assert_eq!(
        line(&[
            "100",
            "This value, needs escaping",
            "This value does not need escaping"
        ]),
        "100,\"This value, needs escaping\",This value does not need escaping"
    );
    assert_eq!(
        line(&["503", "c8y_RelayArray", "true,false,true"]),
        "503,c8y_RelayArray,\"true,false,true\""
    );
    assert_eq!(
        parse_line(r#"511,myDeviceSerial,"execute this\nand this\nand \"this\"""#),
        [
            "511",
            "myDeviceSerial",
            "execute this\\nand this\\nand \"this\""
        ]
    );
    assert_eq!(
        parse_line("503,c8y_RelayArray,\"CLOSED,OPEN\""),
        ["503", "c8y_RelayArray", "CLOSED,OPEN"]
    );
}

#[test]
fn on_connect_creates_the_device_and_its_children() {
    let c = c8y();
    assert_eq!(c.client_id(), "d:party-tui-pi");
    let lines: Vec<(String, String)> = c
        .on_connect()
        .into_iter()
        .map(|m| (m.topic, m.payload))
        .collect();
    let want = [
        ("s/us", "100,party-tui-pi,c8y_PartyTui"),
        ("s/us", "117,60"),
        ("s/us", "114,c8y_Command"),
        ("s/us", "101,00005e005301,Kitchen Dash,c8y_DashButton"),
        ("s/us", "101,G030PT022,\"Sofa, left\",c8y_IoTButton"),
        ("s/us", "101,bttn-77,Door,c8y_WebButton"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect();
    assert_eq!(lines, want);
    assert_eq!(
        c.will().payload,
        "400,c8y_ConnectionEvent,party-tui connection lost"
    );
}

#[test]
fn journal_entries_become_smartrest_lines() {
    let c = c8y();
    let press = |voter: Voter, origin, action| Effect::Press {
        voter,
        origin,
        click: Some(ClickKind::Single),
        action,
        result: PressResult::Counted,
        track: Some("t".into()),
        likes: 1,
        skips: 0,
        battery: None,
    };
    let t = "2018-04-02T18:21:07.123+00:00";
    let cases: Vec<(Effect, Option<(&str, String)>)> = vec![
        (
            press(
                Voter::button("Kitchen Dash"),
                Origin::Dash,
                Some(Action::Like),
            ),
            Some((
                "s/us/00005e005301",
                format!(
                    "400,c8y_MAC_Event,\"Kitchen Dash 00005e005301: like, counted (id fri:41:0)\",{t}"
                ),
            )),
        ),
        (
            press(Voter::button("Sofa, left"), Origin::Iot, Some(Action::Skip)),
            Some((
                "s/us/G030PT022",
                format!(
                    "400,c8y_MAC_Event,\"Sofa, left G030PT022: skip, counted (id fri:41:0)\",{t}"
                ),
            )),
        ),
        (
            press(Voter::guest("abcdef99"), Origin::Phone, Some(Action::Like)),
            Some((
                "s/us",
                format!("400,c8y_VoteEvent,\"guest abcdef: like, counted (id fri:41:0)\",{t}"),
            )),
        ),
        (
            Effect::Play {
                source: Source::Spotify,
                player: "p".into(),
                state: TransportState::Playing,
                new_track: true,
                track: Some(Track {
                    title: "Hello, \"World\"".into(),
                    artist: "Band".into(),
                    ..Track::default()
                }),
            },
            Some((
                "s/us",
                format!(
                    "400,c8y_TrackPlayed,\"Hello, \"\"World\"\" — Band (Spotify; id fri:41:0)\",{t}"
                ),
            )),
        ),
        (
            Effect::Play {
                source: Source::Spotify,
                player: "p".into(),
                state: TransportState::Paused,
                new_track: false,
                track: None,
            },
            None,
        ),
        (
            Effect::SkipDecided {
                track: "k".into(),
                title: "Bad Song".into(),
                likes: 0,
                skips: 3,
                needed: 3,
                by_host: false,
            },
            Some((
                "s/us",
                format!("400,c8y_TrackSkipped,Bad Song skipped by 3 of 3 votes (id fri:41:0),{t}"),
            )),
        ),
        (
            Effect::TrackFinished {
                track: "k".into(),
                title: "x".into(),
                artist: "y".into(),
                likes: 4,
                skips: 1,
                result: TrackResult::Played,
            },
            Some((
                "s/us",
                format!("200,c8y_TrackVotes,likes,4,,{t}\n200,c8y_TrackVotes,skips,1,,{t}"),
            )),
        ),
        (
            Effect::Host {
                command: HostCommand::SkipNow,
                by: CommandSource::Cumulocity,
            },
            None,
        ),
    ];
    for (i, (effect, want)) in cases.into_iter().enumerate() {
        let out = c.lines("fri", &entry(vec![effect]));
        match want {
            None => assert!(out.is_empty(), "case {i}: {out:?}"),
            Some((topic, payload)) => {
                assert_eq!(out.len(), 1, "case {i}");
                assert_eq!(
                    (out[0].topic.as_str(), out[0].qos, out[0].retain),
                    (topic, 1, false),
                    "case {i}"
                );
                assert_eq!(out[0].payload, payload, "case {i}");
            }
        }
    }
}

#[test]
fn operations_on_s_ds() {
    let c = c8y();
    assert_eq!(
        c.operation("511,party-tui-pi,skip"),
        Some(("s/us".into(), Ok(HostCommand::SkipNow)))
    );
    assert_eq!(
        c.operation("511,party-tui-pi,\" Keep \""),
        Some(("s/us".into(), Ok(HostCommand::Keep(true))))
    );
    assert_eq!(
        c.operation("511,party-tui-pi,reset"),
        Some(("s/us".into(), Ok(HostCommand::ResetVotes)))
    );
    assert_eq!(
        c.operation("511,party-tui-pi,pause"),
        Some(("s/us".into(), Ok(HostCommand::PauseVoting)))
    );
    assert_eq!(
        c.operation("511,party-tui-pi,resume"),
        Some(("s/us".into(), Ok(HostCommand::ResumeVoting)))
    );
    assert_eq!(
        c.operation("511,00005e005301,skip"),
        Some(("s/us/00005e005301".into(), Ok(HostCommand::SkipNow)))
    );
    let (topic, refused) = c.operation("511,party-tui-pi,\"rm -rf /\"").unwrap();
    assert_eq!(topic, "s/us");
    assert!(refused.unwrap_err().contains("rm -rf /"));
    assert_eq!(c.operation("511,someone-else,skip"), None);
    assert_eq!(c.operation("510,party-tui-pi"), None);
    assert_eq!(executing(), "501,c8y_Command");
    assert_eq!(successful("skip now"), "503,c8y_Command,skip now");
    assert_eq!(
        failed("unknown command `x`, sorry"),
        "502,c8y_Command,\"unknown command `x`, sorry\""
    );
}

#[test]
fn the_catch_up_asks_for_pending_operations_then_our_id() {
    let lines: Vec<(String, String, bool)> = c8y()
        .catch_up()
        .into_iter()
        .map(|m| (m.topic, m.payload, m.retain))
        .collect();
    assert_eq!(
        lines,
        [
            ("s/us".into(), "500".into(), false),
            ("s/us".into(), "123".into(), false)
        ]
    );
    assert!(is_internal_id("124,12345"));
    assert!(is_internal_id("124"));
    for not in ["511,party-tui-pi,skip", "1240,1", "", "106,child", "12,124"] {
        assert!(!is_internal_id(not), "{not}");
    }
    // The refusal is one plain field (no quoting needed on the platform).
    assert_eq!(
        failed(OFFLINE_REASON),
        "502,c8y_Command,sent while the party was offline: send it again"
    );
}
