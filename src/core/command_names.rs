//! The one table of host-command names. Every surface that names a host command takes its
//! word from here: the admin API's path (also the attached dashboard's and Cumulocity's word),
//! the action in exported events and the journal (serde's tag of `HostCommand`), and Home
//! Assistant's entity. Pure: names only; each surface keeps its own payloads.
use super::input::HostCommand;

/// A host command without its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CommandKind {
    SkipNow,
    Keep,
    ResetVotes,
    PauseVoting,
    ResumeVoting,
    SetThreshold,
    SetWindow,
    PlayPrevious,
    ApproveRequest,
    RejectRequest,
}

/// One row: the kind, its word on the admin API (`/api/admin/<word>`), its action in exported
/// events, and its Home Assistant entity (pause and resume share the `voting_paused` switch).
struct Row(
    CommandKind,
    &'static str,
    &'static str,
    Option<&'static str>,
);

use CommandKind as K;
const TABLE: [Row; 10] = [
    Row(K::SkipNow, "skip", "skip_now", Some("skip")),
    Row(K::Keep, "keep", "keep", Some("keep")),
    Row(K::ResetVotes, "reset", "reset_votes", Some("reset_votes")),
    Row(
        K::PauseVoting,
        "pause",
        "pause_voting",
        Some("voting_paused"),
    ),
    Row(
        K::ResumeVoting,
        "resume",
        "resume_voting",
        Some("voting_paused"),
    ),
    Row(
        K::SetThreshold,
        "threshold",
        "set_threshold",
        Some("skip_threshold"),
    ),
    Row(K::SetWindow, "window", "set_window", None),
    Row(K::PlayPrevious, "previous", "play_previous", None),
    Row(K::ApproveRequest, "approve", "approve_request", None),
    Row(K::RejectRequest, "reject", "reject_request", None),
];

impl CommandKind {
    /// Every kind, in the table's order (the order error messages list them in).
    pub(crate) fn all() -> impl Iterator<Item = CommandKind> {
        TABLE.iter().map(|r| r.0)
    }

    fn row(self) -> &'static Row {
        TABLE
            .iter()
            .find(|r| r.0 == self)
            .expect("every kind has a row")
    }

    /// The admin API's word (`/api/admin/skip`), also used by attach and Cumulocity.
    pub(crate) fn name(self) -> &'static str {
        self.row().1
    }

    /// The action in exported events and the journal's `command` tag.
    pub(crate) fn action(self) -> &'static str {
        self.row().2
    }

    /// Home Assistant's entity for it, where it has one.
    pub(crate) fn ha_object(self) -> Option<&'static str> {
        self.row().3
    }

    pub(crate) fn from_name(name: &str) -> Option<CommandKind> {
        TABLE.iter().find(|r| r.1 == name).map(|r| r.0)
    }

    /// The first kind on `object` (the `voting_paused` switch answers with PauseVoting; its
    /// payload decides between pause and resume).
    pub(crate) fn from_ha_object(object: &str) -> Option<CommandKind> {
        TABLE.iter().find(|r| r.3 == Some(object)).map(|r| r.0)
    }

    /// `names` as a reader lists them: "a, b or c" (`last` joins the last two).
    pub(crate) fn list(kinds: &[CommandKind], last: &str) -> String {
        let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
        match names.split_last() {
            Some((tail, head)) if !head.is_empty() => format!("{}{last}{tail}", head.join(", ")),
            _ => names.concat(),
        }
    }
}

impl HostCommand {
    pub(crate) fn kind(&self) -> CommandKind {
        match self {
            HostCommand::SkipNow => K::SkipNow,
            HostCommand::Keep(_) => K::Keep,
            HostCommand::ResetVotes => K::ResetVotes,
            HostCommand::PauseVoting => K::PauseVoting,
            HostCommand::ResumeVoting => K::ResumeVoting,
            HostCommand::SetThreshold(_) => K::SetThreshold,
            HostCommand::SetWindow(_) => K::SetWindow,
            HostCommand::PlayPrevious => K::PlayPrevious,
            HostCommand::ApproveRequest(_) => K::ApproveRequest,
            HostCommand::RejectRequest(_) => K::RejectRequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Threshold;

    #[test]
    fn the_action_is_the_journals_tag_and_names_are_unique() {
        let commands = [
            HostCommand::SkipNow,
            HostCommand::Keep(true),
            HostCommand::ResetVotes,
            HostCommand::PauseVoting,
            HostCommand::ResumeVoting,
            HostCommand::SetThreshold(Threshold::Count(3)),
            HostCommand::SetWindow(30),
            HostCommand::PlayPrevious,
            HostCommand::ApproveRequest(1),
            HostCommand::RejectRequest(1),
        ];
        for c in &commands {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json["command"], c.kind().action(), "{c:?}");
            assert_eq!(CommandKind::from_name(c.kind().name()), Some(c.kind()));
        }
        assert_eq!(CommandKind::all().count(), commands.len());
        let mut names: Vec<&str> = CommandKind::all().map(CommandKind::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), commands.len());
        assert_eq!(
            CommandKind::from_ha_object("voting_paused"),
            Some(CommandKind::PauseVoting)
        );
        assert_eq!(
            CommandKind::list(&[K::SkipNow, K::Keep, K::ResetVotes], " or "),
            "skip, keep or reset"
        );
    }
}
