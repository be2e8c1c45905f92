//! Lowercase hex for cookies, tickets and key files. One decoder, strict, so that every reader
//! refuses the same inputs: a signed value that decodes differently in two places is a forgery
//! waiting to happen.

/// `bytes` as lowercase hex, two digits a byte.
pub(crate) fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The bytes `s` spells, or None unless it has an even length and only hex digits (either case;
/// no sign, no spaces, no `0x`).
pub(crate) fn decode(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_anything_loose() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)), Some(bytes));
        assert_eq!(encode(&[0x00, 0x0f, 0xa5]), "000fa5");
        assert_eq!(decode("00FFa5"), Some(vec![0, 255, 0xa5]));
        assert_eq!(decode(""), Some(vec![]));
        // `u8::from_str_radix` would take "+1"; one of the old decoders did.
        for bad in ["abc", "+1", "-1", "zz", " 0", "0x00", "é0", "0é"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
