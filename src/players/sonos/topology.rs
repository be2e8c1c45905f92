//! ZoneGroupState: which speakers play together and which one leads. Members of a group report
//! stale tracks, so we follow the coordinator. Pure parsing; the call is in control.rs.
use roxmltree::Document;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// "RINCON_…", the UDN without "uuid:".
    pub uuid: String,
    /// Its device description URL.
    pub location: String,
    pub room: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub coordinator: String,
    pub members: Vec<Member>,
}

impl Group {
    pub fn coordinator(&self) -> Option<&Member> {
        self.members.iter().find(|m| m.uuid == self.coordinator)
    }
}

/// Parse ZoneGroupState (newer firmware wraps `<ZoneGroups>` in `<ZoneGroupState>`).
pub fn parse_zone_groups(xml: &str) -> Result<Vec<Group>, String> {
    let doc = Document::parse(xml.trim()).map_err(|e| format!("unreadable ZoneGroupState: {e}"))?;
    Ok(doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "ZoneGroup")
        .map(|g| Group {
            coordinator: g.attribute("Coordinator").unwrap_or_default().to_string(),
            // Direct members only: home-theatre satellites nest inside their member.
            members: g
                .children()
                .filter(|m| m.is_element() && m.tag_name().name() == "ZoneGroupMember")
                .map(|m| Member {
                    uuid: m.attribute("UUID").unwrap_or_default().to_string(),
                    location: m.attribute("Location").unwrap_or_default().to_string(),
                    room: m.attribute("ZoneName").unwrap_or_default().to_string(),
                })
                .collect(),
        })
        .collect())
}

/// The coordinator of the group the speaker `uuid` is in.
pub(crate) fn coordinator_of<'a>(groups: &'a [Group], uuid: &str) -> Option<&'a Member> {
    groups
        .iter()
        .find(|g| g.members.iter().any(|m| m.uuid == uuid))
        .and_then(Group::coordinator)
}

/// The coordinator of the group that contains the room `room` (case-insensitive).
pub fn coordinator_of_room<'a>(groups: &'a [Group], room: &str) -> Option<&'a Member> {
    groups
        .iter()
        .find(|g| {
            g.members
                .iter()
                .any(|m| m.room.eq_ignore_ascii_case(room.trim()))
        })
        .and_then(Group::coordinator)
}

/// Every room name, sorted, once.
pub fn rooms(groups: &[Group]) -> Vec<String> {
    let mut rooms: Vec<String> = groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| m.room.clone()))
        .filter(|r| !r.is_empty())
        .collect();
    rooms.sort();
    rooms.dedup();
    rooms
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"<ZoneGroupState><ZoneGroups>
      <ZoneGroup Coordinator="RINCON_B" ID="RINCON_B:12">
        <ZoneGroupMember UUID="RINCON_A" Location="http://10.0.0.2:1400/xml/device_description.xml" ZoneName="Kitchen"/>
        <ZoneGroupMember UUID="RINCON_B" Location="http://10.0.0.3:1400/xml/device_description.xml" ZoneName="Living Room">
          <Satellite UUID="RINCON_S" Location="http://10.0.0.9:1400/xml/device_description.xml" ZoneName="Living Room"/>
        </ZoneGroupMember>
      </ZoneGroup>
      <ZoneGroup Coordinator="RINCON_C" ID="RINCON_C:3">
        <ZoneGroupMember UUID="RINCON_C" Location="http://10.0.0.4:1400/xml/device_description.xml" ZoneName="Garden"/>
      </ZoneGroup></ZoneGroups><VanishedDevices/></ZoneGroupState>"#;

    #[test]
    fn member_follows_its_coordinator() {
        let groups = parse_zone_groups(STATE).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(
            coordinator_of(&groups, "RINCON_A").unwrap().room,
            "Living Room"
        );
        assert_eq!(
            coordinator_of(&groups, "RINCON_C").unwrap().uuid,
            "RINCON_C"
        );
        assert_eq!(coordinator_of(&groups, "RINCON_X"), None);
        let c = coordinator_of_room(&groups, " kitchen ").unwrap();
        assert_eq!(
            c.location,
            "http://10.0.0.3:1400/xml/device_description.xml"
        );
        assert_eq!(rooms(&groups), ["Garden", "Kitchen", "Living Room"]);
    }

    #[test]
    fn old_firmware_root_and_junk() {
        let old = r#"<ZoneGroups><ZoneGroup Coordinator="R1"><ZoneGroupMember UUID="R1" Location="http://h:1400/x.xml" ZoneName="Den"/></ZoneGroup></ZoneGroups>"#;
        let groups = parse_zone_groups(old).unwrap();
        assert_eq!(coordinator_of_room(&groups, "Den").unwrap().uuid, "R1");
        assert!(parse_zone_groups("<ZoneGroups>").is_err());
    }
}
