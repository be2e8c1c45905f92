//! Sonos: NOTIFY/LastChange (with its escaped DIDL-Lite), DIDL-Lite alone, SOAP replies and
//! faults, ZoneGroupState and device descriptions. What a parse returns also goes through what
//! the player does with it (merge into the state, say what plays), as the adapter would.
use crate::mutate::{XML, mutated_text};
use crate::{fixtures, fuzz};
use party_tui::players::sonos::didl::{absolute_uri, parse_didl, parse_hms, parse_stream_content};
use party_tui::players::sonos::lastchange::{escape_xml, notify_body, parse_notify};
use party_tui::players::sonos::soap::{SoapReply, parse_reply, position_change, transport_change};
use party_tui::players::sonos::state::AvtState;
use party_tui::players::sonos::topology::{coordinator_of_room, parse_zone_groups, rooms};
use party_tui::players::sonos::{control, description};
use proptest::collection::vec;
use proptest::prelude::*;

const BASE: &str = "http://10.0.0.2:1400";

fn didl(title: &str, creator: &str, extra: &str) -> String {
    format!(
        r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item id="-1" parentID="-1" restricted="true"><res protocolInfo="sonos.com-http:*:audio/mp4:*" duration="0:03:25">x-sonos-http:a.mp4</res><r:streamContent>{extra}</r:streamContent><upnp:albumArtURI>/getaa?s=1&amp;u=x</upnp:albumArtURI><dc:title>{title}</dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class><dc:creator>{creator}</dc:creator><upnp:album>An Album</upnp:album></item></DIDL-Lite>"#
    )
}

fn notify(vars: &[(&str, String)]) -> String {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    notify_body(&vars)
}

/// Our own seeds, written from the formats (UPnP AVTransport, Sonos's DIDL-Lite).
fn notify_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        notify(&[
            ("TransportState", "PLAYING".into()),
            ("CurrentTrackURI", "x-sonos-spotify:spotify%3atrack%3a1?sid=9".into()),
            ("CurrentTrackDuration", "0:03:25".into()),
            ("CurrentTrackMetaData", didl("Song", "Band", "")),
            ("AVTransportURIMetaData", didl("Station", "", "")),
            ("r:EnqueuedTransportURIMetaData", didl("Queue", "", "")),
        ]),
        notify(&[
            ("TransportState", "PAUSED_PLAYBACK".into()),
            ("CurrentTrackURI", "x-rincon-stream:RINCON_1".into()),
            ("CurrentTrackMetaData", "NOT_IMPLEMENTED".into()),
        ]),
        notify(&[("CurrentTrackMetaData", didl("", "", "Artist - Title"))]),
        "<e:propertyset xmlns:e=\"urn:schemas-upnp-org:event-1-0\"><e:property><Volume>5</Volume></e:property></e:propertyset>".into(),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect::<Vec<_>>();
    seeds.extend(fixtures(
        "sonos",
        &["notify_avtransport_lastchange_linein.xml"],
    ));
    seeds.extend(fixtures(
        "sonos",
        &["_nodesonosts.xml", "_spotify_track.xml"],
    ));
    seeds
}

/// Any text XML 1.0 can carry (no control characters but tab, CR and LF).
fn xml_text() -> impl Strategy<Value = String> {
    any::<String>().prop_map(|s| {
        s.chars()
            .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
            .filter(|&c| c != '\u{fffe}' && c != '\u{ffff}')
            .collect()
    })
}

fn follow(state: &mut AvtState) {
    let _ = state.update("Room", BASE);
    let _ = state.track(BASE).map(|t| t.key());
}

#[test]
fn lastchange_mutated() {
    fuzz(
        "lastchange (mutated)",
        mutated_text(notify_seeds(), XML),
        |body| {
            let mut state = AvtState::default();
            if let Ok(Some(change)) = parse_notify(&body) {
                state.apply(change);
                follow(&mut state);
            }
            Ok(())
        },
    );
}

/// Events built from the grammar with hostile values: any variable, any text, metadata
/// escaped one level too many or too few.
#[test]
fn lastchange_structured() {
    let name = prop_oneof![
        Just("TransportState"),
        Just("CurrentTrackURI"),
        Just("CurrentTrackDuration"),
        Just("CurrentTrackMetaData"),
        Just("AVTransportURIMetaData"),
        Just("r:EnqueuedTransportURIMetaData"),
        Just("RelTime"),
    ];
    let value = prop_oneof![
        xml_text(),
        "[0-9:.-]{0,12}",
        (xml_text(), xml_text(), xml_text()).prop_map(|(a, b, c)| didl(
            &escape_xml(&a),
            &escape_xml(&b),
            &escape_xml(&c)
        )),
        (xml_text(), xml_text()).prop_map(|(a, b)| escape_xml(&didl(&a, &b, ""))),
    ];
    fuzz(
        "lastchange (structured)",
        vec((name, value), 0..8),
        |vars| {
            let vars: Vec<(&str, String)> = vars.into_iter().collect();
            let body = notify(&vars);
            let change =
                parse_notify(&body).map_err(|e| format!("our own escaping rejected: {e}"))?;
            let mut state = AvtState::default();
            state.apply(change.ok_or("LastChange lost")?);
            follow(&mut state);
            Ok(())
        },
    );
}

#[test]
fn didl_mutated() {
    let mut seeds: Vec<Vec<u8>> = [didl("Song", "Band", ""), didl("", "", "A - B - C")]
        .map(String::into_bytes)
        .into();
    seeds.extend(fixtures(
        "sonos",
        &["didl_track.xml", "didl_audio_broadcast.xml"],
    ));
    fuzz("didl-lite (mutated)", mutated_text(seeds, XML), |xml| {
        if let Ok(Some(item)) = parse_didl(&xml) {
            let _ = item.song();
            let _ = item.station();
            if let Some(art) = &item.art_uri {
                let _ = absolute_uri(art, BASE);
            }
        }
        let _ = parse_stream_content(&xml);
        let _ = parse_hms(&xml);
        Ok(())
    });
}

#[test]
fn hms_and_uris_any_text() {
    fuzz(
        "h:mm:ss and URIs",
        (any::<String>(), any::<String>()),
        |(a, b)| {
            let _ = parse_hms(&a);
            let _ = absolute_uri(&a, &b);
            let _ = description::origin_of(&a);
            Ok(())
        },
    );
}

fn soap(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>{inner}</s:Body></s:Envelope>"#
    )
}

#[test]
fn soap_replies_and_faults_mutated() {
    let mut seeds: Vec<Vec<u8>> = [
        soap(r#"<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>701</errorCode><errorDescription>Transition not available</errorDescription></UPnPError></detail></s:Fault>"#),
        soap(&format!(
            r#"<u:GetPositionInfoResponse xmlns:u="urn:schemas-upnp-org:service:AVTransport:1"><Track>3</Track><TrackDuration>0:03:25</TrackDuration><TrackMetaData>{}</TrackMetaData><TrackURI>x-file-cifs://nas/a.mp3</TrackURI><RelTime>0:01:02</RelTime><AbsTime>NOT_IMPLEMENTED</AbsTime></u:GetPositionInfoResponse>"#,
            escape_xml(&didl("Song", "Band", ""))
        )),
        soap(r#"<u:GetTransportInfoResponse xmlns:u="urn:schemas-upnp-org:service:AVTransport:1"><CurrentTransportState>PLAYING</CurrentTransportState><CurrentTransportStatus>OK</CurrentTransportStatus><CurrentSpeed>1</CurrentSpeed></u:GetTransportInfoResponse>"#),
    ]
    .map(String::into_bytes)
    .into();
    seeds.extend(fixtures("sonos", &["getpositioninfo_spotify_track.xml"]));
    fuzz(
        "soap replies and faults (mutated)",
        mutated_text(seeds, XML),
        |body| {
            match parse_reply(&body) {
                Ok(SoapReply::Ok(out)) => {
                    let mut state = AvtState::default();
                    state.apply(transport_change(&out));
                    state.apply(position_change(&out));
                    follow(&mut state);
                }
                Ok(SoapReply::Fault { code, description }) => {
                    let words = control::upnp_words(code, &description);
                    if words.is_empty() {
                        return Err("a fault without words".into());
                    }
                }
                Err(e) => {
                    if e.to_string().is_empty() {
                        return Err("an error without words".into());
                    }
                }
            }
            Ok(())
        },
    );
}

fn zone_groups(members: &[(String, String, String)]) -> String {
    let ms: String = members
        .iter()
        .map(|(uuid, room, loc)| {
            format!(
                r#"<ZoneGroupMember UUID="{}" Location="{}" ZoneName="{}" Invisible="0"/>"#,
                escape_xml(uuid),
                escape_xml(loc),
                escape_xml(room)
            )
        })
        .collect();
    let coord = members.first().map(|m| m.0.as_str()).unwrap_or("");
    format!(
        r#"<ZoneGroupState><ZoneGroups><ZoneGroup Coordinator="{}" ID="{}:1">{ms}</ZoneGroup></ZoneGroups><VanishedDevices/></ZoneGroupState>"#,
        escape_xml(coord),
        escape_xml(coord)
    )
}

fn check_groups(xml: &str) {
    if let Ok(groups) = parse_zone_groups(xml) {
        for room in rooms(&groups) {
            let _ = coordinator_of_room(&groups, &room);
        }
        for g in &groups {
            let _ = g.coordinator();
        }
    }
}

#[test]
fn zone_group_state_mutated() {
    let m = |u: &str, r: &str| {
        (
            u.to_string(),
            r.to_string(),
            format!("http://10.0.0.{}:1400/xml/device_description.xml", u.len()),
        )
    };
    let seeds = vec![
        zone_groups(&[m("RINCON_A01400", "Living Room"), m("RINCON_B01400", "Kitchen")]).into_bytes(),
        // Old firmware: the groups are the root.
        r#"<ZoneGroups><ZoneGroup Coordinator="RINCON_A" ID="RINCON_A:2"><ZoneGroupMember UUID="RINCON_A" Location="http://h:1400/x.xml" ZoneName="Den"><Satellite UUID="RINCON_S" Location="http://s:1400/x.xml" ZoneName="Den"/></ZoneGroupMember></ZoneGroup></ZoneGroups>"#.as_bytes().to_vec(),
    ];
    fuzz(
        "zonegroupstate (mutated)",
        mutated_text(seeds, XML),
        |xml| {
            check_groups(&xml);
            Ok(())
        },
    );
    let member = (xml_text(), xml_text(), xml_text());
    fuzz(
        "zonegroupstate (structured)",
        vec(member, 0..6),
        |members| {
            let xml = zone_groups(&members);
            parse_zone_groups(&xml).map_err(|e| format!("our own document rejected: {e}"))?;
            check_groups(&xml);
            Ok(())
        },
    );
}

#[test]
fn device_description_mutated() {
    let seeds = vec![
        r#"<?xml version="1.0" encoding="utf-8"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType><friendlyName>10.0.0.2 - Sonos One</friendlyName><roomName>Kitchen</roomName><UDN>uuid:RINCON_A01400</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:ZoneGroupTopology:1</serviceType><serviceId>urn:upnp-org:serviceId:ZoneGroupTopology</serviceId><controlURL>/ZoneGroupTopology/Control</controlURL><eventSubURL>/ZoneGroupTopology/Event</eventSubURL><SCPDURL>/xml/ZoneGroupTopology1.xml</SCPDURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType><serviceList><service><serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType><serviceId>urn:upnp-org:serviceId:AVTransport</serviceId><controlURL>/MediaRenderer/AVTransport/Control</controlURL><eventSubURL>/MediaRenderer/AVTransport/Event</eventSubURL><SCPDURL>/xml/AVTransport1.xml</SCPDURL></service></serviceList></device></deviceList></device></root>"#.as_bytes().to_vec(),
        r#"<root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://192.168.1.9:49494/</URLBase><device><friendlyName>gmediarender</friendlyName><UDN>uuid:x</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType><controlURL>upnp/control/rendertransport1</controlURL><eventSubURL>upnp/event/rendertransport1</eventSubURL></service></serviceList></device></root>"#.as_bytes().to_vec(),
    ];
    let location = prop_oneof![
        Just("http://10.0.0.2:1400/xml/device_description.xml".to_string()),
        Just("http://[fe80::1%25eth0]:1400/d.xml".to_string()),
        any::<String>(),
    ];
    fuzz(
        "device description (mutated)",
        (mutated_text(seeds, XML), location),
        |(xml, location)| {
            if let Ok(d) = description::parse_description(&xml, &location) {
                let _ = d.name();
            }
            Ok(())
        },
    );
}
