//! Why a connection failed, in the words a host can act on: a refused login (bad user name or
//! password, not authorised), a TLS certificate for another name or from an unknown CA, nothing
//! listening. Configuration faults are errors; network trouble is a warning that passes.
use super::settings::Broker;
use crate::core::HealthLevel;
use rumqttc::{ConnectReturnCode, ConnectionError};

/// A connection error in plain words, and whether it is the configuration's fault (Error) or
/// the network's (Warn: it will come back).
pub(crate) fn explain(e: &ConnectionError, broker: &Broker) -> (HealthLevel, String) {
    let at = format!("{}:{}", broker.host, broker.port);
    let refused = |what: &str| {
        (
            HealthLevel::Error,
            format!("{at} refused the login: {what}"),
        )
    };
    match e {
        ConnectionError::ConnectionRefused(code) => match code {
            ConnectReturnCode::BadUserNamePassword => refused("bad user name or password"),
            ConnectReturnCode::NotAuthorized => {
                refused("not authorised (a wrong password, or a user without the right)")
            }
            ConnectReturnCode::BadClientId => refused("client id rejected (in use or invalid)"),
            ConnectReturnCode::RefusedProtocolVersion => refused("MQTT 3.1.1 is not accepted"),
            ConnectReturnCode::ServiceUnavailable => {
                (HealthLevel::Warn, format!("{at} is unavailable for now"))
            }
            ConnectReturnCode::Success => (HealthLevel::Warn, format!("{at}: {e}")),
        },
        other => {
            let text = error_chain(other);
            let lower = text.to_ascii_lowercase();
            if lower.contains("notvalidforname") || lower.contains("not valid for name") {
                (
                    HealthLevel::Error,
                    format!(
                        "TLS: the certificate of {at} is not for the name {}",
                        broker.host
                    ),
                )
            } else if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
                (
                    HealthLevel::Error,
                    format!(
                        "TLS: the certificate of {at} is not signed by a trusted CA (set ca_file)"
                    ),
                )
            } else if lower.contains("connection refused") {
                (HealthLevel::Warn, format!("nothing listens on {at}"))
            } else {
                (HealthLevel::Warn, format!("{at}: {text}"))
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_in_plain_words() {
        let b = Broker {
            host: "t1.example.com".into(),
            port: 8883,
            tls: true,
        };
        let refused = |code| explain(&ConnectionError::ConnectionRefused(code), &b);
        let (level, why) = refused(ConnectReturnCode::BadUserNamePassword);
        assert_eq!(level, HealthLevel::Error);
        assert_eq!(
            why,
            "t1.example.com:8883 refused the login: bad user name or password"
        );
        assert!(
            refused(ConnectReturnCode::NotAuthorized)
                .1
                .contains("not authorised")
        );
        assert!(
            refused(ConnectReturnCode::BadClientId)
                .1
                .contains("client id")
        );
        assert_eq!(
            refused(ConnectReturnCode::ServiceUnavailable).0,
            HealthLevel::Warn
        );
        let io =
            |kind, text: &str| ConnectionError::Io(std::io::Error::new(kind, text.to_string()));
        let (level, why) = explain(
            &io(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused (os error 111)",
            ),
            &b,
        );
        assert_eq!(
            (level, why.as_str()),
            (HealthLevel::Warn, "nothing listens on t1.example.com:8883")
        );
        let (level, why) = explain(
            &io(
                std::io::ErrorKind::InvalidData,
                "invalid peer certificate: NotValidForName",
            ),
            &b,
        );
        assert_eq!(level, HealthLevel::Error);
        assert!(why.contains("is not for the name t1.example.com"), "{why}");
    }
}
