//! The Debian package and the systemd unit, checked by the tools a Pi uses: cargo-deb builds
//! the package, dpkg installs it on this machine (as root), getcap sees the capture capability,
//! systemd-analyze verifies the installed unit and scores its hardening, and a purge leaves
//! nothing behind but the host's journals.
//!
//! CI builds and installs the amd64 package, and builds and inspects the arm64 package from the
//! release build tests/pi_cross.rs runs under qemu. The armhf package needs one more release
//! cross build (~10 min on CI's two cores), so its test is `#[ignore]`d: run it with
//! `cargo test --test e2e pi_package -- --ignored`.
use crate::pi;
use crate::support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{have_command, skip_or_fail};

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/party-tui.service");
/// `systemd-analyze security` scores 0 (locked down) to 10 (root with everything); the README
/// gives the current figure. Hardening taken away by a later change must be a decision.
const MAX_EXPOSURE: f64 = 2.5;

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// The exposure score `systemd-analyze security --offline=true` gives a unit file.
fn exposure(unit: &Path) -> (f64, String) {
    let out = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit));
    let report = text(&out);
    assert!(out.status.success(), "{report}");
    let score = report
        .lines()
        .find_map(|l| {
            l.split_once("Overall exposure level for ")?
                .1
                .split_once(": ")
        })
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    (score, report)
}

#[test]
fn the_unit_is_hardened_as_systemd_scores_it() {
    if !have_command("systemd-analyze") {
        return skip_or_fail("no systemd-analyze (apt-get install systemd)");
    }
    let (score, report) = exposure(Path::new(UNIT));
    eprintln!("systemd-analyze security: exposure {score}");
    assert!(score <= MAX_EXPOSURE, "exposure {score}:\n{report}");
    // What the issue asks for, by name (a score alone could hide trading one for another).
    let unit = std::fs::read_to_string(UNIT).unwrap();
    for line in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "StateDirectory=party-tui",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "AmbientCapabilities=CAP_NET_RAW",
        "Restart=always",
        "LimitNOFILE=65536",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
}

#[test]
fn postinst_says_why_when_the_filesystem_cannot_hold_the_capability() {
    // A setcap that fails as it does on a filesystem without extended attributes.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("setcap");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"Failed to set capabilities on file '$2' (Operation not supported)\" >&2\nexit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap()
    );
    let out = run(Command::new("sh")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/debian/postinst"))
        .arg("configure")
        .env("PATH", path));
    let said = text(&out);
    // The package still installs: the service grants the capability itself.
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Operation not supported"), "{said}");
    assert!(said.contains("cannot hold file capabilities"), "{said}");
    assert!(said.contains("sudo party-tui discover buttons"), "{said}");
}

#[test]
fn cap_net_raw_alone_lets_an_unprivileged_user_capture() {
    // The unit's bounding set and postinst's setcap grant CAP_NET_RAW and nothing else: prove
    // that is enough, as the service's unprivileged user, on loopback.
    let uid = run(Command::new("id").arg("-u"));
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" || !have_command("setpriv") {
        return skip_or_fail("dropping to a user with only CAP_NET_RAW needs root and setpriv");
    }
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let capture = |caps: &str| {
        run(Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .args([
                format!("--inh-caps=-all{caps}"),
                format!("--bounding-set=-all{caps}"),
            ])
            .args(if caps.is_empty() {
                vec![]
            } else {
                vec![format!("--ambient-caps=-all{caps}")]
            })
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_party-tui"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["discover", "buttons", "--interface", "lo", "--seconds", "1"])
            .env("HOME", dir.path()))
    };
    let with = capture(",+net_raw");
    assert!(with.status.success(), "with CAP_NET_RAW: {}", text(&with));
    assert!(text(&with).contains("listening on lo"), "{}", text(&with));
    let without = capture("");
    assert!(
        !without.status.success(),
        "captured without CAP_NET_RAW: {}",
        text(&without)
    );
    assert!(
        text(&without).contains("needs CAP_NET_RAW"),
        "{}",
        text(&without)
    );
}

/// Why this machine cannot build and install packages (None when it can).
fn cannot_package(install: bool) -> Option<String> {
    let cargo_deb = Command::new(env!("CARGO"))
        .args(["deb", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !cargo_deb {
        return Some("no cargo-deb (cargo install cargo-deb --locked)".into());
    }
    for (cmd, pkg) in [
        ("dpkg-deb", "dpkg"),
        ("readelf", "binutils"),
        ("systemd-analyze", "systemd"),
        ("getcap", "libcap2-bin"),
    ] {
        if !have_command(cmd) {
            return Some(format!("no {cmd} (apt-get install {pkg})"));
        }
    }
    if install {
        let uid = run(Command::new("id").arg("-u"));
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Some("installing a package needs root".into());
        }
        if installed() {
            return Some("party-tui is already installed here: not touching it".into());
        }
    }
    None
}

fn installed() -> bool {
    let out = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", "party-tui"]));
    String::from_utf8_lossy(&out.stdout).contains("installed")
}

/// `cargo deb` for `triple` (None: this machine): the package and its -dbgsym companion. The
/// release build comes first, by the same call the qemu tests use, so both share one binary.
fn cargo_deb(triple: Option<&str>) -> (PathBuf, PathBuf) {
    pi::build(triple, "release");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["deb", "--locked", "--no-build"]);
    if let Some(t) = triple {
        cmd.args(["--target", t]);
    }
    let out = run(&mut cmd);
    let said = text(&out);
    assert!(out.status.success(), "cargo deb failed:\n{said}");
    // cargo-deb prints the path of each file it wrote.
    let written: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| PathBuf::from(l.trim()))
        .filter(|p| p.is_file())
        .collect();
    let find = |dbgsym: bool| {
        written
            .iter()
            .find(|p| p.to_string_lossy().contains("-dbgsym") == dbgsym)
            .cloned()
            .unwrap_or_else(|| panic!("no {} package in:\n{said}", ["", "dbgsym"][dbgsym as usize]))
    };
    (find(false), find(true))
}

/// The paths in a package, without the leading `.`.
fn contents(deb: &Path) -> Vec<String> {
    let out = run(Command::new("dpkg-deb").arg("-c").arg(deb));
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}

fn field(deb: &Path, name: &str) -> String {
    let out = run(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg(name));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// What the package must hold, on every architecture.
fn check_contents(deb: &Path, dbgsym: &Path, deb_arch: &str) {
    assert_eq!(field(deb, "Architecture"), deb_arch);
    assert!(field(deb, "Depends").contains("libcap2-bin"));
    let files = contents(deb);
    for want in [
        "/usr/bin/party-tui",
        "/etc/party-tui/config.toml",
        "/usr/share/doc/party-tui/README.md",
        "/usr/share/doc/party-tui/copyright",
    ] {
        assert!(files.iter().any(|f| f == want), "{want} not in {files:#?}");
    }
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("systemd/system/party-tui.service")),
        "no unit in {files:#?}"
    );
    // The debug info is in the -dbgsym package, not on the SD card.
    assert!(!files.iter().any(|f| f.starts_with("/usr/lib/debug")));
    assert!(
        contents(dbgsym)
            .iter()
            .any(|f| f.starts_with("/usr/lib/debug/.build-id/") && f.ends_with(".debug")),
        "no debug file in the dbgsym package"
    );
    let conffiles = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "dpkg-deb --ctrl-tarfile '{}' | tar -xOf - ./conffiles",
            deb.display()
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&conffiles.stdout).contains("/etc/party-tui/config.toml"),
        "the config is not a conffile: an upgrade would overwrite the host's edits"
    );
}

/// A stripped binary has no symbol table and no DWARF sections left, only the link to its
/// debug file. (The bytes alone cannot tell: the backtrace code holds the section names.)
fn assert_stripped(bin: &Path) {
    let out = run(Command::new("readelf").args(["-S", "--wide"]).arg(bin));
    assert!(out.status.success(), "readelf: {}", text(&out));
    let sections = String::from_utf8_lossy(&out.stdout).into_owned();
    let names: Vec<&str> = sections
        .lines()
        .filter_map(|l| l.split_once(']')?.1.split_whitespace().next())
        .collect();
    assert!(names.contains(&".text"), "no sections read:\n{sections}");
    assert!(
        names.contains(&".gnu_debuglink"),
        "no debug link:\n{sections}"
    );
    // .debug_gdb_scripts is loaded data (gdb's pretty-printer hint), not debug info.
    let left: Vec<&&str> = names
        .iter()
        .filter(|n| **n == ".symtab" || (n.starts_with(".debug_") && **n != ".debug_gdb_scripts"))
        .collect();
    assert!(left.is_empty(), "{} still has {left:?}", bin.display());
}

/// Every path under the directories a package can touch (not following symlinks).
fn snapshot() -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.insert(p.clone());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    for root in ["/etc", "/usr", "/lib", "/opt", "/var/lib", "/srv"] {
        walk(Path::new(root), &mut out);
    }
    out
}

/// What a purge must not leave: anything named for the package, and debug files. (Other
/// engineers' and tests' files appearing meanwhile are not ours to judge.)
fn ours(p: &Path) -> bool {
    let s = p.to_string_lossy();
    (s.contains("party-tui") || s.starts_with("/usr/lib/debug/"))
        && !s.starts_with("/var/lib/dpkg/")
}

/// Purges the package and the pretend user data however the test ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if installed() {
            let _ = Command::new("dpkg").args(["--purge", "party-tui"]).output();
        }
        let _ = std::fs::remove_dir_all("/var/lib/party-tui");
    }
}

#[test]
fn amd64_package_installs_checks_out_and_purges_clean() {
    if let Some(why) = cannot_package(true) {
        return skip_or_fail(&why);
    }
    let (deb, dbgsym) = cargo_deb(None);
    check_contents(&deb, &dbgsym, "amd64");
    let before = snapshot();

    let _cleanup = Installed;
    let out = run(Command::new("dpkg").arg("-i").arg(&deb));
    assert!(out.status.success(), "dpkg -i:\n{}", text(&out));
    let bin = Path::new("/usr/bin/party-tui");
    assert_stripped(bin);
    let version = run(Command::new(bin).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("party-tui {}", env!("CARGO_PKG_VERSION"))
    );
    eprintln!(
        "amd64: {} ({:.2} MB stripped binary, {:.2} MB package)",
        deb.display(),
        std::fs::metadata(bin).unwrap().len() as f64 / 1e6,
        std::fs::metadata(&deb).unwrap().len() as f64 / 1e6
    );
    let caps = text(&run(Command::new("getcap").arg(bin)));
    assert!(caps.contains("cap_net_raw=ep"), "getcap: {caps:?}");
    let listed = text(&run(Command::new("dpkg").args(["-L", "party-tui"])));
    let unit = listed
        .lines()
        .find(|l| l.ends_with("systemd/system/party-tui.service"))
        .unwrap_or_else(|| panic!("no unit installed:\n{listed}"));
    let verify = run(Command::new("systemd-analyze").args(["verify", unit]));
    assert!(
        verify.status.success() && text(&verify).trim().is_empty(),
        "systemd-analyze verify {unit}:\n{}",
        text(&verify)
    );
    let (score, _) = exposure(Path::new(unit));
    eprintln!("installed unit: exposure {score}");
    // Installed, not enabled: enabling takes over the screen, so the host decides.
    assert!(!Path::new("/etc/systemd/system/multi-user.target.wants/party-tui.service").exists());

    // A party's journal and the host's secrets file, as a Pi would have them by now.
    std::fs::create_dir_all("/var/lib/party-tui/parties").unwrap();
    std::fs::write("/var/lib/party-tui/parties/p1.jsonl", "{}\n").unwrap();
    std::fs::write("/etc/party-tui/environment", "PARTY_TUI_EXPORT_API_KEY=k\n").unwrap();

    let out = run(Command::new("dpkg").args(["--purge", "party-tui"]));
    let said = text(&out);
    assert!(out.status.success(), "dpkg --purge:\n{said}");
    assert!(
        said.contains("journals and logs stay in /var/lib/party-tui"),
        "{said}"
    );
    assert!(!installed());
    let left: Vec<PathBuf> = snapshot()
        .difference(&before)
        .filter(|p| ours(p))
        .filter(|p| !p.starts_with("/var/lib/party-tui"))
        .cloned()
        .collect();
    assert!(left.is_empty(), "the purge left {left:#?}");
    let gone: Vec<&PathBuf> = before.iter().filter(|p| ours(p) && !p.exists()).collect();
    assert!(
        gone.is_empty(),
        "the purge removed what was there before: {gone:#?}"
    );
    assert!(
        Path::new("/var/lib/party-tui/parties/p1.jsonl").exists(),
        "the purge took the host's journals"
    );
}

#[test]
fn arm64_package_holds_a_stripped_arm64_binary() {
    arm_package(&pi::AARCH64, 183);
}

#[test]
#[ignore = "one more release cross build: cargo test --test e2e pi_package -- --ignored"]
fn armhf_package_holds_a_stripped_armhf_binary() {
    arm_package(&pi::ARMV7, 40);
}

fn arm_package(arch: &pi::Arch, machine: u16) {
    if let Some(why) = cannot_package(false).or_else(|| pi::cannot_build(arch)) {
        return skip_or_fail(&why);
    }
    let (deb, dbgsym) = cargo_deb(Some(arch.triple));
    check_contents(&deb, &dbgsym, arch.deb_arch);
    let dir = tempfile::tempdir().unwrap();
    let out = run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(dir.path()));
    assert!(out.status.success(), "{}", text(&out));
    let bin = dir.path().join("usr/bin/party-tui");
    assert_stripped(&bin);
    let head = std::fs::read(&bin).unwrap();
    assert_eq!(u16::from_le_bytes([head[18], head[19]]), machine);
    eprintln!(
        "{}: {} ({:.2} MB stripped binary, {:.2} MB package)",
        arch.triple,
        deb.display(),
        head.len() as f64 / 1e6,
        std::fs::metadata(&deb).unwrap().len() as f64 / 1e6
    );
}
