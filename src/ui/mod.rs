//! The dashboard. (Stub: to be filled in.)
