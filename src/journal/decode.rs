//! A faster way to read a journaled `Input`, in the same JSON.
//!
//! `Input` is internally tagged (`{"type":"press",…}`), and serde's derive for that buffers
//! every field into an intermediate tree before it knows the variant: that was a third of
//! replay's parse time. The journal always writes the tag first, so read the tag, then hand the
//! rest of the object straight to the variant's own `Deserialize`. Anything else (the tag
//! later in the object, as a hand-edited journal might have it) takes serde's own path.
use crate::core::{AdapterResult, HostCommand, Input, PlayerUpdate, Press};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// An `Input`, deserialized from exactly the JSON `Input` reads.
pub struct FastInput(pub Input);

impl<'de> Deserialize<'de> for FastInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(InputVisitor).map(FastInput)
    }
}

/// The variant names, as `Input`'s `#[serde(rename_all = "snake_case", tag = "type")]` spells them.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tag {
    Player,
    Press,
    Host,
    Result,
    Tick,
}

struct InputVisitor;

impl<'de> Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an input object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
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
                .map_err(de::Error::custom);
        }
        let tag: Tag = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        Ok(match tag {
            Tag::Player => Input::Player(PlayerUpdate::deserialize(rest)?),
            Tag::Press => Input::Press(Press::deserialize(rest)?),
            Tag::Host => Input::Host(HostCommand::deserialize(rest)?),
            Tag::Result => Input::Result(AdapterResult::deserialize(rest)?),
            // Like serde's unit variant of an internally tagged enum: other fields are ignored.
            Tag::Tick => {
                IgnoredAny::deserialize(rest)?;
                Input::Tick
            }
        })
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
