//! The `[[button]]` tables of a config text, for the Home Assistant and Cumulocity mapping
//! tests (the whole `Config` is the command layer's, and outlets do not see it).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Config {
    #[serde(rename = "button", default)]
    pub buttons: Vec<crate::buttons::ButtonConfig>,
}

impl Config {
    pub(crate) fn parse(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }
}
