//! The one HMAC: HMAC-SHA256 from ring (already built for rustls). Guest cookies, host tickets
//! and host sessions all sign with it, so a value signed by an older release (which used the
//! `hmac` crate for guests) still verifies: the algorithm, not the crate, fixes the bytes.
use crate::support::secret::Secret;
use ring::hmac;

/// A key made ready once (its padded inner and outer states), for a key that signs on a hot
/// path: every vote checks its guest cookie.
#[derive(Clone, Debug)]
pub(crate) struct Key(Secret<hmac::Key>);

impl Key {
    pub(crate) fn new(key: &[u8]) -> Self {
        Key(Secret::new(hmac::Key::new(hmac::HMAC_SHA256, key)))
    }

    /// The full 256-bit HMAC-SHA256 of `msg`.
    pub(crate) fn sign(&self, msg: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(self.0.expose(), msg);
        tag.as_ref().try_into().expect("HMAC-SHA256 is 32 bytes")
    }

    /// Whether `tag` is the full HMAC-SHA256 of `msg`, compared in constant time.
    pub(crate) fn verify(&self, msg: &[u8], tag: &[u8]) -> bool {
        hmac::verify(self.0.expose(), msg, tag).is_ok()
    }
}

/// The full 256-bit HMAC-SHA256 of `msg` under `key` (any key length).
pub(crate) fn sign(key: &[u8], msg: &[u8]) -> [u8; 32] {
    Key::new(key).sign(msg)
}

/// Whether `tag` is the full HMAC-SHA256 of `msg` under `key`, compared in constant time.
#[cfg(test)]
pub(crate) fn verify(key: &[u8], msg: &[u8], tag: &[u8]) -> bool {
    Key::new(key).verify(msg, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::hex;

    #[test]
    fn rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        let want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let tag = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(&tag), want);
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &tag));
        assert!(!verify(b"Jefe", b"what do ya want for nothing!", &tag));
        assert!(!verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag[..31]
        ));
    }
}
