//! The one error a configuration can fail with: which file, which key on which line, and the
//! sentence with the right form (`check::explain`, `check::problems` and the adapters' own
//! refusals keep their wording; this only carries them).
use super::resolve::{Refusal, line_of};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, once known (`load` adds it).
    pub path: Option<PathBuf>,
    /// 1-based line of the key (or of its table) where the text holds it.
    pub line: Option<usize>,
    /// The key the sentence is about, where there is one.
    pub key: Option<String>,
    /// What is wrong and the right form, in the host's words.
    pub message: String,
}

impl ConfigError {
    /// serde's refusal, in plain words where `check::explain` knows the key.
    pub(crate) fn parse(text: &str, err: &toml::de::Error) -> ConfigError {
        let line = err
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let key = line
            .and_then(|n| text.lines().nth(n - 1))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.is_empty() && !k.starts_with('['));
        ConfigError {
            path: None,
            line,
            key,
            message: super::check::explain(text, err),
        }
    }

    /// Settings the check step refused, each with its line when the text holds it.
    pub(crate) fn refused(text: &str, refused: &[Refusal]) -> ConfigError {
        let located: Vec<(Option<usize>, &Refusal)> = refused
            .iter()
            .map(|r| {
                let line = line_of(text, r.section, r.name.as_deref(), r.key.as_deref());
                (line, r)
            })
            .collect();
        let message = located
            .iter()
            .map(|(line, r)| match line {
                Some(n) => format!("line {n}: {}", r.message),
                None => r.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        ConfigError {
            path: None,
            line: located.first().and_then(|(l, _)| *l),
            key: refused.first().and_then(|r| r.key.clone()),
            message,
        }
    }

    /// `check::problems`: mistakes about the whole party (two buttons with one name, …).
    pub(crate) fn problems(problems: Vec<String>) -> ConfigError {
        ConfigError {
            path: None,
            line: None,
            key: None,
            message: problems.join("; "),
        }
    }

    pub(crate) fn in_file(mut self, path: &Path) -> ConfigError {
        self.path = Some(path.to_path_buf());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}
