//! The Sonos player task: find the coordinator, subscribe to its AVTransport events, renew,
//! resubscribe, poll while events do not come, and carry out skips with Next.
use super::control::{Control, ControlError};
use super::description::Description;
use super::gena::{self, GenaError, Subscription};
use super::lastchange::parse_notify;
use super::listener::{Notify, callback_url};
use super::resolve::{self, Wanted};
use super::soap::{position_change, transport_change};
use super::state::AvtState;
use super::timing::Timing;
use super::watchdog::{self, Due, EVENTS_STOPPED, Watchdog};
use crate::bus::inbox::Inbox;
use crate::core::{AdapterResult, HealthLevel, Input, PlayerUpdate};
use crate::players::PlayerCommand;
use crate::support::backoff::Backoff;
use std::net::SocketAddr;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

// The host's and the party's commands to the speaker: skip, previous, queue a request.
mod commands;
pub(crate) const HEALTH_NAME: &str = "Sonos";

/// How events reach us now, as the status line says it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// Subscribed; waiting for the first event, which carries the full state.
    Subscribing,
    Events,
    Polling(String),
}

struct Device {
    desc: Description,
    avt: Control,
    event_url: String,
}

pub(crate) struct Follower {
    http: reqwest::Client,
    inbox: Inbox,
    timing: Timing,
    wanted: Wanted,
    /// Where the event listener is bound; None when it could not bind (polling only).
    listener: Result<SocketAddr, String>,
    device: Option<Device>,
    sub: Option<Subscription>,
    mode: Mode,
    state: AvtState,
    last_sent: Option<PlayerUpdate>,
    last_health: Option<(HealthLevel, String)>,
    backoff: Backoff,
    // Deadlines; None = not scheduled.
    resolve_at: Option<Instant>,
    renew_at: Option<Instant>,
    first_event_by: Option<Instant>,
    poll_at: Option<Instant>,
    resubscribe_at: Option<Instant>,
    regroup_at: Option<Instant>,
    /// Checks that events still tell the truth (events mode only).
    watchdog: Watchdog,
    /// The Spotify account serial, once a Spotify track has played (for queueing requests).
    spotify_account: Option<super::enqueue::SpotifyAccount>,
}

impl Follower {
    pub(crate) fn new(
        http: reqwest::Client,
        inbox: Inbox,
        timing: Timing,
        wanted: Wanted,
        listener: Result<SocketAddr, String>,
    ) -> Self {
        let backoff = Backoff::new(timing.retry_min, timing.retry_max);
        Follower {
            http,
            inbox,
            timing,
            wanted,
            listener,
            device: None,
            sub: None,
            mode: Mode::Subscribing,
            state: AvtState::default(),
            last_sent: None,
            last_health: None,
            backoff,
            resolve_at: Some(Instant::now()),
            renew_at: None,
            first_event_by: None,
            poll_at: None,
            resubscribe_at: None,
            regroup_at: None,
            watchdog: Watchdog::default(),
            spotify_account: None,
        }
    }

    /// Run until shutdown or until the loop stops taking commands.
    pub(crate) async fn run(
        mut self,
        mut events: mpsc::Receiver<Notify>,
        mut commands: mpsc::Receiver<PlayerCommand>,
        shutdown: CancellationToken,
    ) {
        loop {
            let next = [
                self.resolve_at,
                self.renew_at,
                self.first_event_by,
                self.poll_at,
                self.resubscribe_at,
                self.regroup_at,
                self.watchdog
                    .next_check()
                    .filter(|_| self.mode == Mode::Events),
            ]
            .into_iter()
            .flatten()
            .min();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                cmd = commands.recv() => match cmd {
                    Some(PlayerCommand::Skip { track }) => self.skip(track).await,
                    Some(PlayerCommand::Previous) => self.previous().await,
                    Some(PlayerCommand::Queue { id, track }) => self.queue_request(id, track).await,
                    None => break,
                },
                Some(event) = events.recv() => self.on_event(event).await,
                _ = sleep_until(next) => self.on_deadlines().await,
            }
        }
        if let (Some(sub), Some(d)) = (self.sub.take(), &self.device) {
            gena::unsubscribe(&self.http, &d.event_url, &sub.sid).await;
        }
    }

    async fn on_deadlines(&mut self) {
        // Tests on paused time step the clock and wait for "handled" before the next step.
        tracing::trace!("sonos: timers due");
        self.on_timers().await;
        tracing::trace!("sonos: timers handled");
    }

    async fn on_timers(&mut self) {
        let now = Instant::now();
        let due = |at: &mut Option<Instant>| at.is_some_and(|t| t <= now) && at.take().is_some();
        if due(&mut self.resolve_at) {
            self.resolve().await;
        }
        if due(&mut self.renew_at) {
            self.renew().await;
        }
        if due(&mut self.first_event_by) {
            match self.mode.clone() {
                Mode::Subscribing => {
                    let why = "no events from the speaker: can it reach this machine?";
                    self.start_polling(why.to_string()).await;
                }
                // A resubscription while polling got no event either: keep polling, and keep
                // trying (a fresh callback address may reach us next time).
                Mode::Polling(why) => self.start_polling(why).await,
                Mode::Events => {}
            }
        }
        if due(&mut self.resubscribe_at) {
            self.subscribe().await;
        }
        if due(&mut self.poll_at) {
            self.poll().await;
        }
        if due(&mut self.regroup_at) {
            self.regroup().await;
        }
        match self.watchdog.due(Instant::now()) {
            _ if self.mode != Mode::Events => {}
            Some(Due::Check) => self.check_events().await,
            Some(Due::Stopped) => self.events_stopped().await,
            None => {}
        }
    }

    async fn resolve(&mut self) {
        match resolve::coordinator(&self.http, &self.wanted).await {
            Ok(desc) => self.follow(desc).await,
            Err(e) => self.lost(e).await,
        }
    }

    /// The device can no longer be reached: say so, forget it, find it again later.
    async fn lost(&mut self, why: String) {
        let wait = self.backoff.next_delay();
        self.device = None;
        self.sub = None;
        self.clear_timers();
        self.resolve_at = Some(Instant::now() + wait);
        let detail = format!("lost (retry in {} s): {why}", wait.as_secs().max(1));
        tracing::warn!(%detail, "sonos");
        self.health(HealthLevel::Error, detail).await;
    }

    fn clear_timers(&mut self) {
        self.renew_at = None;
        self.first_event_by = None;
        self.poll_at = None;
        self.resubscribe_at = None;
        self.regroup_at = None;
        self.watchdog.disarm();
    }

    async fn follow(&mut self, desc: Description) {
        let Some(avt) = desc.av_transport.clone() else {
            return self
                .lost(format!("{} has no AVTransport service", desc.location))
                .await;
        };
        if let (Some(sub), Some(old)) = (self.sub.take(), &self.device) {
            gena::unsubscribe(&self.http, &old.event_url, &sub.sid).await;
        }
        tracing::info!(device = %desc.location, name = %desc.name(), "sonos: following");
        self.regroup_at = desc
            .zone_group_topology
            .as_ref()
            .map(|_| Instant::now() + self.timing.regroup_every);
        self.device = Some(Device {
            avt: Control::av_transport(self.http.clone(), &avt.control),
            event_url: avt.event_sub,
            desc,
        });
        self.state = AvtState::default();
        self.mode = Mode::Subscribing;
        self.watchdog.disarm();
        self.subscribe().await;
    }

    /// A new subscription; when that is impossible, poll.
    async fn subscribe(&mut self) {
        let Some(d) = &self.device else { return };
        let callback = match &self.listener {
            Ok(bound) => callback_url(*bound, &d.desc.base)
                .ok_or_else(|| format!("no local address towards {}", d.desc.base)),
            Err(e) => Err(e.clone()),
        };
        let callback = match callback {
            Ok(c) => c,
            Err(why) => return self.start_polling(why).await,
        };
        if let Some(old) = self.sub.take() {
            gena::unsubscribe(&self.http, &d.event_url, &old.sid).await;
        }
        let asked = self.timing.requested_timeout;
        match gena::subscribe(&self.http, &d.event_url, &callback, asked).await {
            Ok(sub) => {
                tracing::info!(sid = %sub.sid, granted = ?sub.granted, %callback, "sonos: subscribed");
                self.renew_at = Some(Instant::now() + gena::renew_after(sub.granted));
                self.sub = Some(sub);
                self.resubscribe_at = None;
                if self.mode != Mode::Events {
                    self.first_event_by = Some(Instant::now() + self.timing.first_event_within);
                    if !matches!(self.mode, Mode::Polling(_)) {
                        self.mode = Mode::Subscribing;
                    }
                }
            }
            Err(e) => self.start_polling(format!("cannot subscribe: {e}")).await,
        }
    }

    async fn renew(&mut self) {
        let (Some(d), Some(sub)) = (&self.device, &self.sub) else {
            return;
        };
        let asked = self.timing.requested_timeout;
        match gena::renew(&self.http, &d.event_url, &sub.sid, asked).await {
            Ok(granted) => {
                self.renew_at = Some(Instant::now() + gena::renew_after(granted));
                tracing::debug!(?granted, "sonos: renewed");
            }
            Err(e) => {
                // 412: the speaker rebooted and forgot us; anything else: start over too.
                tracing::info!(error = %e, "sonos: renewal failed, subscribing again");
                if e == GenaError::Gone {
                    // Nothing to unsubscribe: the speaker no longer knows this SID.
                    self.sub = None;
                }
                self.mode = Mode::Subscribing;
                self.watchdog.disarm();
                self.subscribe().await;
            }
        }
    }

    async fn start_polling(&mut self, why: String) {
        if self.mode != Mode::Polling(why.clone()) {
            tracing::info!(%why, "sonos: polling");
        }
        self.mode = Mode::Polling(why.clone());
        self.first_event_by = None;
        self.watchdog.disarm();
        self.poll_at.get_or_insert_with(Instant::now);
        if self.listener.is_ok() {
            self.resubscribe_at
                .get_or_insert_with(|| Instant::now() + self.timing.resubscribe_every);
        }
        self.health(HealthLevel::Warn, format!("polling ({why})"))
            .await;
    }

    async fn poll(&mut self) {
        let Some(d) = &self.device else { return };
        let polled = async {
            let transport = d.avt.transport_info().await?;
            let position = d.avt.position_info().await?;
            Ok::<_, ControlError>((transport, position))
        };
        match polled.await {
            Ok((transport, position)) => {
                self.backoff.reset();
                self.state.apply(position_change(&position));
                self.state.apply(transport_change(&transport));
                if let Mode::Polling(why) = self.mode.clone() {
                    self.poll_at = Some(Instant::now() + self.timing.poll_every);
                    self.health(HealthLevel::Warn, format!("polling ({why})"))
                        .await;
                }
                self.report().await;
                tracing::debug!("sonos: polled");
            }
            Err(e) => self.lost(e.to_string()).await,
        }
    }

    async fn on_event(&mut self, event: Notify) {
        if self.sub.as_ref().is_none_or(|s| s.sid != event.sid) {
            tracing::debug!(sid = %event.sid, "sonos: event for another subscription ignored");
            return;
        }
        let change = match parse_notify(&event.body) {
            Ok(Some(change)) => change,
            Ok(None) => return,
            Err(e) => return tracing::warn!(error = %e, "sonos: unreadable event ignored"),
        };
        let before = self.state.clone();
        self.state.apply(change);
        if self.mode != Mode::Events {
            self.mode = Mode::Events;
            self.first_event_by = None;
            self.poll_at = None;
            self.resubscribe_at = None;
            self.backoff.reset();
        }
        self.watchdog.on_event(Instant::now(), &before, &self.state);
        self.health(HealthLevel::Ok, "events".to_string()).await;
        self.report().await;
        tracing::debug!(seq = ?event.seq, "sonos: event");
    }

    /// The watchdog's one GetPositionInfo. When the speaker plays something else than events
    /// said, believe the speaker at once; unless its event follows within EVENT_IN_FLIGHT,
    /// events stopped reaching us.
    async fn check_events(&mut self) {
        let Some(d) = &self.device else { return };
        let position = match d.avt.position_info().await {
            Ok(p) => p,
            Err(e) => return self.lost(e.to_string()).await,
        };
        let mut seen = self.state.clone();
        seen.apply(position_change(&position));
        if watchdog::agrees(&self.state, &seen, &d.desc.base) {
            self.state.position_ms = seen.position_ms;
            self.watchdog.on_agreed(Instant::now(), &seen);
            return tracing::debug!("sonos: watchdog: the speaker agrees with its events");
        }
        tracing::info!(
            known = %self.state.track_uri,
            playing = %seen.track_uri,
            "sonos: watchdog: the speaker disagrees with its events"
        );
        self.state = seen;
        self.watchdog.on_disagreed(Instant::now());
        self.report().await;
    }

    /// Poll, and subscribe again at once: the callback address is worked out afresh (the Pi's
    /// address may be what changed) and the old subscription is dropped.
    async fn events_stopped(&mut self) {
        tracing::warn!("sonos: watchdog: {EVENTS_STOPPED}");
        self.start_polling(EVENTS_STOPPED.to_string()).await;
        self.subscribe().await;
    }

    /// Send what plays when it differs from what we last said; notice regrouping.
    async fn report(&mut self) {
        let Some(d) = &self.device else { return };
        // A speaker that joined another group plays "x-rincon:<coordinator>": follow that one.
        if self.state.track_uri.starts_with("x-rincon:") && d.desc.zone_group_topology.is_some() {
            self.regroup_at = Some(Instant::now());
        }
        if let Some(account) = super::enqueue::account_from_uri(&self.state.track_uri) {
            self.spotify_account = Some(account);
        }
        let Some(update) = self.state.update(d.desc.name(), &d.desc.base) else {
            return;
        };
        if self.last_sent.as_ref() != Some(&update) {
            self.last_sent = Some(update.clone());
            let _ = self.inbox.send(Input::Player(update)).await;
        }
    }

    async fn regroup(&mut self) {
        let Some(d) = &self.device else { return };
        let current = d.desc.location.clone();
        self.regroup_at = Some(Instant::now() + self.timing.regroup_every);
        match resolve::coordinator(&self.http, &self.wanted).await {
            Ok(desc) if desc.location != current => {
                tracing::info!(from = %current, to = %desc.location, "sonos: group coordinator changed");
                self.mode = Mode::Subscribing;
                self.follow(desc).await;
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "sonos: regroup check failed"),
        }
    }

    async fn health(&mut self, level: HealthLevel, detail: String) {
        let said = (level, detail);
        if self.last_health.as_ref() != Some(&said) {
            self.inbox.health(HEALTH_NAME, said.0, said.1.clone()).await;
            self.last_health = Some(said);
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
