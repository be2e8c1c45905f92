//! The embedded demo: a simulated player and simulated guests. (Stub: to be filled in.)
