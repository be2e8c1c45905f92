//! Everything that can happen to a party, as the core receives it.
use super::rules::Threshold;
use super::track::PlayerUpdate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who pressed. One voter, one vote per track. Stored as "kind:id" so it is stable in the journal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Voter(pub String);

impl Voter {
    /// A configured physical or web-link button, by its configured name.
    pub fn button(name: &str) -> Self {
        Voter(format!("button:{name}"))
    }
    pub fn guest(id: &str) -> Self {
        Voter(format!("guest:{id}"))
    }
    pub fn host() -> Self {
        Voter("host".into())
    }
    /// The configured button name, if this voter is a button.
    pub fn button_name(&self) -> Option<&str> {
        self.0.strip_prefix("button:")
    }
}

impl fmt::Display for Voter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once(':') {
            Some(("button", name)) => f.write_str(name),
            Some(("guest", id)) => write!(f, "guest {}", &id[..id.len().min(6)]),
            _ => f.write_str(&self.0),
        }
    }
}

/// How a press reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Amazon Dash button seen by ARP/DHCP sniffing.
    Dash,
    /// bt.tn-style web-link button calling /button/{id}.
    WebButton,
    /// AWS IoT button (classic or 1-Click) calling /iot.
    Iot,
    /// A guest's phone on the vote page.
    Phone,
    /// The host's keyboard or the admin API.
    Host,
    /// A simulated guest in the demo.
    Demo,
}

impl Origin {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Origin::Dash => "dash",
            Origin::WebButton => "web button",
            Origin::Iot => "iot",
            Origin::Phone => "phone",
            Origin::Host => "host",
            Origin::Demo => "demo",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClickKind {
    Single,
    Double,
    Long,
}

/// What a press means once mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Like,
    Skip,
    Keep,
    /// Mapped to nothing on purpose (logged, changes nothing).
    Ignore,
}

impl Action {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Action::Like => "like",
            Action::Skip => "skip",
            Action::Keep => "keep",
            Action::Ignore => "ignore",
        }
    }
}

/// What was pressed: a raw click that the voter's button rules map to an action,
/// or an explicit vote (phone, host, demo).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PressKind {
    Click(ClickKind),
    Vote(Action),
}

/// One press after the adapter's own burst collapsing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Press {
    pub voter: Voter,
    pub origin: Origin,
    pub kind: PressKind,
    /// Battery level 0.0–1.0 where the button reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<f32>,
}

/// Host overrides (keyboard or admin API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "command", content = "value")]
pub enum HostCommand {
    /// Skip now, whatever the votes (host veto over keep too).
    SkipNow,
    /// Make the current track unskippable (true) or skippable again (false).
    Keep(bool),
    ResetVotes,
    PauseVoting,
    ResumeVoting,
    SetThreshold(Threshold),
    /// Vote window length in seconds.
    SetWindow(u64),
    /// Undo a skip: the player goes back to the previous track where it can (the track that
    /// comes back is a new play with fresh votes).
    PlayPrevious,
    /// Let a guest's pending song request into the queue (by request id).
    ApproveRequest(u64),
    /// Say no to a guest's pending song request.
    RejectRequest(u64),
}

/// Who gave a host command. The keyboard and the admin API are the host; the others act for
/// the host from elsewhere and are named in the journal and the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommandSource {
    /// The dashboard's keys, an attached dashboard or the admin API with the token.
    #[default]
    Host,
    /// The host's phone page (`/host`).
    HostPage,
    /// A Home Assistant button over MQTT.
    HomeAssistant,
    /// A Cumulocity IoT operation over MQTT.
    Cumulocity,
    /// An inbound rule hook (`/hooks/{name}`), by the hook's name.
    Hook(String),
}

impl CommandSource {
    pub(crate) fn is_host(&self) -> bool {
        *self == CommandSource::Host
    }
    /// In the host's and guests' words.
    pub(crate) fn label(&self) -> String {
        match self {
            CommandSource::Host => "host".into(),
            CommandSource::HostPage => "host (phone)".into(),
            CommandSource::HomeAssistant => "Home Assistant".into(),
            CommandSource::Cumulocity => "Cumulocity".into(),
            CommandSource::Hook(name) => format!("hook {name}"),
        }
    }
}

/// A host command and who gave it. In the journal: `{"type":"host","command":…,"by":…}`, with
/// `by` left out for the host itself (so journals from before it existed read the same).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostOrder {
    #[serde(flatten)]
    pub command: HostCommand,
    #[serde(default, skip_serializing_if = "CommandSource::is_host")]
    pub by: CommandSource,
}

impl HostCommand {
    /// In the host's and guests' words (log, vote page), never the enum's debug form.
    pub fn plain(&self) -> String {
        match self {
            HostCommand::SkipNow => "skip now".into(),
            HostCommand::Keep(true) => "keep this track".into(),
            HostCommand::Keep(false) => "release keep".into(),
            HostCommand::ResetVotes => "reset skip votes".into(),
            HostCommand::PauseVoting => "pause voting".into(),
            HostCommand::ResumeVoting => "resume voting".into(),
            HostCommand::SetThreshold(t) => format!("threshold → {t}"),
            HostCommand::SetWindow(secs) => format!("vote window → {secs} s"),
            HostCommand::PlayPrevious => "play the previous track again".into(),
            HostCommand::ApproveRequest(id) => format!("approve request #{id}"),
            HostCommand::RejectRequest(id) => format!("reject request #{id}"),
        }
    }
}

/// What an adapter reports back after carrying out an effect.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum AdapterResult {
    SkipFailed { track: String, reason: String },
    TriggerFailed { trigger: String, reason: String },
}

/// What an inbound hook (`POST /hooks/{name}`) asks for, beyond the host commands (skip and
/// keep arrive as `Input::Host` with `CommandSource::Hook`). Journaled with the hook's name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "do")]
pub enum HookCall {
    /// A banner on the dashboard and the vote page for `secs` seconds.
    Notice {
        hook: String,
        text: String,
        secs: u64,
    },
    /// Fire an outbound `[[trigger]]` by name.
    Trigger { hook: String, trigger: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Input {
    Player(PlayerUpdate),
    Press(Press),
    Host(HostOrder),
    Result(AdapterResult),
    Hook(HookCall),
    /// A guest's song request, or the player's answer about one.
    Request(super::requests::RequestInput),
    /// A deadline the core asked for has passed (vote window closing, …).
    Tick,
    /// The rules in force from here on. Journaled at start whenever the configured rules
    /// differ from the last journaled ones, so a replay judges every entry by the rules of its
    /// time, whatever config.toml says now.
    Rules(Box<super::rules::Rules>),
    /// Journal entries that were damaged on disk (or missing) and set aside: written by the
    /// journal in their place so the seqs run on. Changes nothing in the party.
    Gap(Gap),
}

impl Input {
    /// A host command from the host (keyboard, admin API).
    pub fn host(command: HostCommand) -> Input {
        Input::Host(HostOrder {
            command,
            by: CommandSource::Host,
        })
    }
    /// A host command given for the host from elsewhere.
    pub fn host_by(command: HostCommand, by: CommandSource) -> Input {
        Input::Host(HostOrder { command, by })
    }
}

/// What a damaged stretch of the journal held, as far as its intact neighbours tell: the entry
/// before it and the one after it. In the journal: `{"type":"gap","entries":…,…}`, with the
/// entry's own `seq` equal to `last_seq`, so the seq after it is `last_seq + 1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Entries lost. With no intact entry after the damage (the journal's end) this is an upper
    /// bound, never an underestimate: a seq that may have been acknowledged is never reused.
    pub entries: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// The time of the intact entry before (none: the damage starts the journal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<super::time::Timestamp>,
    /// The time of the intact entry after (none: the damage ends the journal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<super::time::Timestamp>,
    /// The first damaged line (1-based), as the file was when the damage was found.
    pub line: u64,
    /// Damaged lines set aside; 0 when entries were missing without a trace (deleted by hand).
    pub lines: u64,
}
