//! The watcher: polls GET /me/player when the scheduler says, feeds the engine, carries out
//! skips, and keeps the dashboard told how it is going.
use super::api::{Api, ApiFailure};
use super::schedule::{Answer, Next, Scheduler, Why, human};
use super::session::{Session, SessionError};
use super::token::{TokenClient, TokenStore};
use super::{SpotifyConfig, map};
use crate::bus::clock::Clock;
use crate::bus::inbox::{Inbox, LoopStopped};
use crate::core::{AdapterResult, HealthLevel, Input, Timestamp};
use crate::players::PlayerCommand;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub(crate) const HEALTH_NAME: &str = "Spotify";
/// Not logged in, or the login expired: look at the token file again this often, so a
/// `party-tui spotify login` in another terminal takes effect without a restart.
pub(crate) const LOGIN_RECHECK: Duration = Duration::from_secs(30);

/// What went wrong with a call, for the watcher's next step.
enum Failure {
    Api(ApiFailure),
    Login(SessionError),
}

pub async fn run_player(
    cfg: SpotifyConfig,
    inbox: Inbox,
    mut commands: mpsc::Receiver<PlayerCommand>,
    clock: Clock,
    shutdown: CancellationToken,
) {
    let setup = cfg.client_id().and_then(|id| Ok((id, cfg.token_path()?)));
    let (client_id, token_path) = match setup {
        Ok(s) => s,
        Err(e) => {
            inbox
                .health(HEALTH_NAME, HealthLevel::Error, format!("{e:#}"))
                .await;
            shutdown.cancelled().await;
            return;
        }
    };
    let mut w = Watcher {
        api: Api::new(&client_id, &cfg.api_base_url, &cfg.auth_base_url),
        session: Session::new(
            TokenClient::new(&cfg.auth_base_url, &client_id),
            TokenStore::new(token_path),
        ),
        scheduler: Scheduler::new(),
        inbox,
        clock,
        current: None,
        quiet_until: None,
    };
    let mut next_at = w.clock.now();
    loop {
        let wake = w.clock.instant_at(next_at);
        let step = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return,
            cmd = commands.recv() => match cmd {
                Some(PlayerCommand::Skip { track }) => w.skip(track).await,
                Some(PlayerCommand::Previous) => w.previous().await,
                Some(PlayerCommand::Queue { id, track }) => w.queue_request(id, track).await,
                None => return,
            },
            _ = tokio::time::sleep_until(wake) => w.poll().await.map(Some),
        };
        match step {
            Ok(Some(at)) => next_at = at,
            Ok(None) => {}
            Err(LoopStopped) => return,
        }
    }
}

struct Watcher {
    api: Api,
    session: Session,
    scheduler: Scheduler,
    inbox: Inbox,
    clock: Clock,
    /// The key of the track Spotify last reported (None: an ad, paused on nothing, 204).
    current: Option<String>,
    /// Spotify's Retry-After: no request of any kind before this.
    quiet_until: Option<Timestamp>,
}

impl Watcher {
    async fn poll(&mut self) -> Result<Timestamp, LoopStopped> {
        let result = self.call(|api| Box::pin(api.playback())).await;
        let now = self.clock.now();
        let (answer, said) = match result {
            Ok(Some(ctx)) => {
                let update = map::update(&ctx);
                self.current = update.track.as_ref().map(|t| t.key());
                let said = describe(&update);
                let answer = map::answer(&update);
                self.inbox.send(Input::Player(update)).await?;
                (answer, said)
            }
            Ok(None) => {
                self.current = None;
                self.inbox
                    .send(Input::Player(map::nothing_playing()))
                    .await?;
                (Answer::NothingPlaying, "204 nothing playing".to_string())
            }
            Err(Failure::Login(e)) if !e.is_transient() => {
                let at = now + LOGIN_RECHECK;
                tracing::warn!(error = %e, "Spotify login unusable");
                let detail = format!("{e}; looking again in {}", human(LOGIN_RECHECK));
                self.inbox
                    .health(HEALTH_NAME, HealthLevel::Error, detail)
                    .await;
                return Ok(at);
            }
            Err(f) => self.failed_answer(f, now),
        };
        let next = self.scheduler.next(&answer, now);
        self.report(&said, &next, now).await;
        Ok(next.at)
    }

    /// The host's undo of a skip: POST previous, then look again soon. A refusal (a free
    /// account, no active device) shows on the status line.
    async fn previous(&mut self) -> Result<Option<Timestamp>, LoopStopped> {
        let result = self.call(|api| Box::pin(api.previous())).await;
        let now = self.clock.now();
        match result {
            Ok(()) => {
                tracing::info!("spotify: back to the previous track");
                let next = self.scheduler.next(
                    &Answer::Skipped {
                        track: self.current.clone().unwrap_or_default(),
                    },
                    now,
                );
                Ok(Some(next.at))
            }
            Err(f) => {
                let reason = skip_failure_words(&f);
                tracing::warn!(%reason, "spotify: previous track refused");
                crate::players::previous_refused(&self.inbox, HEALTH_NAME, &reason).await;
                Ok(None)
            }
        }
    }

    /// Our skip: POST next, then look again soon. Failures go back to the engine in host words.
    async fn skip(&mut self, track: String) -> Result<Option<Timestamp>, LoopStopped> {
        if self.current.as_deref() != Some(track.as_str()) {
            tracing::info!(%track, current = ?self.current, "skip ignored: Spotify moved on");
            return Ok(None);
        }
        let result = self.call(|api| Box::pin(api.next())).await;
        let now = self.clock.now();
        let failure = match result {
            Ok(()) => {
                tracing::info!(%track, "skipped on Spotify");
                let next = self.scheduler.next(&Answer::Skipped { track }, now);
                self.report("204 skipped", &next, now).await;
                return Ok(Some(next.at));
            }
            Err(f) => f,
        };
        let reason = skip_failure_words(&failure);
        tracing::warn!(%track, %reason, "skip failed");
        self.send_failed(track, reason).await?;
        // A 429 also moves the next poll; other refusals leave the schedule alone.
        if let Failure::Api(ApiFailure::RateLimited(_)) = &failure {
            let (answer, said) = self.failed_answer(failure, now);
            let next = self.scheduler.next(&answer, now);
            self.report(&said, &next, now).await;
            return Ok(Some(next.at));
        }
        Ok(None)
    }

    /// A guest's request: add it to Spotify's queue and tell the engine how it went.
    async fn queue_request(
        &mut self,
        id: u64,
        track: crate::core::RequestedTrack,
    ) -> Result<Option<Timestamp>, LoopStopped> {
        use crate::core::RequestInput;
        let uri = track.uri.clone();
        let answer = match self
            .call(|api| {
                let uri = uri.clone();
                Box::pin(async move { api.add_to_queue(&uri).await })
            })
            .await
        {
            Ok(()) => RequestInput::Queued { id },
            Err(Failure::Api(e)) => {
                if let ApiFailure::RateLimited(d) = &e {
                    self.quiet_until = Some(self.clock.now() + *d);
                }
                RequestInput::Failed {
                    id,
                    reason: super::requests::queue_failure_words(&e),
                }
            }
            Err(Failure::Login(e)) => RequestInput::Failed {
                id,
                reason: format!("The Spotify login has a problem ({e}): the host must fix it."),
            },
        };
        tracing::info!(request = id, %uri, ?answer, "Spotify queue");
        self.inbox.send(Input::Request(answer)).await?;
        Ok(None)
    }

    async fn send_failed(&self, track: String, reason: String) -> Result<(), LoopStopped> {
        self.inbox
            .send(Input::Result(AdapterResult::SkipFailed { track, reason }))
            .await
    }

    /// One API call with a fresh token; a 401 refreshes once and retries once.
    async fn call<T>(
        &mut self,
        f: impl for<'a> Fn(&'a Api) -> futures::future::BoxFuture<'a, Result<T, ApiFailure>>,
    ) -> Result<T, Failure> {
        let now = self.clock.now();
        if let Some(q) = self.quiet_until.filter(|q| *q > now) {
            return Err(Failure::Api(ApiFailure::RateLimited(now.until(q))));
        }
        let access = self
            .session
            .access_token(now)
            .await
            .map_err(Failure::Login)?;
        self.api.use_token(&access).await;
        match f(&self.api).await {
            Err(ApiFailure::Unauthorized) => {
                let access = self
                    .session
                    .refresh(self.clock.now())
                    .await
                    .map_err(Failure::Login)?;
                self.api.use_token(&access).await;
                f(&self.api).await.map_err(Failure::Api)
            }
            other => other.map_err(Failure::Api),
        }
    }

    /// The scheduler's view of a failure, and a few words for the status line.
    fn failed_answer(&mut self, f: Failure, now: Timestamp) -> (Answer, String) {
        use super::token::TokenError;
        match f {
            Failure::Api(ApiFailure::RateLimited(d))
            | Failure::Login(SessionError::Token(TokenError::RateLimited(d))) => {
                self.quiet_until = Some(now + d);
                (Answer::RateLimited(d), "429 rate limited".into())
            }
            Failure::Api(e) => {
                tracing::warn!(error = %e, "Spotify poll failed");
                (Answer::ServerError, e.to_string())
            }
            Failure::Login(e) => {
                tracing::warn!(error = %e, "Spotify token refresh failed");
                (Answer::ServerError, format!("token refresh: {e}"))
            }
        }
    }

    async fn report(&self, said: &str, next: &Next, now: Timestamp) {
        let wait = human(now.until(next.at));
        let at = local_time(now);
        let mut detail = match &next.why {
            Why::RateLimited(_) | Why::Backoff { .. } => {
                format!(
                    "last answer {said} at {at}; next poll in {wait}; {}",
                    next.why
                )
            }
            why => format!("last answer {said} at {at}; next poll in {wait} ({why})"),
        };
        let mut level = if next.why.is_backoff() {
            HealthLevel::Warn
        } else {
            HealthLevel::Ok
        };
        if let Some(w) = &self.session.persist_warning {
            detail.push_str(&format!("; {w}"));
            level = HealthLevel::Error;
        }
        self.inbox.health(HEALTH_NAME, level, detail).await;
    }
}

fn describe(u: &crate::core::PlayerUpdate) -> String {
    match &u.track {
        Some(t) => format!(
            "{} \u{201c}{}\u{201d} on {}",
            u.state.label(),
            t.title,
            u.player
        ),
        None => format!("{} (no track: an ad?) on {}", u.state.label(), u.player),
    }
}

fn local_time(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.as_millis())
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| at.to_string())
}

/// What the host reads on the dashboard when a skip did not happen.
fn skip_failure_words(f: &Failure) -> String {
    match f {
        Failure::Api(e) => match (e, e.reason()) {
            (_, Some("PREMIUM_REQUIRED")) => {
                "Spotify lets only Premium accounts skip from another app: skip in the Spotify app"
                    .into()
            }
            (_, Some("NO_ACTIVE_DEVICE")) => {
                "no Spotify device is active: press play in the Spotify app, then skip again".into()
            }
            (ApiFailure::RateLimited(d), _) => format!(
                "Spotify's rate limit: skipping works again in {}",
                human(*d)
            ),
            (ApiFailure::Refused { message, .. }, _) => {
                format!("Spotify refused the skip ({message})")
            }
            (other, _) => format!("Spotify did not take the skip ({other}); try again"),
        },
        Failure::Login(e) => format!("Spotify login problem: {e}"),
    }
}
