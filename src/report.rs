//! `party-tui report`: a party's summary from its journal (text, CSV or JSON).
use crate::core::{Effect, Input, TrackResult};
use crate::journal::Entry;
use anyhow::{Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Width of one bucket of the likes timeline.
const TIMELINE_BUCKET_MS: i64 = 10 * 60 * 1000;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    pub party: String,
    pub tracks: Vec<TrackLine>,
    pub presses_by_button: BTreeMap<String, u32>,
    pub presses_by_origin: BTreeMap<String, u32>,
    /// Likes per 10 minutes from the first entry, oldest first.
    pub likes_per_10_min: Vec<u32>,
    pub total_likes: u32,
    pub total_skip_votes: u32,
    pub skips_fired: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackLine {
    pub title: String,
    pub artist: String,
    pub likes: u32,
    pub skip_votes: u32,
    /// played, skipped_by_votes, skipped_by_host, or playing (the journal ends mid-track).
    pub outcome: String,
}

impl Report {
    /// Reads the whole journal at `path`. A torn last line (a crash) is ignored.
    pub fn from_journal(party: &str, path: &Path) -> Result<Report> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut report = Report {
            party: party.to_string(),
            ..Report::default()
        };
        let mut first_at = None;
        let mut lines = BufReader::new(file).lines().enumerate().peekable();
        while let Some((i, line)) = lines.next() {
            let line = line?;
            if line.is_empty() {
                continue;
            }
            let entry: Entry = match serde_json::from_str(&line) {
                Ok(e) => e,
                Err(_) if lines.peek().is_none() => break,
                Err(e) => anyhow::bail!("{}: line {} is corrupt: {e}", path.display(), i + 1),
            };
            let start = *first_at.get_or_insert(entry.at.0);
            report.add(&entry, start);
        }
        Ok(report)
    }

    fn add(&mut self, entry: &Entry, start: i64) {
        for effect in &entry.effects {
            match effect {
                Effect::Play {
                    track: Some(t),
                    new_track: true,
                    ..
                } => self.tracks.push(TrackLine {
                    title: t.title.clone(),
                    artist: t.artist.clone(),
                    likes: 0,
                    skip_votes: 0,
                    outcome: "playing".into(),
                }),
                Effect::TrackFinished {
                    likes,
                    skips,
                    result,
                    ..
                } => {
                    if let Some(t) = self.tracks.last_mut() {
                        (t.likes, t.skip_votes) = (*likes, *skips);
                        t.outcome = match result {
                            TrackResult::Played => "played",
                            TrackResult::SkippedByVotes => "skipped_by_votes",
                            TrackResult::SkippedByHost => "skipped_by_host",
                        }
                        .into();
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
                    // Keep the running tally of the track still playing when the journal ends.
                    if let Some(t) = self.tracks.last_mut() {
                        (t.likes, t.skip_votes) = (*likes, *skips);
                    }
                    if result.counted() {
                        match action {
                            Some(crate::core::Action::Like) => {
                                self.total_likes += 1;
                                let bucket = ((entry.at.0 - start) / TIMELINE_BUCKET_MS) as usize;
                                if self.likes_per_10_min.len() <= bucket {
                                    self.likes_per_10_min.resize(bucket + 1, 0);
                                }
                                self.likes_per_10_min[bucket] += 1;
                            }
                            Some(crate::core::Action::Skip) => self.total_skip_votes += 1,
                            _ => {}
                        }
                    }
                }
                Effect::SkipDecided { .. } => self.skips_fired += 1,
                _ => {}
            }
        }
        // A reset clears the running tally of the current track.
        if let (
            Input::Host(crate::core::HostOrder {
                command: crate::core::HostCommand::ResetVotes,
                ..
            }),
            Some(t),
        ) = (&entry.input, self.tracks.last_mut())
        {
            (t.likes, t.skip_votes) = (0, 0);
        }
    }

    /// The most liked (or most skipped) tracks, best first, ties in play order.
    pub fn most(&self, by: fn(&TrackLine) -> u32, n: usize) -> Vec<&TrackLine> {
        let mut v: Vec<&TrackLine> = self.tracks.iter().filter(|t| by(t) > 0).collect();
        v.sort_by_key(|t| std::cmp::Reverse(by(t)));
        v.truncate(n);
        v
    }

    pub fn to_text(&self) -> String {
        let mut out = format!(
            "Party {}: {} tracks, {} likes, {} skip votes, {} skipped\n\nTracks\n",
            self.party,
            self.tracks.len(),
            self.total_likes,
            self.total_skip_votes,
            self.skips_fired
        );
        for t in &self.tracks {
            out += &format!(
                "  {:>3} ♥ {:>3} ✕  {:<17} {} — {}\n",
                t.likes, t.skip_votes, t.outcome, t.title, t.artist
            );
        }
        for (label, by) in [
            (
                "Most liked",
                (|t: &TrackLine| t.likes) as fn(&TrackLine) -> u32,
            ),
            ("Most skipped", |t: &TrackLine| t.skip_votes),
        ] {
            out += &format!("\n{label}\n");
            for t in self.most(by, 5) {
                out += &format!("  {:>3}  {} — {}\n", by(t), t.title, t.artist);
            }
        }
        out += "\nPresses per button\n";
        for (b, n) in &self.presses_by_button {
            out += &format!("  {n:>5}  {b}\n");
        }
        out += "\nPresses per origin\n";
        for (o, n) in &self.presses_by_origin {
            out += &format!("  {n:>5}  {o}\n");
        }
        out += "\nLikes per 10 minutes\n";
        for (i, n) in self.likes_per_10_min.iter().enumerate() {
            out += &format!(
                "  +{:>3} min  {:>4}  {}\n",
                i * 10,
                n,
                "█".repeat(*n as usize)
            );
        }
        out
    }

    /// One row per track (the per-track table is what spreadsheets want).
    pub fn to_csv(&self) -> String {
        let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out = String::from("title,artist,likes,skip_votes,outcome\n");
        for t in &self.tracks {
            out += &format!(
                "{},{},{},{},{}\n",
                field(&t.title),
                field(&t.artist),
                t.likes,
                t.skip_votes,
                t.outcome
            );
        }
        out
    }
}
