//! `party-tui discover sonos`: the speakers SSDP finds, their rooms, and who leads each group.
use super::resolve;
use anyhow::Result;
use std::time::Duration;

pub(crate) async fn print(timeout: Duration) -> Result<()> {
    eprintln!("Searching for Sonos speakers ({} s)…", timeout.as_secs());
    let found = resolve::discover(timeout)
        .await
        .map_err(anyhow::Error::msg)?;
    if found.is_empty() {
        println!(
            "No Sonos speaker answered. Check that this machine is on the speakers' network, and \
             that UPnP is enabled in the Sonos app (recent firmware ships with it off)."
        );
        return Ok(());
    }
    let http =
        crate::support::http_client::HttpClient::timeout(super::control::ACTION_TIMEOUT).build();
    for f in &found {
        let room = f.room.as_deref().unwrap_or("?");
        println!("{room:<20} {:<40} {}", f.friendly_name, f.location);
    }
    // One speaker's view of the groups names every coordinator.
    if let Ok(d) = super::description::fetch(&http, &found[0].location).await
        && let Some(Ok(groups)) = resolve::groups(&http, &d).await
    {
        println!();
        for g in &groups {
            let rooms: Vec<&str> = g.members.iter().map(|m| m.room.as_str()).collect();
            let leader = g.coordinator().map_or("?", |c| c.room.as_str());
            println!("group led by {leader}: {}", rooms.join(", "));
        }
    }
    println!(
        "\nIn config.toml:\n[sonos]\nroom = \"{}\"",
        found[0].room.as_deref().unwrap_or("…")
    );
    Ok(())
}
