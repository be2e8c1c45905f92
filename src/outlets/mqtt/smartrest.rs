//! Pure: Cumulocity IoT SmartREST 2.0 static templates. The party is one device (client id
//! `d:<device_id>`), every configured button a child device (`101`, id = MAC without colons,
//! IoT serial or bt.tn id). Journal entries become `400` events and `200` measurements with
//! the journal's own time, so a line re-sent after an outage still says when it happened.
use super::Message;
use super::ha::button_id;
use crate::buttons::ButtonConfig;
use crate::core::{CommandKind, Effect, HostCommand, Origin};
use crate::journal::Entry;
use crate::outlets::mapping::{event_id, iso_millis};

/// How often the platform should hear from us before it calls the device unavailable.
pub(crate) const REQUIRED_INTERVAL_MINUTES: u32 = 60;
pub(crate) const DEVICE_TYPE: &str = "c8y_PartyTui";
/// The only operation we carry out: a shell-style command (`skip`, `keep`, …).
pub(crate) const COMMAND_FRAGMENT: &str = "c8y_Command";

/// Why an operation queued while we were offline is refused (`catch_up.rs`).
pub const OFFLINE_REASON: &str = "sent while the party was offline: send it again";
/// "Send me the PENDING operations", after every connect.
pub(crate) const GET_PENDING: &str = "500";
/// "What is my internal id?": its answer (`124`) marks the end of the answer to `500`.
pub(crate) const GET_INTERNAL_ID: &str = "123";
const INTERNAL_ID: &str = "124";

/// The host commands a Cumulocity operation may give, in the order the refusal lists them.
const C8Y_COMMANDS: [CommandKind; 5] = [
    CommandKind::SkipNow,
    CommandKind::Keep,
    CommandKind::ResetVotes,
    CommandKind::PauseVoting,
    CommandKind::ResumeVoting,
];

/// A field as SmartREST CSV wants it: quoted when it holds `,` `"` a line break, a tab or
/// outer spaces; quotes inside doubled (what thin-edge.io sends and verified on the platform).
pub fn field(s: &str) -> String {
    let needs = s.contains([',', '"', '\n', '\r', '\t'])
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace);
    if needs {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn line(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// Split one SmartREST line into fields: quoted fields may hold commas; a quote inside is `\"`
/// (as the platform sends it) or `""`.
pub fn parse_line(s: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('\\', true) if chars.peek() == Some(&'"') => cur.push(chars.next().expect("peeked")),
            ('"', true) if chars.peek() == Some(&'"') => cur.push(chars.next().expect("peeked")),
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

#[derive(Clone, Debug)]
pub struct Child {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
}

#[derive(Clone, Debug)]
pub struct C8y {
    pub device_id: String,
    pub children: Vec<Child>,
}

impl C8y {
    pub fn new(device_id: &str, buttons: &[ButtonConfig]) -> C8y {
        let children = buttons
            .iter()
            .map(|b| Child {
                id: button_id(b),
                name: b.name.clone(),
                kind: match (&b.mac, &b.serial) {
                    (Some(_), _) => "c8y_DashButton",
                    (None, Some(_)) => "c8y_IoTButton",
                    _ => "c8y_WebButton",
                },
            })
            .collect();
        C8y {
            device_id: device_id.to_string(),
            children,
        }
    }

    pub(crate) fn client_id(&self) -> String {
        format!("d:{}", self.device_id)
    }

    /// The will: the platform records the lost connection as an event.
    pub(crate) fn will(&self) -> Message {
        Message::plain(
            "s/us",
            line(&["400", "c8y_ConnectionEvent", "party-tui connection lost"]),
        )
    }

    /// After every connect, before subscribing to `s/ds`: the device, its required interval,
    /// its operations, its children. (`500` follows the subscription.)
    pub fn on_connect(&self) -> Vec<Message> {
        let interval = REQUIRED_INTERVAL_MINUTES.to_string();
        let mut out = vec![
            Message::plain("s/us", line(&["100", &self.device_id, DEVICE_TYPE])),
            Message::plain("s/us", line(&["117", &interval])),
            Message::plain("s/us", line(&["114", COMMAND_FRAGMENT])),
        ];
        for c in &self.children {
            out.push(Message::plain(
                "s/us",
                line(&["101", &c.id, &c.name, c.kind]),
            ));
        }
        out
    }

    /// After subscribing to `s/ds`: ask for the operations queued while we were away, then
    /// for our internal id, whose answer comes after them (`catch_up.rs`).
    pub fn catch_up(&self) -> Vec<Message> {
        vec![
            Message::plain("s/us", GET_PENDING),
            Message::plain("s/us", GET_INTERNAL_ID),
        ]
    }

    /// Pure: the SmartREST messages of one journal line.
    pub(crate) fn lines(&self, party: &str, entry: &Entry) -> Vec<Message> {
        let at = iso_millis(entry.at);
        let mut out = Vec::new();
        for (i, effect) in entry.effects.iter().enumerate() {
            let id = event_id(party, entry.seq, i);
            match effect {
                Effect::Press {
                    voter,
                    origin,
                    click,
                    action,
                    result,
                    ..
                } => {
                    let what = match (action, click) {
                        (Some(a), _) => a.label().to_string(),
                        (None, Some(c)) => format!("{c:?}").to_lowercase(),
                        (None, None) => "press".into(),
                    };
                    let child = voter
                        .button_name()
                        .and_then(|n| self.children.iter().find(|c| c.name == n));
                    match child {
                        Some(c) => {
                            let text = format!(
                                "{} {}: {what}, {} (id {id})",
                                c.name,
                                c.id,
                                result.label()
                            );
                            let topic = format!("s/us/{}", c.id);
                            out.push(Message::confirmed(
                                topic,
                                line(&["400", "c8y_MAC_Event", &text, &at]),
                            ));
                        }
                        None => {
                            let who = match origin {
                                Origin::Phone | Origin::Demo => format!("{voter}"),
                                other => other.label().to_string(),
                            };
                            let text = format!("{who}: {what}, {} (id {id})", result.label());
                            out.push(Message::confirmed(
                                "s/us",
                                line(&["400", "c8y_VoteEvent", &text, &at]),
                            ));
                        }
                    }
                }
                Effect::Play {
                    track: Some(t),
                    new_track: true,
                    source,
                    ..
                } => {
                    let text = format!("{} — {} ({}; id {id})", t.title, t.artist, source.label());
                    out.push(Message::confirmed(
                        "s/us",
                        line(&["400", "c8y_TrackPlayed", &text, &at]),
                    ));
                }
                Effect::SkipDecided {
                    title,
                    skips,
                    needed,
                    by_host,
                    ..
                } => {
                    let by = if *by_host {
                        "host".to_string()
                    } else {
                        format!("{skips} of {needed} votes")
                    };
                    let text = format!("{title} skipped by {by} (id {id})");
                    out.push(Message::confirmed(
                        "s/us",
                        line(&["400", "c8y_TrackSkipped", &text, &at]),
                    ));
                }
                Effect::TrackFinished { likes, skips, .. } => {
                    let (l, s) = (likes.to_string(), skips.to_string());
                    let payload = [
                        line(&["200", "c8y_TrackVotes", "likes", &l, "", &at]),
                        line(&["200", "c8y_TrackVotes", "skips", &s, "", &at]),
                    ]
                    .join("\n");
                    out.push(Message::confirmed("s/us", payload));
                }
                _ => {}
            }
        }
        out
    }

    /// An operation line from `s/ds`: the topic to answer on and the host command (or why
    /// not). None for lines that are not a `c8y_Command` (511) for us or our children.
    /// Operations the device accepts, by their admin API word (`core::command_names`).
    pub fn operation(&self, payload: &str) -> Option<(String, Result<HostCommand, String>)> {
        let fields = parse_line(payload.lines().next()?);
        if fields.first().map(String::as_str) != Some("511") {
            return None;
        }
        let target = fields.get(1)?;
        let topic = if *target == self.device_id {
            "s/us".to_string()
        } else if self.children.iter().any(|c| &c.id == target) {
            format!("s/us/{target}")
        } else {
            return None;
        };
        let text = fields
            .get(2)
            .map(|s| s.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let cmd = match CommandKind::from_name(&text).filter(|k| C8Y_COMMANDS.contains(k)) {
            Some(CommandKind::SkipNow) => Ok(HostCommand::SkipNow),
            Some(CommandKind::Keep) => Ok(HostCommand::Keep(true)),
            Some(CommandKind::ResetVotes) => Ok(HostCommand::ResetVotes),
            Some(CommandKind::PauseVoting) => Ok(HostCommand::PauseVoting),
            Some(CommandKind::ResumeVoting) => Ok(HostCommand::ResumeVoting),
            _ => Err(format!(
                "unknown command `{text}` (use {})",
                CommandKind::list(&C8Y_COMMANDS, " or ")
            )),
        };
        Some((topic, cmd))
    }
}

/// Whether an `s/ds` line is the platform's answer to `123` (`124,<internal id>`).
pub fn is_internal_id(line: &str) -> bool {
    line.split(',').next().map(str::trim) == Some(INTERNAL_ID)
}

pub(crate) fn executing() -> String {
    line(&["501", COMMAND_FRAGMENT])
}
pub(crate) fn successful(result: &str) -> String {
    line(&["503", COMMAND_FRAGMENT, result])
}
pub(crate) fn failed(reason: &str) -> String {
    line(&["502", COMMAND_FRAGMENT, reason])
}

#[cfg(test)]
#[path = "smartrest_tests.rs"]
mod tests;
