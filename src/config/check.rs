//! What `config.rs`'s serde cannot say: type errors in the host's words (the key, the value
//! and the right form), mistakes that parse but break a party (two buttons with one name or
//! MAC, a button nothing can press, two players), and `check-config`'s plain summary.
use crate::config::{Config, ConfigSource};
use crate::core::{Action, ButtonActions, Threshold};
use std::collections::HashMap;

/// The right form of each key whose value has a type, as a host would write it.
fn right_form(key: &str) -> Option<&'static str> {
    Some(match key {
        "skip_threshold" => r#"a count like 3 or a share like "40%""#,
        "skip_threshold_min" | "active_voter_minutes" | "skip_margin" | "guests" => {
            "a whole number, like 3"
        }
        "vote_window_secs" | "debounce_secs" | "sequence_window_secs" => {
            "a whole number of seconds, like 45"
        }
        "press_interval_secs" => "a number of seconds, like 4.0",
        "protected_artists" => r#"a list of names in brackets, like ["ABBA", "Queen"]"#,
        "protected_tracks" => r#"a list of titles in brackets, like ["Dancing Queen"]"#,
        "bind" | "callback_addr" => r#"an address and port in quotes, like "0.0.0.0:8080""#,
        "action" | "single" | "double" | "long" => {
            r#"one of "like", "skip", "keep" or "ignore", in quotes"#
        }
        "sequence" => r#"a list of actions, like ["like", "like", "skip"]"#,
        "mac" => r#"a MAC address in quotes, like "68:37:e9:12:34:56""#,
        "name" | "party_code" | "interface" | "room" | "url" | "serial" | "id" => {
            r#"text in quotes, like "kitchen""#
        }
        _ => return None,
    })
}

/// A parse error in plain words: for a value of the wrong type, the line, the key, the value
/// given and the right form; any other error (unknown key, a rule broken) as toml says it.
pub(crate) fn explain(text: &str, err: &toml::de::Error) -> String {
    let msg = err.message();
    let type_error = [
        "invalid type",
        "data did not match",
        "invalid socket address",
        "invalid length",
        "expected ",
    ]
    .iter()
    .any(|p| msg.starts_with(p));
    let Some(span) = err.span().filter(|_| type_error) else {
        return err.to_string();
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let Some((key, value)) = line.split_once('=') else {
        return err.to_string();
    };
    let (key, value) = (key.trim(), value.trim());
    match right_form(key) {
        Some(form) => {
            format!("line {line_no}: `{key} = {value}` is not valid: {key} must be {form}")
        }
        None => err.to_string(),
    }
}

/// Mistakes that parse but would spoil the party, each naming what to change.
pub(crate) fn problems(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut names: HashMap<String, &str> = HashMap::new();
    let mut ids: HashMap<(&str, String), &str> = HashMap::new();
    for b in &cfg.buttons {
        if let Some(first) = names.insert(b.name.trim().to_lowercase(), &b.name) {
            out.push(format!(
                "two buttons are named `{}` (and `{first}`): give each [[button]] its own name",
                b.name
            ));
        }
        let keys = [("mac", &b.mac), ("serial", &b.serial), ("id", &b.id)];
        if keys.iter().all(|(_, v)| v.is_none()) {
            out.push(format!(
                "button `{}` has no `mac`, `serial` or `id`, so nothing can press it: add the \
                 Dash button's mac, the IoT button's serial or the web button's id",
                b.name
            ));
        }
        for (kind, value) in keys {
            let Some(v) = value else { continue };
            if let Some(first) = ids.insert((kind, v.trim().to_lowercase()), &b.name) {
                out.push(format!(
                    "buttons `{first}` and `{}` have the same {kind} `{v}`: each button needs its own",
                    b.name
                ));
            }
        }
    }
    if cfg.sonos.is_some() && cfg.spotify.is_some() {
        out.push(
            "both [sonos] and [spotify] are set: keep the one party-tui should follow (one player per party)"
                .into(),
        );
    }
    out
}

/// `check-config`: what this configuration makes of the party, in sentences.
pub(crate) fn summary(cfg: &Config, source: &ConfigSource) -> String {
    let rules = cfg.rules();
    let mut s = format!("{source}\n\n");
    let name = cfg
        .party
        .name
        .as_deref()
        .unwrap_or("(the date and time it starts)");
    s += &format!("Party name for guests: {name}\n");
    let window = match rules.vote_window.as_secs() {
        0 => "while the song plays".to_string(),
        n => format!("in the first {n} s of a song"),
    };
    let threshold = match rules.skip_threshold {
        Threshold::Count(n) => format!("{n} skip vote{}", if n == 1 { "" } else { "s" }),
        Threshold::Percent(p) => format!(
            "skip votes from {p}% of the guests voting in the last {} min (at least {})",
            rules.active_window.as_secs() / 60,
            rules.skip_threshold_min
        ),
    };
    s += &format!("Rule: {threshold} {window} skip it.\n");
    if let Some(m) = rules.skip_margin {
        s += &format!("       …and only with {m} more skip votes than likes.\n");
    }
    if !rules.protected_artists.is_empty() || !rules.protected_tracks.is_empty() {
        let list: Vec<&str> = rules
            .protected_artists
            .iter()
            .chain(&rules.protected_tracks)
            .map(String::as_str)
            .collect();
        s += &format!("Never skipped: {}\n", list.join(", "));
    }
    s += "Host's reset (r): clears the song's skip votes; its likes stay.\n";
    let player = match (&cfg.sonos, &cfg.spotify) {
        (Some(so), None) => format!(
            "Sonos {}",
            so.room.as_deref().or(so.url.as_deref()).unwrap_or("?")
        ),
        (None, Some(_)) => "Spotify (log in once with `party-tui spotify login`)".into(),
        (Some(_), Some(_)) => "both Sonos and Spotify: choose one".into(),
        (None, None) => {
            "none: add [sonos] or [spotify] (party-tui --demo plays without one)".into()
        }
    };
    s += &format!("Player: {player}\n");
    s += &format!(
        "Vote page: http://<this machine>:{}/ (listening on {})\n",
        cfg.http.bind.port(),
        cfg.http.bind
    );
    match cfg
        .http
        .party_code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        Some(code) => {
            s += &format!("Party code: {code} (guests type it once; case does not matter)\n")
        }
        None => s += "Party code: none (anyone on the network can vote)\n",
    }
    if cfg.buttons.is_empty() {
        s += "Buttons: none (guests vote on their phones)\n";
    } else {
        s += &format!("Buttons ({}):\n", cfg.buttons.len());
        for b in &cfg.buttons {
            let how = match (&b.mac, &b.serial, &b.id) {
                (Some(m), _, _) => format!("Dash button {m}"),
                (_, Some(x), _) => format!("IoT button {x}"),
                (_, _, Some(x)) => format!("web button /button/{x}"),
                _ => "no mac, serial or id: cannot be pressed".into(),
            };
            s += &format!("  {:<12} {how}: {}\n", b.name, actions_text(&b.actions));
        }
    }
    for t in &cfg.triggers {
        s += &format!("Trigger {}: when {}\n", t.name, trigger_text(&t.when));
    }
    let problems = problems(cfg);
    if problems.is_empty() {
        s += "\nNo problems found.\n";
    } else {
        s += &format!("\n{} problem(s):\n", problems.len());
        for p in problems {
            s += &format!("  - {p}\n");
        }
    }
    s
}

fn trigger_text(w: &crate::core::TriggerCondition) -> String {
    use crate::core::TriggerCondition as T;
    match w {
        T::LikesAtLeast(n) => format!("a song has {n} likes"),
        T::SkipFired => "a song is skipped".into(),
        T::FinishedWithoutSkipVotes => "a song ends without a skip vote".into(),
        T::BatteryBelow(b) => format!("a button's battery is below {:.0}%", b * 100.0),
        T::Press { button: None } => "any button is pressed".into(),
        T::Press { button: Some(b) } => format!("{b} is pressed"),
        T::TrackStart => "a new song starts".into(),
        T::Named => "a press sequence or a hook names it".into(),
        T::RequestPlayed => "a guest's requested song starts".into(),
    }
}

fn actions_text(a: &ButtonActions) -> String {
    let word = |a: &Action| a.label().to_string();
    match a {
        ButtonActions::Always(a) => format!("every press is a {}", word(a)),
        ButtonActions::Sequence(seq) => format!(
            "presses in a row mean {}",
            seq.iter()
                .map(|step| {
                    let act = step.action.as_ref().map(word);
                    match (act, step.notify.is_empty()) {
                        (Some(a), true) => a,
                        (Some(a), false) => format!("{a} + tell {}", step.notify.join(", ")),
                        (None, _) => format!("tell {}", step.notify.join(", ")),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ButtonActions::ByClick {
            single,
            double,
            long,
        } => {
            let part =
                |n: &str, a: &Option<Action>| a.as_ref().map(|a| format!("{n} = {}", word(a)));
            [
                part("single", single),
                part("double", double),
                part("long", long),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        }
    }
}
