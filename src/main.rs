//! CLI → config → logging → app::run. No logic here.
use anyhow::Result;
use clap::Parser;
use party_tui::cli::{Cli, Command, DiscoverWhat, ReportFormat, SpotifyCommand};
use party_tui::{app, config, paths};

/// mimalloc instead of glibc's malloc: a vote allocates a few dozen small objects across the
/// HTTP, party-loop and journal-writer threads, and glibc's arenas made that a sixth of a
/// durable vote's CPU (benches/http_votes: 15 % less server CPU per vote with mimalloc).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (libmimalloc-sys names only some).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Give freed memory back to the system at once rather than after a second (mimalloc's
    // default): a burst of votes should not leave the Pi's memory held. (Its arenas are
    // committed as used, not whole: MI_DEFAULT_ARENA_EAGER_COMMIT in .cargo/config.toml,
    // as that is decided before main runs.)
    // SAFETY: a plain option setter, called before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    // A journal write past a file-size limit (ulimit -f, LimitFSIZE=) must be an error the
    // party loop handles (votes refused, nothing lost), not a signal that kills the process.
    // SAFETY: setting a signal's disposition to "ignore" before any thread is started.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
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
            print!("{}", party_tui::config_check::summary(&cfg, &source));
            Ok(())
        }
        Some(Command::Parties { demo }) => parties(&data_dir, demo),
        Some(Command::AdminToken) => {
            println!(
                "{}",
                party_tui::http::load_or_create_admin_token(&data_dir)?
            );
            Ok(())
        }
        Some(Command::HostLink) => {
            let token = party_tui::http::load_or_create_admin_token(&data_dir)?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            // The link alone on its line, so `party-tui host-link | qrencode -t utf8` works.
            println!(
                "{}",
                runtime.block_on(party_tui::host_link::fetch(&data_dir, &token))?
            );
            Ok(())
        }
        Some(Command::Doctor) => {
            let runtime = tokio::runtime::Runtime::new()?;
            let checks = runtime.block_on(party_tui::doctor::run_checks(&cfg, &source, &data_dir));
            if party_tui::doctor::print(&checks) {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Some(Command::Report {
            party,
            format,
            demo,
        }) => report(&cfg, &data_dir, party, format, demo),
        Some(Command::Discover {
            what: DiscoverWhat::Buttons { interface, seconds },
        }) => party_tui::buttons::run_discover(
            interface.or(cfg.capture.interface.clone()),
            seconds.map(std::time::Duration::from_secs),
        ),
        Some(Command::Spotify {
            command: SpotifyCommand::Login,
        }) => spotify_login(&cfg),
        Some(Command::Discover {
            what: DiscoverWhat::Sonos { timeout_secs },
        }) => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(party_tui::players::sonos::discover::print(
                std::time::Duration::from_secs(timeout_secs),
            ))
        }
        Some(Command::Run(args)) => run(cfg, source, data_dir, args),
        None => run(cfg, source, data_dir, cli.run),
    }
}

/// Lists the parties; with none, says so and points at the demo's if there are some.
fn parties(data_dir: &std::path::Path, demo: bool) -> Result<()> {
    let dir = if demo {
        data_dir.join("demo")
    } else {
        data_dir.to_path_buf()
    };
    let list = party_tui::journal::PartyStore::open(&dir)?.list()?;
    for p in &list {
        println!("{p}");
    }
    if list.is_empty() {
        let demos = if demo {
            Vec::new()
        } else {
            party_tui::journal::PartyStore::open(&data_dir.join("demo"))?.list()?
        };
        if demos.is_empty() {
            eprintln!("no parties in {} yet", dir.display());
        } else {
            eprintln!(
                "no real parties yet; {} demo parties: `party-tui parties --demo`, `party-tui report --demo`",
                demos.len()
            );
        }
    }
    Ok(())
}

fn report(
    cfg: &config::Config,
    data_dir: &std::path::Path,
    party: Option<String>,
    format: ReportFormat,
    demo: bool,
) -> Result<()> {
    let dir = if demo {
        data_dir.join("demo")
    } else {
        data_dir.to_path_buf()
    };
    let store = party_tui::journal::PartyStore::open(&dir)?;
    let name = match party.or(store.current()?) {
        Some(n) => n,
        None => anyhow::bail!(
            "no party in {} yet (see `party-tui parties`)",
            dir.display()
        ),
    };
    let path = store.path(&name);
    let shown = party_tui::report::display_name(cfg.party.name.as_deref(), &name);
    let report = party_tui::report::Report::from_journal(&shown, &path)?;
    match format {
        ReportFormat::Text => print!("{}", report.to_text()),
        ReportFormat::Csv => print!("{}", report.to_csv()),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        ReportFormat::Html => {
            let recap = party_tui::recap::Recap::from_journal(&shown, &path)?;
            print!("{}", party_tui::recap::html::page(&recap));
        }
    }
    Ok(())
}

/// Works without a `[spotify]` section: the client id may come from SPOTIFY_CLIENT_ID.
fn spotify_login(cfg: &config::Config) -> Result<()> {
    let spotify = cfg.spotify.clone().unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(party_tui::players::spotify::login_cli::run(&spotify));
    // Reading stdin blocks a thread that must not hold the process open once we are done.
    runtime.shutdown_background();
    outcome
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
    let outcome = runtime.block_on(async {
        // A dashboard started while a party runs here becomes a second view of that party;
        // anything else started beside it stops, naming it: one party per data dir.
        use party_tui::remote::{Target, find_running};
        let mut _lock = None;
        let attach_to = match &args.attach {
            Some(url) => Some(Target::Url(url.clone())),
            None => match party_tui::lock::lock(&data_dir)? {
                Ok(lock) => {
                    _lock = Some(lock);
                    None
                }
                Err(held) if !args.headless && !args.no_attach => {
                    match find_running(&data_dir).await {
                        Some(_) => Some(Target::Local(data_dir.clone())),
                        None => anyhow::bail!(
                            "{held} (it does not serve its vote page, so \
                             this dashboard cannot attach)"
                        ),
                    }
                }
                Err(held) => anyhow::bail!("{held}"),
            },
        };
        if let Some(url) = attach_to {
            let token = match args.token.clone() {
                Some(t) => t,
                None => party_tui::http::load_or_create_admin_token(&data_dir)?,
            };
            tracing::info!(?url, "attaching to a running party");
            return party_tui::remote::attach(url, token).await;
        }
        app::run(
            cfg,
            app::RunOptions {
                demo: args.demo,
                demo_speed: args.demo_speed,
                headless: args.headless,
                new_party: args.new_party,
                bind: args.bind,
                data_dir,
            },
        )
        .await
    });
    // A blocking read (the terminal's input thread, a capture socket) must not keep the
    // process alive after the party has stopped and the journal is closed.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    outcome
}
