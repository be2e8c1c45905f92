//! One serialised state per snapshot for all open vote pages. Every change used to be turned
//! into a view and JSON once per open stream (1,000 pages: 1,000 serialisations per change);
//! only the `you` part differs between guests, so the rest is made once and shared, and each
//! stream adds its guest's few bytes.
use super::view::{StateView, YouView, state_view};
use crate::core::{Snapshot, Timestamp, Voter};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A shared view is reused this long for the same snapshot: its positions and countdowns are
/// aged to the moment it was made, and a page redraws at most this often anyway.
const FRESH: Duration = Duration::from_millis(250);
/// `you` is the view's last field: the shared part is the JSON before it.
const YOU_FIELD: &str = ",\"you\":";

#[derive(Default)]
pub(crate) struct ViewCache {
    last: Mutex<Option<Shared>>,
}

struct Shared {
    snap: Arc<Snapshot>,
    made: Instant,
    /// The view's JSON up to (without) `,"you":…}`.
    head: Arc<str>,
}

impl ViewCache {
    /// The state event's JSON for one guest: the shared part, then theirs.
    pub(crate) fn guest_json(
        &self,
        snap: &Arc<Snapshot>,
        now: impl FnOnce() -> Timestamp,
        shape: impl FnOnce(StateView) -> StateView,
        voter: Option<&Voter>,
        code_required: bool,
    ) -> String {
        let head = self.head(snap, now, shape);
        let you = YouView {
            liked: voter.is_some_and(|v| snap.votes.liked_by.contains(v)),
            skipped: voter.is_some_and(|v| snap.votes.skipped_by.contains(v)),
            code_required,
            request: voter.and_then(|v| super::view::you_request(snap, v)),
        };
        let you = serde_json::to_string(&you).unwrap_or_default();
        let mut json = String::with_capacity(head.len() + YOU_FIELD.len() + you.len() + 1);
        json.push_str(&head);
        json.push_str(YOU_FIELD);
        json.push_str(&you);
        json.push('}');
        json
    }

    /// `shape` adds what the server knows (the party's name, who is connected).
    fn head(
        &self,
        snap: &Arc<Snapshot>,
        now: impl FnOnce() -> Timestamp,
        shape: impl FnOnce(StateView) -> StateView,
    ) -> Arc<str> {
        // Held while serialising: the other streams would only make the same bytes meanwhile.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = last.as_ref()
            && Arc::ptr_eq(&s.snap, snap)
            && s.made.elapsed() < FRESH
        {
            return s.head.clone();
        }
        let view = shape(state_view(snap, now(), None, false));
        let json = serde_json::to_string(&view).unwrap_or_default();
        let cut = json
            .rfind(YOU_FIELD)
            .unwrap_or(json.len().saturating_sub(1));
        let head: Arc<str> = json[..cut].into();
        *last = Some(Shared {
            snap: snap.clone(),
            made: Instant::now(),
            head: head.clone(),
        });
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Action, Input, Origin, Party, Press, PressKind, Rules};

    #[test]
    fn same_json_as_a_view_of_its_own() {
        let mut party = Party::new("p", Rules::default());
        let at = Timestamp::from_millis(1_000);
        let liker = Voter::guest("a");
        party.apply(
            &Input::Player(crate::core::PlayerUpdate {
                source: crate::core::Source::Demo,
                player: "Demo".into(),
                state: crate::core::TransportState::Playing,
                track: Some(crate::core::Track {
                    title: "T".into(),
                    ..Default::default()
                }),
                position_ms: Some(0),
            }),
            at,
        );
        party.apply(
            &Input::Press(Press {
                voter: liker.clone(),
                origin: Origin::Phone,
                kind: PressKind::Vote(Action::Like),
                battery: None,
            }),
            at,
        );
        let snap = Arc::new(party.snapshot(at));
        let cache = ViewCache::default();
        for (who, code) in [(&liker, false), (&Voter::guest("b"), true)] {
            let shared = cache.guest_json(&snap, || at, |v| v, Some(who), code);
            let own = serde_json::to_string(&state_view(&snap, at, Some(who), code)).unwrap();
            let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
            assert_eq!(parse(&shared), parse(&own));
        }
        assert!(
            cache
                .guest_json(&snap, || at, |v| v, Some(&liker), false)
                .contains("\"liked\":true")
        );
    }
}
