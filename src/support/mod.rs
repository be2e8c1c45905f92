//! Small shared pieces with no knowledge of the party, one of each: `Secret<T>`, files replaced
//! atomically, hex, the HMAC, the retry back-off, the HTTP client builder, `${NAME}` in config
//! values (`env`, read only when the config is loaded); and where things live, logging, the
//! instance file, facts about this machine's network.
pub(crate) mod atomic_file;
pub(crate) mod backoff;
pub(crate) mod env;
pub(crate) mod hex;
pub(crate) mod hmac;
pub(crate) mod http_client;
pub(crate) mod instance;
pub(crate) mod logging;
pub(crate) mod netinfo;
pub(crate) mod paths;
pub(crate) mod secret;
