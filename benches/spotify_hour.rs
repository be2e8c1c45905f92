//! One simulated hour (several, seeded) of a Spotify party against the fake Web API, on paused
//! tokio time: 3–5 minute tracks, a few of our skips, a few changes made in the Spotify app,
//! a pause. Prints requests per hour and how late each track change was seen.
//! `cargo bench --bench spotify_hour`. Goals: ≤ 360 requests/hour; p95 ≤ 1.5 s for natural
//! ends and our skips; manual changes seen within 15 s.
#[path = "../tests/integration/spotify_support/mod.rs"]
mod spotify_support;

use party_tui::core::PlayerUpdate;
use party_tui::players::PlayerCommand;
use rand::{Rng, SeedableRng};
use spotify_support::sim::{ChangeKind, SimTrack, track};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);
const HOURS: u64 = 6;
const OUR_SKIPS: usize = 4;
const MANUAL_CHANGES: usize = 4;
const PAUSE: Duration = Duration::from_secs(120);

#[derive(Default)]
struct Figures {
    requests: usize,
    natural: Vec<Duration>,
    ours: Vec<Duration>,
    ours_from_command: Vec<Duration>,
    manual: Vec<Duration>,
    missed: usize,
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let mut all = Figures::default();
    for seed in 0..HOURS {
        rt.block_on(one_hour(seed, &mut all));
    }
    let per_hour = all.requests as f64 / HOURS as f64;
    println!(
        "spotify_hour: {HOURS} simulated hours, 3-5 min tracks, {OUR_SKIPS} skips + {MANUAL_CHANGES} manual changes + one {} s pause per hour, 120 ms answers",
        PAUSE.as_secs()
    );
    println!("requests/hour: {per_hour:.0} (goal <= 360)");
    report("natural ends", &all.natural, 1.5);
    report("our skips", &all.ours, 1.5);
    report(
        "our skips, from the skip command",
        &all.ours_from_command,
        f64::INFINITY,
    );
    report("manual changes", &all.manual, 15.0);
    println!("changes never seen: {}", all.missed);
    let ok = per_hour <= 360.0
        && p(&all.natural, 95) <= Duration::from_millis(1500)
        && p(&all.ours, 95) <= Duration::from_millis(1500)
        && all.manual.iter().all(|d| *d <= Duration::from_secs(15))
        && all.missed == 0;
    println!("goals met: {ok}");
    if !ok {
        std::process::exit(1);
    }
}

fn p(v: &[Duration], pct: usize) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get((v.len().max(1) - 1) * pct / 100)
        .copied()
        .unwrap_or_default()
}

fn report(what: &str, v: &[Duration], goal: f64) {
    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let goal = if goal.is_finite() {
        format!(" (goal p95 / max <= {goal} s)")
    } else {
        String::new()
    };
    println!(
        "{what}: n={} p50={} p95={} max={}{goal}",
        v.len(),
        s(p(v, 50)),
        s(p(v, 95)),
        s(p(v, 100))
    );
}

async fn one_hour(seed: u64, all: &mut Figures) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let tracks: Vec<SimTrack> = (1..=40)
        .map(|n| track(n, rng.random_range(180..=300)))
        .collect();
    let mut r = spotify_support::rig(tracks).await;
    let start = Instant::now();
    // The engine's view: the last track key the watcher reported, and when each key first came.
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let mut rx = std::mem::replace(&mut r.rx, tokio::sync::mpsc::channel(1).1);
    let collector = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                if let party_tui::bus::inbox::Msg::Input {
                    input: party_tui::core::Input::Player(u),
                    ..
                } = msg
                {
                    let key = key_of(&u);
                    let mut s = seen.lock().unwrap();
                    if s.last().map(|l| &l.1) != Some(&key) {
                        s.push((Instant::now(), key));
                    }
                }
            }
        })
    };
    // Our skips and manual changes at random moments; one pause mid-hour.
    let mut actions: Vec<(Duration, u8)> = Vec::new();
    for (n, what) in [(OUR_SKIPS, 0), (MANUAL_CHANGES, 1)] {
        for _ in 0..n {
            actions.push((Duration::from_secs(rng.random_range(60..3500)), what));
        }
    }
    actions.push((Duration::from_secs(1800), 2));
    actions.sort();
    let mut commands = Vec::new();
    for (at, what) in actions {
        tokio::time::sleep_until(start + at).await;
        let now = Instant::now();
        match what {
            0 => {
                let current = seen.lock().unwrap().last().and_then(|l| l.1.clone());
                if let Some(track) = current {
                    commands.push(now);
                    r.cmds.send(PlayerCommand::Skip { track }).await.unwrap();
                }
            }
            1 => r.fake.with(|f| f.sim.manual_next(now)),
            _ => {
                r.fake.with(|f| f.sim.pause(now));
                tokio::time::sleep(PAUSE).await;
                let now = Instant::now();
                r.fake.with(|f| f.sim.resume(now));
            }
        }
    }
    tokio::time::sleep_until(start + HOUR).await;
    let end = Instant::now();
    let requests = r
        .fake
        .with(|f| f.requests.iter().filter(|q| q.at < end).count());
    let changes = r.fake.with(|f| {
        f.sim.settle(end);
        f.sim.changes.clone()
    });
    r.stop().await;
    collector.abort();
    all.requests += requests;
    let seen = seen.lock().unwrap();
    let mut our = commands.into_iter();
    for c in changes
        .iter()
        .filter(|c| c.at < end - Duration::from_secs(20))
    {
        let found = seen
            .iter()
            .find(|(at, key)| *at >= c.at && key.as_deref() == Some(c.key.as_str()));
        let Some((at, _)) = found else {
            all.missed += 1;
            continue;
        };
        let delay = *at - c.at;
        match c.kind {
            ChangeKind::Natural => all.natural.push(delay),
            ChangeKind::Manual => all.manual.push(delay),
            ChangeKind::OurSkip => {
                all.ours.push(delay);
                if let Some(cmd) = our.next() {
                    all.ours_from_command.push(*at - cmd);
                }
            }
        }
    }
}

/// When the engine first heard of a track key (None: no track).
type Seen = (Instant, Option<String>);

fn key_of(u: &PlayerUpdate) -> Option<String> {
    u.track.as_ref().map(|t| t.key())
}
