//! Where things live: `directories` defaults, overridable by flags and environment.
use anyhow::{Context, Result};
use std::path::PathBuf;

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "party-tui")
        .context("cannot find a home directory for party-tui's config and data (set HOME, or pass --config and --data-dir)")
}

pub(crate) fn default_config_file() -> Result<PathBuf> {
    Ok(project_dirs()?.config_dir().join("config.toml"))
}

pub(crate) fn default_config_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.config_dir().to_path_buf())
}

pub(crate) fn default_data_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().to_path_buf())
}
