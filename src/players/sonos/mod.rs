//! Sonos (and any UPnP AVTransport renderer): follow what the group coordinator plays through
//! GENA events, poll when events do not come, and send Next when the party skips.
//!
//! Map: `player` (the task) uses `resolve` (SSDP, coordinator) → `description` → `control`
//! (SOAP via `soap`) and `gena` + `listener` (events), merging `lastchange`/`didl` into `state`;
//! `watchdog` decides when one GetPositionInfo checks that events still tell the truth.
pub mod control;
pub mod description;
pub mod didl;
pub(crate) mod discover;
pub mod enqueue;
pub(crate) mod gena;
pub mod lastchange;
pub(crate) mod listener;
pub(crate) mod player;
pub mod resolve;
pub(crate) mod settings;
pub mod soap;
pub mod state;
pub mod timing;
pub mod topology;
pub mod watchdog;

use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::players::PlayerCommand;
use resolve::Wanted;
pub(crate) use settings::SonosConfig;
use std::net::SocketAddr;
use timing::Timing;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Events waiting for the loop; a burst after a queue change is a handful.
const EVENT_QUEUE: usize = 64;

impl SonosConfig {
    pub(crate) fn wanted(&self) -> Wanted {
        match (&self.url, &self.room) {
            (Some(url), _) => Wanted::Url(url.clone()),
            (None, room) => Wanted::Room(room.clone().unwrap_or_default()),
        }
    }
}

/// The Sonos player: binds the event listener (`callback_addr`, default all interfaces on a
/// free port) and follows the configured room or URL until shutdown.
pub(crate) async fn run_player(
    cfg: SonosConfig,
    inbox: Inbox,
    commands: mpsc::Receiver<PlayerCommand>,
    _clock: Clock,
    shutdown: CancellationToken,
) {
    let bind = cfg
        .callback_addr
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen for events on {bind}: {e}"));
    run_with(
        cfg.wanted(),
        listener,
        Timing::default(),
        inbox,
        commands,
        shutdown,
    )
    .await
}

/// The same with the listener and timings given (tests bind 127.0.0.1:0 and shorten times).
pub async fn run_with(
    wanted: Wanted,
    listener: Result<TcpListener, String>,
    timing: Timing,
    inbox: Inbox,
    commands: mpsc::Receiver<PlayerCommand>,
    shutdown: CancellationToken,
) {
    let (tx, events) = mpsc::channel(EVENT_QUEUE);
    let bound = match listener {
        Ok(l) => {
            let addr = l.local_addr().map_err(|e| e.to_string());
            tokio::spawn(listener::serve(l, tx, shutdown.child_token()));
            addr
        }
        Err(e) => Err(e),
    };
    // Each SOAP action and subscription bounds its own request.
    let http = crate::support::http_client::HttpClient::streaming()
        .connect_timeout(control::ACTION_TIMEOUT)
        .build();
    player::Follower::new(http, inbox, timing, wanted, bound)
        .run(events, commands, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn config_section() {
        let cfg = Config::parse("[sonos]\nroom = \"Living Room\"\n").unwrap();
        let s = cfg.sonos.unwrap();
        assert_eq!(s.wanted(), super::Wanted::Room("Living Room".into()));
        let cfg = Config::parse(
            "[sonos]\nurl = \"http://10.0.0.2:1400/xml/device_description.xml\"\ncallback_addr = \"0.0.0.0:3400\"\n",
        )
        .unwrap();
        assert_eq!(cfg.sonos.unwrap().callback_addr.unwrap().port(), 3400);
        for bad in [
            "[sonos]\n",
            "[sonos]\nroom = \"A\"\nurl = \"http://h/x\"\n",
            "[sonos]\nrom = \"A\"\n",
            "[sonos]\nurl = \"10.0.0.2\"\n",
        ] {
            let e = Config::parse(bad).unwrap_err().to_string();
            assert!(e.contains("sonos") || e.contains("rom"), "{bad}: {e}");
        }
        assert!(Config::parse("").unwrap().sonos.is_none());
    }
}
