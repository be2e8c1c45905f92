//! The subscription life-cycle against a fake speaker, with paused time moved by the test:
//! renewal well before the granted timeout, 412 → resubscribe, events that stop coming →
//! polling → events again, skips (701 and 403 in plain words), unsubscribe on shutdown.
use crate::sonos_fake;

use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::{AdapterResult, HealthLevel, Input, TransportState};
use party_tui::players::PlayerCommand;
use party_tui::players::sonos::resolve::Wanted;
use party_tui::players::sonos::timing::Timing;
use party_tui::players::sonos::watchdog;
use sonos_fake::{Fake, Req};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;

/// The speaker grants this: renewal is due at 40 s (half, capped a minute before expiry).
const GRANTED_SECS: u64 = 100;
/// Real time allowed for any one awaited condition (requests are on loopback).
const REAL_LIMIT: Duration = Duration::from_secs(10);

/// Forwards the adapter's log messages to the test: "sonos: renewed" is an observable event.
struct Capture(mpsc::UnboundedSender<String>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        let _ = self.0.send(m.0);
    }
}

/// Fails the test if `fut` does not finish within REAL_LIMIT of wall-clock time (paused tokio
/// time does not move by itself here, so the deadline is a thread's).
async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(REAL_LIMIT);
        let _ = tx.send(());
    });
    tokio::select! {
        v = fut => v,
        _ = rx => panic!("no {what} within {REAL_LIMIT:?}"),
    }
}

struct Rig {
    fake: Fake,
    inbox: mpsc::Receiver<Msg>,
    logs: mpsc::UnboundedReceiver<String>,
    skips: mpsc::Sender<PlayerCommand>,
    /// Timer rounds the player started and has not finished (from its trace lines): time must
    /// not move while one is on the wire, or its request times out on paused time.
    open: i32,
}

impl Rig {
    async fn log(&mut self, needle: &str) {
        within(&format!("log \"{needle}\""), async {
            while let Some(line) = self.logs.recv().await {
                self.note(&line);
                if line.contains(needle) {
                    return;
                }
            }
            panic!("log closed");
        })
        .await
    }

    async fn inbox<T>(&mut self, what: &str, mut f: impl FnMut(&Msg) -> Option<T>) -> T {
        within(what, async {
            loop {
                let msg = self.inbox.recv().await.expect("player running");
                if let Some(v) = f(&msg) {
                    return v;
                }
            }
        })
        .await
    }

    async fn health(&mut self, level: HealthLevel, starts: &str) -> String {
        self.inbox(&format!("health {starts}"), |m| match m {
            Msg::Health(h) if h.level == level && h.detail.starts_with(starts) => {
                Some(h.detail.clone())
            }
            _ => None,
        })
        .await
    }

    async fn playing(&mut self, title: &str) -> String {
        self.inbox(&format!("update {title}"), |m| match m {
            Msg::Input {
                input: Input::Player(u),
                ..
            } if u.state == TransportState::Playing
                && u.track.as_ref().is_some_and(|t| t.title == title) =>
            {
                Some(u.track.as_ref().unwrap().key())
            }
            _ => None,
        })
        .await
    }

    async fn skip_failed(&mut self) -> String {
        self.inbox("SkipFailed", |m| match m {
            Msg::Input {
                input: Input::Result(AdapterResult::SkipFailed { reason, .. }),
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .await
    }

    fn subscribes(&self) -> Vec<String> {
        self.fake
            .requests()
            .into_iter()
            .filter_map(|r| match r {
                Req::Subscribe { sid, .. } => Some(sid),
                _ => None,
            })
            .collect()
    }

    fn polls(&self) -> usize {
        self.fake
            .count(|r| *r == Req::Action("GetPositionInfo".into()))
    }
}

async fn advance(secs: u64) {
    tokio::time::advance(Duration::from_secs(secs)).await;
}

/// A fake speaker and a player following it; the guard keeps the log capture installed.
async fn start(
    fake: Fake,
    timing: Timing,
) -> (
    Rig,
    CancellationToken,
    tokio::task::JoinHandle<()>,
    tracing::subscriber::DefaultGuard,
) {
    let (log_tx, logs) = mpsc::unbounded_channel();
    let trace =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(Capture(log_tx)));
    let (inbox, inbox_rx) = Inbox::new();
    let (skips, skip_rx) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string());
    let wanted = Wanted::Url(fake.description_url());
    let player = tokio::spawn(party_tui::players::sonos::run_with(
        wanted,
        listener,
        timing,
        inbox,
        skip_rx,
        stop.clone(),
    ));
    let rig = Rig {
        fake,
        inbox: inbox_rx,
        logs,
        skips,
        open: 0,
    };
    (rig, stop, player, trace)
}

#[tokio::test(start_paused = true)]
async fn renews_resubscribes_polls_and_comes_back_to_events() {
    let timing = Timing::default();
    let fake = Fake::start(GRANTED_SECS).await;
    let (mut rig, stop, player, _trace) = start(fake, timing.clone()).await;

    // Subscribed, first event: the full state.
    rig.log("sonos: subscribed").await;
    rig.health(HealthLevel::Ok, "events").await;
    let song1 = rig.playing("Song 1").await;
    let first = rig.fake.requests()[0].clone();
    let Req::Subscribe {
        callback,
        timeout,
        sid,
    } = first
    else {
        panic!("{first:?}")
    };
    assert!(
        callback.starts_with("<http://127.0.0.1:") && callback.ends_with("/upnp/avtransport>"),
        "{callback}"
    );
    assert_eq!(timeout, "Second-1800");

    // Renewal: not at 39 s, done at 40 s (of 100 granted), with the same SID.
    rig.step(39).await;
    assert_eq!(rig.fake.count(|r| matches!(r, Req::Renew { .. })), 0);
    rig.step(1).await;
    rig.log("sonos: renewed").await;
    assert!(rig.fake.requests().contains(&Req::Renew {
        sid: sid.clone(),
        known: true
    }));

    // The speaker reboots: the next renewal gets 412, and we subscribe again at once.
    rig.fake.reboot();
    rig.step(40).await;
    rig.log("sonos: subscribed").await;
    rig.log("sonos: event").await;
    assert!(rig.fake.requests().contains(&Req::Renew {
        sid: sid.clone(),
        known: false
    }));
    assert_eq!(rig.subscribes().len(), 2);

    // Events stop reaching us: after the grace, polling every 3 s.
    rig.fake.with(|s| s.deliver = false);
    rig.fake.reboot();
    rig.step(40).await;
    rig.log("sonos: subscribed").await;
    rig.step(timing.first_event_within.as_secs()).await;
    let why = rig.health(HealthLevel::Warn, "polling (").await;
    assert!(why.contains("no events"), "{why}");
    rig.log("sonos: polled").await;
    rig.fake.with(|s| s.track = 2);
    rig.step(timing.poll_every.as_secs()).await;
    let song2 = rig.playing("Song 2").await;
    rig.log("sonos: polled").await;
    assert_ne!(song1, song2);

    // Events come back: the periodic resubscription gets its first event; polling stops.
    rig.fake.with(|s| s.deliver = true);
    let subscribed_before = rig.subscribes().len();
    // Polls so far at 0 s and 3 s of polling; the resubscription is due at 30 s.
    let steps = timing.resubscribe_every.as_secs() / timing.poll_every.as_secs() - 1;
    for _ in 0..steps {
        rig.step(timing.poll_every.as_secs()).await;
        rig.log("sonos: polled").await;
    }
    rig.health(HealthLevel::Ok, "events").await;
    assert_eq!(rig.subscribes().len(), subscribed_before + 1);
    // The watchdog's first look at where in the track the speaker is; then quiet.
    rig.log("sonos: watchdog").await;
    let polls = rig.polls();
    rig.step(10 * timing.poll_every.as_secs()).await;
    within("quiet", tokio::task::yield_now()).await;
    assert_eq!(rig.polls(), polls, "no polling while events arrive");

    // Skips: a refusal in plain words, a stale skip ignored, a Next that works, UPnP off.
    rig.fake.with(|s| s.next_fault = Some(701));
    rig.skips
        .send(PlayerCommand::Skip {
            track: song2.clone(),
        })
        .await
        .unwrap();
    let reason = rig.skip_failed().await;
    assert!(
        reason.contains("transition not available") && reason.contains("701"),
        "{reason}"
    );
    rig.skips
        .send(PlayerCommand::Skip {
            track: song1.clone(),
        })
        .await
        .unwrap();
    rig.log("no longer playing").await;
    rig.fake.with(|s| s.next_fault = None);
    rig.skips
        .send(PlayerCommand::Skip { track: song2 })
        .await
        .unwrap();
    let song3 = rig.playing("Song 3").await;
    rig.fake.with(|s| s.forbidden = true);
    rig.skips
        .send(PlayerCommand::Skip { track: song3 })
        .await
        .unwrap();
    let reason = rig.skip_failed().await;
    assert!(reason.contains("enable UPnP in the Sonos app"), "{reason}");

    // Shutdown unsubscribes the live subscription.
    let live = rig.subscribes().last().unwrap().clone();
    stop.cancel();
    within("player stop", player).await.unwrap();
    assert!(
        rig.fake
            .requests()
            .contains(&Req::Unsubscribe { sid: live })
    );
    rig.fake.stop().await;
}

impl Rig {
    fn note(&mut self, line: &str) {
        self.open += line.contains("sonos: timers due") as i32;
        self.open -= line.contains("sonos: timers handled") as i32;
    }

    /// Let the player finish what fell due at this instant: the timer rounds it woke for
    /// (bracketed by its "timers due"/"timers handled" trace) and any event in flight.
    async fn settle(&mut self) {
        loop {
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
            let mut quiet = true;
            while let Ok(line) = self.logs.try_recv() {
                quiet = false;
                self.note(&line);
            }
            if self.open == 0 && quiet {
                return;
            }
            if self.open > 0 {
                let line = within("timers handled", self.logs.recv()).await.unwrap();
                self.note(&line);
            }
        }
    }

    /// Settle, then move paused time.
    async fn step(&mut self, secs: u64) {
        self.settle().await;
        advance(secs).await;
    }

    /// Inbox messages so far, with the paused time they were taken at.
    fn drain(&mut self, seen: &mut Vec<(Duration, Msg)>, t0: tokio::time::Instant) {
        while let Ok(msg) = self.inbox.try_recv() {
            seen.push((t0.elapsed(), msg));
        }
    }
}

fn title(msg: &Msg) -> Option<&str> {
    match msg {
        Msg::Input {
            input: Input::Player(u),
            ..
        } => u.track.as_ref().map(|t| t.title.as_str()),
        _ => None,
    }
}

fn warned(seen: &[(Duration, Msg)]) -> Vec<String> {
    seen.iter()
        .filter_map(|(_, m)| match m {
            Msg::Health(h) if h.level != HealthLevel::Ok => Some(h.detail.clone()),
            _ => None,
        })
        .collect()
}

/// Events stop without a word (the speaker keeps renewing, sends nothing) and the track
/// changes `change` s later, `joined` s into a track of TRACK_SECS: the change is seen within
/// the time the track had left plus 3 s, and never later than 60 s; then polling with the
/// reason on the status line, and a fresh subscription.
async fn silent_change(joined: u64, change: u64) {
    const BOUND_OVER_END: Duration = Duration::from_secs(3);
    const BOUND: Duration = Duration::from_secs(60);
    let fake = Fake::start(GRANTED_SECS).await;
    fake.with(|s| s.rel_secs = joined);
    let (mut rig, stop, player, _trace) = start(fake, Timing::default()).await;
    rig.playing("Song 1").await;
    rig.log("sonos: watchdog").await;
    rig.fake.with(|s| s.deliver = false);
    let t0 = tokio::time::Instant::now();
    let mut seen = Vec::new();
    rig.settle().await;
    rig.drain(&mut seen, t0);
    let mut found = None;
    for t in 1..=(2 * BOUND.as_secs() + sonos_fake::TRACK_SECS) {
        // The speaker's state during the second that ends at t.
        rig.fake.with(|s| {
            if t >= change {
                (s.track, s.rel_secs) = (2, t - change);
            } else {
                s.rel_secs = joined + t;
            }
        });
        advance(1).await;
        rig.settle().await;
        rig.drain(&mut seen, t0);
        if let Some((at, _)) = seen.iter().find(|(_, m)| title(m) == Some("Song 2")) {
            found = Some(*at);
            break;
        }
    }
    let at = found.expect("the change is seen");
    // The status line says so once no event followed the disagreement.
    for _ in 0..watchdog::EVENT_IN_FLIGHT.as_secs() {
        advance(1).await;
        rig.settle().await;
        rig.drain(&mut seen, t0);
    }
    // The change happened during the second before `change`: count from its start.
    let late = at - Duration::from_secs(change - 1);
    let left = Duration::from_secs(sonos_fake::TRACK_SECS - joined - (change - 1));
    let bound = (left + BOUND_OVER_END).min(BOUND);
    assert!(
        late <= bound,
        "joined {joined} s, change at {change} s: seen {late:?} later, bound {bound:?}"
    );
    assert_eq!(
        warned(&seen),
        ["polling (events stopped arriving)"],
        "said on the status line"
    );
    assert_eq!(rig.subscribes().len(), 2, "subscribed again at once");
    let renewed = rig
        .fake
        .count(|r| matches!(r, Req::Renew { known: true, .. }));
    let expected = t0.elapsed().as_secs() / 40;
    assert_eq!(renewed as u64, expected, "the subscription kept renewing");
    stop.cancel();
    within("player stop", player).await.unwrap();
    rig.fake.stop().await;
}

#[tokio::test(start_paused = true)]
async fn silent_events_skip_early_in_the_track() {
    silent_change(0, 7).await;
}

#[tokio::test(start_paused = true)]
async fn silent_events_skip_late_in_the_track() {
    silent_change(30, 140).await;
}

#[tokio::test(start_paused = true)]
async fn silent_events_track_ends_by_itself() {
    silent_change(30, sonos_fake::TRACK_SECS - 30).await;
}

#[tokio::test(start_paused = true)]
async fn silent_events_last_seconds_of_the_track_when_events_start() {
    silent_change(175, 5).await;
}

/// Healthy events for ten minutes of back-to-back tracks: the watchdog asks at most once per
/// track and per minute, and never says events stopped.
#[tokio::test(start_paused = true)]
async fn healthy_events_cost_at_most_one_call_per_track_and_per_minute() {
    const MINUTES: u64 = 10;
    let fake = Fake::start(GRANTED_SECS).await;
    fake.with(|s| s.rel_secs = 0);
    let (mut rig, stop, player, _trace) = start(fake, Timing::default()).await;
    rig.playing("Song 1").await;
    let polls_before = rig.polls();
    let t0 = tokio::time::Instant::now();
    let mut seen = Vec::new();
    rig.settle().await;
    rig.drain(&mut seen, t0);
    let mut tracks = 1;
    for t in 1..=MINUTES * 60 {
        let next = t % sonos_fake::TRACK_SECS == 0;
        rig.fake.with(|s| {
            s.rel_secs = t % sonos_fake::TRACK_SECS;
            s.track += next as u32;
        });
        advance(1).await;
        if next {
            tracks += 1;
            rig.fake.push_event();
            rig.log("sonos: event").await;
        }
        rig.settle().await;
        rig.drain(&mut seen, t0);
    }
    let checks = rig.polls() - polls_before;
    assert!(checks > 0, "the watchdog looked");
    assert!(
        checks as u64 <= MINUTES + tracks,
        "{checks} checks in {MINUTES} min and {tracks} tracks"
    );
    assert!(warned(&seen).is_empty(), "{:?}", warned(&seen));
    let last = seen.iter().rev().find_map(|(_, m)| title(m));
    assert_eq!(last, Some(format!("Song {tracks}").as_str()));
    assert_eq!(rig.subscribes().len(), 1);
    stop.cancel();
    within("player stop", player).await.unwrap();
    rig.fake.stop().await;
}
