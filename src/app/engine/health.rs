//! The engine's status line: adapters' health as it last reported, and the system clock
//! against party time.
use super::{CLOCK_WARN, Engine};
use crate::core::{HealthLevel, SourceHealth};
use std::time::Duration;

impl Engine {
    /// Party time against the system clock; true if the status line changed.
    pub(super) fn check_clock(&mut self) -> bool {
        let behind = self.clock.follow_wall_clock().filter(|b| *b >= CLOCK_WARN);
        match behind {
            Some(b) => self.set_health(health(
                "clock",
                HealthLevel::Warn,
                format!(
                    "system clock is {} behind the journal: party time goes on from the journal \
                     (no real-time clock? check NTP)",
                    human(b)
                ),
            )),
            None => self.health.remove("clock").is_some(),
        }
    }

    /// True if it changed what the status line shows.
    pub(super) fn set_health(&mut self, h: SourceHealth) -> bool {
        let changed = self.health.get(&h.name) != Some(&h);
        if changed {
            // The log file tells the story of a party's plumbing afterwards.
            tracing::info!(source = %h.name, level = ?h.level, detail = %h.detail, "health");
        }
        self.health.insert(h.name.clone(), h);
        changed
    }
}

pub(super) fn health(name: &str, level: HealthLevel, detail: impl Into<String>) -> SourceHealth {
    SourceHealth {
        name: name.into(),
        level,
        detail: detail.into(),
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}
