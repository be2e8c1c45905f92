//! `[demo]` of config.toml: the simulated guests of `party-tui --demo`. A leaf.
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Simulated guests pressing like and skip.
    pub guests: u32,
    /// Average seconds (party time) between two simulated presses.
    pub press_interval_secs: f64,
}

impl DemoConfig {
    /// The interval as a duration: at least 0.1 s, and a day when the value is not finite
    /// (`inf` and `nan` are valid TOML floats; `Duration::from_secs_f64` panics on them).
    pub fn press_interval(&self) -> Duration {
        const SHORTEST: f64 = 0.1;
        const LONGEST: f64 = 86_400.0;
        let secs = self.press_interval_secs;
        Duration::from_secs_f64(if secs.is_nan() {
            LONGEST
        } else {
            secs.clamp(SHORTEST, LONGEST)
        })
    }
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            guests: 12,
            press_interval_secs: 4.0,
        }
    }
}
