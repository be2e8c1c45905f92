//! `cargo bench --bench export`: events/s exported to a local fake events API, and the time to
//! drain a 100,000-event backlog once the receiver comes back from an outage. Prints figures
//! for the README; asserts only that everything arrived.
#[path = "../tests/fake_events/mod.rs"]
mod fake_events;

use fake_events::FakeEvents;
use party_tui::bus::clock::Clock;
use party_tui::core::*;
use party_tui::journal::Entry;
use party_tui::outlets::client::HttpTransport;
use party_tui::outlets::outbox::{Outbox, OutboxFiles, Tuning};
use party_tui::outlets::{ApiKey, FieldNames, MetadataFormat};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const EVENTS: u64 = 100_000;

/// One press per line, the commonest journal line of an evening.
fn write_journal(path: &Path, n: u64) -> u64 {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for seq in 0..n {
        let e = Entry {
            seq,
            at: Timestamp(1_700_000_000_000 + seq as i64 * 50),
            input: Input::Tick,
            effects: vec![Effect::Press {
                voter: Voter::guest(&format!("g{:03}", seq % 200)),
                origin: Origin::Phone,
                click: None,
                action: Some(if seq % 3 == 0 {
                    Action::Skip
                } else {
                    Action::Like
                }),
                result: PressResult::Counted,
                track: Some(format!("demo:{}", seq / 60)),
                likes: (seq % 17) as u32,
                skips: (seq % 5) as u32,
                battery: None,
            }],
        };
        serde_json::to_writer(&mut out, &e).unwrap();
        out.write_all(b"\n").unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// Exports the journal in `dir`; with `outage`, the fake is down for that long first.
/// Returns the time from the receiver being reachable to the cursor reaching the end.
/// Also returns how much of that was waiting out the back-off before the first accepted retry.
async fn drain(
    fake: &FakeEvents,
    dir: &Path,
    end: u64,
    outage: Option<Duration>,
) -> (Duration, Duration) {
    let _ = std::fs::remove_file(dir.join("p.cursor")); // start from the beginning
    let url = format!("{}/api/party/events", fake.base_url());
    let transport = HttpTransport::new(url, ApiKey::new("bench"), Duration::from_secs(30)).unwrap();
    let files = OutboxFiles {
        party: "p".into(),
        journal: dir.join("p.jsonl"),
        cursor: dir.join("p.cursor"),
        dead_letters: dir.join("p.dead.jsonl"),
    };
    let outbox = Outbox::new(
        files,
        transport,
        FieldNames::default(),
        MetadataFormat::Map,
        Tuning::default(),
        Clock::system(),
        None,
    );
    let mut acked = outbox.acked();
    let stop = CancellationToken::new();
    fake.with(|i| i.down = outage.is_some());
    let task = tokio::spawn(outbox.run(None, stop.clone()));
    if let Some(d) = outage {
        tokio::time::sleep(d).await;
        fake.with(|i| i.down = false);
    }
    let up = Instant::now();
    acked.wait_for(|c| c.offset == end).await.unwrap();
    let took = up.elapsed();
    stop.cancel();
    task.await.unwrap();
    let first_ok = fake.with(|i| i.requests.iter().find(|q| q.2 == 200).map(|q| q.0));
    let waited = first_ok.map_or(Duration::ZERO, |t| t.saturating_duration_since(up));
    (took, waited)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeEvents::start("party", "bench").await;
        let dir = tempfile::tempdir().unwrap();
        let end = write_journal(&dir.path().join("p.jsonl"), EVENTS);
        println!("journal: {EVENTS} events, {:.1} MB", end as f64 / 1e6);

        let (took, _) = drain(&fake, dir.path(), end, None).await;
        let received = fake.with(|i| std::mem::take(&mut i.events).len());
        assert_eq!(received as u64, EVENTS);
        println!(
            "export to a local fake: {EVENTS} events in {took:.2?} = {:.0} events/s ({} requests)",
            EVENTS as f64 / took.as_secs_f64(),
            fake.with(|i| std::mem::take(&mut i.requests).len())
        );

        let outage = Duration::from_secs(3);
        let (took, waited) = drain(&fake, dir.path(), end, Some(outage)).await;
        let received = fake.with(|i| i.events.len());
        assert_eq!(received as u64, EVENTS);
        let failed = fake.with(|i| i.requests.iter().filter(|q| q.2 == 503).count());
        println!(
            "drain a {EVENTS}-event backlog after a {outage:?} outage: {took:.2?} from the receiver's return \
             ({waited:.2?} of it waiting out the back-off; {failed} refused attempts during the outage)"
        );
    });
}
