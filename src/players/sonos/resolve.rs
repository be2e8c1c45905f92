//! Which device to follow: the configured URL or room, then its group's coordinator.
//! SSDP discovery is rupnp's; everything after the description URL is ours.
use super::control::{Control, ControlError};
use super::description::{self, Description};
use super::topology::{self, Group};
use futures::StreamExt;
use rupnp::ssdp::{SearchTarget, URN};
use std::time::Duration;

/// How long SSDP search listens for answers.
pub(crate) const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(3);

/// Where to find the speaker, from `[sonos]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    Url(String),
    Room(String),
}

/// A speaker found by SSDP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub location: String,
    pub friendly_name: String,
    pub room: Option<String>,
}

/// Sonos players answer SSDP for ZonePlayer:1; other renderers are not listed.
pub(crate) async fn discover(timeout: Duration) -> Result<Vec<Found>, String> {
    let target = SearchTarget::URN(URN::device("schemas-upnp-org", "ZonePlayer", 1));
    let search = async {
        let devices = rupnp::discover_with_properties(&target, timeout, None, &["roomName"])
            .await
            .map_err(|e| format!("SSDP search failed: {e}"))?;
        let mut devices = std::pin::pin!(devices);
        let mut found = Vec::new();
        while let Some(d) = devices.next().await {
            match d {
                Ok(d) => found.push(Found {
                    location: d.url().to_string(),
                    friendly_name: d.friendly_name().to_string(),
                    room: d.get_extra_property("roomName").map(str::to_string),
                }),
                // One unreadable device must not hide the others.
                Err(e) => {
                    tracing::debug!(error = %e, "sonos: a device answered SSDP but its description failed")
                }
            }
        }
        Ok::<_, String>(found)
    };
    // rupnp fetches each description without a deadline of its own: bound the whole search.
    let mut found = tokio::time::timeout(timeout + Duration::from_secs(2), search)
        .await
        .unwrap_or_else(|_| Ok(Vec::new()))?;
    found.sort_by(|a, b| (&a.room, &a.location).cmp(&(&b.room, &b.location)));
    found.dedup_by(|a, b| a.location == b.location);
    Ok(found)
}

/// The groups as a speaker with ZoneGroupTopology sees them; None for plain renderers.
pub(crate) async fn groups(
    http: &reqwest::Client,
    d: &Description,
) -> Option<Result<Vec<Group>, String>> {
    let zgt = d.zone_group_topology.as_ref()?;
    let state = Control::zone_group_topology(http.clone(), &zgt.control)
        .zone_group_state()
        .await;
    Some(
        state
            .map_err(|e: ControlError| e.to_string())
            .and_then(|xml| topology::parse_zone_groups(&xml)),
    )
}

/// The description of the device to follow: the coordinator of the wanted device's group
/// (the device itself when it has no ZoneGroupTopology, like gmediarender).
pub(crate) async fn coordinator(
    http: &reqwest::Client,
    wanted: &Wanted,
) -> Result<Description, String> {
    let (start, room) = match wanted {
        Wanted::Url(url) => (description::fetch(http, url).await?, None),
        Wanted::Room(room) => {
            let found = discover(DISCOVERY_TIMEOUT).await?;
            let first = found.first().ok_or_else(|| {
                format!("no Sonos speaker answered SSDP (looking for room \"{room}\")")
            })?;
            (
                description::fetch(http, &first.location).await?,
                Some(room.clone()),
            )
        }
    };
    let Some(groups) = groups(http, &start).await else {
        return match room {
            Some(r) if !start.name().eq_ignore_ascii_case(&r) => {
                Err(format!("no room \"{r}\" (found {})", start.name()))
            }
            _ => Ok(start),
        };
    };
    let groups = groups?;
    let leader = match &room {
        Some(r) => topology::coordinator_of_room(&groups, r).ok_or_else(|| {
            format!(
                "no room \"{r}\"; rooms: {}",
                topology::rooms(&groups).join(", ")
            )
        })?,
        None => match topology::coordinator_of(&groups, &start.udn) {
            Some(c) => c,
            None => return Ok(start),
        },
    };
    if leader.uuid == start.udn || leader.location.is_empty() {
        return Ok(start);
    }
    description::fetch(http, &leader.location).await
}
