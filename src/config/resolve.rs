//! The check step of loading, after serde: names that point elsewhere must exist, every
//! `${NAME}` and secret variable is read once into its section, and every setting an adapter
//! would refuse when it starts is refused here instead, so `check-config` sees it before the
//! party does (`[export] base_url = "ftp://x"` used to pass and fail on the status line).
use crate::config::Config;
use crate::core::ButtonActions;
use crate::http::HookDo;
use crate::players::spotify::SpotifyConfig;
use crate::support::env::Env;

/// One setting refused at load: where it is (for the line) and the sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The table: `export`, `mqtt`, or an array table like `trigger`.
    pub section: &'static str,
    /// For an array table, the entry's `name`.
    pub name: Option<String>,
    /// The key the sentence is about, when one is.
    pub key: Option<String>,
    pub message: String,
}

impl Refusal {
    fn new(section: &'static str, name: Option<&str>, keys: &[&str], message: String) -> Self {
        Refusal {
            section,
            name: name.map(str::to_string),
            key: key_named(&message, keys),
            message,
        }
    }

    fn at_key(section: &'static str, key: &str, message: String) -> Self {
        Refusal {
            section,
            name: None,
            key: Some(key.to_string()),
            message,
        }
    }
}

/// The first of `keys` the sentence is about: quoted as `key = …`, `` `key` ``, or leading a
/// clause (`…: body is not JSON`, `…: headers.X: …`).
fn key_named(message: &str, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find(|k| {
            [
                format!("{k} ="),
                format!("{k}:"),
                format!("`{k}`"),
                format!(": {k} "),
                format!(": {k}."),
            ]
            .iter()
            .any(|form| message.contains(form.as_str()))
        })
        .map(|k| k.to_string())
}

const EXPORT_KEYS: &[&str] = &["base_url", "space", "api_key"];
const MQTT_KEYS: &[&str] = &["url", "topic_prefix", "discovery_prefix"];
const C8Y_KEYS: &[&str] = &["url", "device_id", "tenant", "user"];
const SPOTIFY_KEYS: &[&str] = &["client_id", "api_base_url", "auth_base_url"];
const TRIGGER_KEYS: &[&str] = &[
    "url", "method", "headers", "username", "password", "form", "body",
];

impl Config {
    /// Names that point elsewhere must exist: a step's `notify`, a hook's `trigger`.
    pub(crate) fn check_names(&self) -> Result<(), String> {
        let known = |n: &str| self.triggers.iter().any(|t| t.name == n);
        for b in &self.buttons {
            if let ButtonActions::Sequence(steps) = &b.actions {
                for n in steps.iter().flat_map(|s| &s.notify) {
                    if !known(n) {
                        return Err(format!(
                            "button `{}`: notify = [\"{n}\"] names no [[trigger]]",
                            b.name
                        ));
                    }
                }
            }
        }
        for h in &self.hooks {
            if let HookDo::Trigger(n) = &h.act
                && !known(n)
            {
                return Err(format!(
                    "hook `{}`: trigger = \"{n}\" names no [[trigger]]",
                    h.name
                ));
            }
            if self.hooks.iter().filter(|o| o.name == h.name).count() > 1 {
                return Err(format!("hook `{}` is configured twice", h.name));
            }
        }
        Ok(())
    }

    /// Reads every environment variable the configuration uses, once, into its section
    /// (secrets stay in types whose Debug hides them), and refuses what an adapter would
    /// refuse at start. Empty: the party can start with these settings.
    pub(crate) fn resolve(&mut self, env: Env<'_>) -> Vec<Refusal> {
        let mut out = Vec::new();
        for t in &mut self.triggers {
            t.capture_env(env);
            if let Some(Err(e)) = crate::outlets::webhook::Webhook::from_config(t, &t.lookup()) {
                out.push(Refusal::new("trigger", Some(&t.name), TRIGGER_KEYS, e));
            }
        }
        for h in &mut self.hooks {
            if let Err(e) = h.resolve(env) {
                out.push(Refusal::new("hook", Some(&h.name), &["token"], e));
            }
        }
        if let Some(e) = &mut self.export
            && let Err(why) = e.resolve(env)
        {
            out.push(Refusal::new("export", None, EXPORT_KEYS, why));
        }
        if let Some(m) = &mut self.mqtt {
            if let Err(why) = m.resolve(env) {
                out.push(Refusal::new("mqtt", None, MQTT_KEYS, why));
            }
            out.extend(ca_file("mqtt", m.ca_file.as_deref()));
        }
        if let Some(c) = &mut self.cumulocity {
            if let Err(why) = c.resolve(env) {
                out.push(Refusal::new("cumulocity", None, C8Y_KEYS, why));
            }
            out.extend(ca_file("cumulocity", c.ca_file.as_deref()));
        }
        if let Some(s) = &mut self.spotify {
            s.resolve(env);
            if let Err(why) = s.check() {
                out.push(Refusal::new("spotify", None, SPOTIFY_KEYS, why));
            }
        }
        // Without `[spotify]` the search and `spotify login` still use Spotify's defaults
        // with $SPOTIFY_CLIENT_ID: read here like every other variable.
        let mut defaults = SpotifyConfig::default();
        defaults.resolve(env);
        self.spotify_defaults = defaults;
        out
    }

    /// `[spotify]`, or Spotify's defaults with $SPOTIFY_CLIENT_ID as read at load (requests
    /// search when Sonos plays, `spotify login` before the section is written).
    pub(crate) fn spotify_or_default(&self) -> SpotifyConfig {
        self.spotify
            .clone()
            .unwrap_or_else(|| self.spotify_defaults.clone())
    }
}

/// A broker's `ca_file` must hold a certificate (the link would refuse it when it connects).
fn ca_file(section: &'static str, path: Option<&std::path::Path>) -> Option<Refusal> {
    let why = crate::outlets::mqtt::tls::ca_certs(path?).err()?;
    Some(Refusal::at_key(
        section,
        "ca_file",
        format!("[{section}] {why}"),
    ))
}

/// The 1-based line of `key` in `[section]` (or in the `[[section]]` whose `name` is `name`),
/// else of the table's header; None when the text does not hold it.
pub(crate) fn line_of(
    text: &str,
    section: &str,
    name: Option<&str>,
    key: Option<&str>,
) -> Option<usize> {
    let headers = [format!("[{section}]"), format!("[[{section}]]")];
    let mut found_header = None;
    let mut in_table = false;
    let mut block: Vec<(usize, &str)> = Vec::new();
    let finish = |block: &[(usize, &str)], header: Option<usize>| -> Option<usize> {
        let named = name.is_none_or(|n| {
            block
                .iter()
                .any(|(_, l)| key_value(l).is_some_and(|(k, v)| k == "name" && unquote(v) == n))
        });
        if !named {
            return None;
        }
        let at = key.and_then(|k| {
            block
                .iter()
                .find(|(_, l)| key_value(l).is_some_and(|(lk, _)| lk == k))
                .map(|(n, _)| *n)
        });
        at.or(header)
    };
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            if in_table && let Some(n) = finish(&block, found_header) {
                return Some(n);
            }
            in_table = headers.iter().any(|h| t.starts_with(h.as_str()));
            found_header = in_table.then_some(i + 1);
            block.clear();
        } else if in_table {
            block.push((i + 1, t));
        }
    }
    if in_table {
        finish(&block, found_header)
    } else {
        None
    }
}

fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once('=')?;
    Some((k.trim(), v.trim()))
}

fn unquote(v: &str) -> &str {
    v.trim_matches(|c| c == '"' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_found_in_tables_and_named_entries() {
        let text = "[party]\nname = \"x\"\n\n[export]\nspace = \"s\"\nbase_url = \"ftp://x\"\n\
                    [[trigger]]\nname = \"a\"\nurl = \"http://a\"\n[[trigger]]\nname = \"b\"\nurl = \"ftp://b\"\n";
        assert_eq!(line_of(text, "export", None, Some("base_url")), Some(6));
        assert_eq!(line_of(text, "export", None, Some("api_key")), Some(4));
        assert_eq!(line_of(text, "trigger", Some("b"), Some("url")), Some(12));
        assert_eq!(line_of(text, "trigger", Some("a"), Some("url")), Some(9));
        assert_eq!(line_of(text, "mqtt", None, Some("url")), None);
    }
}
