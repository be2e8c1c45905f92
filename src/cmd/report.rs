//! `party-tui report`: a party's summary as text, CSV, JSON or the HTML recap.
use super::cli::ReportFormat;
use crate::config::Config;
use crate::journal::PartyStore;
use crate::report::{Report, display_name, recap};
use anyhow::Result;
use std::path::Path;

pub(super) fn run(
    cfg: &Config,
    data_dir: &Path,
    party: Option<String>,
    format: ReportFormat,
    demo: bool,
) -> Result<()> {
    let dir = if demo {
        data_dir.join("demo")
    } else {
        data_dir.to_path_buf()
    };
    let store = PartyStore::open(&dir)?;
    let name = match party.or(store.current()?) {
        Some(n) => n,
        None => anyhow::bail!(
            "no party in {} yet (see `party-tui parties`)",
            dir.display()
        ),
    };
    let path = store.path(&name);
    let shown = display_name(cfg.party.name.as_deref(), &name);
    let report = Report::from_journal(&shown, &path)?;
    match format {
        ReportFormat::Text => print!("{}", report.to_text()),
        ReportFormat::Csv => print!("{}", report.to_csv()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Html => {
            let recap = recap::Recap::from_journal(&shown, &path)?;
            print!("{}", recap::html::page(&recap));
        }
    }
    Ok(())
}
