//! Every event out: the CompetitionLabs-style events export, trigger webhooks and MQTT. Each is
//! an outlet (`outlet.rs`) carried by the one outbox (`outbox.rs`), which reads the committed
//! journal from the outlet's own cursor, so none can slow the party down and a crash loses
//! nothing.
pub mod client;
pub mod mapping;
pub mod mqtt;
pub mod outbox;
mod outbox_io;
pub mod outlet;
pub mod reply_text;
pub(crate) mod settings;
pub(crate) mod status;
pub mod store;
pub(crate) mod tail;
pub mod triggers;
pub(crate) mod tuning;
pub mod webhook;
pub(crate) mod webhook_settings;
mod window;

pub use settings::{ApiKey, ExportConfig, FieldNames, MetadataFormat};
pub use webhook_settings::TriggerConfig;

use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::core::HealthLevel;
use std::path::Path;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Where one party's journal is and where the exporter keeps its files.
pub(crate) struct PartyFiles<'a> {
    pub party: &'a str,
    pub journal: &'a Path,
    /// The data dir the party store lives in (`export/` goes beside `parties/`).
    pub store_dir: &'a Path,
    /// The vote page's address, for `{vote_url}` in trigger templates.
    pub vote_url: Option<&'a str>,
}

/// The sections the exporter and the trigger outlet carry out, as config loading checked
/// them and read their secrets.
#[derive(Clone, Copy)]
pub(crate) struct Sections<'a> {
    pub export: Option<&'a ExportConfig>,
    pub triggers: &'a [TriggerConfig],
}

/// Start the exporter (when `[export]` is set) and the trigger outlet (when a `[[trigger]]`
/// has a url). Call before the party loop starts writing. Config loading has checked both
/// and read their secrets; what still goes wrong here goes to the status line and never
/// stops the party.
pub(crate) async fn spawn(
    sections: Sections<'_>,
    files: PartyFiles<'_>,
    inbox: &Inbox,
    clock: &Clock,
    committed: &watch::Receiver<u64>,
    shutdown: &CancellationToken,
    tasks: &mut JoinSet<()>,
) {
    if let Some(export) = sections.export {
        match start_exporter(export, &files, inbox, clock) {
            Ok(outbox) => {
                tasks.spawn(outbox.run(Some(committed.clone()), shutdown.clone()));
            }
            Err(why) => {
                tracing::error!(%why, "export not started");
                inbox.health("export", HealthLevel::Error, why).await;
            }
        }
    }
    let mut hooks = Vec::new();
    for t in sections.triggers {
        match webhook::Webhook::from_config(t, &t.lookup()) {
            Some(Ok(h)) => hooks.push(h),
            Some(Err(why)) => inbox.health("triggers", HealthLevel::Error, why).await,
            None => {}
        }
    }
    if hooks.is_empty() {
        return;
    }
    let outlet =
        triggers::Triggers::new(hooks, webhook::WEBHOOK_TIMEOUT).with_vote_url(files.vote_url);
    let files = triggers::files(files.party, files.journal, files.store_dir);
    let (tuning, inbox) = (triggers::tuning(), Some(inbox.clone()));
    let outbox = outbox::Outbox::for_outlet(files, outlet, tuning, clock.clone(), inbox);
    tasks.spawn(outbox.run(Some(committed.clone()), shutdown.clone()));
}

fn start_exporter(
    export: &ExportConfig,
    files: &PartyFiles<'_>,
    inbox: &Inbox,
    clock: &Clock,
) -> Result<outbox::Outbox<outlet::EventsApi<client::HttpTransport>>, String> {
    let key = export.api_key.clone().ok_or_else(|| {
        format!(
            "no API key: set [export] api_key or {}",
            settings::API_KEY_ENV
        )
    })?;
    let transport = client::HttpTransport::new(export.events_url(), key, client::REQUEST_TIMEOUT)
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let tuning = outbox::Tuning {
        flush_interval: export.flush_interval(),
        ..outbox::Tuning::default()
    };
    let files = outbox::OutboxFiles {
        party: files.party.to_string(),
        journal: files.journal.to_path_buf(),
        cursor: store::export_file(files.store_dir, files.party, "cursor"),
        dead_letters: store::export_file(files.store_dir, files.party, "dead.jsonl"),
    };
    Ok(outbox::Outbox::new(
        files,
        transport,
        export.fields.clone(),
        export.metadata_format,
        tuning,
        clock.clone(),
        Some(inbox.clone()),
    ))
}
