//! Button webhooks: AWS IoT bodies (classic and 1-Click JSON), bt.tn calls as JSON and as forms.
use crate::mutate::{JSON, mutated};
use crate::{fixtures, fuzz};
use party_tui::buttons::payloads::{json_params, parse_iot, parse_web_button};
use party_tui::http::body::form_pairs;
use proptest::collection::vec;
use proptest::prelude::*;

fn iot_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        r#"{"serialNumber":"G030JF055364XVRB","batteryVoltage":"1704mV","clickType":"SINGLE"}"#,
        r#"{"serialNumber":"S1","clickType":"LONG","batteryVoltage":1.6}"#,
        r#"{"deviceInfo":{"deviceId":"G030PM0123456789","type":"button","remainingLife":76.69762,"attributes":{"projectRegion":"us-west-2"}},"deviceEvent":{"buttonClicked":{"clickType":"DOUBLE","reportedTime":"2018-05-04T23:26:33.747Z"}},"placementInfo":{"projectName":"p","placementName":"q","attributes":{},"devices":{"b":"G030PM0123456789"}}}"#,
    ]
    .map(|s| s.as_bytes().to_vec())
    .into();
    seeds.extend(fixtures("buttons", &[".json"]));
    seeds
}

#[test]
fn iot_bodies_mutated() {
    fuzz(
        "iot bodies (mutated)",
        mutated(iot_seeds(), JSON),
        |body| match parse_iot(&body) {
            Ok(e) if e.battery.is_some_and(|b| !(0.0..=1.0).contains(&b)) => {
                Err(format!("battery out of range: {e:?}"))
            }
            Err(e) if e.to_string().is_empty() => Err("an error without words".into()),
            _ => Ok(()),
        },
    );
}

/// Classic events with any serial, click and battery value.
#[test]
fn iot_bodies_structured() {
    let battery = prop_oneof![
        Just(serde_json::Value::Null),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        any::<String>().prop_map(|s| serde_json::json!(s)),
        "[0-9. ]{0,8}(mV|V|mv|v)?".prop_map(|s| serde_json::json!(s)),
    ];
    let click = prop_oneof![
        Just("SINGLE".to_string()),
        Just(" double ".to_string()),
        any::<String>()
    ];
    fuzz(
        "iot bodies (structured)",
        (any::<String>(), click, battery, any::<f64>(), any::<bool>()),
        |(serial, click, battery, life, classic)| {
            let body = if classic {
                serde_json::json!({"serialNumber": serial, "clickType": click, "batteryVoltage": battery})
            } else {
                serde_json::json!({"deviceInfo": {"deviceId": serial, "remainingLife": life},
                    "deviceEvent": {"buttonClicked": {"clickType": click}}})
            };
            match parse_iot(body.to_string().as_bytes()) {
                Ok(e) if e.device != serial => Err(format!("device changed: {e:?}")),
                Ok(e) if e.battery.is_some_and(|b| !(0.0..=1.0).contains(&b)) => {
                    Err(format!("battery out of range: {e:?}"))
                }
                _ => Ok(()),
            }
        },
    );
}

#[test]
fn web_button_json_mutated() {
    let seeds = [
        r#"{"ETYPE":"pressed","EID":"1234567","ID":"btn-1"}"#,
        r#"{"etype":"pressed-long","eid":12345,"extra":{"a":[1,2]}}"#,
    ]
    .map(|s| s.as_bytes().to_vec())
    .into();
    fuzz("bt.tn json (mutated)", mutated(seeds, JSON), |body| {
        if let Ok(params) = json_params(&body) {
            check_web_button(&params)?;
        }
        Ok(())
    });
}

fn check_web_button(params: &[(String, String)]) -> Result<(), String> {
    match parse_web_button(params) {
        Ok(e) if e.eid.as_ref().is_some_and(|id| id.chars().count() > 64) => {
            Err(format!("eid not truncated: {e:?}"))
        }
        Err(e) if e.to_string().len() > 200 => Err(format!("error echoes too much: {e}")),
        _ => Ok(()),
    }
}

/// Form bodies through axum's decoder (as the route reads them), then the button parser.
#[test]
fn web_button_forms() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let form = prop_oneof![
        vec(any::<u8>(), 0..200),
        "((ETYPE|etype|EID|eid|ID|[a-z%+=&]{0,5})=[a-z0-9%+&=-]{0,12}&?){0,6}"
            .prop_map(String::into_bytes),
    ];
    fuzz("bt.tn forms", form, |body| {
        if let Ok(pairs) = rt.block_on(form_pairs(body.into())) {
            check_web_button(&pairs)?;
        }
        Ok(())
    });
}
