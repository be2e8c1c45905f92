//! The host's phone signs in without typing a token: a one-time link (`/h/<ticket>`) minted by
//! whoever holds the admin token (the dashboard's `h`, `party-tui host-link`), exchanged once
//! for a host session cookie that is valid for the current party only and can be revoked.
//!
//! Both are stateless HMACs under the admin token, so a dashboard can mint a link without a
//! round trip and a restart of the party keeps phones signed in. The server remembers only
//! which tickets were used (until they expire) and a revocation epoch (persisted).
use super::guard::ct_eq;
use crate::support::{hex, hmac};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A host link is for the phone in the host's hand: scan it now or mint another.
pub(crate) const TICKET_TTL: Duration = Duration::from_secs(10 * 60);
pub(crate) const HOST_COOKIE: &str = "pt_host";
/// Where a ticket is redeemed; kept short so the link's QR code fits an 80x24 screen.
pub(crate) const LINK_PATH: &str = "/h/";
const NONCE_BYTES: usize = 6;
/// 64 bits of MAC: a ticket lives minutes and guessing goes through the rate limit.
const TICKET_MAC_BYTES: usize = 8;
const FILE: &str = "host-sessions";

/// Seconds since the epoch on the wall clock: tickets expire in real time, whatever the
/// party's (possibly sped-up demo) clock says.
pub fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn mac(token: &str, what: &[u8]) -> [u8; 32] {
    hmac::sign(token.as_bytes(), what)
}

fn ticket_mac(token: &str, expires: u32, nonce: &[u8]) -> Vec<u8> {
    let mut what = b"party-tui host ticket\0".to_vec();
    what.extend_from_slice(&expires.to_be_bytes());
    what.extend_from_slice(nonce);
    mac(token, &what)[..TICKET_MAC_BYTES].to_vec()
}

/// A fresh one-time ticket, valid for `TICKET_TTL` from `now_secs`.
pub(crate) fn mint_ticket(token: &str, now_secs: u64) -> String {
    let expires = u32::try_from(now_secs + TICKET_TTL.as_secs()).unwrap_or(u32::MAX);
    let nonce: [u8; NONCE_BYTES] = rand::random();
    let mut bytes = expires.to_be_bytes().to_vec();
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&ticket_mac(token, expires, &nonce));
    hex::encode(&bytes)
}

/// The link to open on the phone: `base` is the vote page's address (`http://host:port/`).
pub(crate) fn host_link(base: &str, ticket: &str) -> String {
    format!("{}{LINK_PATH}{ticket}", base.trim_end_matches('/'))
}

/// Why a ticket was refused, in the words the phone shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketError {
    Invalid,
    Expired,
    Used,
}

impl TicketError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            TicketError::Invalid => "This host link is not valid.",
            TicketError::Expired => "This host link has expired (links last 10 minutes).",
            TicketError::Used => "This host link was already used (each link signs in one phone).",
        }
    }
}

/// The server's side: used tickets and the revocation epoch.
#[derive(Debug, Default)]
pub struct HostSessions {
    used: Mutex<HashMap<Vec<u8>, u32>>,
    epoch: Mutex<u64>,
    /// Where the epoch is kept (None: in memory, for tests).
    file: Option<PathBuf>,
    /// The newest epoch on disk, held while saving: one save at a time, and a save of an
    /// older epoch than the file holds is skipped, so the file never goes back.
    saving: Arc<Mutex<u64>>,
}

impl HostSessions {
    /// Sessions whose revocation survives restarts (`<data_dir>/host-sessions`).
    pub(crate) fn load(data_dir: &std::path::Path) -> Self {
        let file = data_dir.join(FILE);
        let epoch = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        HostSessions {
            used: Mutex::default(),
            epoch: Mutex::new(epoch),
            file: Some(file),
            saving: Arc::new(Mutex::new(epoch)),
        }
    }

    fn epoch(&self) -> u64 {
        *self.epoch.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks and spends a ticket; on success the session cookie value for `party`.
    pub fn redeem(
        &self,
        token: &str,
        ticket: &str,
        party: &str,
        now_secs: u64,
    ) -> Result<String, TicketError> {
        let bytes = hex::decode(ticket).ok_or(TicketError::Invalid)?;
        if bytes.len() != 4 + NONCE_BYTES + TICKET_MAC_BYTES || token.is_empty() {
            return Err(TicketError::Invalid);
        }
        let expires = u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"));
        let nonce = &bytes[4..4 + NONCE_BYTES];
        if !ct_eq(
            &bytes[4 + NONCE_BYTES..],
            &ticket_mac(token, expires, nonce),
        ) {
            return Err(TicketError::Invalid);
        }
        if u64::from(expires) < now_secs {
            return Err(TicketError::Expired);
        }
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        // Expired tickets are refused by their time anyway: forget them.
        used.retain(|_, exp| u64::from(*exp) >= now_secs);
        if used.insert(nonce.to_vec(), expires).is_some() {
            return Err(TicketError::Used);
        }
        drop(used);
        let session: [u8; 16] = rand::random();
        let session = hex::encode(&session);
        let epoch = self.epoch();
        let tag = session_mac(token, party, epoch, &session);
        Ok(format!("{epoch}.{session}.{tag}"))
    }

    /// Whether a session cookie value is valid for `party` now.
    pub(crate) fn check(&self, token: &str, value: &str, party: &str) -> bool {
        let mut parts = value.splitn(3, '.');
        let (Some(epoch), Some(session), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(epoch) = epoch.parse::<u64>() else {
            return false;
        };
        !token.is_empty()
            && epoch == self.epoch()
            && ct_eq(
                tag.as_bytes(),
                session_mac(token, party, epoch, session).as_bytes(),
            )
    }

    /// Signs out every host phone. Persisted, so a restart does not sign them back in. The
    /// write and its fsync run on a blocking thread that finishes even if the request that
    /// asked is dropped, with no lock of the handlers held.
    pub(crate) async fn revoke_all(&self) -> std::io::Result<()> {
        let epoch = {
            let mut e = self.epoch.lock().unwrap_or_else(|p| p.into_inner());
            *e += 1;
            *e
        };
        let Some(file) = self.file.clone() else {
            return Ok(());
        };
        let saving = Arc::clone(&self.saving);
        tokio::task::spawn_blocking(move || {
            let mut saved = saving.lock().unwrap_or_else(|p| p.into_inner());
            if *saved >= epoch {
                return Ok(());
            }
            crate::support::atomic_file::write_private(&file, format!("{epoch}\n").as_bytes())?;
            *saved = epoch;
            Ok(())
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn session_mac(token: &str, party: &str, epoch: u64, session: &str) -> String {
    let what = format!("party-tui host session\0{party}\0{epoch}\0{session}");
    hex::encode(&mac(token, what.as_bytes()))
}

/// `Set-Cookie` for a host session. HttpOnly (no script reads it); SameSite=Lax so no other
/// site can make the phone POST with it, while the redirect from a scanned link still carries
/// it. It ends with the party by its MAC, not by its age.
pub(crate) fn session_set_cookie(value: &str) -> axum::http::HeaderValue {
    axum::http::HeaderValue::from_str(&format!(
        "{HOST_COOKIE}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
        2 * 24 * 3600
    ))
    .expect("session values are ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef";

    fn ticket_from_link(link: &str) -> &str {
        link.rsplit('/').next().unwrap()
    }

    #[test]
    fn a_ticket_signs_in_once_for_this_party_only() {
        let s = HostSessions::default();
        let now = 1_800_000_000;
        let link = host_link("http://192.168.1.20:8080/", &mint_ticket(TOKEN, now));
        assert!(link.starts_with("http://192.168.1.20:8080/h/"), "{link}");
        let t = ticket_from_link(&link);
        let cookie = s.redeem(TOKEN, t, "friday", now + 5).unwrap();
        assert!(s.check(TOKEN, &cookie, "friday"));
        // Another party, another token, a tampered value: no.
        assert!(!s.check(TOKEN, &cookie, "saturday"));
        assert!(!s.check("other", &cookie, "friday"));
        assert!(!s.check(TOKEN, &cookie.replace('.', ":"), "friday"));
        assert_eq!(
            s.redeem(TOKEN, t, "friday", now + 6),
            Err(TicketError::Used)
        );
    }

    #[test]
    fn expired_forged_and_odd_tickets_are_refused() {
        let s = HostSessions::default();
        let now = 1_800_000_000;
        let t = mint_ticket(TOKEN, now);
        let late = now + TICKET_TTL.as_secs() + 1;
        assert_eq!(s.redeem(TOKEN, &t, "p", late), Err(TicketError::Expired));
        assert_eq!(s.redeem("other", &t, "p", now), Err(TicketError::Invalid));
        let mut forged = t.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            s.redeem(TOKEN, &forged, "p", now),
            Err(TicketError::Invalid)
        );
        for odd in ["", "zz", "abc", &"0".repeat(1000), "é"] {
            assert_eq!(s.redeem(TOKEN, odd, "p", now), Err(TicketError::Invalid));
        }
        assert!(s.redeem(TOKEN, &t, "p", now).is_ok());
    }

    #[tokio::test]
    async fn revoking_signs_out_every_phone_and_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let s = HostSessions::load(dir.path());
        let now = 1_800_000_000;
        let cookie = s.redeem(TOKEN, &mint_ticket(TOKEN, now), "p", now).unwrap();
        assert!(s.check(TOKEN, &cookie, "p"));
        s.revoke_all().await.unwrap();
        assert!(!s.check(TOKEN, &cookie, "p"));
        let again = s.redeem(TOKEN, &mint_ticket(TOKEN, now), "p", now).unwrap();
        let restarted = HostSessions::load(dir.path());
        assert!(!restarted.check(TOKEN, &cookie, "p"));
        assert!(restarted.check(TOKEN, &again, "p"));
        // Revocations side by side: the file keeps the newest epoch.
        let (a, b) = tokio::join!(restarted.revoke_all(), restarted.revoke_all());
        a.unwrap();
        b.unwrap();
        assert_eq!(HostSessions::load(dir.path()).epoch(), restarted.epoch());
    }

    #[test]
    fn tickets_and_sessions_signed_by_earlier_releases_still_verify() {
        // Known vectors computed apart from this code (Python's hmac module, HMAC-SHA256): links
        // and sessions signed before the HMAC moved to support::hmac still verify.
        let s = HostSessions::default();
        let ticket = "6b49d45800000000000056f15c3e87d8ec1c";
        assert!(s.redeem(TOKEN, ticket, "friday", 1_800_000_000).is_ok());
        let session = "0".repeat(32);
        let tag = "8d0f5a49cf41a09e8836bd04b0be535432a33e641dbaa91872d47573d0d2e0fd";
        assert_eq!(session_mac(TOKEN, "friday", 0, &session), tag);
        assert!(s.check(TOKEN, &format!("0.{session}.{tag}"), "friday"));
    }

    #[test]
    fn the_link_is_short_enough_for_a_small_qr_code() {
        let link = host_link("http://192.168.178.200:8080/", &mint_ticket(TOKEN, 0));
        // QR version 4 at error correction L holds 78 bytes: 37 columns, 19 lines.
        assert!(link.len() <= 78, "{} bytes: {link}", link.len());
    }
}
