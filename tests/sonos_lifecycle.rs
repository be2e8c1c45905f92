//! The subscription life-cycle against a fake speaker, with paused time moved by the test:
//! renewal well before the granted timeout, 412 → resubscribe, events that stop coming →
//! polling → events again, skips (701 and 403 in plain words), unsubscribe on shutdown.
mod sonos_fake;

use party_tui::core::{AdapterResult, HealthLevel, Input, TransportState};
use party_tui::inbox::{Inbox, Msg};
use party_tui::players::PlayerCommand;
use party_tui::players::sonos::resolve::Wanted;
use party_tui::players::sonos::timing::Timing;
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
}

impl Rig {
    async fn log(&mut self, needle: &str) {
        within(&format!("log \"{needle}\""), async {
            while let Some(line) = self.logs.recv().await {
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

#[tokio::test(start_paused = true)]
async fn renews_resubscribes_polls_and_comes_back_to_events() {
    let (log_tx, logs) = mpsc::unbounded_channel();
    let _trace =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(Capture(log_tx)));
    let fake = Fake::start(GRANTED_SECS).await;
    let (inbox, inbox_rx) = Inbox::new();
    let (skips, skip_rx) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string());
    let wanted = Wanted::Url(fake.description_url());
    let timing = Timing::default();
    let player = tokio::spawn(party_tui::players::sonos::run_with(
        wanted,
        listener,
        timing.clone(),
        inbox,
        skip_rx,
        stop.clone(),
    ));
    let mut rig = Rig {
        fake,
        inbox: inbox_rx,
        logs,
        skips,
    };

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
    advance(39).await;
    assert_eq!(rig.fake.count(|r| matches!(r, Req::Renew { .. })), 0);
    advance(1).await;
    rig.log("sonos: renewed").await;
    assert!(rig.fake.requests().contains(&Req::Renew {
        sid: sid.clone(),
        known: true
    }));

    // The speaker reboots: the next renewal gets 412, and we subscribe again at once.
    rig.fake.reboot();
    advance(40).await;
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
    advance(40).await;
    rig.log("sonos: subscribed").await;
    advance(timing.first_event_within.as_secs()).await;
    let why = rig.health(HealthLevel::Warn, "polling (").await;
    assert!(why.contains("no events"), "{why}");
    rig.log("sonos: polled").await;
    rig.fake.with(|s| s.track = 2);
    advance(timing.poll_every.as_secs()).await;
    let song2 = rig.playing("Song 2").await;
    rig.log("sonos: polled").await;
    assert_ne!(song1, song2);

    // Events come back: the periodic resubscription gets its first event; polling stops.
    rig.fake.with(|s| s.deliver = true);
    let subscribed_before = rig.subscribes().len();
    // Polls so far at 0 s and 3 s of polling; the resubscription is due at 30 s.
    let steps = timing.resubscribe_every.as_secs() / timing.poll_every.as_secs() - 1;
    for _ in 0..steps {
        advance(timing.poll_every.as_secs()).await;
        rig.log("sonos: polled").await;
    }
    rig.health(HealthLevel::Ok, "events").await;
    assert_eq!(rig.subscribes().len(), subscribed_before + 1);
    let polls = rig.polls();
    advance(10 * timing.poll_every.as_secs()).await;
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
