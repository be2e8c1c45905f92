//! A faster way to read a journaled `Input`, in the same JSON.
//!
//! `Input` is internally tagged (`{"type":"press",…}`), and serde's derive for that buffers
//! every field into an intermediate tree before it knows the variant: that was a third of
//! replay's parse time. The journal always writes the tag first, so read the tag, then hand the
//! rest of the object straight to the variant's own `Deserialize`. Anything else (the tag
//! later in the object, as a hand-edited journal might have it) takes serde's own path.
//!
//! The result is `Decoded`, not `Input`: an `Input` is 208 bytes, and serde moves a value
//! through several layers on its way out, which showed up as a tenth of parsing in memcpy.
use crate::core::{AdapterResult, Gap, HookCall, HostOrder, Input, PlayerUpdate, Press};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// An `Input`, deserialized from exactly the JSON `Input` reads, small to move: presses
/// (nearly every line of a party) inline, anything else boxed.
pub(crate) enum Decoded {
    Press(Press),
    Other(Box<Input>),
}

impl Decoded {
    pub(crate) fn into_input(self) -> Input {
        match self {
            Decoded::Press(press) => Input::Press(press),
            Decoded::Other(input) => *input,
        }
    }
}

impl<'de> Deserialize<'de> for Decoded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(InputVisitor)
    }
}

/// The variant names, as `Input`'s `#[serde(rename_all = "snake_case", tag = "type")]` spells
/// them. A variant not named here (a new one) takes serde's own path: slower, never wrong.
enum Tag {
    Player,
    Press,
    Host,
    Result,
    Hook,
    Request,
    Tick,
    Rules,
    Gap,
    Other(String),
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(TagVisitor)
    }
}

struct TagVisitor;

impl Visitor<'_> for TagVisitor {
    type Value = Tag;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an input type")
    }

    fn visit_str<E: de::Error>(self, tag: &str) -> Result<Tag, E> {
        Ok(match tag {
            "player" => Tag::Player,
            "press" => Tag::Press,
            "host" => Tag::Host,
            "result" => Tag::Result,
            "hook" => Tag::Hook,
            "request" => Tag::Request,
            "tick" => Tag::Tick,
            "gap" => Tag::Gap,
            "rules" => Tag::Rules,
            other => Tag::Other(other.to_owned()),
        })
    }
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an input object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decoded, A::Error> {
        let Some(first) = map.next_key::<FirstKey>()? else {
            return Err(de::Error::missing_field("type"));
        };
        if let FirstKey::Other(key) = first {
            // Not as this journal writes it: rebuild the object and let serde's derive judge it.
            let mut object = serde_json::Map::new();
            object.insert(key, map.next_value()?);
            while let Some((k, v)) = map.next_entry()? {
                object.insert(k, v);
            }
            return Input::deserialize(serde_json::Value::Object(object))
                .map(|input| Decoded::Other(Box::new(input)))
                .map_err(de::Error::custom);
        }
        let tag: Tag = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        let other = match tag {
            Tag::Press => return Ok(Decoded::Press(Press::deserialize(rest)?)),
            Tag::Player => Input::Player(PlayerUpdate::deserialize(rest)?),
            Tag::Host => Input::Host(HostOrder::deserialize(rest)?),
            Tag::Result => Input::Result(AdapterResult::deserialize(rest)?),
            Tag::Hook => Input::Hook(HookCall::deserialize(rest)?),
            Tag::Request => Input::Request(crate::core::RequestInput::deserialize(rest)?),
            // Like serde's unit variant of an internally tagged enum: other fields are ignored.
            Tag::Rules => Input::Rules(Box::new(crate::core::Rules::deserialize(rest)?)),
            Tag::Tick => {
                IgnoredAny::deserialize(rest)?;
                Input::Tick
            }
            Tag::Gap => Input::Gap(Gap::deserialize(rest)?),
            Tag::Other(tag) => {
                let mut object = serde_json::Map::deserialize(rest)?;
                object.insert("type".into(), tag.into());
                Input::deserialize(serde_json::Value::Object(object)).map_err(de::Error::custom)?
            }
        };
        Ok(Decoded::Other(Box::new(other)))
    }
}

/// The first key of an input object: the tag (no allocation), or another, kept for the slow path.
enum FirstKey {
    Type,
    Other(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(FirstKeyVisitor)
    }
}

struct FirstKeyVisitor;

impl Visitor<'_> for FirstKeyVisitor {
    type Value = FirstKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<FirstKey, E> {
        Ok(match key {
            "type" => FirstKey::Type,
            other => FirstKey::Other(other.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{
        Action, ClickKind, CommandSource, HostCommand, Origin, PressKind, Source, Threshold, Track,
        TransportState, Voter,
    };

    fn fast(json: &str) -> Result<Input, serde_json::Error> {
        serde_json::from_str::<Decoded>(json).map(Decoded::into_input)
    }

    fn every_kind_of_input() -> Vec<Input> {
        let press = |kind, battery| {
            Input::Press(Press {
                voter: Voter::button("kitchen"),
                origin: Origin::Dash,
                kind,
                battery,
            })
        };
        vec![
            Input::Player(PlayerUpdate {
                source: Source::Sonos,
                player: "Living \"Room\"".into(),
                state: TransportState::Playing,
                track: Some(Track {
                    id: Some("x-sonos:1".into()),
                    title: "Tïtle\n2".into(),
                    artist_ids: vec!["a1".into(), "a2".into()],
                    ..Track::default()
                }),
                position_ms: Some(12),
            }),
            Input::Player(PlayerUpdate {
                source: Source::Spotify,
                player: "Phone".into(),
                state: TransportState::NoMedia,
                track: None,
                position_ms: None,
            }),
            press(PressKind::Click(ClickKind::Double), Some(0.25)),
            press(PressKind::Vote(Action::Skip), None),
            Input::host(HostCommand::SkipNow),
            Input::host(HostCommand::Keep(false)),
            Input::host(HostCommand::SetThreshold(Threshold::Percent(40))),
            Input::host(HostCommand::SetThreshold(Threshold::Count(3))),
            Input::host(HostCommand::SetWindow(90)),
            Input::host_by(HostCommand::ResetVotes, CommandSource::HomeAssistant),
            Input::host_by(
                HostCommand::Keep(true),
                CommandSource::Hook("cl-fav".into()),
            ),
            Input::Result(AdapterResult::SkipFailed {
                track: "t".into(),
                reason: "503".into(),
            }),
            // Journaled by `/hooks/{name}`: a start must read them back.
            Input::Hook(HookCall::Notice {
                hook: "door".into(),
                text: "Pizza!".into(),
                secs: 30,
            }),
            Input::Hook(HookCall::Trigger {
                hook: "door".into(),
                trigger: "lights".into(),
            }),
            Input::Request(crate::core::RequestInput::Failed {
                id: 3,
                reason: "no such track".into(),
            }),
            Input::Tick,
            Input::Rules(Box::new(every_kind_of_rule())),
            Input::Gap(Gap {
                entries: 2,
                first_seq: 5,
                last_seq: 6,
                from: Some(crate::core::Timestamp(1)),
                to: None,
                line: 7,
                lines: 1,
            }),
        ]
    }

    /// Rules with every kind of button and trigger, so their journaled form is read back whole.
    fn every_kind_of_rule() -> crate::core::Rules {
        use crate::core::{
            Action, ButtonActions, ButtonRule, Rules, Step, TriggerCondition, TriggerRule,
        };
        use std::time::Duration;
        let button = |name: &str, actions| ButtonRule {
            name: name.into(),
            actions,
            debounce: Some(Duration::from_millis(1500)),
        };
        let trigger = |name: &str, when| TriggerRule {
            name: name.into(),
            when,
        };
        Rules {
            skip_threshold: Threshold::Percent(40),
            skip_margin: Some(2),
            protected_artists: vec!["ABBA".into()],
            buttons: vec![
                button("door", ButtonActions::Always(Action::Like)),
                button(
                    "bttn",
                    ButtonActions::Sequence(vec![
                        Step::from(Action::Skip),
                        Step {
                            action: None,
                            notify: vec!["ntfy".into()],
                        },
                    ]),
                ),
                button(
                    "iot",
                    ButtonActions::ByClick {
                        single: Some(Action::Like),
                        double: None,
                        long: Some(Action::Keep),
                    },
                ),
            ],
            triggers: vec![
                trigger("a", TriggerCondition::LikesAtLeast(5)),
                trigger("b", TriggerCondition::BatteryBelow(0.2)),
                trigger(
                    "c",
                    TriggerCondition::Press {
                        button: Some("door".into()),
                    },
                ),
                trigger("d", TriggerCondition::Named),
            ],
            ..Rules::default()
        }
    }

    #[test]
    fn reads_every_input_as_the_derive_writes_it() {
        for input in every_kind_of_input() {
            let json = serde_json::to_string(&input).unwrap();
            assert_eq!(fast(&json).unwrap(), input, "{json}");
        }
    }

    #[test]
    fn host_commands_journaled_before_origins_existed_read_as_the_hosts() {
        let old = r#"{"type":"host","command":"set_window","value":90}"#;
        assert_eq!(fast(old).unwrap(), Input::host(HostCommand::SetWindow(90)));
        let json = serde_json::to_string(&Input::host(HostCommand::SetWindow(90))).unwrap();
        assert_eq!(json, old, "the host's own commands are written as before");
    }

    #[test]
    fn the_tag_anywhere_else_takes_the_derives_path() {
        for input in every_kind_of_input() {
            let json = serde_json::to_string(&input).unwrap();
            // The derive writes `{"type":"…",rest}`; move the tag to the end.
            let Some((tag, rest)) = json[1..].split_once(',') else {
                continue; // nothing but the tag
            };
            let moved = format!("{{{},{tag}}}", rest.strip_suffix('}').unwrap());
            assert_eq!(fast(&moved).unwrap(), input, "{moved}");
        }
    }

    #[test]
    fn accepts_and_rejects_what_the_derive_does() {
        for json in [
            r#"{"type":"tick","extra":[1,{"a":null}]}"#,
            r#"{"type":"press","voter":"host","origin":"host","kind":{"vote":"like"},"new":1}"#,
        ] {
            assert_eq!(
                fast(json).unwrap(),
                serde_json::from_str::<Input>(json).unwrap()
            );
        }
        for json in [
            r#"{}"#,
            r#"{"type":"dance"}"#,
            r#"{"type":"press","voter":"host"}"#,
            r#"{"type":"press","voter":"host","origin":"lasers","kind":{"vote":"like"}}"#,
            r#"{"type":"host","command":"set_window","value":"soon"}"#,
            r#"{"voter":"host"}"#,
            r#"[1]"#,
        ] {
            assert!(serde_json::from_str::<Input>(json).is_err(), "{json}");
            assert!(fast(json).is_err(), "{json}");
        }
    }
}
