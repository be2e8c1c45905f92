//! UPnP actions over reqwest: GetTransportInfo, GetPositionInfo, Next, GetZoneGroupState.
//! rupnp's `Service::action` turns a SOAP fault (HTTP 500) into a bare status code, losing the
//! UPnP error (701 …) we must report, so the envelope is ours (see soap.rs).
use super::soap::{self, AVTRANSPORT, SoapReply, ZONE_GROUP_TOPOLOGY};
use std::collections::HashMap;
use std::time::Duration;

/// A speaker that does not answer an action within this long is treated as gone.
pub(crate) const ACTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Sonos firmware from 2025 on ships with UPnP off; this is what the user must do.
pub(crate) const UPNP_OFF_HINT: &str = "enable UPnP in the Sonos app (Settings → System → Network)";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ControlError {
    /// The device refused the action with a UPnP error code.
    #[error("{}", upnp_words(*code, description))]
    Upnp { code: u16, description: String },
    /// 403, or nothing listening on Sonos's port 1400.
    #[error("the speaker refuses UPnP control ({why}): {UPNP_OFF_HINT}")]
    UpnpOff { why: String },
    #[error("{0}")]
    Network(String),
    #[error("{0}")]
    Protocol(String),
}

/// UPnP AVTransport error codes in plain words.
pub fn upnp_words(code: u16, description: &str) -> String {
    let words = match code {
        701 => {
            "the speaker cannot do that now (transition not available: end of the queue, or a stream that cannot skip)"
        }
        702 => "nothing is loaded to play",
        703 => "the speaker could not read the media",
        704 | 714 => "the speaker cannot play this format",
        705 => "the transport is locked by another controller",
        711 | 710 => "the speaker cannot seek there",
        712 => "the speaker does not support this play mode",
        715 => "the content is busy",
        716 => "the track is no longer available",
        718 => "the speaker does not know this instance",
        401 => "the speaker does not offer this action",
        402 | 600 | 601 => "the speaker rejected the arguments",
        501 => "the speaker says the action failed",
        _ => "",
    };
    let detail = if description.is_empty() || description == "UPnPError" {
        String::new()
    } else {
        format!(", {description}")
    };
    if words.is_empty() {
        format!("UPnP error {code}{detail}")
    } else {
        format!("{words} (UPnP {code}{detail})")
    }
}

/// A reqwest error in words; connection refused on :1400 means UPnP is off on the speaker.
pub(crate) fn network_words(e: &reqwest::Error, url: &str) -> String {
    if e.is_timeout() {
        return format!("{url} did not answer");
    }
    let refused = std::error::Error::source(e)
        .map(|s| format!("{s:?}"))
        .is_some_and(|s| s.contains("ConnectionRefused"));
    if refused && url.contains(":1400/") {
        return format!("connection refused on port 1400: {UPNP_OFF_HINT}");
    }
    if refused {
        return format!("connection refused by {url}");
    }
    format!("cannot reach {url}: {e}")
}

/// One service's control URL and the client to call it with.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub http: reqwest::Client,
    pub url: String,
    pub service: &'static str,
}

impl Control {
    pub(crate) fn av_transport(http: reqwest::Client, url: &str) -> Self {
        Control {
            http,
            url: url.to_string(),
            service: AVTRANSPORT,
        }
    }

    pub(crate) fn zone_group_topology(http: reqwest::Client, url: &str) -> Self {
        Control {
            http,
            url: url.to_string(),
            service: ZONE_GROUP_TOPOLOGY,
        }
    }

    pub(crate) async fn action(
        &self,
        action: &str,
        args: &[(&str, &str)],
    ) -> Result<HashMap<String, String>, ControlError> {
        let body = soap::envelope(self.service, action, args);
        let request = self
            .http
            .post(&self.url)
            .header("content-type", r#"text/xml; charset="utf-8""#)
            .header("soapaction", format!("\"{}#{action}\"", self.service))
            .body(body)
            .send();
        let res = match tokio::time::timeout(ACTION_TIMEOUT, request).await {
            Err(_) => {
                return Err(ControlError::Network(format!(
                    "{} did not answer",
                    self.url
                )));
            }
            Ok(Err(e)) => return Err(classify_network(&e, &self.url)),
            Ok(Ok(res)) => res,
        };
        let status = res.status();
        if status == reqwest::StatusCode::FORBIDDEN {
            return Err(ControlError::UpnpOff {
                why: "403 Forbidden".into(),
            });
        }
        let text = res
            .text()
            .await
            .map_err(|e| ControlError::Network(e.to_string()))?;
        // Faults come with 500; read the body before judging the status.
        match soap::parse_reply(&text) {
            Ok(SoapReply::Fault { code, description }) => {
                Err(ControlError::Upnp { code, description })
            }
            Ok(SoapReply::Ok(out)) if status.is_success() => Ok(out),
            _ => Err(ControlError::Protocol(format!(
                "{action}: {} answered {status}",
                self.url
            ))),
        }
    }

    pub(crate) async fn transport_info(&self) -> Result<HashMap<String, String>, ControlError> {
        self.action("GetTransportInfo", &[("InstanceID", "0")])
            .await
    }

    pub(crate) async fn position_info(&self) -> Result<HashMap<String, String>, ControlError> {
        self.action("GetPositionInfo", &[("InstanceID", "0")]).await
    }

    pub(crate) async fn next(&self) -> Result<(), ControlError> {
        // Sonos wants Speed=1 with Next (peers send it; the UPnP spec lists only InstanceID).
        self.action("Next", &[("InstanceID", "0"), ("Speed", "1")])
            .await
            .map(|_| ())
    }

    pub(crate) async fn previous(&self) -> Result<(), ControlError> {
        self.action("Previous", &[("InstanceID", "0")])
            .await
            .map(|_| ())
    }

    pub(crate) async fn zone_group_state(&self) -> Result<String, ControlError> {
        let out = self.action("GetZoneGroupState", &[]).await?;
        out.get("ZoneGroupState").cloned().ok_or_else(|| {
            ControlError::Protocol("GetZoneGroupState without ZoneGroupState".into())
        })
    }
}

fn classify_network(e: &reqwest::Error, url: &str) -> ControlError {
    let words = network_words(e, url);
    if words.contains(UPNP_OFF_HINT) {
        ControlError::UpnpOff {
            why: "connection refused on port 1400".into(),
        }
    } else {
        ControlError::Network(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words() {
        let e = ControlError::Upnp {
            code: 701,
            description: "UPnPError".into(),
        };
        assert!(
            e.to_string().starts_with("the speaker cannot do that now"),
            "{e}"
        );
        assert!(e.to_string().ends_with("(UPnP 701)"), "{e}");
        assert_eq!(upnp_words(799, "Odd"), "UPnP error 799, Odd");
        let off = ControlError::UpnpOff {
            why: "403 Forbidden".into(),
        };
        assert!(off.to_string().contains("enable UPnP in the Sonos app"));
    }

    #[tokio::test]
    async fn refused_on_1400_says_enable_upnp() {
        // Find a free port, close it: connecting there is refused. Then pretend it is :1400 by
        // checking the words for a :1400 URL built on a refused error.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/x");
        let e = reqwest::Client::new().get(&url).send().await.unwrap_err();
        assert!(
            network_words(&e, &url).contains("connection refused"),
            "{e:?}"
        );
        let as_sonos = network_words(
            &e,
            "http://127.0.0.1:1400/MediaRenderer/AVTransport/Control",
        );
        assert!(as_sonos.contains(UPNP_OFF_HINT), "{as_sonos}");
    }
}
