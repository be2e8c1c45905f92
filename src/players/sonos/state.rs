//! The renderer's state as we know it: the first event carries everything, later events and
//! polls only what changed; `apply` merges them and `update` says it as a `PlayerUpdate`.
use super::didl::{DidlItem, absolute_uri, parse_didl, parse_hms};
use super::lastchange::AvtChange;
use crate::core::{PlayerUpdate, Source, Track, TransportState};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvtState {
    pub transport_state: Option<TransportState>,
    pub track_uri: String,
    pub duration_ms: Option<u64>,
    pub item: Option<DidlItem>,
    pub station: Option<String>,
    pub position_ms: Option<u64>,
}

impl AvtState {
    /// Merge a change. Unreadable metadata is logged and treated as none: the speaker keeps
    /// playing whatever we fail to read, and the next event usually fixes it.
    pub fn apply(&mut self, change: AvtChange) {
        if let Some(state) = change.transport_state {
            self.transport_state = Some(state);
        }
        if let Some(uri) = change.track_uri {
            if uri != self.track_uri {
                // A new track: what the change does not say about it is unknown, not the old
                // track's (gmediarender sends the new URI before the new duration).
                self.item = None;
                self.duration_ms = None;
                self.position_ms = None;
            }
            self.track_uri = uri;
        }
        if let Some(d) = change.track_duration {
            self.duration_ms = parse_hms(&d).filter(|&ms| ms > 0);
        }
        if let Some(meta) = change.track_metadata {
            self.item = parse_didl(&meta).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "sonos: track metadata ignored");
                None
            });
        }
        for meta in [change.transport_uri_metadata, change.enqueued_metadata]
            .into_iter()
            .flatten()
        {
            if let Ok(Some(item)) = parse_didl(&meta)
                && let Some(station) = item.station()
            {
                self.station = Some(station.to_string());
            }
        }
        if let Some(rel) = change.rel_time {
            self.position_ms = parse_hms(&rel);
        }
    }

    /// Line-in and TV inputs: Sonos streams them as x-rincon-stream / x-sonos-htastream.
    fn is_line_in(&self) -> bool {
        self.track_uri.starts_with("x-rincon-stream:")
            || self.track_uri.starts_with("x-sonos-htastream:")
            || self
                .item
                .as_ref()
                .is_some_and(|i| i.class.contains("linein"))
    }

    /// What is playing now, if anything is.
    pub fn track(&self, base_url: &str) -> Option<Track> {
        if self.track_uri.is_empty() && self.item.is_none() {
            return None;
        }
        let item = self.item.clone().unwrap_or_default();
        let song = item.song();
        let is_stream = item
            .stream_content
            .as_deref()
            .is_some_and(|s| !s.is_empty())
            || (song.title.is_empty() && item.station().is_none() && !item.title.is_empty());
        let title = if self.is_line_in() {
            Some(item.title.clone())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "Line-in".into())
        } else if !song.title.is_empty() {
            song.title.clone()
        } else if let Some(station) = self.station.as_deref().or(item.station()) {
            station.to_string()
        } else if !item.title.is_empty() {
            item.title.clone()
        } else {
            self.track_uri.clone()
        };
        Some(Track {
            // A radio stream keeps its URI across songs, so its songs are told apart by name.
            id: Some(self.track_uri.clone()).filter(|u| !u.is_empty() && !is_stream),
            title,
            artist: song.artist,
            album: song.album,
            duration_ms: self.duration_ms.or(item.duration_ms),
            artist_ids: Vec::new(),
            art_uri: item.art_uri.map(|a| absolute_uri(&a, base_url)),
        })
    }

    /// The observation to send; None until the transport state is known.
    pub fn update(&self, player: &str, base_url: &str) -> Option<PlayerUpdate> {
        let state = self.transport_state?;
        Some(PlayerUpdate {
            source: Source::Sonos,
            player: player.to_string(),
            state,
            track: self.track(base_url),
            position_ms: self.position_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://10.0.0.2:1400";

    fn didl(inner: &str) -> String {
        format!(
            r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item>{inner}</item></DIDL-Lite>"#
        )
    }

    fn song_meta(title: &str, artist: &str) -> String {
        didl(&format!(
            "<dc:title>{title}</dc:title><dc:creator>{artist}</dc:creator><upnp:album>LP</upnp:album>\
             <upnp:class>object.item.audioItem.musicTrack</upnp:class><upnp:albumArtURI>/getaa?u=1</upnp:albumArtURI>"
        ))
    }

    #[test]
    fn full_then_partial_events_merge() {
        let mut s = AvtState::default();
        s.apply(AvtChange {
            transport_state: Some(TransportState::Playing),
            track_uri: Some("x-file:a".into()),
            track_duration: Some("0:03:00".into()),
            track_metadata: Some(song_meta("A", "Artist")),
            ..AvtChange::default()
        });
        s.apply(AvtChange {
            transport_state: Some(TransportState::Paused),
            ..AvtChange::default()
        });
        let u = s.update("Kitchen", BASE).unwrap();
        assert_eq!(u.state, TransportState::Paused);
        let t = u.track.unwrap();
        assert_eq!(
            (t.title.as_str(), t.artist.as_str(), t.album.as_str()),
            ("A", "Artist", "LP")
        );
        assert_eq!(t.id.as_deref(), Some("x-file:a"));
        assert_eq!(t.duration_ms, Some(180_000));
        assert_eq!(t.art_uri.as_deref(), Some("http://10.0.0.2:1400/getaa?u=1"));
    }

    #[test]
    fn new_uri_without_metadata_forgets_the_old_title() {
        let mut s = AvtState::default();
        s.apply(AvtChange {
            transport_state: Some(TransportState::Playing),
            track_uri: Some("http://h/a.wav".into()),
            track_duration: Some("0:00:02".into()),
            track_metadata: Some(song_meta("A", "X")),
            ..AvtChange::default()
        });
        s.apply(AvtChange {
            track_uri: Some("http://h/b.wav".into()),
            ..AvtChange::default()
        });
        assert_eq!(s.track(BASE).unwrap().title, "http://h/b.wav");
        s.apply(AvtChange {
            track_uri: Some("http://h/c.wav".into()),
            track_metadata: Some(song_meta("C", "X")),
            ..AvtChange::default()
        });
        let t = s.track(BASE).unwrap();
        assert_eq!(
            (t.title.as_str(), t.duration_ms),
            ("C", None),
            "no stale duration"
        );
    }

    #[test]
    fn radio_song_station_and_line_in() {
        let mut s = AvtState::default();
        s.apply(AvtChange {
            transport_state: Some(TransportState::Playing),
            track_uri: Some("x-sonosapi-stream:s1".into()),
            track_duration: Some("0:00:00".into()),
            track_metadata: Some(didl(
                "<r:streamContent></r:streamContent><dc:title>x-sonosapi-stream:s1</dc:title><upnp:class>object.item</upnp:class>",
            )),
            enqueued_metadata: Some(didl(
                "<dc:title>Lugna Favoriter</dc:title><upnp:class>object.item.audioItem.audioBroadcast</upnp:class>",
            )),
            ..AvtChange::default()
        });
        let t = s.track(BASE).unwrap();
        assert_eq!(
            (t.title.as_str(), t.id, t.duration_ms),
            ("Lugna Favoriter", None, None)
        );
        s.apply(AvtChange {
            track_metadata: Some(didl(
                "<r:streamContent>Leona Lewis - Bleeding Love</r:streamContent><upnp:class>object.item</upnp:class>",
            )),
            ..AvtChange::default()
        });
        let t = s.track(BASE).unwrap();
        assert_eq!(
            (t.title.as_str(), t.artist.as_str()),
            ("Bleeding Love", "Leona Lewis")
        );
        assert_eq!(t.key(), "Bleeding Love — Leona Lewis");

        let mut s = AvtState::default();
        s.apply(AvtChange {
            transport_state: Some(TransportState::Playing),
            track_uri: Some("x-rincon-stream:RINCON_1".into()),
            track_metadata: Some("NOT_IMPLEMENTED".into()),
            ..AvtChange::default()
        });
        assert_eq!(s.track(BASE).unwrap().title, "Line-in");
    }

    #[test]
    fn nothing_known_yet() {
        let s = AvtState::default();
        assert_eq!(s.update("R", BASE), None);
        assert_eq!(s.track(BASE), None);
    }
}
