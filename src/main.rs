//! CLI → config → logging → app::run. No logic here.
use anyhow::Result;
use clap::Parser;
use party_tui::cli::{Cli, Command};
use party_tui::{app, config, paths};

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The dashboard has restored the terminal by now (guard + panic hook).
            eprintln!("party-tui: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<()> {
    let cli = Cli::parse();
    let (cfg, source) = config::load(cli.config.as_deref())?;
    let data_dir = match cli.data_dir.clone() {
        Some(d) => d,
        None => paths::default_data_dir()?,
    };
    match cli.command {
        Some(Command::CheckConfig) => {
            println!("{source}");
            println!("{:#?}", cfg.rules());
            Ok(())
        }
        Some(Command::Parties) => {
            let store = party_tui::journal::PartyStore::open(&data_dir)?;
            for p in store.list()? {
                println!("{p}");
            }
            Ok(())
        }
        Some(Command::AdminToken) => {
            println!(
                "{}",
                party_tui::http::load_or_create_admin_token(&data_dir)?
            );
            Ok(())
        }
        Some(Command::Discover { what, timeout_secs }) => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(party_tui::players::sonos::discover::print(
                what,
                std::time::Duration::from_secs(timeout_secs),
            ))
        }
        Some(Command::Run(args)) => run(cfg, source, data_dir, args),
        None => run(cfg, source, data_dir, cli.run),
    }
}

fn run(
    cfg: config::Config,
    source: config::ConfigSource,
    data_dir: std::path::PathBuf,
    args: party_tui::cli::RunArgs,
) -> Result<()> {
    let (_guard, log_path) = party_tui::logging::init(&data_dir)?;
    tracing::info!(%source, log = %log_path.display(), "starting");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("party-tui-rt")
        .build()?;
    let outcome = runtime.block_on(app::run(
        cfg,
        app::RunOptions {
            demo: args.demo,
            demo_speed: args.demo_speed,
            headless: args.headless,
            new_party: args.new_party,
            bind: args.bind,
            data_dir,
        },
    ));
    // A blocking read (the terminal's input thread, a capture socket) must not keep the
    // process alive after the party has stopped and the journal is closed.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    outcome
}
