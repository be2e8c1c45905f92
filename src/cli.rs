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
    Parties,
    /// Print the admin API token (created on first use) for `Authorization: Bearer …`.
    AdminToken,
    /// Find players on the network: `discover sonos` lists speakers and rooms by SSDP.
    Discover {
        #[arg(value_enum)]
        what: DiscoverWhat,
        /// Listen this many seconds for answers.
        #[arg(long, default_value_t = 3)]
        timeout_secs: u64,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DiscoverWhat {
    Sonos,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() && (0.1..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("demo speed {v} must be between 0.1 and 1000"))
    }
}
