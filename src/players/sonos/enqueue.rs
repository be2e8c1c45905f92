//! Queueing a guest's Spotify request on Sonos: AddURIToQueue on the group's coordinator with
//! the URI and DIDL metadata Sonos expects for its Spotify service, built the way
//! node-sonos-ts (with the account serial `sn`) and SoCo's ShareLink plugin (without) send it.
//! Spotify on Sonos is service 9 (type 2311) for most accounts and 12 (type 3079) for US ones;
//! a wrong guess is UPnP error 800, so the other type is tried once.
use super::lastchange::escape_xml;

/// Spotify's Sonos service type for most of the world (sid 9).
pub const SERVICE_TYPE_EU: u32 = 2311;
/// The type US accounts use (sid 12).
pub(crate) const SERVICE_TYPE_US: u32 = 3079;
/// What the speaker answers when the service, region or account does not fit.
pub(crate) const UPNP_SPOTIFY_REFUSED: u16 = 800;

/// The household's Spotify account on Sonos, learned from a Spotify URI the speaker played:
/// the serial cannot be queried since 2018.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotifyAccount {
    pub sid: u32,
    pub sn: String,
}

impl SpotifyAccount {
    pub fn service_type(&self) -> u32 {
        self.sid * 256 + 7
    }
}

/// `x-sonos-spotify:spotify%3atrack%3a…?sid=9&flags=8224&sn=7` → sid 9, sn 7.
pub fn account_from_uri(uri: &str) -> Option<SpotifyAccount> {
    let rest = uri.strip_prefix("x-sonos-spotify:")?;
    let (_, query) = rest.split_once('?')?;
    let mut sid = None;
    let mut sn = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            // A sid whose service type (sid × 256 + 7) does not fit is no Sonos service.
            Some(("sid", v)) => {
                sid = v
                    .parse::<u32>()
                    .ok()
                    .filter(|s| s.checked_mul(256).and_then(|t| t.checked_add(7)).is_some())
            }
            Some(("sn", v)) if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) => {
                sn = Some(v.to_string())
            }
            _ => {}
        }
    }
    Some(SpotifyAccount { sid: sid?, sn: sn? })
}

/// The other region's service type, for the retry after a 800.
pub fn other_type(service_type: u32) -> u32 {
    if service_type == SERVICE_TYPE_US {
        SERVICE_TYPE_EU
    } else {
        SERVICE_TYPE_US
    }
}

/// AddURIToQueue's arguments, in order, for `spotify:track:<id>`; None for other URIs.
pub fn add_uri_args(
    uri: &str,
    account: Option<&SpotifyAccount>,
    service_type: u32,
) -> Option<Vec<(&'static str, String)>> {
    let id = uri.strip_prefix("spotify:track:")?;
    if id.len() != 22 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let escaped = format!("spotify%3atrack%3a{id}");
    // node-sonos-ts's form names the account and queues as next; SoCo's appends without it.
    let (enqueued, parent, as_next) = match account {
        Some(a) => (
            format!(
                "x-sonos-spotify:{escaped}?sid={}&flags=8224&sn={}",
                (service_type - 7) / 256,
                a.sn
            ),
            "",
            "1",
        ),
        None => (escaped.clone(), r#" parentID="-1""#, "0"),
    };
    let didl = format!(
        r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item id="00032020{}"{parent} restricted="true"><dc:title></dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class><desc id="cdudn" nameSpace="urn:schemas-rinconnetworks-com:metadata-1-0/">SA_RINCON{service_type}_X_#Svc{service_type}-0-Token</desc></item></DIDL-Lite>"#,
        escape_xml(&escaped)
    );
    Some(vec![
        ("InstanceID", "0".into()),
        ("EnqueuedURI", enqueued),
        ("EnqueuedURIMetaData", didl),
        ("DesiredFirstTrackNumberEnqueued", "0".into()),
        ("EnqueueAsNext", as_next.into()),
    ])
}

/// What to tell the guest (and the host) when Sonos still says no.
pub fn refused_words(code: u16) -> String {
    if code == UPNP_SPOTIFY_REFUSED {
        "Sonos would not queue it (UPnP 800): the host should check that Spotify is added as a \
         music service in the Sonos app and that [sonos] points at the group's main speaker."
            .into()
    } else {
        format!(
            "Sonos would not queue it ({}).",
            super::control::upnp_words(code, "")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_learned_from_a_played_spotify_uri() {
        let a = account_from_uri(
            "x-sonos-spotify:spotify%3atrack%3a3b9xTm2eiaCRTGqUEWuzxc?sid=9&flags=8224&sn=7",
        )
        .unwrap();
        assert_eq!(
            a,
            SpotifyAccount {
                sid: 9,
                sn: "7".into()
            }
        );
        assert_eq!(a.service_type(), SERVICE_TYPE_EU);
        assert_eq!(account_from_uri("x-rincon-queue:RINCON_1#0"), None);
        assert_eq!(
            account_from_uri("x-sonos-spotify:spotify%3atrack%3ax?sid=9"),
            None
        );
        // Found by fuzzing (tests/fuzz/requests.rs): a sid this large overflowed
        // `service_type()` (a panic in debug builds, a wrong type in release).
        assert_eq!(
            account_from_uri("x-sonos-spotify:spotify%3atrack%3ax?sid=16777216&sn=7"),
            None
        );
        let largest = account_from_uri("x-sonos-spotify:x?sid=16777215&sn=7").unwrap();
        assert_eq!(largest.service_type(), 4_294_967_047);
        assert_eq!(other_type(SERVICE_TYPE_EU), SERVICE_TYPE_US);
        assert_eq!(other_type(SERVICE_TYPE_US), SERVICE_TYPE_EU);
    }

    #[test]
    fn only_spotify_track_uris_are_queued() {
        assert!(add_uri_args("spotify:album:3b9xTm2eiaCRTGqUEWuzxc", None, 2311).is_none());
        assert!(add_uri_args("spotify:track:short", None, 2311).is_none());
        let args = add_uri_args("spotify:track:3b9xTm2eiaCRTGqUEWuzxc", None, 3079).unwrap();
        assert!(args[2].1.contains("SA_RINCON3079_X_#Svc3079-0-Token"));
    }
}
