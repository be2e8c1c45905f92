//! `[sonos]` of config.toml: which speaker to follow and where its events reach us. A leaf.
use serde::Deserialize;

/// `[sonos]`: the room (found by SSDP) or the speaker's description URL, exactly one.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawSonos")]
pub struct SonosConfig {
    pub room: Option<String>,
    pub url: Option<String>,
    /// Where the event listener binds (default: all interfaces, a free port); the speaker
    /// must reach this address.
    pub callback_addr: Option<std::net::SocketAddr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSonos {
    room: Option<String>,
    url: Option<String>,
    callback_addr: Option<std::net::SocketAddr>,
}

impl TryFrom<RawSonos> for SonosConfig {
    type Error = String;
    fn try_from(r: RawSonos) -> Result<Self, String> {
        match (&r.room, &r.url) {
            (Some(_), Some(_)) | (None, None) => {
                return Err("[sonos]: give exactly one of `room` and `url`".into());
            }
            (Some(room), None) if room.trim().is_empty() => {
                return Err("[sonos]: `room` must not be empty".into());
            }
            (None, Some(url)) if !url.starts_with("http://") => {
                return Err(format!(
                    "[sonos]: `url = \"{url}\"` must be like \"http://192.168.1.20:1400/xml/device_description.xml\""
                ));
            }
            _ => {}
        }
        Ok(SonosConfig {
            room: r.room,
            url: r.url,
            callback_addr: r.callback_addr,
        })
    }
}
