//! What every adapter shares with the party loop: the inbox it sends inputs into and the clock
//! it reads party time from. Below the adapters and above the core, so an adapter never needs
//! `app` (the loop) to talk to the loop.
pub mod clock;
pub mod inbox;
