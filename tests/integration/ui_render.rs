//! Full-screen renders of the dashboard, compared with insta snapshots. Times are fixed and the
//! log is shown in UTC, so the snapshots do not depend on the machine's clock or time zone.
use crate::ui_fixtures;

use party_tui::core::Snapshot;
use party_tui::dashboard::{UiState, Zone, draw::draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ui_fixtures::*;

fn draw_on(snap: &Snapshot, ui: &UiState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, snap, ui, NOW)).unwrap();
    terminal
}

fn render(snap: &Snapshot, ui: &UiState, width: u16, height: u16) -> String {
    draw_on(snap, ui, width, height).backend().to_string()
}

fn utc() -> UiState {
    UiState {
        zone: Zone::utc(),
        ..UiState::default()
    }
}

#[test]
fn mid_party_80x24() {
    insta::assert_snapshot!(render(&mid_party(), &utc(), 80, 24));
}

#[test]
fn mid_party_120x40() {
    insta::assert_snapshot!(render(&mid_party(), &utc(), 120, 40));
}

#[test]
fn kept_and_paused_80x24() {
    insta::assert_snapshot!(render(&kept_and_paused(), &utc(), 80, 24));
}

#[test]
fn nothing_playing_80x24() {
    insta::assert_snapshot!(render(&nothing_playing(), &utc(), 80, 24));
}

#[test]
fn nothing_playing_120x40() {
    insta::assert_snapshot!(render(&nothing_playing(), &utc(), 120, 40));
}

#[test]
fn help_overlay_80x24() {
    let ui = UiState {
        help: true,
        ..utc()
    };
    insta::assert_snapshot!(render(&mid_party(), &ui, 80, 24));
}

#[test]
fn vote_page_qr_code_80x24() {
    let ui = UiState {
        qr: true,
        vote_url: Some("http://192.168.1.20:8080/".into()),
        ..utc()
    };
    let screen = render(&mid_party(), &ui, 80, 24);
    assert!(screen.contains("http://192.168.1.20:8080/"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn narrow_terminal_drops_the_side_panels() {
    insta::assert_snapshot!(render(&mid_party(), &utc(), 60, 20));
}

#[test]
fn tiny_terminal_shows_a_hint() {
    insta::assert_snapshot!(render(&mid_party(), &utc(), 30, 5));
}

#[test]
fn no_size_panics() {
    let help = UiState {
        help: true,
        ..utc()
    };
    for snap in [mid_party(), kept_and_paused(), nothing_playing()] {
        for ui in [&utc(), &help] {
            for (w, h) in [
                (0, 0),
                (1, 1),
                (0, 24),
                (80, 0),
                (1, 40),
                (39, 11),
                (40, 12),
                (41, 13),
                (69, 24),
                (70, 24),
                (250, 3),
                (3, 250),
            ] {
                // Not stringified: TestBackend's Display cannot show a zero-width buffer.
                draw_on(&snap, ui, w, h);
            }
        }
    }
}

#[test]
fn zero_size_area_renders_nothing() {
    // A Frame's area can be empty when the terminal reports 0x0 mid-resize.
    let mut terminal = Terminal::new(TestBackend::new(0, 0)).unwrap();
    terminal
        .draw(|f| draw(f, &mid_party(), &utc(), NOW))
        .unwrap();
    assert_eq!(terminal.backend().buffer().area.area(), 0);
}

#[test]
fn bigger_terminals_show_more_log_lines() {
    let count = |s: &str| {
        s.lines()
            .filter(|l| l.contains(":1") && l.contains("21:"))
            .count()
    };
    let small = render(&mid_party(), &utc(), 80, 24);
    let big = render(&mid_party(), &utc(), 120, 40);
    assert!(count(&big) > count(&small), "small:\n{small}\nbig:\n{big}");
}
