//! Small shared pieces with no knowledge of the party, one of each: `Secret<T>`, files replaced
//! atomically, hex, the HMAC, the retry back-off, the HTTP client builder, `${NAME}` in config
//! values (`env`, read only when the config is loaded); and where things live, logging, the
//! instance file, facts about this machine's network.
pub mod atomic_file;
pub mod backoff;
pub mod env;
pub mod hex;
pub mod hmac;
pub mod http_client;
pub mod instance;
pub mod logging;
pub mod netinfo;
pub mod paths;
pub mod secret;
