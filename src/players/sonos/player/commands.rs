//! Commands the party sends the speaker: skip (Next), the host's undo (Previous) and guests'
//! requests (AddURIToQueue). Split from player.rs; `Follower`'s state stays there.
use super::*;

impl Follower {
    /// The host's undo of a skip. Radio and some queues have no previous track: say so.
    pub(super) async fn previous(&mut self) {
        let result = match &self.device {
            None => Err("the speaker is not reachable".to_string()),
            Some(d) => d.avt.previous().await.map_err(|e| e.to_string()),
        };
        match result {
            Ok(()) => {
                tracing::info!("sonos: back to the previous track");
                if let Some(at) = &mut self.poll_at {
                    *at = (*at).min(Instant::now() + self.timing.poll_after_skip);
                }
            }
            Err(reason) => {
                tracing::warn!(%reason, "sonos: previous track refused");
                crate::players::previous_refused(&self.inbox, HEALTH_NAME, &reason).await;
            }
        }
    }

    pub(super) async fn skip(&mut self, track: String) {
        let result = match &self.device {
            None => Err("the speaker is not reachable".to_string()),
            Some(d) => {
                let playing = self.state.track(&d.desc.base).map(|t| t.key());
                if playing.as_deref().is_some_and(|k| k != track) {
                    // The track already changed: skipping now would skip the next one.
                    return tracing::info!(%track, "sonos: skip for a track no longer playing ignored");
                }
                d.avt.next().await.map_err(|e| e.to_string())
            }
        };
        match result {
            Ok(()) => {
                tracing::info!(%track, "sonos: skipped (Next)");
                // While polling, look again soon so the party sees the new track quickly.
                if let Some(at) = &mut self.poll_at {
                    *at = (*at).min(Instant::now() + self.timing.poll_after_skip);
                }
            }
            Err(reason) => {
                tracing::warn!(%track, %reason, "sonos: skip failed");
                let failed = AdapterResult::SkipFailed { track, reason };
                let _ = self.inbox.send(Input::Result(failed)).await;
            }
        }
    }

    /// A guest's request: AddURIToQueue on the coordinator, the other region's service type
    /// once after a UPnP 800; the answer goes back to the engine.
    pub(super) async fn queue_request(&mut self, id: u64, track: crate::core::RequestedTrack) {
        use crate::core::RequestInput;
        use crate::players::sonos::enqueue::{self, UPNP_SPOTIFY_REFUSED};
        let account = self.spotify_account.clone();
        let first = account
            .as_ref()
            .map_or(enqueue::SERVICE_TYPE_EU, |a| a.service_type());
        let result = match &self.device {
            None => {
                Err("The Sonos speaker is not reachable right now: ask again soon.".to_string())
            }
            Some(d) => {
                let mut outcome = Err(String::new());
                for service_type in [first, enqueue::other_type(first)] {
                    let Some(args) =
                        enqueue::add_uri_args(&track.uri, account.as_ref(), service_type)
                    else {
                        outcome = Err("Sonos can only queue Spotify tracks here.".into());
                        break;
                    };
                    let args: Vec<(&str, &str)> =
                        args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    match d.avt.action("AddURIToQueue", &args).await {
                        Ok(_) => {
                            outcome = Ok(());
                            break;
                        }
                        Err(ControlError::Upnp { code, .. }) if code == UPNP_SPOTIFY_REFUSED => {
                            tracing::info!(service_type, "sonos: AddURIToQueue refused (800)");
                            outcome = Err(enqueue::refused_words(code));
                        }
                        Err(ControlError::Upnp { code, .. }) => {
                            outcome = Err(enqueue::refused_words(code));
                            break;
                        }
                        Err(e) => {
                            outcome = Err(format!("Sonos did not take it ({e})."));
                            break;
                        }
                    }
                }
                outcome
            }
        };
        let answer = match result {
            Ok(()) => RequestInput::Queued { id },
            Err(reason) => {
                tracing::warn!(request = id, %reason, "sonos: request not queued");
                RequestInput::Failed { id, reason }
            }
        };
        let _ = self.inbox.send(Input::Request(answer)).await;
    }
}
