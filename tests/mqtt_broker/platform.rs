//! Cumulocity's side of a device's topics, as the platform behaves (shared/fixtures/mqtt,
//! `cumulocity_smartrest_static.md`), over a real Mosquitto: it keeps every line the device
//! sends on `s/us` and `s/us/<child>`; it answers `500` with the operations queued for the
//! device while it was away (handed over once: after that they are the device's to answer) and
//! `123` with `124,<internal id>`, both on `s/ds` in the order the requests came. Its session
//! survives a broker restart, so what the device says while the platform reconnects is kept.
use super::{LIMIT, wait_for};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The internal id the platform gives the device.
pub const INTERNAL_ID: &str = "4711";

#[derive(Default)]
struct State {
    /// (topic, payload) of everything the device sent, in order.
    lines: Vec<(String, String)>,
    /// Operations created while the device was away, waiting for its `500`.
    queued: Vec<String>,
    /// `124` answers sent.
    ids_sent: usize,
    subscribed: bool,
}

#[derive(Clone)]
pub struct Platform {
    client: AsyncClient,
    state: Arc<Mutex<State>>,
}

impl Platform {
    pub async fn start(port: u16, login: (&str, &str)) -> Platform {
        let mut o = MqttOptions::new("platform", "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(5))
            .set_clean_session(false)
            .set_credentials(login.0, login.1);
        let (client, mut ev) = AsyncClient::new(o, 64);
        let state = Arc::new(Mutex::new(State::default()));
        let (s, c) = (state.clone(), client.clone());
        tokio::spawn(async move {
            loop {
                match ev.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        c.try_subscribe("s/us/#", QoS::AtLeastOnce).unwrap();
                    }
                    Ok(Event::Incoming(Incoming::SubAck(_))) => s.lock().unwrap().subscribed = true,
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        let payload = String::from_utf8_lossy(&p.payload).into_owned();
                        let mut st = s.lock().unwrap();
                        // Answered from this one task, so in the order the requests came.
                        if p.topic == "s/us" && payload == "500" {
                            for op in std::mem::take(&mut st.queued) {
                                c.try_publish("s/ds", QoS::AtLeastOnce, false, op).unwrap();
                            }
                        }
                        if p.topic == "s/us" && payload == "123" {
                            let id = format!("124,{INTERNAL_ID}");
                            c.try_publish("s/ds", QoS::AtLeastOnce, false, id).unwrap();
                            st.ids_sent += 1;
                        }
                        st.lines.push((p.topic, payload));
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        let p = Platform { client, state };
        wait_for("the platform's subscription", || {
            p.state.lock().unwrap().subscribed.then_some(())
        })
        .await;
        p
    }

    /// An operation created while the device is away: the answer to its next `500`.
    pub fn queue(&self, line: &str) {
        self.state.lock().unwrap().queued.push(line.to_string());
    }

    /// Payloads the device sent on `topic`.
    pub fn on(&self, topic: &str) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.lines
            .iter()
            .filter(|(t, _)| t == topic)
            .map(|(_, p)| p.clone())
            .collect()
    }

    /// Wait until the platform has answered `n` of the device's `123` (so an operation sent
    /// from now on reaches the device after that answer).
    pub async fn answered_123(&self, n: usize) {
        wait_for(&format!("the device's `123` number {n}"), || {
            (self.state.lock().unwrap().ids_sent >= n).then_some(())
        })
        .await;
    }

    /// The device's operation status lines (`501`, `502`, `503`) on `topic`.
    pub fn statuses(&self, topic: &str) -> Vec<String> {
        self.on(topic)
            .into_iter()
            .filter(|p| ["501,", "502,", "503,"].iter().any(|s| p.starts_with(s)))
            .collect()
    }

    /// Wait until the device has sent `n` status lines on `s/us`; they, in order.
    pub async fn statuses_reach(&self, n: usize) -> Vec<String> {
        wait_for(&format!("{n} operation status lines"), || {
            let got = self.statuses("s/us");
            (got.len() >= n).then_some(got)
        })
        .await
    }

    /// Create an operation now (the device is connected): the two status lines it answers.
    pub async fn operation(&self, line: &str) -> Vec<String> {
        let before = self.statuses("s/us").len();
        tokio::time::timeout(
            LIMIT,
            self.client
                .publish("s/ds", QoS::AtLeastOnce, false, line.as_bytes().to_vec()),
        )
        .await
        .unwrap()
        .unwrap();
        self.statuses_reach(before + 2).await[before..].to_vec()
    }
}
