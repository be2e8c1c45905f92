//! Pure: what may come in as a command (Home Assistant's `cmd/…` topics, Cumulocity's `s/ds`).
//! A command is carried out only when it is fresh: a message the broker hands out with the
//! retain flag is a stored copy of something said earlier (a broker sets the flag only on what
//! it delivers from its store, at every subscribe: every start and every reconnect), so it is
//! ignored. Payloads that are too long or not text are dropped; none of this touches the
//! connection. Each kind of refusal is logged once per topic, not once per message, so a
//! stored message met at every reconnect, or a flood, cannot fill the log.
use std::collections::HashSet;

/// Longest payload a Home Assistant command may have: its payloads are `PRESS`, `ON`, `OFF` or
/// a number; more is not a command, and is not echoed into the log either.
pub(crate) const MAX_COMMAND_BYTES: usize = 256;
/// Topics whose refusals are remembered (to log each once); past it, refusals are not logged.
const MAX_REMEMBERED: usize = 64;

/// What to do with one message on a command topic.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict<'a> {
    /// Carry it out.
    Fresh(&'a str),
    /// Delivered from the broker's store: old news.
    Retained,
    /// Longer than the limit (its length in bytes).
    TooLong(usize),
    /// Not UTF-8.
    NotText,
}

impl Verdict<'_> {
    /// Why it was dropped, in the words of the log (None when it is fresh).
    pub(crate) fn reason(&self, max: usize) -> Option<String> {
        match self {
            Verdict::Fresh(_) => None,
            Verdict::Retained => Some(
                "a retained message is a stored copy, not a command: it is carried out only when \
                 sent live (clear it with an empty retained message on the same topic)"
                    .into(),
            ),
            Verdict::TooLong(n) => Some(format!("{n} bytes, more than a command's {max}")),
            Verdict::NotText => Some("the payload is not UTF-8 text".into()),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Verdict::Fresh(_) => "fresh",
            Verdict::Retained => "retained",
            Verdict::TooLong(_) => "too long",
            Verdict::NotText => "not text",
        }
    }
}

/// The verdict on one message on a command topic whose payloads may be up to `max` bytes.
pub(crate) fn command(payload: &[u8], retain: bool, max: usize) -> Verdict<'_> {
    if retain {
        return Verdict::Retained;
    }
    if payload.len() > max {
        return Verdict::TooLong(payload.len());
    }
    match std::str::from_utf8(payload) {
        Ok(text) => Verdict::Fresh(text),
        Err(_) => Verdict::NotText,
    }
}

/// Remembers which (kind, topic) pairs were logged already: `first` is true once for each.
#[derive(Debug, Default)]
pub(crate) struct Once {
    seen: HashSet<(&'static str, String)>,
}

impl Once {
    /// True the first time this kind of thing happens on `topic` (while fewer than
    /// `MAX_REMEMBERED` were seen: many topics must not grow the set without end).
    pub(crate) fn first(&mut self, kind: &'static str, topic: &str) -> bool {
        let key = (kind, topic.to_string());
        if self.seen.contains(&key) || self.seen.len() >= MAX_REMEMBERED {
            return false;
        }
        self.seen.insert(key)
    }

    /// The verdict, logged at warn the first time its kind is met on `topic`, at debug after.
    /// Returns the text of a fresh command.
    pub(crate) fn check<'a>(
        &mut self,
        link: &str,
        topic: &str,
        verdict: Verdict<'a>,
        max: usize,
    ) -> Option<&'a str> {
        let Some(why) = verdict.reason(max) else {
            return match verdict {
                Verdict::Fresh(text) => Some(text),
                _ => None,
            };
        };
        if self.first(verdict.kind(), topic) {
            tracing::warn!(%link, %topic, %why, "command ignored (said once per topic)");
        } else {
            tracing::debug!(%link, %topic, %why, "command ignored");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fresh_text_within_the_limit_is_a_command() {
        assert_eq!(command(b"PRESS", false, 8), Verdict::Fresh("PRESS"));
        assert_eq!(command(b"", false, 8), Verdict::Fresh(""));
        // The retain flag wins over everything: a stored skip is never a skip.
        assert_eq!(command(b"PRESS", true, 8), Verdict::Retained);
        assert_eq!(command(&[b'x'; 9], true, 8), Verdict::Retained);
        assert_eq!(command(&[b'x'; 9], false, 8), Verdict::TooLong(9));
        assert_eq!(command(&[0xff, 0xfe], false, 8), Verdict::NotText);
        assert_eq!(command(&[b'x'; 8], false, 8), Verdict::Fresh("xxxxxxxx"));
    }

    #[test]
    fn reasons_are_plain_and_fresh_has_none() {
        assert_eq!(Verdict::Fresh("x").reason(8), None);
        assert!(Verdict::Retained.reason(8).unwrap().contains("sent live"));
        assert_eq!(
            Verdict::TooLong(5_000_000).reason(256).unwrap(),
            "5000000 bytes, more than a command's 256"
        );
        assert!(Verdict::NotText.reason(8).unwrap().contains("UTF-8"));
    }

    #[test]
    fn each_kind_is_logged_once_per_topic_and_the_memory_is_bounded() {
        let mut once = Once::default();
        assert!(once.first("retained", "p/cmd/skip"));
        assert!(!once.first("retained", "p/cmd/skip"));
        assert!(once.first("too long", "p/cmd/skip"));
        assert!(once.first("retained", "p/cmd/keep"));
        for i in 0..1000 {
            once.first("retained", &format!("p/cmd/{i}"));
        }
        assert_eq!(once.seen.len(), MAX_REMEMBERED);
        assert!(!once.first("not text", "p/cmd/new"));
    }

    #[test]
    fn check_passes_only_fresh_text() {
        let mut once = Once::default();
        assert_eq!(
            once.check("MQTT", "t", command(b"ON", false, 8), 8),
            Some("ON")
        );
        assert_eq!(once.check("MQTT", "t", command(b"ON", true, 8), 8), None);
        assert_eq!(once.check("MQTT", "t", command(b"ON", true, 8), 8), None);
        assert!(!once.first("retained", "t"), "the first was remembered");
    }
}
