//! The recap page in a real headless Chromium at phone (390 px) and desktop (1280 px) widths:
//! nothing overflows sideways, the SVG timeline scales to the page, the lists carry the
//! party's figures, and there is no script. Screenshots land in target/recap-*.png for a look.
//! Also `party-tui report --format html` prints the same page for the same journal.
use crate::cdp;
use crate::support;

use cdp::Chromium;
use cdp::party::eventually;
use party_tui::bus::clock::Clock;
use party_tui::bus::inbox::Inbox;
use party_tui::core::*;
use party_tui::http::{self, HttpState};
use party_tui::journal::{Entry, Journal, PartyStore};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::sample::{play, press, vote};
use tokio_util::sync::CancellationToken;

const T0: i64 = 1_750_000_000_000;

fn ask(guest: &str, n: u64) -> Input {
    let t = support::sample::track(n);
    Input::Request(RequestInput::Ask {
        voter: Voter::guest(guest),
        track: RequestedTrack {
            uri: t.id.clone().unwrap(),
            title: t.title,
            artist: t.artist,
            album: t.album,
            duration_ms: t.duration_ms,
            image: None,
        },
    })
}

/// Three hours of a party: tracks every 4 minutes, likes and skips, requests, buttons.
fn write_party(path: &Path) {
    let rules = Rules {
        buttons: vec![ButtonRule {
            name: "Kitchen".into(),
            actions: ButtonActions::Always(Action::Like),
            debounce: None,
        }],
        ..Rules::default()
    };
    let mut party = Party::new("2026-12-01", rules);
    let mut inputs: Vec<(i64, Input)> = Vec::new();
    for n in 0..45u64 {
        let start = T0 + n as i64 * 240_000;
        inputs.push((start, play(n)));
        if n % 7 == 2 {
            let guest = ["a1b2c3", "d4e5f6", "0a0b0c"][n as usize % 3];
            inputs.push((start + 5_000, ask(&format!("{guest:0<32}"), n + 1)));
        }
        // The night builds up, peaks, then calms down.
        let crowd = (8.0 * (std::f64::consts::PI * n as f64 / 45.0).sin()) as u64 + 1;
        for g in 0..crowd {
            let a = if (n + g) % 5 == 0 {
                Action::Skip
            } else {
                Action::Like
            };
            inputs.push((start + 20_000 + g as i64 * 3_000, vote(&format!("g{g}"), a)));
        }
        if n % 4 == 0 {
            inputs.push((
                start + 60_000,
                press(Voter::button("Kitchen"), Origin::Dash, Action::Like),
            ));
        }
    }
    let (mut journal, _) = Journal::open(path).unwrap();
    let entries: Vec<Entry> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, (at, input))| Entry {
            seq: i as u64,
            at: Timestamp(at),
            effects: party.apply(&input, Timestamp(at)),
            input,
        })
        .collect();
    journal.append_batch(&entries).unwrap();
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}

#[tokio::test]
async fn the_recap_reads_well_on_a_phone_and_a_desktop() {
    let dir = tempfile::tempdir().unwrap();
    let store = PartyStore::open(dir.path()).unwrap();
    let name = store.new_party().unwrap();
    let path = store.path(&name);
    write_party(&path);

    // The CLI prints the recap for the current party. Its own (empty) config: a `[party] name`
    // in the user's config would name the party differently from what `/recap` is given here.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let cli_page = support::stdout_of(
        std::process::Command::new(env!("CARGO_BIN_EXE_party-tui"))
            .arg("--config")
            .arg(&config)
            .args(["report", "--format", "html", "--data-dir"])
            .arg(dir.path()),
    );
    assert!(cli_page.starts_with("<!doctype html>"));
    assert!(!cli_page.contains("<script"), "no scripts in the recap");
    assert!(cli_page.contains("<svg class=\"timeline\""));

    let (inbox, _rx) = Inbox::new();
    let (_tx, snaps) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
    let state = HttpState::new(
        inbox,
        snaps,
        Default::default(),
        "t".into(),
        None,
        Clock::starting_at(Timestamp(T0), 1.0),
    )
    .with_recap(&name, path.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(http::serve(listener, state, stop.clone()));
    let served = reqwest::get(format!("{base}/recap")).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.text().await.unwrap(),
        cli_page,
        "the same page both ways"
    );

    let Some(browser) = cdp::browser_or_skip() else {
        return;
    };
    let chromium = Chromium::launch(browser, &dir.path().join("chromium-profile"));
    let mut page = chromium.page().await;
    for (width, mobile) in [(390, true), (1280, false)] {
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await;
        page.navigate(&format!("{base}/recap")).await;
        let ready =
            "document.readyState === 'complete' && !!document.querySelector('svg.timeline')";
        eventually("the recap to load", async || {
            (page.eval(ready).await == json!(true)).then_some(())
        })
        .await;
        let m = page
            .eval(
                "(() => { const s = document.querySelector('svg.timeline').getBoundingClientRect(); \
                 const cards = [...document.querySelectorAll('.grid > .card')].map(c => Math.round(c.getBoundingClientRect().left)); \
                 return { scroll: document.documentElement.scrollWidth, inner: innerWidth, svg: s.width, \
                 columns: new Set(cards).size, bars: document.querySelectorAll('svg.timeline rect').length, \
                 lists: [...document.querySelectorAll('h2')].map(h => h.textContent), \
                 first_liked: document.querySelector('.grid .card li .name').textContent }; })()",
            )
            .await;
        assert!(
            m["scroll"].as_i64() <= m["inner"].as_i64(),
            "{width} px: sideways overflow {m}"
        );
        let svg = m["svg"].as_f64().unwrap();
        assert!(
            svg > width as f64 * 0.6 && svg <= width as f64,
            "{width} px: timeline {svg} px wide"
        );
        assert_eq!(m["columns"], if mobile { 1 } else { 2 }, "{m}");
        assert!(m["bars"].as_i64().unwrap() > 20, "{m}");
        assert_eq!(
            m["lists"],
            json!([
                "The night in likes and skips",
                "Most liked",
                "Most skipped",
                "Top requesters",
                "Presses per button"
            ])
        );
        assert!(
            m["first_liked"].as_str().unwrap().starts_with("Song "),
            "{m}"
        );
        let file = target_dir().join(format!("recap-{width}.png"));
        page.screenshot(&file).await;
        let png = std::fs::read(&file).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        eprintln!("screenshot: {}", file.display());
    }
    stop.cancel();
}
