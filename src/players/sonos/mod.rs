//! Sonos (and any UPnP AVTransport renderer): follow what the group coordinator plays through
//! GENA events, poll when events do not come, and send Next when the party skips.
pub mod control;
pub mod description;
pub mod didl;
pub mod lastchange;
pub mod resolve;
pub mod soap;
pub mod state;
pub mod topology;
