//! The device description (`/xml/device_description.xml`): names and the service URLs we need.
//! Parsed here rather than through rupnp::Device because rupnp keeps control and event URLs
//! private, and we speak SOAP and GENA ourselves.
use roxmltree::{Document, Node};

/// URLs of one service, absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUrls {
    pub control: String,
    pub event_sub: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// Where the description was read from.
    pub location: String,
    /// "http://host:port": the base for relative URLs and album art.
    pub base: String,
    pub friendly_name: String,
    /// Sonos's room name; None on other renderers.
    pub room_name: Option<String>,
    /// "uuid:RINCON_…" → "RINCON_…" (the id ZoneGroupState uses).
    pub udn: String,
    pub av_transport: Option<ServiceUrls>,
    pub zone_group_topology: Option<ServiceUrls>,
}

impl Description {
    /// The name to show: the Sonos room, else the renderer's friendly name.
    pub fn name(&self) -> &str {
        self.room_name.as_deref().unwrap_or(&self.friendly_name)
    }
}

/// "http://10.0.0.2:1400/xml/x.xml" → "http://10.0.0.2:1400".
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

/// Resolve a URL from a description: absolute, host-relative, or relative to `dir`
/// (URLBase when the description gives one, else the description's own folder).
fn resolve(url: &str, base: &str, dir: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        format!("{}/{url}", dir.trim_end_matches('/'))
    }
}

fn text_of(node: Node, name: &str) -> Option<String> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
}

pub fn parse_description(xml: &str, location: &str) -> Result<Description, String> {
    let doc = Document::parse(xml.trim()).map_err(|e| format!("unreadable description: {e}"))?;
    let root = doc.root_element();
    let url_base = text_of(root, "URLBase").filter(|b| b.contains("://"));
    let base = url_base
        .as_deref()
        .and_then(origin_of)
        .or_else(|| origin_of(location))
        .ok_or_else(|| format!("`{location}` is not an http URL"))?;
    let dir = url_base.unwrap_or_else(|| {
        location
            .rsplit_once('/')
            .map_or(location, |(d, _)| d)
            .to_string()
    });
    let device = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "device")
        .ok_or("the description has no <device>")?;
    let find_service = |kind: &str| {
        // Sonos nests AVTransport in a MediaRenderer sub-device: look at every service.
        device
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "service")
            .find(|s| text_of(*s, "serviceType").is_some_and(|t| t.contains(kind)))
            .map(|s| ServiceUrls {
                control: resolve(&text_of(s, "controlURL").unwrap_or_default(), &base, &dir),
                event_sub: resolve(&text_of(s, "eventSubURL").unwrap_or_default(), &base, &dir),
            })
    };
    let udn = text_of(device, "UDN").unwrap_or_default();
    Ok(Description {
        location: location.to_string(),
        friendly_name: text_of(device, "friendlyName").unwrap_or_default(),
        room_name: text_of(device, "roomName").filter(|r| !r.is_empty()),
        udn: udn.strip_prefix("uuid:").unwrap_or(&udn).to_string(),
        av_transport: find_service(":service:AVTransport:"),
        zone_group_topology: find_service(":service:ZoneGroupTopology:"),
        base,
    })
}

/// Fetch and parse a description.
pub(crate) async fn fetch(http: &reqwest::Client, location: &str) -> Result<Description, String> {
    let res = http
        .get(location)
        .send()
        .await
        .map_err(|e| super::control::network_words(&e, location))?;
    if !res.status().is_success() {
        return Err(format!("{location} answered {}", res.status()));
    }
    let text = res.text().await.map_err(|e| e.to_string())?;
    parse_description(&text, location)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sonos_nested_services_and_relative_urls() {
        let xml = r#"<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>
          <deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>
          <friendlyName>10.0.0.2 - Sonos One</friendlyName><roomName>Living Room</roomName>
          <UDN>uuid:RINCON_000E58A0123401400</UDN>
          <serviceList><service><serviceType>urn:schemas-upnp-org:service:ZoneGroupTopology:1</serviceType>
            <controlURL>/ZoneGroupTopology/Control</controlURL><eventSubURL>/ZoneGroupTopology/Event</eventSubURL></service></serviceList>
          <deviceList><device><deviceType>urn:schemas-upnp-org:device:MediaRenderer:1</deviceType>
            <serviceList><service><serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType>
            <controlURL>/MediaRenderer/AVTransport/Control</controlURL><eventSubURL>/MediaRenderer/AVTransport/Event</eventSubURL></service></serviceList>
          </device></deviceList></device></root>"#;
        let d = parse_description(xml, "http://10.0.0.2:1400/xml/device_description.xml").unwrap();
        assert_eq!(d.name(), "Living Room");
        assert_eq!(d.udn, "RINCON_000E58A0123401400");
        assert_eq!(d.base, "http://10.0.0.2:1400");
        let avt = d.av_transport.unwrap();
        assert_eq!(
            avt.control,
            "http://10.0.0.2:1400/MediaRenderer/AVTransport/Control"
        );
        assert_eq!(
            avt.event_sub,
            "http://10.0.0.2:1400/MediaRenderer/AVTransport/Event"
        );
        assert!(d.zone_group_topology.is_some());
    }

    #[test]
    fn plain_renderer_with_url_base_and_relative_paths() {
        let xml = r#"<root xmlns="urn:schemas-upnp-org:device-1-0"><URLBase>http://10.9.0.2:49494/</URLBase><device>
          <friendlyName>Party renderer</friendlyName><UDN>uuid:abc</UDN><serviceList><service>
          <serviceType>urn:schemas-upnp-org:service:AVTransport:1</serviceType>
          <controlURL>upnp/control/rendertransport1</controlURL><eventSubURL>/upnp/event/rendertransport1</eventSubURL>
          </service></serviceList></device></root>"#;
        let d = parse_description(xml, "http://10.9.0.2:49494/description.xml").unwrap();
        assert_eq!((d.name(), d.room_name.is_none()), ("Party renderer", true));
        let avt = d.av_transport.unwrap();
        assert_eq!(
            avt.control,
            "http://10.9.0.2:49494/upnp/control/rendertransport1"
        );
        assert_eq!(
            avt.event_sub,
            "http://10.9.0.2:49494/upnp/event/rendertransport1"
        );
        assert_eq!(d.zone_group_topology, None);
        assert!(parse_description("<root/>", "http://h/x").is_err());
        assert_eq!(origin_of("ftp:/x"), None);
    }
}
