//! The command layer: one function per subcommand. `main` parses the command line and calls
//! [`dispatch`]; only this layer and `app` see the whole [`Config`](crate::config::Config).
pub mod cli;
mod doctor;
mod host_link;
mod lock;
mod parties;
mod report;
mod run;

use crate::config;
use crate::support::paths;
use anyhow::Result;
use cli::{Cli, Command, DiscoverWhat, SpotifyCommand};

/// Runs the command the user asked for.
pub fn dispatch(cli: Cli) -> Result<()> {
    // The party and `check-config` refuse a setting the party could not use; the other
    // commands use none of those settings (export, MQTT, Spotify's player) and go on.
    let runs_party = matches!(
        cli.command,
        None | Some(Command::Run(_)) | Some(Command::CheckConfig)
    );
    let (cfg, source, unusable) = if runs_party {
        let (cfg, source) = config::load(cli.config.as_deref())?;
        (cfg, source, Vec::new())
    } else {
        config::load_for_tool(cli.config.as_deref())?
    };
    if !matches!(cli.command, Some(Command::Doctor)) {
        for why in &unusable {
            eprintln!("party-tui: {why} (a party would not start with this)");
        }
    }
    let data_dir = match cli.data_dir.clone() {
        Some(d) => d,
        None => paths::default_data_dir()?,
    };
    match cli.command {
        Some(Command::CheckConfig) => {
            print!("{}", config::check::summary(&cfg, &source));
            Ok(())
        }
        Some(Command::Parties { demo }) => parties::run(&data_dir, demo),
        Some(Command::AdminToken) => {
            println!("{}", crate::http::load_or_create_admin_token(&data_dir)?);
            Ok(())
        }
        Some(Command::HostLink) => host_link::run(&data_dir),
        Some(Command::Doctor) => doctor::run(&cfg, &source, &unusable, &data_dir),
        Some(Command::Report {
            party,
            format,
            demo,
        }) => report::run(&cfg, &data_dir, party, format, demo),
        Some(Command::Discover {
            what: DiscoverWhat::Buttons { interface, seconds },
        }) => crate::buttons::run_discover(
            interface.or(cfg.capture.interface.clone()),
            seconds.map(std::time::Duration::from_secs),
        ),
        Some(Command::Discover {
            what: DiscoverWhat::Sonos { timeout_secs },
        }) => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(crate::players::sonos::discover::print(
                std::time::Duration::from_secs(timeout_secs),
            ))
        }
        Some(Command::Spotify {
            command: SpotifyCommand::Login,
        }) => spotify_login(&cfg),
        Some(Command::Run(args)) => run::run(cfg, source, data_dir, args),
        None => run::run(cfg, source, data_dir, cli.run),
    }
}

/// Works without a `[spotify]` section: the client id may come from SPOTIFY_CLIENT_ID.
fn spotify_login(cfg: &config::Config) -> Result<()> {
    let spotify = cfg.spotify_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(crate::players::spotify::login_cli::run(&spotify));
    // Reading stdin blocks a thread that must not hold the process open once we are done.
    runtime.shutdown_background();
    outcome
}
