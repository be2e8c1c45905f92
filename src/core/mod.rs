//! The pure party engine: no tokio, no IO, no clock. Time comes in with each input and the
//! engine tells the loop its next deadline. `Party::apply` returns effects; adapters carry them out.
pub(crate) mod command_names;
pub mod effect;
pub(crate) mod input;
mod notify;
pub(crate) mod party;
mod party_requests;
mod press;
mod request_events;
pub mod requests;
pub(crate) mod rules;
mod rules_diff;
pub mod snapshot;
pub(crate) mod time;
pub(crate) mod track;
mod view;
mod voting;

pub(crate) use command_names::CommandKind;
pub use effect::{Effect, KeepReason, LogEntry, PressResult, TrackResult, WindowState};
pub use input::{
    Action, AdapterResult, ClickKind, CommandSource, Gap, HookCall, HostCommand, HostOrder, Input,
    Origin, Press, PressKind, Voter,
};
pub use party::Party;
pub use press::MAX_UNCONFIGURED_BUTTONS;
pub use requests::{
    Approval, RequestEvent, RequestInfo, RequestInput, RequestRules, RequestStatus, RequestedTrack,
};
pub use rules::{ButtonActions, ButtonRule, Rules, Step, Threshold, TriggerCondition, TriggerRule};
pub use snapshot::{HealthLevel, Notice, NowPlaying, Snapshot, SourceHealth, Votes};
pub use time::Timestamp;
pub use track::{PlayerUpdate, Source, Track, TransportState};
pub use voting::{VoterList, VoterSet};
