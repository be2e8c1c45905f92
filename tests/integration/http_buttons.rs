//! Button webhooks on a real socket: bt.tn web-link calls and AWS IoT events, written from the
//! documented formats; plus every recorded payload in ../shared/fixtures when it is there.
use crate::http_harness;

use http_harness::{Harness, Options, json_of, start};
use party_tui::buttons::ButtonDirectory;
use party_tui::buttons::payloads::parse_iot;
use party_tui::core::{ClickKind, Input, Origin, Press, PressKind, Voter};

fn click(name: &str, origin: Origin, kind: ClickKind, battery: Option<f32>) -> Input {
    Input::Press(Press {
        voter: Voter::button(name),
        origin,
        kind: PressKind::Click(kind),
        battery,
    })
}

async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    ct: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value) {
    let mut req = h
        .http
        .request(method.parse().unwrap(), h.url(path))
        .body(body.to_string());
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    json_of(req.send().await.unwrap()).await
}

/// "kind id" of each entry on the host's list of recently seen unknown buttons.
async fn unknown_ids(h: &Harness) -> Vec<String> {
    let res = h
        .http
        .get(h.url("/api/admin/unknown-buttons"))
        .bearer_auth(http_harness::TOKEN)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!(status, 200, "{body}");
    body["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "{} {}",
                b["kind"].as_str().unwrap(),
                b["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn web_button_get_post_put_form_and_json() {
    let mut h = start(Options::default()).await;
    let cases = [
        (
            "GET",
            "/button/door-1?ETYPE=pressed&EID=e1",
            None,
            "",
            ClickKind::Single,
        ),
        (
            "POST",
            "/button/door-1",
            Some("application/x-www-form-urlencoded"),
            "ID=x&ETYPE=pressed-long&EID=e2&COUNTER=7",
            ClickKind::Long,
        ),
        (
            "PUT",
            "/button/door-1",
            Some("application/json"),
            r#"{"etype":"pressed","eid":"e3","COUNTER":8}"#,
            ClickKind::Single,
        ),
        // No content type, but plainly JSON.
        (
            "POST",
            "/button/door-1",
            None,
            r#"{"ETYPE":"pressed-long","EID":"e4"}"#,
            ClickKind::Long,
        ),
        // A bare URL configured without tags is a plain press.
        ("POST", "/button/door-1", None, "", ClickKind::Single),
    ];
    for (i, (method, path, ct, body, kind)) in cases.into_iter().enumerate() {
        let (status, answer) = call(&h, method, path, ct, body).await;
        assert_eq!(status, 200, "case {i}: {answer}");
        // The party's verdict comes back (the fake counts one press per button and kind).
        let want = if i < 2 { "counted" } else { "duplicate" };
        assert_eq!(answer["result"], want, "case {i}");
        assert_eq!(
            h.next_input().await,
            click("Door", Origin::WebButton, kind, None),
            "case {i}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn web_button_retry_with_same_eid_is_not_a_second_press() {
    let mut h = start(Options::default()).await;
    let (status, _) = call(&h, "GET", "/button/door-1?ETYPE=pressed&EID=42", None, "").await;
    assert_eq!(status, 200);
    h.next_input().await;
    let (status, answer) = call(
        &h,
        "POST",
        "/button/door-1",
        Some("application/x-www-form-urlencoded"),
        "ETYPE=pressed&EID=42",
    )
    .await;
    assert_eq!(
        (status, answer["result"].as_str()),
        (200, Some("duplicate event"))
    );
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn web_button_unknown_id_is_404_and_listed_for_the_host_bad_tags_400() {
    let mut h = start(Options::default()).await;
    let (status, answer) = call(&h, "GET", "/button/garage?ETYPE=pressed", None, "").await;
    assert_eq!(status, 404);
    let msg = answer["error"].as_str().unwrap();
    assert!(
        msg.contains("`garage`") && msg.contains("[[button]]"),
        "{msg}"
    );
    // Not a party event (nothing journaled): the host finds it on the unknown-buttons list.
    h.no_input();
    assert_eq!(unknown_ids(&h).await, vec!["web button garage".to_string()]);
    let (status, answer) = call(&h, "GET", "/button/door-1?ETYPE=exploded", None, "").await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("`exploded`"));
    let (status, answer) = call(
        &h,
        "POST",
        "/button/door-1",
        Some("application/json"),
        "{\"ETYPE\":",
    )
    .await;
    assert_eq!(status, 400);
    assert!(answer["error"].as_str().unwrap().contains("malformed JSON"));
    let (status, _) = call(&h, "DELETE", "/button/door-1", None, "").await;
    assert_eq!(status, 405);
    h.no_input();
    h.stop().await;
}

#[tokio::test]
async fn iot_classic_and_one_click_events() {
    let mut h = start(Options::default()).await;
    let classic =
        r#"{"serialNumber":"g030jf059405k485","clickType":"DOUBLE","batteryVoltage":"1350 mV"}"#;
    let (status, answer) = call(&h, "POST", "/iot", Some("application/json"), classic).await;
    assert_eq!((status, answer["result"].as_str()), (200, Some("counted")));
    assert_eq!(
        h.next_input().await,
        click("Sofa", Origin::Iot, ClickKind::Double, Some(0.5))
    );

    let one_click = r#"{"deviceEvent":{"buttonClicked":{"clickType":"LONG","reportedTime":"2024-01-01T00:00:00.000Z"}},
        "deviceInfo":{"deviceId":"G030PMXXXXXXXXXX","type":"button","remainingLife":40.0,"attributes":{}},
        "placementInfo":{"projectName":"p","placementName":"q","attributes":{},"devices":{}}}"#;
    let (status, _) = call(&h, "POST", "/iot", None, one_click).await;
    assert_eq!(status, 200);
    assert_eq!(
        h.next_input().await,
        click("Desk", Origin::Iot, ClickKind::Long, Some(0.4))
    );
    h.stop().await;
}

#[tokio::test]
async fn iot_unknown_serial_404_bad_payloads_400() {
    let mut h = start(Options::default()).await;
    let (status, answer) = call(
        &h,
        "POST",
        "/iot",
        None,
        r#"{"serialNumber":"NOPE1","clickType":"SINGLE"}"#,
    )
    .await;
    assert_eq!(status, 404);
    assert!(answer["error"].as_str().unwrap().contains("`NOPE1`"));
    h.no_input();
    assert_eq!(unknown_ids(&h).await, vec!["IoT button NOPE1".to_string()]);
    for (body, says) in [
        ("{}", "not an AWS IoT button event"),
        ("nope", "not valid JSON"),
        (
            r#"{"serialNumber":"G030JF059405K485","clickType":"TRIPLE"}"#,
            "`TRIPLE`",
        ),
        (
            r#"{"serialNumber":"G030JF059405K485","clickType":"SINGLE","batteryVoltage":"flat"}"#,
            "batteryVoltage",
        ),
    ] {
        let (status, answer) = call(&h, "POST", "/iot", Some("application/json"), body).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            answer["error"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    h.no_input();
    h.stop().await;
}

/// Every recorded AWS payload: parsed, routed to its button, pressed. A fresh clone has no
/// fixtures directory, so this one skips (or fails in CI).
#[tokio::test]
async fn every_recorded_iot_payload() {
    let Some(dir) = crate::support::recorded_fixtures("buttons") else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap();
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no payloads in {}", dir.display());
    let payloads: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    let mut buttons = ButtonDirectory::default();
    for (i, (name, body)) in payloads.iter().enumerate() {
        let event = parse_iot(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        buttons.add_serial(&event.device, &format!("b{i}"));
    }
    let mut h = start(Options {
        buttons,
        ..Options::default()
    })
    .await;
    for (i, (name, body)) in payloads.iter().enumerate() {
        let res = h
            .http
            .post(h.url("/iot"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let (status, answer) = json_of(res).await;
        assert_eq!(status, 200, "{name}: {answer}");
        let Input::Press(p) = h.next_input().await else {
            panic!("{name}: not a press")
        };
        assert_eq!(
            (p.voter, p.origin),
            (Voter::button(&format!("b{i}")), Origin::Iot),
            "{name}"
        );
        assert!(matches!(p.kind, PressKind::Click(_)), "{name}");
        assert!(
            p.battery.is_some_and(|b| (0.0..=1.0).contains(&b)),
            "{name}: {:?}",
            p.battery
        );
    }
    h.stop().await;
}
