//! A guest's request queued on a fake Sonos speaker: AddURIToQueue on the coordinator with the
//! account serial learned from the Spotify track it plays, the other region's service type
//! after a UPnP 800, and plain words when it still fails. The expected arguments are written
//! here from the documented format (node-sonos-ts's request for the same track).
use crate::sonos_fake;

use party_tui::bus::inbox::{Inbox, Msg};
use party_tui::core::{Input, RequestInput, RequestedTrack, TransportState};
use party_tui::players::PlayerCommand;
use party_tui::players::sonos::resolve::Wanted;
use party_tui::players::sonos::timing::Timing;
use sonos_fake::Fake;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const LIMIT: Duration = Duration::from_secs(10);

fn wish(id: &str) -> RequestedTrack {
    RequestedTrack {
        uri: format!("spotify:track:{id}"),
        title: "Wish".into(),
        artist: "Band".into(),
        ..Default::default()
    }
}

async fn answer(rx: &mut mpsc::Receiver<Msg>) -> RequestInput {
    tokio::time::timeout(LIMIT, async {
        loop {
            if let Msg::Input {
                input: Input::Request(r),
                ..
            } = rx.recv().await.expect("player running")
            {
                return r;
            }
        }
    })
    .await
    .expect("an answer to the queue command")
}

#[tokio::test]
async fn a_request_is_queued_with_the_learned_serial_retrying_the_us_type_after_800() {
    let fake = Fake::start(1800).await;
    fake.with(|s| s.spotify_sn = Some("7"));
    let (inbox, mut rx) = Inbox::new();
    let (cmds, cmd_rx) = mpsc::channel(4);
    let stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string());
    let player = tokio::spawn(party_tui::players::sonos::run_with(
        Wanted::Url(fake.description_url()),
        listener,
        Timing::default(),
        inbox,
        cmd_rx,
        stop.clone(),
    ));
    // The speaker plays a Spotify track: the account serial is learned from its URI.
    tokio::time::timeout(LIMIT, async {
        loop {
            if let Some(Msg::Input {
                input: Input::Player(u),
                ..
            }) = rx.recv().await
                && u.state == TransportState::Playing
                && u.track.is_some()
            {
                return;
            }
        }
    })
    .await
    .expect("the speaker's state");

    fake.with(|s| s.queue_faults.push_back(800));
    cmds.send(PlayerCommand::Queue {
        id: 1,
        track: wish("3b9xTm2eiaCRTGqUEWuzxc"),
    })
    .await
    .unwrap();
    assert_eq!(answer(&mut rx).await, RequestInput::Queued { id: 1 });
    let calls = fake.with(|s| s.add_uri_calls.clone());
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0]["EnqueuedURI"],
        "x-sonos-spotify:spotify%3atrack%3a3b9xTm2eiaCRTGqUEWuzxc?sid=9&flags=8224&sn=7"
    );
    assert_eq!(
        calls[0]["EnqueuedURIMetaData"],
        r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item id="00032020spotify%3atrack%3a3b9xTm2eiaCRTGqUEWuzxc" restricted="true"><dc:title></dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class><desc id="cdudn" nameSpace="urn:schemas-rinconnetworks-com:metadata-1-0/">SA_RINCON2311_X_#Svc2311-0-Token</desc></item></DIDL-Lite>"#
    );
    assert_eq!(calls[0]["InstanceID"], "0");
    assert_eq!(calls[0]["DesiredFirstTrackNumberEnqueued"], "0");
    assert_eq!(calls[0]["EnqueueAsNext"], "1");
    // The retry: the US service (sid 12, type 3079).
    assert!(calls[1]["EnqueuedURI"].contains("?sid=12&flags=8224&sn=7"));
    assert!(calls[1]["EnqueuedURIMetaData"].contains("SA_RINCON3079_X_#Svc3079-0-Token"));

    // Refused with both types: the request fails, saying what to check.
    fake.with(|s| s.queue_faults.extend([800, 800]));
    cmds.send(PlayerCommand::Queue {
        id: 2,
        track: wish("4PTG3Z6ehGkBFwjybzWkR8"),
    })
    .await
    .unwrap();
    let RequestInput::Failed { id: 2, reason } = answer(&mut rx).await else {
        panic!("not failed")
    };
    assert!(
        reason.contains("Spotify is added as a music service"),
        "{reason}"
    );
    assert_eq!(fake.with(|s| s.add_uri_calls.len()), 4);
    stop.cancel();
    let _ = player.await;
    fake.stop().await;
}
