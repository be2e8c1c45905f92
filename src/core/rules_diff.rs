//! What changed between two sets of rules, in the host's words: the log line a restart with an
//! edited config.toml leaves ("skip threshold 3 → 40%").
use super::requests::RequestRules;
use super::rules::Rules;
use std::fmt::Display;
use std::time::Duration;

impl Rules {
    /// One phrase per changed rule, in config.toml's order; empty when nothing changed.
    pub fn changes_from(&self, old: &Rules) -> Vec<String> {
        let mut out = Vec::new();
        let mut changed = |what: &str, before: String, after: String| {
            if before != after {
                out.push(format!("{what} {before} → {after}"));
            }
        };
        changed(
            "skip threshold",
            old.skip_threshold.to_string(),
            self.skip_threshold.to_string(),
        );
        changed(
            "fewest skip votes",
            old.skip_threshold_min.to_string(),
            self.skip_threshold_min.to_string(),
        );
        changed(
            "active voters' window",
            secs(old.active_window),
            secs(self.active_window),
        );
        changed(
            "skip margin",
            or_none(old.skip_margin),
            or_none(self.skip_margin),
        );
        changed(
            "vote window",
            window(old.vote_window),
            window(self.vote_window),
        );
        changed("debounce", secs(old.debounce), secs(self.debounce));
        changed(
            "sequence window",
            secs(old.sequence_window),
            secs(self.sequence_window),
        );
        changed(
            "protected artists",
            list(&old.protected_artists),
            list(&self.protected_artists),
        );
        changed(
            "protected tracks",
            list(&old.protected_tracks),
            list(&self.protected_tracks),
        );
        requests(&old.requests, &self.requests, &mut changed);
        out.extend(named(
            "button",
            old.buttons.iter().map(|b| (&b.name, b)),
            self.buttons.iter().map(|b| (&b.name, b)),
        ));
        out.extend(named(
            "trigger",
            old.triggers.iter().map(|t| (&t.name, t)),
            self.triggers.iter().map(|t| (&t.name, t)),
        ));
        out
    }
}

fn requests(
    old: &RequestRules,
    new: &RequestRules,
    changed: &mut impl FnMut(&str, String, String),
) {
    let on = |r: &RequestRules| if r.enabled { "on" } else { "off" }.to_string();
    changed("song requests", on(old), on(new));
    changed(
        "open requests per guest",
        old.open_per_guest.to_string(),
        new.open_per_guest.to_string(),
    );
    changed(
        "request queue length",
        old.queue_length.to_string(),
        new.queue_length.to_string(),
    );
    changed("no repeats within", mins(old.repeat), mins(new.repeat));
    changed(
        "request approval",
        format!("{:?}", old.approval).to_lowercase(),
        format!("{:?}", new.approval).to_lowercase(),
    );
    changed("requests expire after", mins(old.expire), mins(new.expire));
}

/// Added, removed and changed items of a named list (buttons, triggers).
fn named<'a, T: PartialEq + 'a>(
    kind: &str,
    old: impl Iterator<Item = (&'a String, &'a T)>,
    new: impl Iterator<Item = (&'a String, &'a T)>,
) -> Vec<String> {
    let old: Vec<_> = old.collect();
    let new: Vec<_> = new.collect();
    let mut out = Vec::new();
    for (name, rule) in &new {
        match old.iter().find(|(n, _)| n == name) {
            None => out.push(format!("{kind} {name} added")),
            Some((_, before)) if before != rule => out.push(format!("{kind} {name} changed")),
            Some(_) => {}
        }
    }
    for (name, _) in &old {
        if !new.iter().any(|(n, _)| n == name) {
            out.push(format!("{kind} {name} removed"));
        }
    }
    out
}

fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs())
}

fn mins(d: Duration) -> String {
    if d.is_zero() {
        "never".into()
    } else {
        format!("{} min", d.as_secs() / 60)
    }
}

fn window(d: Duration) -> String {
    if d.is_zero() {
        "whole track".into()
    } else {
        secs(d)
    }
}

fn or_none(v: Option<impl Display>) -> String {
    v.map_or_else(|| "none".into(), |v| v.to_string())
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Approval, Threshold, TriggerCondition, TriggerRule};

    #[test]
    fn names_each_changed_rule_in_the_hosts_words() {
        let old = Rules::default();
        assert!(old.changes_from(&old).is_empty());
        let mut new = old.clone();
        new.skip_threshold = Threshold::Percent(40);
        new.vote_window = Duration::ZERO;
        new.requests.approval = Approval::Host;
        new.triggers.push(TriggerRule {
            name: "ntfy".into(),
            when: TriggerCondition::TrackStart,
        });
        assert_eq!(
            new.changes_from(&old),
            [
                "skip threshold 3 → 40%",
                "vote window 45 s → whole track",
                "request approval auto → host",
                "trigger ntfy added",
            ]
        );
        assert_eq!(
            old.changes_from(&new),
            [
                "skip threshold 40% → 3",
                "vote window whole track → 45 s",
                "request approval host → auto",
                "trigger ntfy removed",
            ]
        );
    }
}
