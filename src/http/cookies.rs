//! Guest identity and the party-code pass, both as cookies.
use super::guard::ct_eq;
use crate::support::hex::encode as hex;
use axum::http::{HeaderMap, HeaderValue, header};

pub(crate) const GUEST_COOKIE: &str = "pt_guest";
pub(crate) const JOIN_COOKIE: &str = "pt_joined";
/// A party is one night; a week covers the after-party and a reload the next day.
const COOKIE_MAX_AGE_SECS: u64 = 7 * 24 * 3600;

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The guest cookie as sent: only a claim until `GuestKey::verify` accepts it (use
/// `HttpState::guest_id`).
pub(super) fn guest_cookie(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, GUEST_COOKIE)
}

/// `value` is a signed cookie value from `GuestKey`.
pub(crate) fn guest_set_cookie(value: &str) -> HeaderValue {
    set_cookie(GUEST_COOKIE, value)
}

/// The pass proves the guest typed the code once; it holds the code (hex, so any code is a
/// valid cookie value), so it survives restarts and a changed code invalidates it.
pub(crate) fn join_set_cookie(code: &str) -> HeaderValue {
    set_cookie(JOIN_COOKIE, &hex(code.as_bytes()))
}

pub(crate) fn has_joined(headers: &HeaderMap, code: &str) -> bool {
    cookie(headers, JOIN_COOKIE)
        .is_some_and(|v| ct_eq(v.as_bytes(), hex(code.as_bytes()).as_bytes()))
}

fn set_cookie(name: &str, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax"
    ))
    .expect("cookie values are hex")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    #[test]
    fn reads_our_cookie_among_others() {
        let h = headers(&format!("a=1; {GUEST_COOKIE}=abc.def ; b=2"));
        assert_eq!(guest_cookie(&h), Some("abc.def"));
        assert_eq!(guest_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn join_pass_matches_only_the_current_code() {
        let h = headers(&format!("{JOIN_COOKIE}={}", hex(b"disco 42")));
        assert!(has_joined(&h, "disco 42"));
        assert!(!has_joined(&h, "disco 43"));
        assert!(!has_joined(&HeaderMap::new(), "disco 42"));
        let set = guest_set_cookie("00ff").to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
    }
}
