//! Which configured `[[button]]` a network call is about: bt.tn id or AWS IoT serial → name.
use super::settings::ButtonConfig;
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct ButtonDirectory {
    by_id: HashMap<String, String>,
    by_serial: HashMap<String, String>,
}

impl ButtonDirectory {
    pub(crate) fn from_config(buttons: &[ButtonConfig]) -> Self {
        let mut dir = ButtonDirectory::default();
        for b in buttons {
            if let Some(id) = &b.id {
                dir.add_id(id, &b.name);
            }
            if let Some(serial) = &b.serial {
                dir.add_serial(serial, &b.name);
            }
        }
        dir
    }

    /// A bt.tn web-link button calling /button/{id}. Ids are matched exactly (they are in URLs).
    pub fn add_id(&mut self, id: &str, name: &str) -> &mut Self {
        self.by_id.insert(id.to_string(), name.to_string());
        self
    }

    /// An AWS IoT button by serial (classic) or device id (1-Click); case-insensitive because
    /// people copy serials from the printed label.
    pub fn add_serial(&mut self, serial: &str, name: &str) -> &mut Self {
        self.by_serial
            .insert(serial.to_ascii_uppercase(), name.to_string());
        self
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    pub(crate) fn by_serial(&self, serial: &str) -> Option<&str> {
        self.by_serial
            .get(&serial.to_ascii_uppercase())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn config_buttons_by_id_and_serial() {
        let cfg = Config::parse(
            r#"
            [[button]]
            name = "Door"
            id = "door-1"
            [[button]]
            name = "Sofa"
            serial = "G030JF0512345678"
            [[button]]
            name = "Kitchen"
            mac = "68:37:e9:12:34:56"
            "#,
        )
        .unwrap();
        let dir = ButtonDirectory::from_config(&cfg.buttons);
        assert_eq!(dir.by_id("door-1"), Some("Door"));
        assert_eq!(dir.by_id("DOOR-1"), None);
        assert_eq!(dir.by_serial("g030jf0512345678"), Some("Sofa"));
        assert_eq!(dir.by_serial("nope"), None);
    }
}
