//! Guests are issued, not invented: the guest cookie is `<id>.<signature>`, an HMAC-SHA256 of
//! the id under a server secret kept (0600) in the data dir, so a cookie made up or altered by
//! a client is not a guest, and cookies stay valid across restarts.
use crate::support::secret::Secret;
use crate::support::{hex, hmac};
use std::io;
use std::path::Path;

pub(crate) const GUEST_KEY_FILE: &str = "guest-key";
/// Hex digits of the id (128 random bits) and of the signature (the full 256-bit MAC).
const ID_HEX: usize = 32;
const SIG_HEX: usize = 64;

/// The key signs every guest: it never goes into a log line. Made ready once, as every vote
/// checks a cookie with it.
#[derive(Clone, Debug)]
pub struct GuestKey(hmac::Key);

impl GuestKey {
    /// A key that lives as long as this process (tests, benches).
    pub fn random() -> Self {
        GuestKey::from_bytes(&rand::random::<[u8; 32]>())
    }

    fn from_bytes(bytes: &[u8; 32]) -> Self {
        GuestKey(hmac::Key::new(bytes))
    }

    /// The cookie value for guest `id`.
    pub fn cookie_value(&self, id: &str) -> String {
        format!("{id}.{}", hex::encode(&self.0.sign(id.as_bytes())))
    }

    /// A new guest: its id and cookie value.
    pub fn issue(&self) -> (String, String) {
        let id = format!("{:032x}", rand::random::<u128>());
        let value = self.cookie_value(&id);
        (id, value)
    }

    /// The guest id in `value` if we issued it; None for anything made up or altered.
    pub(crate) fn verify(&self, value: &str) -> Option<String> {
        let (id, sig) = value.split_once('.')?;
        let hex_lower = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if id.len() != ID_HEX || sig.len() != SIG_HEX || !hex_lower(id) || !hex_lower(sig) {
            return None;
        }
        let sig = hex::decode(sig)?;
        // verify compares in constant time.
        self.0.verify(id.as_bytes(), &sig).then(|| id.to_string())
    }
}

/// The guest key from `<data_dir>/guest-key`, created (0600, 256 random bits) on first start.
/// Losing it only means guests get new cookies; a changed key would let no old cookie vote.
pub fn load_or_create_guest_key(data_dir: &Path) -> io::Result<GuestKey> {
    let path = data_dir.join(GUEST_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).filter(|b| b.len() == 32);
            if let Some(bytes) = bytes {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                return Ok(GuestKey::from_bytes(&key));
            }
            tracing::warn!(path = %path.display(), "guest key file unreadable; making a new one (guests get new cookies)");
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let bytes: Secret<[u8; 32]> = Secret::new(rand::random::<[u8; 32]>());
    crate::support::atomic_file::write_private(
        &path,
        format!("{}\n", hex::encode(bytes.expose())).as_bytes(),
    )?;
    Ok(GuestKey::from_bytes(bytes.expose()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_cookies_verify_and_nothing_else_does() {
        let key = GuestKey::random();
        let (id, value) = key.issue();
        assert_eq!(key.verify(&value), Some(id.clone()));
        // Another server's key, a made-up id, a flipped digit, the bare id of old: not guests.
        assert_eq!(GuestKey::random().verify(&value), None);
        let (_, sig) = value.split_once('.').unwrap();
        assert_eq!(key.verify(&format!("{:032x}.{sig}", 7u128)), None);
        let mut flipped = value.clone().into_bytes();
        let last = flipped.last_mut().unwrap();
        *last = if *last == b'0' { b'1' } else { b'0' };
        assert_eq!(key.verify(std::str::from_utf8(&flipped).unwrap()), None);
        assert_eq!(key.verify(&id), None);
        assert_eq!(key.verify(&value.to_uppercase()), None);
        assert_eq!(key.verify(&format!("{value}00")), None);
        assert_eq!(key.verify("é.é"), None);
    }

    #[test]
    fn cookies_signed_by_earlier_releases_still_verify() {
        // Computed with the `hmac` + `sha2` crates this module used before ring (issue 22):
        // a guest's cookie from last night must still vote tonight.
        let key = GuestKey::from_bytes(&std::array::from_fn(|i| i as u8));
        let id = "0123456789abcdef0123456789abcdef";
        let value =
            format!("{id}.66fc66f2575a06af5f464345a49885beccb7cf1f922c7d126d3fe36c31683e0c");
        assert_eq!(key.cookie_value(id), value);
        assert_eq!(key.verify(&value), Some(id.to_string()));
    }

    #[test]
    #[cfg(unix)]
    fn key_file_is_owner_only_and_survives_restarts() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_create_guest_key(dir.path()).unwrap();
        let (_, value) = key.issue();
        let again = load_or_create_guest_key(dir.path()).unwrap();
        assert!(again.verify(&value).is_some());
        let path = dir.path().join(GUEST_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(format!("{key:?}"), "GuestKey(Key(<redacted>))");
    }
}
