//! Small shared pieces with no knowledge of the party: files that hold secrets, where things
//! live, logging, the instance file, facts about this machine's network.
pub mod hex;
pub mod hmac;
pub mod instance;
pub mod logging;
pub mod netinfo;
pub mod paths;
pub mod secret_file;
