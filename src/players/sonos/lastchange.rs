//! GENA NOTIFY bodies and AVTransport LastChange. The NOTIFY body is XML; its LastChange
//! property is an escaped `<Event>` document; that document's metadata values are escaped
//! DIDL-Lite again. Each layer is parsed by roxmltree, which undoes one level of escaping.
use crate::core::TransportState;
use roxmltree::Document;

/// What one LastChange event (or one poll) says. `None` = not mentioned: keep what we knew.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AvtChange {
    pub transport_state: Option<TransportState>,
    pub track_uri: Option<String>,
    /// "H:MM:SS" as sent ("" and "NOT_IMPLEMENTED" included); parsed when merged.
    pub track_duration: Option<String>,
    /// CurrentTrackMetaData: DIDL-Lite text, still to parse.
    pub track_metadata: Option<String>,
    /// AVTransportURIMetaData: for radio, the station.
    pub transport_uri_metadata: Option<String>,
    /// r:EnqueuedTransportURIMetaData: Sonos's copy of the station or playlist.
    pub enqueued_metadata: Option<String>,
    /// Only from polling (events do not carry it).
    pub rel_time: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("unreadable event XML: {0}")]
    Xml(#[from] roxmltree::Error),
    #[error("the event has no {0}")]
    Missing(&'static str),
}

/// A GENA NOTIFY body (`<e:propertyset>`) → its (property name, text) pairs.
pub(crate) fn parse_propertyset(body: &str) -> Result<Vec<(String, String)>, EventError> {
    let doc = Document::parse(body.trim())?;
    let root = doc.root_element();
    if root.tag_name().name() != "propertyset" {
        return Err(EventError::Missing("propertyset"));
    }
    Ok(root
        .children()
        .filter(|n| n.is_element())
        .filter_map(|property| property.first_element_child())
        .map(|var| {
            (
                var.tag_name().name().to_string(),
                var.text().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// The LastChange inside a NOTIFY body, parsed; Ok(None) when the body has no LastChange.
pub fn parse_notify(body: &str) -> Result<Option<AvtChange>, EventError> {
    let props = parse_propertyset(body)?;
    match props.into_iter().find(|(name, _)| name == "LastChange") {
        Some((_, event)) => parse_last_change(&event).map(Some),
        None => Ok(None),
    }
}

/// An `<Event><InstanceID val="0">…` document → the change for instance 0.
pub(crate) fn parse_last_change(event: &str) -> Result<AvtChange, EventError> {
    let doc = Document::parse(event.trim())?;
    let instance = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "InstanceID")
        .ok_or(EventError::Missing("InstanceID"))?;
    let mut change = AvtChange::default();
    for var in instance.children().filter(|n| n.is_element()) {
        // A variable without val is malformed; skip it rather than invent an empty value.
        let Some(val) = var.attribute("val") else {
            continue;
        };
        let val = Some(val.to_string());
        match var.tag_name().name() {
            "TransportState" => change.transport_state = val.as_deref().and_then(transport_state),
            "CurrentTrackURI" => change.track_uri = val,
            "CurrentTrackDuration" => change.track_duration = val,
            "CurrentTrackMetaData" => change.track_metadata = val,
            "AVTransportURIMetaData" => change.transport_uri_metadata = val,
            "EnqueuedTransportURIMetaData" => change.enqueued_metadata = val,
            _ => {}
        }
    }
    Ok(change)
}

/// UPnP TransportState values → ours. Unknown values (vendor extensions) → None.
pub fn transport_state(val: &str) -> Option<TransportState> {
    Some(match val.trim() {
        "PLAYING" => TransportState::Playing,
        "PAUSED_PLAYBACK" | "PAUSED_RECORDING" => TransportState::Paused,
        "STOPPED" => TransportState::Stopped,
        "TRANSITIONING" => TransportState::Transitioning,
        "NO_MEDIA_PRESENT" => TransportState::NoMedia,
        _ => return None,
    })
}

/// Escape text for an XML attribute or element (used by tests and by SOAP bodies).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Build a NOTIFY body the way a renderer does: DIDL escaped into the event, the event
/// escaped into the propertyset.
pub fn notify_body(vars: &[(&str, &str)]) -> String {
    let inner: String = vars
        .iter()
        .map(|(k, v)| format!(r#"<{k} val="{}"/>"#, escape_xml(v)))
        .collect();
    let event = format!(
        r#"<Event xmlns="urn:schemas-upnp-org:metadata-1-0/AVT/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/"><InstanceID val="0">{inner}</InstanceID></Event>"#
    );
    format!(
        r#"<?xml version="1.0"?><e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property><LastChange>{}</LastChange></e:property></e:propertyset>"#,
        escape_xml(&event)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_escaping_unwraps_to_plain_text() {
        // The res URI holds a literal '&': escaped once in DIDL, twice in the event, thrice on the wire.
        let didl = r#"<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/"><item><res>x-sonos-spotify:a?sid=9&amp;sn=7</res><dc:title>Ex&apos;s &amp; Oh&apos;s</dc:title></item></DIDL-Lite>"#;
        let body = notify_body(&[
            ("TransportState", "PLAYING"),
            ("CurrentTrackMetaData", didl),
        ]);
        assert!(
            body.contains("&amp;amp;amp;sn=7"),
            "three levels on the wire"
        );
        let change = parse_notify(&body).unwrap().unwrap();
        assert_eq!(change.transport_state, Some(TransportState::Playing));
        let item = super::super::didl::parse_didl(change.track_metadata.as_deref().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(item.title, "Ex's & Oh's");
        assert_eq!(item.res.as_deref(), Some("x-sonos-spotify:a?sid=9&sn=7"));
    }

    #[test]
    fn partial_event_mentions_only_what_changed() {
        let change = parse_notify(&notify_body(&[("TransportState", "PAUSED_PLAYBACK")]))
            .unwrap()
            .unwrap();
        assert_eq!(
            change,
            AvtChange {
                transport_state: Some(TransportState::Paused),
                ..AvtChange::default()
            }
        );
    }

    #[test]
    fn empty_values_and_missing_val() {
        let body = notify_body(&[("CurrentTrackDuration", ""), ("CurrentTrackMetaData", "")]);
        let change = parse_notify(&body).unwrap().unwrap();
        assert_eq!(change.track_duration.as_deref(), Some(""));
        assert_eq!(change.track_metadata.as_deref(), Some(""));
        let event = r#"<Event><InstanceID val="0"><TransportState/><CurrentTrackURI val=""/></InstanceID></Event>"#;
        let change = parse_last_change(event).unwrap();
        assert_eq!(change.transport_state, None);
        assert_eq!(change.track_uri.as_deref(), Some(""));
    }

    #[test]
    fn bodies_without_last_change_or_broken() {
        let other = r#"<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property><Volume>3</Volume></e:property></e:propertyset>"#;
        assert_eq!(parse_notify(other).unwrap(), None);
        assert!(parse_notify("<e:propertyset").is_err());
        assert!(parse_notify("<html/>").is_err());
        assert!(parse_last_change("<Event/>").is_err());
    }

    #[test]
    fn states() {
        assert_eq!(
            transport_state("NO_MEDIA_PRESENT"),
            Some(TransportState::NoMedia)
        );
        assert_eq!(
            transport_state("TRANSITIONING"),
            Some(TransportState::Transitioning)
        );
        assert_eq!(transport_state("BUFFERING"), None);
    }
}
