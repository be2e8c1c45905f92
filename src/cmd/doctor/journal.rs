//! The current party's journal: whether it reads, and what damage cost it. A damaged journal
//! no longer stops a party (it is set aside at start), so without this check nothing would say
//! that the disk under the data directory is losing what the party wrote.
use super::Check;
use crate::journal::{PartyStore, inspect};
use std::path::Path;

/// `None` when there is no party yet (nothing is created to find out).
pub(crate) fn journal(data_dir: &Path) -> Option<Check> {
    let store = PartyStore::existing(data_dir)?;
    let name = store.current().ok()??;
    let path = store.path(&name);
    if !path.is_file() {
        return None;
    }
    let replayed = match inspect(&path) {
        Ok(r) => r,
        Err(e) => {
            return Some(Check::bad(
                format!("journal of party {name} reads"),
                format!(
                    "{e:#} (a batch an older version wrote twice is repaired by the next start; \
                     anything else stops it too: start a new party with --new-party)"
                ),
            ));
        }
    };
    let Some(summary) = replayed.losses.summary() else {
        return Some(Check::ok(format!(
            "journal of party {name}: {} entries, none damaged",
            replayed.entries
        )));
    };
    let what = format!("journal of party {name}: {summary}");
    let mut fix = Vec::new();
    if !replayed.losses.found.is_empty() {
        fix.push(
            "the next start sets the damage aside by itself and the party carries on".to_string(),
        );
    }
    let kept = store.set_aside_files(&name);
    if let Some(last) = kept.last() {
        fix.push(format!("the damaged bytes are kept in {}", last.display()));
    }
    let damaged = replayed.losses.all().any(|g| g.lines > 0);
    if !damaged {
        // Seqs missing without a trace: a line deleted by hand, not the disk.
        fix.push("nothing else to do: the party reads without them".into());
        return Some(Check::warn(what, fix.join("; ")));
    }
    fix.push(format!(
        "the disk under {} damaged what the party wrote: check it (dmesg, fsck, a new SD card) \
         before the next party, or move the data directory (--data-dir) to a sound one",
        data_dir.display()
    ));
    Some(Check::bad(what, fix.join("; ")))
}
