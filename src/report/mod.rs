//! `party-tui report`: a party's summary from its journal (text, CSV or JSON), worth sharing:
//! when it was, what played when, how each song fared in plain words, with the track ids a
//! playlist can be rebuilt from. The text form lives in report_text.rs.
pub(crate) mod recap;
pub(crate) mod text;
use crate::core::{Action, Effect, Gap, TrackResult};
use crate::journal::Entry;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Width of one bucket of the likes timeline, unless the party is so long that this would
/// give more than `MAX_TIMELINE_BUCKETS` (then buckets widen: a 20-year gap in a clock must
/// not print a million lines).
pub(crate) const TIMELINE_BUCKET_MS: i64 = 10 * 60 * 1000;
pub const MAX_TIMELINE_BUCKETS: usize = 48;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// The party's name as shown (`display_name`: `[party] name` or the journal's name).
    pub party: String,
    /// First and last journal entry (ms since the epoch).
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub tracks: Vec<TrackLine>,
    pub presses_by_button: BTreeMap<String, u32>,
    pub presses_by_origin: BTreeMap<String, u32>,
    /// When each counted like came (ms since the epoch); the timeline is built from these.
    #[serde(skip)]
    like_times: Vec<i64>,
    /// Likes per `timeline_bucket_min` minutes from the start, oldest first.
    pub likes_timeline: Vec<u32>,
    pub timeline_bucket_min: u64,
    pub total_likes: u32,
    pub total_skip_votes: u32,
    pub skips_fired: u32,
    /// Stretches of the journal lost to damage (recorded at a start, or found by this read):
    /// what they held is not in the figures above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub damage: Vec<Gap>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackLine {
    /// When it started playing (ms since the epoch).
    pub played_at: i64,
    pub title: String,
    pub artist: String,
    pub album: String,
    /// The player's id (Spotify track id, Sonos URI) when it has one.
    pub track_id: Option<String>,
    pub likes: u32,
    pub skip_votes: u32,
    /// How long it played before the party (or the host) skipped it.
    pub skipped_after_secs: Option<u64>,
    /// In plain words: "played", "skipped by votes", "skipped by the host", "still playing".
    pub outcome: String,
}

impl TrackLine {
    /// Repeats of a song are one song in the rankings.
    fn same_song(&self, other: &TrackLine) -> bool {
        match (&self.track_id, &other.track_id) {
            (Some(a), Some(b)) => a == b,
            _ => {
                self.title.eq_ignore_ascii_case(&other.title)
                    && self.artist.eq_ignore_ascii_case(&other.artist)
            }
        }
    }
}

/// A song's totals over all its plays, for the rankings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SongTotal {
    pub title: String,
    pub artist: String,
    pub plays: u32,
    pub likes: u32,
    pub skip_votes: u32,
    pub skipped: u32,
    /// The quickest skip among its plays.
    pub fastest_skip_secs: Option<u64>,
}

/// The party's name as the host and guests see it: `[party] name` when set and not blank
/// (as the vote page shows it), otherwise the journal's date-time name.
pub(crate) fn display_name(configured: Option<&str>, journal: &str) -> String {
    configured
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(journal)
        .to_string()
}

fn outcome_words(result: TrackResult) -> &'static str {
    match result {
        TrackResult::Played => "played",
        TrackResult::SkippedByVotes => "skipped by votes",
        TrackResult::SkippedByHost => "skipped by the host",
    }
}

impl Report {
    /// Reads the whole journal at `path`. A torn last line (a crash) is ignored; damaged lines
    /// are stepped over and named in `damage`, as a start sets them aside.
    pub fn from_journal(party: &str, path: &Path) -> Result<Report> {
        let mut report = Report {
            party: party.to_string(),
            ..Report::default()
        };
        let losses = crate::journal::read_entries(path, |entry| report.add(&entry))?;
        report.damage = losses.all().cloned().collect();
        report.finish();
        Ok(report)
    }

    /// The damage in words, one line each (local time).
    pub(crate) fn damage_lines_in<Tz: chrono::TimeZone>(&self, tz: &Tz) -> Vec<String>
    where
        Tz::Offset: std::fmt::Display,
    {
        self.damage
            .iter()
            .map(|g| crate::journal::describe_in(g, tz))
            .collect()
    }

    /// Adds one journal entry (in journal order).
    pub(crate) fn add(&mut self, entry: &Entry) {
        let at = entry.at.0;
        self.started_at.get_or_insert(at);
        // The last entry ends the party, even if a clock jumped back on the way.
        self.ended_at = Some(at);
        for effect in &entry.effects {
            match effect {
                Effect::Play {
                    track: Some(t),
                    new_track: true,
                    ..
                } => self.tracks.push(TrackLine {
                    played_at: at,
                    title: t.title.clone(),
                    artist: t.artist.clone(),
                    album: t.album.clone(),
                    track_id: t.id.clone(),
                    likes: 0,
                    skip_votes: 0,
                    skipped_after_secs: None,
                    outcome: "still playing".into(),
                }),
                Effect::TrackFinished {
                    likes,
                    skips,
                    result,
                    ..
                } => {
                    if let Some(t) = self.tracks.last_mut() {
                        (t.likes, t.skip_votes) = (*likes, *skips);
                        t.outcome = outcome_words(*result).into();
                    }
                }
                Effect::SkipDecided { .. } => {
                    self.skips_fired += 1;
                    if let Some(t) = self
                        .tracks
                        .last_mut()
                        .filter(|t| t.skipped_after_secs.is_none())
                    {
                        let ms = at.saturating_sub(t.played_at).max(0);
                        t.skipped_after_secs = Some(u64::try_from(ms / 1000).unwrap_or(0));
                    }
                }
                Effect::Press {
                    voter,
                    origin,
                    action,
                    result,
                    likes,
                    skips,
                    ..
                } => {
                    if let Some(name) = voter.button_name() {
                        *self.presses_by_button.entry(name.to_string()).or_default() += 1;
                    }
                    *self
                        .presses_by_origin
                        .entry(origin.label().to_string())
                        .or_default() += 1;
                    // The running tally of the track still playing when the journal ends.
                    if let Some(t) = self.tracks.last_mut() {
                        (t.likes, t.skip_votes) = (*likes, *skips);
                    }
                    if result.counted() && *action == Some(Action::Like) {
                        self.like_times.push(at);
                    }
                }
                _ => {}
            }
        }
    }

    /// Totals from the tracks' final tallies (a changed mind or a reset counted once), and
    /// the timeline in buckets wide enough to stay short.
    pub(crate) fn finish(&mut self) {
        self.total_likes = self.tracks.iter().map(|t| t.likes).sum();
        self.total_skip_votes = self.tracks.iter().map(|t| t.skip_votes).sum();
        let Some(start) = self.started_at else {
            return;
        };
        let span = self
            .like_times
            .iter()
            .map(|&t| i128::from(t) - i128::from(start))
            .max()
            .unwrap_or(0)
            .max(0);
        let per_bucket = (span / MAX_TIMELINE_BUCKETS as i128) + 1;
        // Whole multiples of ten minutes, so the labels stay round.
        let tens =
            (per_bucket + i128::from(TIMELINE_BUCKET_MS) - 1) / i128::from(TIMELINE_BUCKET_MS);
        let width = tens.max(1) * i128::from(TIMELINE_BUCKET_MS);
        self.timeline_bucket_min = u64::try_from(width / 60_000).unwrap_or(u64::MAX);
        let mut buckets = vec![0u32; 0];
        for &t in &self.like_times {
            let offset = (i128::from(t) - i128::from(start)).max(0);
            let i = usize::try_from(offset / width)
                .unwrap_or(MAX_TIMELINE_BUCKETS)
                .min(MAX_TIMELINE_BUCKETS);
            if buckets.len() <= i {
                buckets.resize(i + 1, 0);
            }
            buckets[i] += 1;
        }
        self.likes_timeline = buckets;
    }

    /// Each song once, over all its plays, in first-play order.
    pub(crate) fn songs(&self) -> Vec<SongTotal> {
        let mut firsts: Vec<&TrackLine> = Vec::new();
        let mut songs: Vec<SongTotal> = Vec::new();
        for t in &self.tracks {
            let i = match firsts.iter().position(|f| f.same_song(t)) {
                Some(i) => i,
                None => {
                    firsts.push(t);
                    songs.push(SongTotal {
                        title: t.title.clone(),
                        artist: t.artist.clone(),
                        plays: 0,
                        likes: 0,
                        skip_votes: 0,
                        skipped: 0,
                        fastest_skip_secs: None,
                    });
                    songs.len() - 1
                }
            };
            let s = &mut songs[i];
            s.plays += 1;
            s.likes += t.likes;
            s.skip_votes += t.skip_votes;
            if let Some(secs) = t.skipped_after_secs {
                s.skipped += 1;
                s.fastest_skip_secs = Some(s.fastest_skip_secs.map_or(secs, |f| f.min(secs)));
            }
        }
        songs
    }

    /// The most liked songs, best first, ties in play order.
    pub fn most_liked(&self, n: usize) -> Vec<SongTotal> {
        let mut v: Vec<SongTotal> = self.songs().into_iter().filter(|s| s.likes > 0).collect();
        v.sort_by_key(|s| std::cmp::Reverse(s.likes));
        v.truncate(n);
        v
    }

    /// The songs the party wanted gone most: skipped ones first, most skip votes, then the
    /// quickest skip (every skipped song has at least the threshold, so votes alone tie).
    pub(crate) fn most_skipped(&self, n: usize) -> Vec<SongTotal> {
        let mut v: Vec<SongTotal> = self
            .songs()
            .into_iter()
            .filter(|s| s.skip_votes > 0)
            .collect();
        v.sort_by_key(|s| {
            (
                std::cmp::Reverse(s.skipped),
                std::cmp::Reverse(s.skip_votes),
                s.fastest_skip_secs.unwrap_or(u64::MAX),
            )
        });
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn the_configured_name_wins_unless_blank() {
        assert_eq!(
            display_name(Some(" Anna's 30th "), "2026-12-01_2000"),
            "Anna's 30th"
        );
        assert_eq!(
            display_name(Some("  "), "2026-12-01_2000"),
            "2026-12-01_2000"
        );
        assert_eq!(display_name(None, "2026-12-01_2000"), "2026-12-01_2000");
    }
}
