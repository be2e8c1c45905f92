//! The command line. `party-tui` with no subcommand runs the party (dashboard or --headless).
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "party-tui",
    version,
    about = "A terminal dashboard that turns a house party into a live music jury"
)]
pub struct Cli {
    /// Configuration file (default: the user config dir's party-tui/config.toml).
    #[arg(long, global = true, env = "PARTY_TUI_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where journals and logs live (default: the user data dir's party-tui).
    #[arg(long, global = true, env = "PARTY_TUI_DATA_DIR", value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Run the embedded demo: a simulated player and simulated guests.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: run demo time this many times faster (e.g. 20 shows an evening in minutes).
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_speed)]
    pub demo_speed: f64,
    /// Run the engine and adapters without the dashboard (for a service, and for tests).
    #[arg(long)]
    pub headless: bool,
    /// Start a new party (a new journal) instead of continuing the current one.
    #[arg(long)]
    pub new_party: bool,
    /// Attach to a running party (e.g. http://pi.local:8080) instead of starting one.
    #[arg(long, value_name = "URL")]
    pub attach: Option<String>,
    /// The admin token of the party to attach to (default: this machine's admin-token file).
    #[arg(
        long,
        env = "PARTY_TUI_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Start a party even when one is already running here (instead of attaching to it).
    #[arg(long)]
    pub no_attach: bool,
    /// Serve the vote page and webhooks on ADDR:PORT (default: [http] bind, 0.0.0.0:8080).
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<std::net::SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the party (the default).
    Run(RunArgs),
    /// Check the configuration and print the rules it gives.
    CheckConfig,
    /// List the parties (journals) in the data dir.
    Parties {
        /// List the demo's parties instead of the real ones.
        #[arg(long)]
        demo: bool,
    },
    /// Print a one-time link that signs the host's phone in to the host page (/host).
    HostLink,
    /// Print the admin API token (created on first use) for `Authorization: Bearer …`.
    AdminToken,
    /// Summarise a party from its journal: tracks, most liked and skipped, presses, timeline.
    Report {
        /// The party (see `parties`); default: the current one.
        #[arg(long)]
        party: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Report on the demo's parties instead of the real ones.
        #[arg(long)]
        demo: bool,
    },
    /// Check what breaks parties (config, data dir, port, capture permission, …) and say how to fix it.
    Doctor,
    /// Find devices on the network to put in the configuration.
    Discover {
        #[command(subcommand)]
        what: DiscoverWhat,
    },
    /// Spotify as the player.
    Spotify {
        #[command(subcommand)]
        command: SpotifyCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Csv,
    Json,
    /// The recap page (timeline, most liked and skipped, top requesters), self-contained HTML.
    Html,
}

#[derive(Debug, Subcommand)]
pub enum DiscoverWhat {
    /// List every device that announces itself from 0.0.0.0 (press a Dash button now).
    Buttons {
        /// Interface to listen on (default: [capture] interface, else the default route's).
        #[arg(long)]
        interface: Option<String>,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_name = "SECS")]
        seconds: Option<u64>,
    },
    /// List Sonos speakers, rooms and groups found by SSDP.
    Sonos {
        /// Listen this many seconds for answers.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum SpotifyCommand {
    /// Log in (once): prints a link, then takes the browser's redirect or a pasted address.
    Login,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.1..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("demo speed {v} must be between 0.1 and 1000"))
    }
}
