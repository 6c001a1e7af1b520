//! The workspace's binaries for the tests that run them as processes, built
//! the way the test run itself was.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A binary of the workspace (`riskmap`, `loadgen`, `geodata`), brought up to
/// date first. Cargo names only a package's own binaries to its tests
/// (`CARGO_BIN_EXE_*`), and these tests live in a package of their own, so
/// they ask cargo to build the binary (a no-op when it is current) and take
/// it from the target directory they run from.
///
/// In the dev profile the build is the whole workspace's binaries and tests,
/// as `cargo test --workspace` selects them: cargo unifies the features of
/// shared dependencies over what it builds, so `-p riskmap` alone would
/// build those dependencies a second time, with other features (minutes,
/// from cold), and relink the binary the tests just ran with.
pub fn binary(name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    // target/<profile>/deps/<this test> → target/<profile>
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let mut built = BUILT.lock().unwrap();
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet"]);
        // Cargo runs a test with the variables it sets for a crate
        // (CARGO_MANIFEST_DIR …). Passed on, they reach build scripts that
        // watch them (ring's reruns when CARGO_MANIFEST_DIR changes), so
        // ring, rustls, async-nats, the server and every test binary were
        // built again here and again by the next `cargo test`.
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(set_by_cargo_for_a_crate) {
                cmd.env_remove(key);
            }
        }
        if dir.file_name().is_some_and(|p| p == "release") {
            cmd.args(["--release", "--bin", name, "-p", name]);
        } else {
            cmd.args(["--workspace", "--bins", "--tests"]);
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "cargo build --bin {name} failed");
        built.push(name.to_owned());
    }
    dir.join(name)
}

/// Whether cargo sets the variable for the crate it builds or runs (a test
/// has them), rather than taking it from the shell.
fn set_by_cargo_for_a_crate(key: &str) -> bool {
    matches!(
        key,
        "CARGO_MANIFEST_DIR"
            | "CARGO_MANIFEST_PATH"
            | "CARGO_CRATE_NAME"
            | "CARGO_BIN_NAME"
            | "CARGO_PRIMARY_PACKAGE"
            | "CARGO_TARGET_TMPDIR"
            | "OUT_DIR"
    ) || key.starts_with("CARGO_PKG_")
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// Bringing a binary up to date from a test leaves the build as a cargo
    /// started from the shell finds it: nothing is built again. Before, the
    /// next `cargo test` built ring, rustls, async-nats, the server and every
    /// test binary anew, and so did the first test of each run to start one.
    #[test]
    fn bringing_a_binary_up_to_date_leaves_the_build_fresh() {
        super::binary("riskmap");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut shell = Command::new(cargo);
        shell.args(["build", "--workspace", "--bins", "--tests", "-v"]);
        // A shell has none of the variables cargo sets for a crate: all of
        // CARGO_* but the configuration a user sets, and OUT_DIR.
        for (key, _) in std::env::vars() {
            let configuration = [
                "CARGO_HOME",
                "CARGO_TARGET_DIR",
                "CARGO_BUILD_",
                "CARGO_PROFILE_",
                "CARGO_NET_",
                "CARGO_REGISTR",
                "CARGO_TERM_",
                "CARGO_INCREMENTAL",
            ]
            .iter()
            .any(|c| key.starts_with(c));
            if (key.starts_with("CARGO_") && !configuration) || key == "OUT_DIR" {
                shell.env_remove(key);
            }
        }
        let out = shell.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = String::from_utf8_lossy(&out.stderr);
        let built: Vec<&str> = log
            .lines()
            .filter(|l| l.trim_start().starts_with("Compiling"))
            .collect();
        assert!(built.is_empty(), "built again: {built:?}");
    }
}
