//! The snapshot as guests see it (`/api/state`, `/api/events`). Voters appear only by their
//! display names: a full guest id is that guest's credential and must not leak to others.
use crate::core::snapshot::{ButtonStatus, Totals, TrackTally};
use crate::core::{
    Effect, KeepReason, LogEntry, Snapshot, Source, Threshold, Timestamp, TransportState, Voter,
    WindowState,
};
use serde::Serialize;

/// How many recent log lines the vote page gets.
pub(crate) const VIEW_LOG_LINES: usize = 20;

#[derive(Debug, Serialize)]
pub(crate) struct StateView {
    pub party: String,
    /// Party time (ms since the epoch) this view was computed for.
    pub at: i64,
    pub now_playing: Option<NowPlayingView>,
    pub votes: VotesView,
    pub log: Vec<LogLine>,
    pub top_tracks: Vec<TrackTally>,
    pub totals: Totals,
    pub buttons: Vec<ButtonStatus>,
    pub guests: GuestsView,
    /// A banner from an inbound hook (`do = "notice"`), while it lasts.
    pub notice: Option<NoticeView>,
    /// The request queue for everyone (no guests' ids).
    pub requests: Vec<QueueItem>,
    /// Last: the live stream shares the JSON before it among all guests (`view_cache`).
    pub you: YouView,
}

#[derive(Debug, Serialize)]
pub(crate) struct NoticeView {
    pub text: String,
    pub ms_left: u64,
}

/// How many guests are here: pages open now, and voters who pressed lately.
#[derive(Debug, Default, Serialize)]
pub(crate) struct GuestsView {
    pub connected: u64,
    pub voting: u32,
}

/// One request in the queue as every guest sees it.
#[derive(Debug, Serialize)]
pub(crate) struct QueueItem {
    /// The request's number (what the host approves or rejects by; it names no guest).
    pub id: u64,
    pub title: String,
    pub artist: String,
    pub status: &'static str,
    /// Likes the track got while playing (credited to whoever asked for it).
    pub likes: u32,
}

/// The asking guest's latest request: `{"uri","title","artist","status","reason"}`.
#[derive(Debug, Serialize)]
pub(crate) struct YouRequest {
    pub uri: String,
    pub title: String,
    pub artist: String,
    pub status: &'static str,
    pub reason: Option<String>,
}

/// The guest's latest request (the snapshot keeps each guest's latest).
pub(crate) fn you_request(snap: &Snapshot, you: &Voter) -> Option<YouRequest> {
    snap.requests
        .iter()
        .filter(|r| &r.voter == you)
        .max_by_key(|r| r.id)
        .map(|r| YouRequest {
            uri: r.track.uri.clone(),
            title: r.track.title.clone(),
            artist: r.track.artist.clone(),
            status: r.status.contract(),
            reason: match r.status {
                crate::core::RequestStatus::Playing => Some("Your song is playing now".into()),
                _ => r.reason.clone(),
            },
        })
}

#[derive(Debug, Serialize)]
pub(crate) struct NowPlayingView {
    pub title: String,
    pub artist: String,
    pub album: String,
    pub duration_ms: Option<u64>,
    pub position_ms: u64,
    pub state: TransportState,
    pub source: Source,
    pub player: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct VotesView {
    pub likes: u32,
    pub skips: u32,
    pub needed: u32,
    pub threshold: Threshold,
    /// "open", "won", "closed", or null when nothing plays.
    pub window: Option<WindowState>,
    pub window_ms_left: Option<u64>,
    /// The vote window's length (0: the whole track).
    pub window_secs: u64,
    pub keep: bool,
    pub keep_reason: Option<String>,
    pub paused: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct LogLine {
    pub at: i64,
    pub text: String,
}

/// What concerns the guest asking.
#[derive(Debug, Default, Serialize)]
pub(crate) struct YouView {
    pub liked: bool,
    pub skipped: bool,
    /// A party code is configured and this guest has not entered it yet.
    pub code_required: bool,
    /// This guest's latest song request (null when none).
    pub request: Option<YouRequest>,
}

/// `now` is party time now; the snapshot may be older (it is published on change only).
pub(crate) fn state_view(
    snap: &Snapshot,
    now: Timestamp,
    you: Option<&Voter>,
    code_required: bool,
) -> StateView {
    let now = now.max(snap.at);
    let v = &snap.votes;
    StateView {
        party: snap.party.clone(),
        at: now.as_millis(),
        now_playing: snap.now_playing.as_ref().map(|np| NowPlayingView {
            title: np.track.title.clone(),
            artist: np.track.artist.clone(),
            album: np.track.album.clone(),
            duration_ms: np.track.duration_ms,
            position_ms: np.position_at(now),
            state: np.state,
            source: np.source,
            player: np.player.clone(),
        }),
        votes: VotesView {
            likes: v.likes,
            skips: v.skips,
            needed: v.needed,
            threshold: v.threshold,
            window: v.window,
            window_ms_left: match (v.window, v.window_closes_at) {
                (Some(WindowState::Open), Some(at)) => Some(now.until(at).as_millis() as u64),
                _ => None,
            },
            window_secs: v.window_secs,
            keep: v.keep.is_some(),
            keep_reason: v.keep.as_ref().map(keep_text),
            paused: v.paused,
        },
        log: snap.log.iter().take(VIEW_LOG_LINES).map(log_line).collect(),
        top_tracks: snap.top_tracks.clone(),
        totals: snap.totals.clone(),
        buttons: snap.buttons.clone(),
        you: YouView {
            liked: you.is_some_and(|y| v.liked_by.contains(y)),
            skipped: you.is_some_and(|y| v.skipped_by.contains(y)),
            code_required,
            request: you.and_then(|y| you_request(snap, y)),
        },
        // The server fills in `connected`; the core knows only who voted.
        guests: GuestsView {
            connected: 0,
            voting: v.active_voters,
        },
        notice: snap
            .notice
            .as_ref()
            .filter(|n| n.until > now)
            .map(|n| NoticeView {
                text: n.text.clone(),
                ms_left: now.until(n.until).as_millis() as u64,
            }),
        requests: snap
            .requests
            .iter()
            .filter(|r| r.status.is_open() || r.status == crate::core::RequestStatus::Playing)
            .map(|r| QueueItem {
                id: r.id,
                title: r.track.title.clone(),
                artist: r.track.artist.clone(),
                status: r.status.contract(),
                likes: r.likes,
            })
            .collect(),
    }
}

fn keep_text(k: &KeepReason) -> String {
    match k {
        KeepReason::Host => "kept by the host".into(),
        KeepReason::Voter(v) => format!("kept by {v}"),
        KeepReason::ProtectedArtist(a) => format!("protected artist {a}"),
        KeepReason::ProtectedTrack(t) => format!("protected track {t}"),
    }
}

fn log_line(e: &LogEntry) -> LogLine {
    LogLine {
        at: e.at.as_millis(),
        text: effect_text(&e.effect),
    }
}

/// One human line per effect, like the dashboard's button log.
pub(crate) fn effect_text(e: &Effect) -> String {
    match e {
        Effect::Play { track, state, .. } => match track {
            Some(t) => format!("{}: {} — {}", state.label(), t.title, t.artist),
            None => state.label().to_string(),
        },
        Effect::TrackFinished {
            title,
            likes,
            skips,
            ..
        } => format!("finished {title} ({likes} likes, {skips} skips)"),
        Effect::Press {
            voter,
            origin,
            action,
            result,
            ..
        } => {
            let what = action.map(|a| a.label()).unwrap_or("press");
            format!("{voter} ({}): {what} → {}", origin.label(), result.label())
        }
        Effect::SkipDecided { title, by_host, .. } => {
            let by = if *by_host { "the host" } else { "the party" };
            format!("skipped {title} by {by}")
        }
        Effect::WindowResult { window, .. } => format!("vote window {}", window.label()),
        Effect::Host { command, by } => format!("{}: {}", by.label(), command.plain()),
        Effect::SkipFailed { reason, .. } => format!("skip failed: {reason}"),
        Effect::TriggerFired { trigger, .. } => format!("trigger {trigger} fired"),
        Effect::TriggerFailed { trigger, reason } => format!("trigger {trigger} failed: {reason}"),
        Effect::Notice { hook, text, .. } => format!("{hook}: {text}"),
        Effect::Request(ev) => ev.plain(),
        Effect::RulesChanged { changes } => format!("party rules changed: {}", changes.join("; ")),
    }
}
