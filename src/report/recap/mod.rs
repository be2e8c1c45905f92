//! The party recap: what guests look at after the party (`GET /recap`) and what
//! `party-tui report --format html` prints. The figures come from the journal (tracks and
//! presses through `report::Report`, the timeline and requests here); `html.rs` draws them.
pub(crate) mod html;

use crate::core::{Action, Effect, Input, RequestEvent, RequestInput, Voter};
use crate::journal::Entry;
use crate::report::Report;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// The timeline's bucket: fine enough to see the night's shape, coarse enough to read.
pub(crate) const BUCKET_MS: i64 = 5 * 60 * 1000;
/// How many tracks and requesters each list shows.
pub(crate) const TOP_N: usize = 5;

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Recap {
    pub report: Report,
    /// Party time of the first journal entry (ms since the epoch).
    pub start_ms: i64,
    /// Counted likes and skip votes per BUCKET_MS from the start.
    pub likes: Vec<u32>,
    pub skips: Vec<u32>,
    pub requesters: Vec<Requester>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Requester {
    /// How the guest is shown (never the full guest id).
    pub name: String,
    pub asked: u32,
    pub played: u32,
    /// Likes their requested tracks got while playing.
    pub likes: u32,
}

impl Recap {
    pub(crate) fn from_journal(party: &str, path: &Path) -> Result<Recap> {
        let report = Report::from_journal(party, path)?;
        let mut recap = Recap {
            report,
            ..Recap::default()
        };
        let mut start = None;
        let mut who: BTreeMap<Voter, Requester> = BTreeMap::new();
        // Damage was named by Report already; the recap draws what the journal still holds.
        crate::journal::read_entries(path, |entry| {
            let start = *start.get_or_insert(entry.at.0);
            recap.add(&entry, start, &mut who);
        })?;
        recap.start_ms = start.unwrap_or_default();
        let mut requesters: Vec<Requester> = who.into_values().collect();
        requesters.sort_by_key(|r| std::cmp::Reverse((r.played, r.likes, r.asked)));
        requesters.truncate(TOP_N);
        recap.requesters = requesters;
        Ok(recap)
    }

    fn add(&mut self, entry: &Entry, start: i64, who: &mut BTreeMap<Voter, Requester>) {
        let bucket = ((entry.at.0 - start).max(0) / BUCKET_MS) as usize;
        if let Input::Request(RequestInput::Ask { voter, .. }) = &entry.input {
            let r = who.entry(voter.clone()).or_insert_with(|| Requester {
                name: voter.to_string(),
                ..Requester::default()
            });
            let refused = entry
                .effects
                .iter()
                .any(|e| matches!(e, Effect::Request(RequestEvent::Refused { .. })));
            if !refused {
                r.asked += 1;
            }
        }
        for effect in &entry.effects {
            match effect {
                Effect::Press {
                    action: Some(action @ (Action::Like | Action::Skip)),
                    result,
                    ..
                } if result.counted() => {
                    for s in [&mut self.likes, &mut self.skips] {
                        if s.len() <= bucket {
                            s.resize(bucket + 1, 0);
                        }
                    }
                    if *action == Action::Like {
                        self.likes[bucket] += 1;
                    } else {
                        self.skips[bucket] += 1;
                    }
                }
                Effect::Request(RequestEvent::Played { voter, likes, .. }) => {
                    let r = who.entry(voter.clone()).or_insert_with(|| Requester {
                        name: voter.to_string(),
                        ..Requester::default()
                    });
                    r.played += 1;
                    r.likes += likes;
                }
                _ => {}
            }
        }
    }
}
