//! SOAP envelopes for UPnP actions, both ways. Pure: building request bodies and reading
//! responses and faults (`<UPnPError><errorCode>701</errorCode>`), so they are tested offline.
use super::lastchange::{AvtChange, escape_xml};
use roxmltree::Document;
use std::collections::HashMap;

pub const AVTRANSPORT: &str = "urn:schemas-upnp-org:service:AVTransport:1";
pub(crate) const ZONE_GROUP_TOPOLOGY: &str = "urn:schemas-upnp-org:service:ZoneGroupTopology:1";

/// A request body; `args` are (name, unescaped value) in the order the action declares them.
pub fn envelope(service: &str, action: &str, args: &[(&str, &str)]) -> String {
    let args: String = args
        .iter()
        .map(|(k, v)| format!("<{k}>{}</{k}>", escape_xml(v)))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:{action} xmlns:u="{service}">{args}</u:{action}></s:Body></s:Envelope>"#
    )
}

/// What a control URL answered, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoapReply {
    /// The output arguments (name → unescaped text).
    Ok(HashMap<String, String>),
    /// A UPnP fault: the error code (0 when the device gave none) and its description.
    Fault { code: u16, description: String },
}

#[derive(Debug, thiserror::Error)]
#[error("unreadable SOAP reply: {0}")]
pub struct SoapError(String);

pub fn parse_reply(body: &str) -> Result<SoapReply, SoapError> {
    let doc = Document::parse(body.trim()).map_err(|e| SoapError(e.to_string()))?;
    let body = doc
        .root_element()
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Body")
        .ok_or_else(|| SoapError("no s:Body".into()))?;
    let first = body
        .first_element_child()
        .ok_or_else(|| SoapError("empty s:Body".into()))?;
    let text_of = |name: &str| {
        first
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
    };
    if first.tag_name().name() == "Fault" {
        return Ok(SoapReply::Fault {
            code: text_of("errorCode")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            description: text_of("errorDescription")
                .or_else(|| text_of("faultstring"))
                .unwrap_or_default(),
        });
    }
    Ok(SoapReply::Ok(
        first
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                let text = n.text().unwrap_or_default().to_string();
                (n.tag_name().name().to_string(), text)
            })
            .collect(),
    ))
}

/// GetPositionInfo's outputs as a change to merge (the same shape events give).
pub fn position_change(out: &HashMap<String, String>) -> AvtChange {
    AvtChange {
        track_uri: out.get("TrackURI").cloned(),
        track_duration: out.get("TrackDuration").cloned(),
        track_metadata: out.get("TrackMetaData").cloned(),
        rel_time: out.get("RelTime").cloned(),
        ..AvtChange::default()
    }
}

/// GetTransportInfo's outputs as a change to merge.
pub fn transport_change(out: &HashMap<String, String>) -> AvtChange {
    AvtChange {
        transport_state: out
            .get("CurrentTransportState")
            .and_then(|s| super::lastchange::transport_state(s)),
        ..AvtChange::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_escapes_arguments() {
        let e = envelope(
            AVTRANSPORT,
            "SetAVTransportURI",
            &[("CurrentURI", "http://h/a?x=1&y=2")],
        );
        assert!(e.contains("<CurrentURI>http://h/a?x=1&amp;y=2</CurrentURI>"));
        assert!(e.contains(
            r#"<u:SetAVTransportURI xmlns:u="urn:schemas-upnp-org:service:AVTransport:1">"#
        ));
    }

    #[test]
    fn reply_and_fault() {
        let ok = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetTransportInfoResponse xmlns:u="urn:schemas-upnp-org:service:AVTransport:1"><CurrentTransportState>PAUSED_PLAYBACK</CurrentTransportState><CurrentTransportStatus>OK</CurrentTransportStatus><CurrentSpeed>1</CurrentSpeed></u:GetTransportInfoResponse></s:Body></s:Envelope>"#;
        let SoapReply::Ok(out) = parse_reply(ok).unwrap() else {
            panic!("not ok")
        };
        assert_eq!(
            transport_change(&out).transport_state,
            Some(crate::core::TransportState::Paused)
        );
        let fault = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>701</errorCode></UPnPError></detail></s:Fault></s:Body></s:Envelope>"#;
        assert_eq!(
            parse_reply(fault).unwrap(),
            SoapReply::Fault {
                code: 701,
                description: "UPnPError".into()
            }
        );
        assert!(parse_reply("<html>").is_err());
        assert!(parse_reply("<a/>").is_err());
    }
}
