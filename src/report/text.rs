//! The report as a host shares it: text in the machine's time zone, and CSV with timestamps
//! and track ids. Odd clocks (a party "lasting" twenty years, times before 1970 or at the
//! ends of i64) print as "?" instead of panicking or printing a million lines.
use crate::report::{Report, SongTotal};
use chrono::{DateTime, TimeZone, Utc};
use std::fmt::Display;

fn at<Tz: TimeZone>(tz: &Tz, ms: i64) -> Option<DateTime<Tz>> {
    tz.timestamp_millis_opt(ms).single()
}

fn clock<Tz: TimeZone>(tz: &Tz, ms: i64) -> String
where
    Tz::Offset: Display,
{
    at(tz, ms).map_or_else(|| "?".into(), |t| t.format("%H:%M").to_string())
}

/// "2 h 5 min", "12 min", "40 s".
pub(crate) fn duration_words(ms: i64) -> String {
    if ms < 0 {
        return "?".into();
    }
    let secs = ms / 1000;
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn mmss(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

fn song(s: &SongTotal) -> String {
    let plays = if s.plays > 1 {
        format!(" (played {}×)", s.plays)
    } else {
        String::new()
    };
    format!("{} — {}{plays}", s.title, s.artist)
}

impl Report {
    /// In the machine's local time.
    pub fn to_text(&self) -> String {
        self.to_text_in(&chrono::Local)
    }

    pub fn to_text_in<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: Display,
    {
        let mut out = format!("Party {}\n", self.party);
        if let (Some(start), Some(end)) = (self.started_at, self.ended_at) {
            let day =
                at(tz, start).map_or_else(|| "?".into(), |t| t.format("%a %-d %b %Y").to_string());
            out += &format!(
                "{day}, {} – {} ({})\n",
                clock(tz, start),
                clock(tz, end),
                duration_words(end.saturating_sub(start))
            );
        }
        out += &format!(
            "{} songs · {} likes · {} skip votes · {} skipped\n",
            self.tracks.len(),
            self.total_likes,
            self.total_skip_votes,
            self.skips_fired
        );
        let damage = self.damage_lines_in(tz);
        if !damage.is_empty() {
            out += "\nJournal damage (not counted above)\n";
            for d in damage {
                out += &format!("  {d}\n");
            }
        }
        if !self.tracks.is_empty() {
            out += "\nSongs\n";
            for t in &self.tracks {
                out += &format!(
                    "  {}  ♥ {:>2}  skip votes {:>2}  {:<19} {} — {}\n",
                    clock(tz, t.played_at),
                    t.likes,
                    t.skip_votes,
                    t.outcome,
                    t.title,
                    t.artist
                );
            }
        }
        let liked = self.most_liked(5);
        if !liked.is_empty() {
            out += "\nMost liked\n";
            for s in liked {
                out += &format!("  {:>3} ♥  {}\n", s.likes, song(&s));
            }
        }
        let skipped = self.most_skipped(5);
        if !skipped.is_empty() {
            out += "\nMost skipped\n";
            for s in skipped {
                let how = match s.fastest_skip_secs {
                    Some(secs) => format!(", skipped after {}", mmss(secs)),
                    None => ", not skipped".into(),
                };
                out += &format!("  {}: {} skip votes{how}\n", song(&s), s.skip_votes);
            }
        }
        if !self.presses_by_button.is_empty() {
            out += "\nPresses per button\n";
            for (b, n) in &self.presses_by_button {
                out += &format!("  {n:>5}  {b}\n");
            }
        }
        if !self.presses_by_origin.is_empty() {
            out += "\nPresses by where they came from\n";
            for (o, n) in &self.presses_by_origin {
                out += &format!("  {n:>5}  {o}\n");
            }
        }
        if let (Some(start), false) = (self.started_at, self.likes_timeline.is_empty()) {
            out += &format!("\nLikes per {} minutes\n", self.timeline_bucket_min);
            let width_ms = i64::try_from(self.timeline_bucket_min)
                .unwrap_or(i64::MAX)
                .saturating_mul(60_000);
            for (i, n) in self.likes_timeline.iter().enumerate() {
                let from = start.saturating_add(width_ms.saturating_mul(i as i64));
                // Bars are capped so a flood of likes stays one line.
                let bar = "█".repeat((*n as usize).min(60));
                out += &format!("  {}  {n:>4}  {bar}\n", clock(tz, from));
            }
        }
        out
    }

    /// One row per play, with when it played and the ids a playlist can be rebuilt from.
    pub fn to_csv(&self) -> String {
        let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut out = String::from(
            "played_at,title,artist,album,track_id,likes,skip_votes,skipped_after_secs,outcome\n",
        );
        for t in &self.tracks {
            let when = at(&Utc, t.played_at).map_or_else(String::new, |d| d.to_rfc3339());
            out += &format!(
                "{},{},{},{},{},{},{},{},{}\n",
                when,
                field(&t.title),
                field(&t.artist),
                field(&t.album),
                field(t.track_id.as_deref().unwrap_or("")),
                t.likes,
                t.skip_votes,
                t.skipped_after_secs
                    .map_or(String::new(), |s| s.to_string()),
                field(&t.outcome)
            );
        }
        out
    }
}
