//! The embedded demo: a simulated player working through assets/demo_playlist.toml and
//! simulated guests who like and skip. With `--demo-speed N` the clock runs N× faster, so
//! everything here schedules in party time through `Clock`.
pub(crate) mod settings;

pub(crate) use settings::DemoConfig;

use super::PlayerCommand;
use crate::bus::clock::Clock;
use crate::bus::inbox::Inbox;
use crate::core::{
    Action, Input, Origin, PlayerUpdate, Press, PressKind, RequestInput, RequestedTrack, Snapshot,
    Source, Track, TransportState, Voter,
};
use anyhow::{Context, Result};
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Real players report position every few seconds; so does the demo (party time).
pub(crate) const POSITION_REPORT: Duration = Duration::from_secs(5);
/// The gap between a track ending and the next starting, as on a real speaker.
pub(crate) const TRACK_GAP: Duration = Duration::from_millis(500);
pub(crate) const PLAYER_NAME: &str = "Demo";

const PLAYLIST_TOML: &str = include_str!("../../../assets/demo_playlist.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaylistFile {
    track: Vec<PlaylistTrack>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaylistTrack {
    id: String,
    title: String,
    artist: String,
    album: String,
    duration_secs: u64,
}

/// The embedded playlist.
pub fn playlist() -> Vec<Track> {
    parse_playlist(PLAYLIST_TOML).expect("the embedded demo playlist is valid (tested)")
}

pub(crate) fn parse_playlist(text: &str) -> Result<Vec<Track>> {
    let file: PlaylistFile = toml::from_str(text).context("demo playlist")?;
    Ok(file
        .track
        .into_iter()
        .map(|t| Track {
            id: Some(t.id),
            title: t.title,
            artist: t.artist,
            album: t.album,
            duration_ms: Some(t.duration_secs * 1000),
            artist_ids: Vec::new(),
            art_uri: None,
        })
        .collect())
}

/// The simulated player: plays the playlist in a loop, reports like a real player, skips on command.
pub(crate) async fn run_player(
    playlist: Vec<Track>,
    inbox: Inbox,
    mut commands: mpsc::Receiver<PlayerCommand>,
    clock: Clock,
    shutdown: CancellationToken,
) {
    if playlist.is_empty() {
        inbox
            .health("demo", crate::core::HealthLevel::Error, "empty playlist")
            .await;
        return;
    }
    inbox
        .health(
            "demo",
            crate::core::HealthLevel::Ok,
            "playing the demo playlist",
        )
        .await;
    let mut index = 0usize;
    // Guests' requests play next, in the order they were queued, before the playlist goes on.
    let mut up_next: std::collections::VecDeque<Track> = Default::default();
    loop {
        let (track, from_playlist) = match up_next.pop_front() {
            Some(t) => (t, false),
            None => (playlist[index % playlist.len()].clone(), true),
        };
        let duration = Duration::from_millis(track.duration_ms.unwrap_or(180_000));
        let started = clock.now();
        let ends = started + duration;
        let mut skipped = false;
        loop {
            let position = clock.now().since(started).min(duration);
            let update = PlayerUpdate {
                source: Source::Demo,
                player: PLAYER_NAME.into(),
                state: TransportState::Playing,
                track: Some(track.clone()),
                position_ms: Some(position.as_millis() as u64),
            };
            if inbox.send(Input::Player(update)).await.is_err() {
                return;
            }
            let next_report = (clock.now() + POSITION_REPORT).min(ends);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                cmd = commands.recv() => match cmd {
                    Some(PlayerCommand::Skip { track: key }) if key == track.key() => {
                        skipped = true;
                        break;
                    }
                    Some(PlayerCommand::Skip { .. }) => {} // already moved on
                    Some(PlayerCommand::Previous) => {
                        // Back one (the loop's `index += 1` brings us to index - 1).
                        index = (index + playlist.len() - 2) % playlist.len();
                        skipped = true;
                        break;
                    }
                    Some(PlayerCommand::Queue { id, track: wish }) => {
                        up_next.push_back(requested_track(&playlist, &wish));
                        let queued = Input::Request(RequestInput::Queued { id });
                        if inbox.send(queued).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                _ = tokio::time::sleep_until(clock.instant_at(next_report)) => {
                    if clock.now() >= ends {
                        break;
                    }
                }
            }
        }
        if !skipped {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(clock.real_duration(TRACK_GAP)) => {}
            }
        }
        if from_playlist {
            index += 1;
        }
    }
}

/// The demo plays a requested track as the playlist has it (same key, so it matches).
fn requested_track(playlist: &[Track], wish: &RequestedTrack) -> Track {
    playlist
        .iter()
        .find(|t| t.key() == wish.uri)
        .cloned()
        .unwrap_or_else(|| Track {
            id: Some(wish.uri.clone()),
            title: wish.title.clone(),
            artist: wish.artist.clone(),
            album: wish.album.clone(),
            duration_ms: wish.duration_ms,
            artist_ids: Vec::new(),
            art_uri: wish.image.clone(),
        })
}

/// How much the simulated room likes a track: stable per track, 0.0 (hated) to 1.0 (loved).
pub(crate) fn appeal(track: &Track) -> f64 {
    // FNV-1a over the key: stable across runs, so the same demo track is always loved or hated.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in track.key().bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % 1000) as f64 / 999.0
}

/// Simulated guests: every few seconds one of them presses like or skip depending on the track's appeal.
pub(crate) async fn run_guests(
    guests: u32,
    press_interval: Duration,
    inbox: Inbox,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    clock: Clock,
    shutdown: CancellationToken,
) {
    if guests == 0 {
        return;
    }
    let mut rng = rand::rngs::StdRng::from_os_rng();
    loop {
        // Exponential gaps make presses bunch up and thin out like a real room.
        let gap = press_interval.mul_f64(-(1.0 - rng.random::<f64>()).ln());
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(clock.real_duration(gap)) => {}
        }
        let Some(np) = snapshots.borrow().now_playing.clone() else {
            continue;
        };
        let appeal = appeal(&np.track);
        let action = if rng.random::<f64>() < appeal {
            Action::Like
        } else {
            Action::Skip
        };
        let guest = format!("demo{:02}", rng.random_range(1..=guests));
        let press = Press {
            voter: Voter::guest(&guest),
            origin: Origin::Demo,
            kind: PressKind::Vote(action),
            battery: None,
        };
        if inbox.send(Input::Press(press)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_playlist_is_a_real_evening() {
        let list = playlist();
        assert!(list.len() >= 20, "at least 20 tracks, got {}", list.len());
        for t in &list {
            let d = t.duration_ms.unwrap();
            assert!((120_000..=420_000).contains(&d), "{} lasts {d} ms", t.title);
            assert!(!t.title.is_empty() && !t.artist.is_empty() && !t.album.is_empty());
        }
        let keys: std::collections::BTreeSet<_> = list.iter().map(Track::key).collect();
        assert_eq!(keys.len(), list.len(), "track keys are unique");
    }

    #[test]
    fn appeal_is_stable_and_spread() {
        let list = playlist();
        let a: Vec<f64> = list.iter().map(appeal).collect();
        assert_eq!(a, list.iter().map(appeal).collect::<Vec<_>>());
        assert!(
            a.iter().any(|&x| x < 0.4) && a.iter().any(|&x| x > 0.6),
            "{a:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn player_reports_tracks_and_obeys_skip() {
        let (inbox, mut rx) = Inbox::new();
        let (tx, cmds) = mpsc::channel(4);
        let shutdown = CancellationToken::new();
        let clock = Clock::starting_at(crate::core::Timestamp::from_millis(0), 1.0);
        let list = playlist();
        let task = tokio::spawn(run_player(
            list.clone(),
            inbox,
            cmds,
            clock,
            shutdown.clone(),
        ));
        let first = next_track(&mut rx).await;
        assert_eq!(first, list[0].title);
        tx.send(PlayerCommand::Skip {
            track: list[0].key(),
        })
        .await
        .unwrap();
        let mut second = next_track(&mut rx).await;
        while second == first {
            second = next_track(&mut rx).await;
        }
        assert_eq!(second, list[1].title);
        shutdown.cancel();
        task.await.unwrap();
    }

    async fn next_track(rx: &mut mpsc::Receiver<crate::bus::inbox::Msg>) -> String {
        loop {
            match rx.recv().await.expect("player alive") {
                crate::bus::inbox::Msg::Input {
                    input: Input::Player(u),
                    ..
                } => {
                    return u.track.unwrap().title;
                }
                _ => continue,
            }
        }
    }
}
