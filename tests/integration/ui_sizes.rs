//! The dashboard at the sizes a host tried (80x24, 60x20, 50x16, 100x30, 200x60): the vote
//! address is always whole, problems get their own lines with their fixes, the QR code fits
//! (and grows on big screens), and the host-link overlay keeps its words.
use crate::ui_fixtures;

use party_tui::core::{HealthLevel, Snapshot, SourceHealth};
use party_tui::dashboard::host::HostAccess;
use party_tui::dashboard::{UiState, Zone, draw::draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ui_fixtures::*;

const URL: &str = "http://192.168.178.20:18080/";

fn render(snap: &Snapshot, ui: &UiState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, snap, ui, NOW)).unwrap();
    terminal.backend().to_string()
}

/// The dashboard as the host runs it: vote page up, a party code, host sign-in available.
fn host_ui() -> UiState {
    UiState {
        zone: Zone::utc(),
        vote_url: Some(URL.into()),
        party_code: Some("disco".into()),
        host: Some(HostAccess {
            token: "secret-token".into(),
            link_base: URL.into(),
            api_base: URL.into(),
        }),
        ..UiState::default()
    }
}

/// A party with a long error whose fix is at its end.
fn spotify_trouble() -> Snapshot {
    let mut snap = mid_party();
    snap.health.push(SourceHealth {
        name: "spotify".into(),
        level: HealthLevel::Error,
        detail:
            "not logged in (the refresh token was revoked): run party-tui spotify login on the Pi"
                .into(),
    });
    snap
}

fn assert_address_whole(screen: &str) {
    assert!(screen.contains(URL), "vote address cut:\n{screen}");
}

#[test]
fn mid_party_at_every_size_keeps_the_vote_address_whole() {
    for (w, h) in [(80, 24), (60, 20), (50, 16), (100, 30), (200, 60)] {
        let screen = render(&mid_party(), &host_ui(), w, h);
        assert_address_whole(&screen);
        insta::assert_snapshot!(format!("mid_party_{w}x{h}"), screen);
    }
}

#[test]
fn nothing_playing_at_50x16_still_shows_where_to_vote() {
    let screen = render(&nothing_playing(), &host_ui(), 50, 16);
    assert_address_whole(&screen);
    insta::assert_snapshot!(screen);
}

#[test]
fn problems_show_their_fix_at_80x24_and_50x16() {
    for (w, h) in [(80, 24), (50, 16)] {
        let screen = render(&spotify_trouble(), &host_ui(), w, h);
        assert_address_whole(&screen);
        // Four problems do not fit three lines: they take turns, the first one now.
        insta::assert_snapshot!(format!("problems_{w}x{h}"), screen);
    }
    let mut snap = spotify_trouble();
    snap.health
        .retain(|h| h.name == "spotify" || h.name == "demo");
    let screen = render(&snap, &host_ui(), 80, 24);
    let joined: String = screen
        .lines()
        .map(|l| l.trim_matches('"').trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("run party-tui spotify login on the Pi"),
        "{screen}"
    );
}

#[test]
fn the_qr_code_fits_small_screens_and_grows_on_big_ones() {
    let ui = UiState {
        qr: true,
        ..host_ui()
    };
    for (w, h) in [(80, 24), (50, 16), (200, 60)] {
        let screen = render(&mid_party(), &ui, w, h);
        assert_address_whole(&screen);
        assert!(screen.contains("code: disco"), "{screen}");
        insta::assert_snapshot!(format!("vote_qr_{w}x{h}"), screen);
    }
}

#[test]
fn the_host_link_overlay_keeps_its_words_at_80x24() {
    let link = "http://192.168.178.20:18080/h/69a8b2c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4";
    let ui = UiState {
        host_link: Some(link.into()),
        ..host_ui()
    };
    let screen = render(&mid_party(), &ui, 80, 24);
    assert!(screen.contains(link), "{screen}");
    assert!(screen.contains("x signs out every host phone"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn paused_shows_no_countdown() {
    let screen = render(&kept_and_paused(), &host_ui(), 80, 24);
    assert!(screen.contains("PAUSED"), "{screen}");
    assert!(!screen.contains("s left"), "{screen}");
}
