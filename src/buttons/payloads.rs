//! What network buttons send, parsed without IO: AWS IoT button events (classic and 1-Click)
//! and bt.tn-style web-link calls. The HTTP routes look the device up and build the `Input`.
use crate::core::ClickKind;
use serde::Deserialize;

/// Classic AWS IoT buttons run on one alkaline AAA cell: about 1.6 V fresh, and they stop
/// connecting to Wi-Fi near 1.1 V. Readings above the top (the published sample says 2000 mV)
/// are full.
const IOT_CELL_FULL_MV: f32 = 1600.0;
const IOT_CELL_EMPTY_MV: f32 = 1100.0;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PayloadError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error(
        "not an AWS IoT button event: expected {{serialNumber, clickType}} or {{deviceEvent.buttonClicked.clickType, deviceInfo.deviceId}}"
    )]
    NotIot,
    #[error("unknown clickType `{0}`: expected SINGLE, DOUBLE or LONG")]
    ClickType(String),
    #[error("unknown ETYPE `{0}`: expected pressed or pressed-long")]
    EventType(String),
    #[error("batteryVoltage `{0}` is not a voltage like \"1615mV\"")]
    Voltage(String),
}

/// Which AWS event shape arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IotFormat {
    Classic,
    OneClick,
}

/// One AWS IoT button click.
#[derive(Clone, Debug, PartialEq)]
pub struct IotEvent {
    pub format: IotFormat,
    /// The classic serial number or the 1-Click device id; both match `[[button]] serial`.
    pub device: String,
    pub click: ClickKind,
    /// Battery level 0.0–1.0 when the event reports one.
    pub battery: Option<f32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Classic {
    serial_number: String,
    click_type: String,
    battery_voltage: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OneClick {
    device_event: DeviceEvent,
    device_info: DeviceInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceEvent {
    button_clicked: ButtonClicked,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ButtonClicked {
    click_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceInfo {
    device_id: String,
    remaining_life: Option<f64>,
}

/// Parse a POST /iot body in either AWS form.
pub fn parse_iot(body: &[u8]) -> Result<IotEvent, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    if value.get("serialNumber").is_some() {
        let c: Classic = serde_json::from_value(value).map_err(|_| PayloadError::NotIot)?;
        let battery = match c.battery_voltage {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(voltage_level(&v)?),
        };
        return Ok(IotEvent {
            format: IotFormat::Classic,
            device: c.serial_number,
            click: click_type(&c.click_type)?,
            battery,
        });
    }
    if value.get("deviceEvent").is_some() {
        let o: OneClick = serde_json::from_value(value).map_err(|_| PayloadError::NotIot)?;
        // remainingLife is a percentage (5.00, 76.69762 in recorded events).
        let battery = o
            .device_info
            .remaining_life
            .filter(|p| p.is_finite())
            .map(|p| (p / 100.0).clamp(0.0, 1.0) as f32);
        return Ok(IotEvent {
            format: IotFormat::OneClick,
            device: o.device_info.device_id,
            click: click_type(&o.device_event.button_clicked.click_type)?,
            battery,
        });
    }
    Err(PayloadError::NotIot)
}

fn click_type(s: &str) -> Result<ClickKind, PayloadError> {
    match s.trim().to_ascii_uppercase().as_str() {
        "SINGLE" => Ok(ClickKind::Single),
        "DOUBLE" => Ok(ClickKind::Double),
        "LONG" => Ok(ClickKind::Long),
        _ => Err(PayloadError::ClickType(truncate(s))),
    }
}

/// "2000 mV", "1615mV", "1.6V" or a bare number of millivolts → 0.0–1.0.
fn voltage_level(v: &serde_json::Value) -> Result<f32, PayloadError> {
    let mv = match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => parse_millivolts(s),
        _ => None,
    }
    .filter(|mv| mv.is_finite() && *mv >= 0.0)
    .ok_or_else(|| PayloadError::Voltage(truncate(&v.to_string())))?;
    let level = (mv as f32 - IOT_CELL_EMPTY_MV) / (IOT_CELL_FULL_MV - IOT_CELL_EMPTY_MV);
    Ok(level.clamp(0.0, 1.0))
}

fn parse_millivolts(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    if let Some(n) = t.strip_suffix("mv") {
        n.trim().parse().ok()
    } else if let Some(n) = t.strip_suffix('v') {
        n.trim().parse::<f64>().ok().map(|v| v * 1000.0)
    } else {
        t.parse().ok()
    }
}

/// One call of a bt.tn-style web-link button.
#[derive(Clone, Debug, PartialEq)]
pub struct WebButtonEvent {
    pub click: ClickKind,
    /// bt.tn's event id: the same on its retries, so a retry is not a second press.
    pub eid: Option<String>,
}

/// From the call's parameters (query string and form or JSON body, merged). Tag names are
/// case-insensitive (`ETYPE` or `etype`). No ETYPE at all means a plain press: a bare URL
/// configured without tags still works.
pub fn parse_web_button(params: &[(String, String)]) -> Result<WebButtonEvent, PayloadError> {
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim())
    };
    let click = match get("etype").map(|e| e.to_ascii_lowercase()) {
        None => ClickKind::Single,
        Some(e) => match e.as_str() {
            "" | "pressed" | "single" => ClickKind::Single,
            "pressed-long" | "long" => ClickKind::Long,
            "double" => ClickKind::Double,
            _ => return Err(PayloadError::EventType(truncate(&e))),
        },
    };
    let eid = get("eid").filter(|e| !e.is_empty()).map(truncate);
    Ok(WebButtonEvent { click, eid })
}

/// Flatten a JSON object body into parameters (strings and numbers; nested values ignored).
pub fn json_params(body: &[u8]) -> Result<Vec<(String, String)>, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(PayloadError::Json("expected a JSON object".into()));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect())
}

/// Echo at most 64 characters of a bad value back in error messages.
fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn classic_event_with_spaced_and_tight_voltages() {
        let e =
            parse_iot(br#"{"serialNumber":"S1","clickType":"DOUBLE","batteryVoltage":"2000 mV"}"#)
                .unwrap();
        assert_eq!(e.format, IotFormat::Classic);
        assert_eq!(e.device, "S1");
        assert_eq!(e.click, ClickKind::Double);
        assert_eq!(e.battery, Some(1.0));
        let e = parse_iot(br#"{"serialNumber":"S1","clickType":"LONG","batteryVoltage":"1350mV"}"#)
            .unwrap();
        assert_eq!(e.click, ClickKind::Long);
        assert!((e.battery.unwrap() - 0.5).abs() < 1e-6);
    }

    #[test]
    fn classic_without_battery_and_with_bad_voltage() {
        let e = parse_iot(br#"{"serialNumber":"S1","clickType":"single"}"#).unwrap();
        assert_eq!((e.click, e.battery), (ClickKind::Single, None));
        let err =
            parse_iot(br#"{"serialNumber":"S1","clickType":"SINGLE","batteryVoltage":"low"}"#)
                .unwrap_err();
        assert_eq!(err, PayloadError::Voltage("\"low\"".into()));
    }

    #[test]
    fn one_click_event_battery_is_a_percentage() {
        let body = br#"{"deviceEvent":{"buttonClicked":{"clickType":"LONG","reportedTime":"x"}},
            "deviceInfo":{"deviceId":"G030PM1","remainingLife":25.0,"type":"button"}}"#;
        let e = parse_iot(body).unwrap();
        assert_eq!(e.format, IotFormat::OneClick);
        assert_eq!(e.device, "G030PM1");
        assert_eq!(e.click, ClickKind::Long);
        assert_eq!(e.battery, Some(0.25));
    }

    #[test]
    fn iot_errors_name_the_problem() {
        assert!(matches!(parse_iot(b"{"), Err(PayloadError::Json(_))));
        assert_eq!(parse_iot(b"{}"), Err(PayloadError::NotIot));
        assert_eq!(parse_iot(b"[1]"), Err(PayloadError::NotIot));
        assert_eq!(
            parse_iot(br#"{"serialNumber":"S","clickType":"TRIPLE"}"#),
            Err(PayloadError::ClickType("TRIPLE".into()))
        );
        assert_eq!(
            parse_iot(br#"{"serialNumber":7,"clickType":"SINGLE"}"#),
            Err(PayloadError::NotIot)
        );
    }

    #[test]
    fn web_button_tags_any_case() {
        let e = parse_web_button(&p(&[("ETYPE", "pressed-long"), ("EID", "e-1")])).unwrap();
        assert_eq!(e.click, ClickKind::Long);
        assert_eq!(e.eid.as_deref(), Some("e-1"));
        let e = parse_web_button(&p(&[("etype", "pressed"), ("counter", "4")])).unwrap();
        assert_eq!((e.click, e.eid), (ClickKind::Single, None));
        assert_eq!(parse_web_button(&[]).unwrap().click, ClickKind::Single);
        assert_eq!(
            parse_web_button(&p(&[("etype", "exploded")])),
            Err(PayloadError::EventType("exploded".into()))
        );
    }

    #[test]
    fn json_params_keep_strings_and_numbers() {
        let got = json_params(br#"{"ETYPE":"pressed","COUNTER":12,"x":{"y":1}}"#).unwrap();
        assert!(got.contains(&("ETYPE".into(), "pressed".into())));
        assert!(got.contains(&("COUNTER".into(), "12".into())));
        assert_eq!(got.len(), 2);
        assert!(json_params(b"[]").is_err());
    }
}
