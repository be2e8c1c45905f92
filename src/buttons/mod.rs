//! Buttons on the wire and on the web. (Stub: to be filled in.)
