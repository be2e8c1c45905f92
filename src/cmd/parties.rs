//! `party-tui parties`: the parties in the data dir, newest last.
use crate::journal::PartyStore;
use anyhow::Result;
use std::path::Path;

/// Lists the parties; with none, says so and points at the demo's if there are some.
pub(super) fn run(data_dir: &Path, demo: bool) -> Result<()> {
    let dir = if demo {
        data_dir.join("demo")
    } else {
        data_dir.to_path_buf()
    };
    let list = PartyStore::open(&dir)?.list()?;
    for p in &list {
        println!("{p}");
    }
    if list.is_empty() {
        let demos = if demo {
            Vec::new()
        } else {
            PartyStore::open(&data_dir.join("demo"))?.list()?
        };
        if demos.is_empty() {
            eprintln!("no parties in {} yet", dir.display());
        } else {
            eprintln!(
                "no real parties yet; {} demo parties: `party-tui parties --demo`, `party-tui report --demo`",
                demos.len()
            );
        }
    }
    Ok(())
}
