//! `party-tui parties`: the parties in the data dir, newest last, each followed by what damage
//! cost its journal (indented, so the names alone stay one per line).
use crate::journal::{PartyStore, inspect};
use anyhow::Result;
use std::path::Path;

/// Lists the parties; with none, says so and points at the demo's if there are some.
pub(super) fn run(data_dir: &Path, demo: bool) -> Result<()> {
    let dir = if demo {
        data_dir.join("demo")
    } else {
        data_dir.to_path_buf()
    };
    let store = PartyStore::open(&dir)?;
    let list = store.list()?;
    for p in &list {
        println!("{p}");
        match inspect(&store.path(p)) {
            Ok(read) => {
                for gap in read.losses.all() {
                    println!("  {}", crate::journal::describe(gap));
                }
            }
            Err(e) => println!("  cannot be read: {e:#}"),
        }
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
