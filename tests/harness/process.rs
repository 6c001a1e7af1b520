//! `riskmap serve` as a child process (for faults and the server's own
//! memory figures), and the HTTP helpers that reach any server by address.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::{FIXTURE_STALE_AFTER_S, binary};

/// The admin password of servers started as processes.
pub const PROCESS_ADMIN_PASSWORD: &str = "process-test-admin";

/// `riskmap serve` as a child process: for faults (SIGKILL) and for memory
/// figures that must be the server's own. Killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `riskmap serve ARGS` and waits for its banner (stderr to `log`).
    pub fn spawn(args: &[String], log: &Path) -> ServerProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(binary("riskmap"))
            .arg("serve")
            .args(args)
            .env("RISKMAP_ADMIN_PASSWORD", PROCESS_ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("riskmap is running at ") {
                    let _ = tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("no banner; see {}", log.display()));
        ServerProcess { child, base }
    }

    /// The server's resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` arguments for a demo-mode server (no simulator) on the city in
/// `dir/city`, its store in `dir/data` (or `database_url`).
pub fn process_args(dir: &Path, database_url: Option<String>) -> Vec<String> {
    let mut args: Vec<String> = ["--listen", "127.0.0.1:0", "--demo", "--no-simulator"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.push("--stale-after-s".into());
    args.push(FIXTURE_STALE_AFTER_S.to_string());
    args.push("--demo-city".into());
    args.push(dir.join("city").display().to_string());
    args.push("--data-dir".into());
    args.push(dir.join("data").display().to_string());
    if let Some(url) = database_url {
        args.push("--database-url".into());
        args.push(url);
    }
    args
}

/// Logs in to a server at `base` (demo logins); the token.
pub async fn login_at(base: &str, user: &str, password: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_owned()
}

/// The Prometheus text of a server at `base`.
pub async fn metrics_at(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
