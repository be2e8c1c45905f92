//! The host's phone sign-in from the dashboard: `h` shows a QR code with a one-time host link,
//! `x` (while it shows) signs out every host phone. Both dashboards (on the Pi and attached
//! over ssh) hold the admin token, so they mint links themselves; sign-out goes to the server.
use super::qr;
use crate::http::host_auth;
use qrcode::EcLevel;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use std::time::Duration;

/// Sign-out is one small request to the party; it answers at once when it is there.
const SIGN_OUT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the dashboard needs to sign the host's phone in and out.
#[derive(Clone, Debug, PartialEq)]
pub struct HostAccess {
    /// The admin token: it signs the links. Never shown.
    pub token: crate::support::secret::Secret<String>,
    /// The guests' address (LAN): the link's base, reachable from the phone.
    pub link_base: String,
    /// Where this dashboard reaches the party's API.
    pub api_base: String,
}

impl HostAccess {
    /// A fresh one-time link (minted here, redeemed by the party's server).
    pub(crate) fn new_link(&self) -> String {
        let ticket = host_auth::mint_ticket(self.token.expose(), host_auth::wall_secs());
        host_auth::host_link(&self.link_base, &ticket)
    }

    /// Asks the party to sign out every host phone; the party's status line confirms it.
    pub(crate) fn spawn_sign_out(&self) {
        let (token, base) = (self.token.expose().clone(), self.api_base.clone());
        tokio::spawn(async move {
            let url = format!("{}/api/admin/host-signout", base.trim_end_matches('/'));
            let result = crate::support::http_client::HttpClient::timeout(SIGN_OUT_TIMEOUT)
                .build()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .and_then(|r| r.error_for_status());
            if let Err(e) = result {
                tracing::warn!(error = %e, "signing out the host phones failed");
            }
        });
    }
}

pub(crate) fn render(frame: &mut Frame, area: Rect, link: Option<&str>) {
    let mut body = match link.and_then(|l| qr::lines_at(l, EcLevel::L).map(|c| (l, c))) {
        Some((l, mut code)) => {
            let room = area.height.saturating_sub(2) as usize;
            let notes = [
                "Scan with your phone to control the party (one use, 10 min)".to_string(),
                "x signs out every host phone · Esc or h closes".to_string(),
                l.to_string(),
            ];
            // On a short screen the words matter more than the code's last rows.
            let keep = room.saturating_sub(notes.len()).min(code.len());
            if keep < code.len() {
                code.clear();
            }
            code.extend(notes.into_iter().map(|n| Line::from(n).centered()));
            code
        }
        None => vec![
            Line::from("The host page needs the vote page running (see the status line)."),
            Line::from("Esc closes").centered(),
        ],
    };
    body.truncate(area.height.saturating_sub(2) as usize);
    super::help::overlay(frame, area, " Host phone ", body, 0, true);
}
