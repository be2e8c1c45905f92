//! `party-tui doctor`: check what breaks parties, and say how to fix each problem.
use crate::config::{Config, ConfigSource};
use std::path::Path;

mod journal;
mod mqtt;
pub(crate) mod remote;

/// One check's outcome: what was checked, and the fix when it failed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Check {
    pub what: String,
    pub problem: Option<String>,
    /// A problem that does not stop a party (the demo runs without a player).
    pub warning: bool,
}

impl Check {
    pub(crate) fn ok(what: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            problem: None,
            warning: false,
        }
    }
    pub(crate) fn warn(what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            warning: true,
            ..Check::bad(what, fix)
        }
    }
    pub(crate) fn bad(what: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            problem: Some(fix.into()),
            warning: false,
        }
    }
}

/// Runs every check that applies to this configuration.
pub(crate) async fn run_checks(cfg: &Config, source: &ConfigSource, data_dir: &Path) -> Vec<Check> {
    let mut checks = vec![Check::ok(format!("configuration: {source}"))];
    checks.push(data_dir_writable(data_dir));
    checks.extend(journal::journal(data_dir));
    checks.push(http_port_free(cfg.http.bind).await);
    checks.push(player(cfg));
    if !crate::buttons::dash_buttons(&cfg.buttons).is_empty() {
        checks.push(capture_allowed(cfg.capture.interface.as_deref()));
    }
    if let Some(sonos) = &cfg.sonos {
        checks.push(crate::cmd::doctor::remote::sonos(sonos).await);
    }
    if let Some(spotify) = &cfg.spotify {
        let now = crate::bus::clock::Clock::system().now();
        checks.push(crate::cmd::doctor::remote::spotify(spotify, now).await);
    }
    if let Some(export) = &cfg.export {
        checks.push(crate::cmd::doctor::remote::export(export).await);
    }
    if let Some(mqtt) = &cfg.mqtt {
        checks.push(mqtt::mqtt(mqtt).await);
    }
    if let Some(c8y) = &cfg.cumulocity {
        checks.push(mqtt::cumulocity(c8y).await);
    }
    checks
}

/// Which player the party follows; without one only the demo plays.
pub(crate) fn player(cfg: &Config) -> Check {
    match (&cfg.sonos, &cfg.spotify) {
        (Some(_), None) => Check::ok("player: Sonos"),
        (None, Some(_)) => Check::ok("player: Spotify"),
        (Some(_), Some(_)) => Check::bad(
            "player: both [sonos] and [spotify] are set",
            "keep the one party-tui should follow in config.toml",
        ),
        (None, None) => Check::warn(
            "player: none configured",
            "add [sonos] (room = \"Living Room\") or [spotify] to config.toml; `party-tui --demo` plays without one",
        ),
    }
}

/// Prints the checks; true when all passed.
pub(crate) fn print(checks: &[Check]) -> bool {
    for c in checks {
        match &c.problem {
            None => println!("ok    {}", c.what),
            Some(fix) if c.warning => println!("WARN  {}\n      → {fix}", c.what),
            Some(fix) => println!("FAIL  {}\n      → {fix}", c.what),
        }
    }
    let failed = checks
        .iter()
        .filter(|c| c.problem.is_some() && !c.warning)
        .count();
    let warned = checks.iter().filter(|c| c.warning).count();
    match (failed, warned) {
        (0, 0) => println!("\nAll good: party on."),
        (0, w) => println!("\nNo errors, but {w} warning(s): read them before the guests arrive."),
        (f, _) => println!("\n{f} problem(s) found."),
    }
    failed == 0
}

pub(crate) fn data_dir_writable(dir: &Path) -> Check {
    let what = format!("data directory {} is writable", dir.display());
    let probe = dir.join(".doctor-probe");
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"ok"))
        .and_then(|_| std::fs::remove_file(&probe));
    match result {
        Ok(()) => Check::ok(what),
        Err(e) => Check::bad(
            what,
            format!("{e}: choose another with --data-dir or PARTY_TUI_DATA_DIR, or fix its owner"),
        ),
    }
}

pub(crate) async fn http_port_free(bind: std::net::SocketAddr) -> Check {
    let what = format!("HTTP port {bind} is free");
    match tokio::net::TcpListener::bind(bind).await {
        Ok(_) => Check::ok(what),
        Err(e) => Check::bad(
            what,
            format!(
                "{e}: is party-tui already running (then `party-tui` attaches to it)? \
                 Otherwise set [http] bind or --bind to a free port"
            ),
        ),
    }
}

pub(crate) fn capture_allowed(interface: Option<&str>) -> Check {
    let what = format!(
        "Dash button capture on {}",
        interface.unwrap_or("the default route's interface")
    );
    match crate::buttons::iface::find_interface(interface)
        .and_then(|i| crate::buttons::iface::open_receiver(&i).map(|_| ()))
    {
        Ok(()) => Check::ok(what),
        Err(e) => Check::bad(what, e.to_string()),
    }
}

/// `party-tui doctor`: every check, printed; exit status 1 when one failed.
/// `unusable`: what config loading found a party could not start with, one failed check each.
pub(super) fn run(
    cfg: &Config,
    source: &ConfigSource,
    unusable: &[String],
    data_dir: &Path,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut checks = runtime.block_on(run_checks(cfg, source, data_dir));
    let fix = "fix it in the configuration (or the environment the party runs with)";
    checks.extend(unusable.iter().map(|why| Check::bad(why.as_str(), fix)));
    if print(&checks) {
        Ok(())
    } else {
        std::process::exit(1)
    }
}
