//! The Pi's binaries for the tests and the footprint bench: cross-built with Debian's cross
//! toolchains (configured in .cargo/config.toml) into the usual target/<triple>/<profile>, the
//! same files `cargo build --target …` and `cargo deb --target …` make, and run under qemu-user
//! with the cross packages' C library. (`cargo test` releases its build lock before it runs the
//! tests, so a test may run cargo on the same target dir.)
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One Raspberry Pi OS flavour.
#[derive(Debug)]
pub struct Arch {
    pub triple: &'static str,
    /// Debian's name, as in the package file name.
    pub deb_arch: &'static str,
    pub linker: &'static str,
    pub qemu: &'static str,
    /// The cross packages' root: qemu's `-L`, where the ELF interpreter and libc are.
    pub sysroot: &'static str,
    /// The Debian packages that bring the linker, the C library and qemu.
    pub apt: &'static str,
}

/// 64-bit Raspberry Pi OS (Pi 3, 4, 5, Zero 2).
pub const AARCH64: Arch = Arch {
    triple: "aarch64-unknown-linux-gnu",
    deb_arch: "arm64",
    linker: "aarch64-linux-gnu-gcc",
    qemu: "qemu-aarch64-static",
    sysroot: "/usr/aarch64-linux-gnu",
    apt: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static",
};

/// 32-bit Raspberry Pi OS (hard float; Pi 2 and later).
pub const ARMV7: Arch = Arch {
    triple: "armv7-unknown-linux-gnueabihf",
    deb_arch: "armhf",
    linker: "arm-linux-gnueabihf-gcc",
    qemu: "qemu-arm-static",
    sysroot: "/usr/arm-linux-gnueabihf",
    apt: "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user-static",
};

/// Cargo's target dir for this checkout (CARGO_TARGET_DIR when set).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => Path::new(env!("CARGO_MANIFEST_DIR")).join(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    }
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why this machine cannot build `arch` (None when it can).
pub fn cannot_build(arch: &Arch) -> Option<String> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let std_lib = Path::new(&sysroot).join("lib/rustlib").join(arch.triple);
    if !std_lib.exists() {
        return Some(format!(
            "the Rust standard library for {0} is missing (rustup target add {0})",
            arch.triple
        ));
    }
    if !have(arch.linker) || !Path::new(arch.sysroot).join("lib").exists() {
        return Some(format!(
            "no cross toolchain for {} (apt-get install {})",
            arch.triple, arch.apt
        ));
    }
    None
}

/// Why this machine cannot run `arch`'s binaries (None when it can).
pub fn cannot_run(arch: &Arch) -> Option<String> {
    if let Some(why) = cannot_build(arch) {
        return Some(why);
    }
    if !have(arch.qemu) {
        return Some(format!(
            "no {} to run {} binaries (apt-get install qemu-user-static)",
            arch.qemu, arch.triple
        ));
    }
    None
}

/// A command that runs `bin`: natively, or under qemu-user for an ARM binary.
pub fn command(arch: Option<&Arch>, bin: &Path) -> Command {
    match arch {
        None => Command::new(bin),
        Some(a) => {
            let mut c = Command::new(a.qemu);
            c.arg("-L").arg(a.sysroot).arg(bin);
            c
        }
    }
}

/// The directory a profile's artifacts land in (`dev` builds into `debug`).
pub fn profile_dir(profile: &str) -> &str {
    if profile == "dev" { "debug" } else { profile }
}

/// Builds party-tui for `triple` (None: this machine) in `profile` and returns the binary.
/// Cargo makes this a quick no-op when .ci/run or an earlier test built it already.
pub fn build(triple: Option<&str>, profile: &str) -> PathBuf {
    // One cargo at a time from this test binary: two would only wait for each other's lock.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let mut cargo = Command::new(env!("CARGO"));
    cargo.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--locked",
        "--bin",
        "party-tui",
        "--profile",
        profile,
    ]);
    // Cargo gives a test the package's CARGO_PKG_*, CARGO_MANIFEST_DIR, …; ring's build script
    // reruns when those change, so passing them on would rebuild ring and everything above it
    // here, and again at the next `cargo build` or `cargo deb` from a shell.
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let from_cargo_for_this_crate = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| k.starts_with(p))
            || [
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&&*k);
        if from_cargo_for_this_crate {
            cargo.env_remove(&key);
        }
    }
    if let Some(t) = triple {
        cargo.args(["--target", t]);
    }
    let status = cargo.status().expect("cargo runs");
    assert!(
        status.success(),
        "cargo build {triple:?} --profile {profile} failed"
    );
    let mut bin = target_dir();
    if let Some(t) = triple {
        bin.push(t);
    }
    bin.join(profile_dir(profile)).join("party-tui")
}
