//! A cluster on loopback for the cluster tests: Debian's `nats-server` with
//! JetStream (file storage in a temporary directory), and riskmap nodes as
//! processes sharing one PostGIS database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where Debian installs nats-server (`apt-get install nats-server`).
const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// A nats-server with JetStream, killed when dropped.
pub struct Nats {
    child: Option<Child>,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    store: PathBuf,
    log: PathBuf,
}

impl Nats {
    /// Starts nats-server on a free loopback port, its JetStream store in
    /// `dir`.
    pub fn start(dir: &Path) -> Nats {
        let binary = Path::new(NATS_SERVER);
        assert!(
            binary.exists(),
            "{NATS_SERVER} is missing: the cluster tests need Debian's nats-server \
             (apt-get install nats-server; scripts/test.sh installs it)"
        );
        let port = free_port();
        let mut nats = Nats {
            child: None,
            url: format!("nats://127.0.0.1:{port}"),
            port,
            store: dir.join("jetstream"),
            log: dir.join("nats.log"),
        };
        nats.spawn();
        nats
    }

    fn spawn(&mut self) {
        let child = Command::new(NATS_SERVER)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&self.log).unwrap())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "nats-server did not start; see {}",
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills nats-server (SIGKILL) and starts it again on the same port and
    /// store.
    pub fn restart(&mut self, down_for: Duration) {
        self.kill();
        std::thread::sleep(down_for);
        self.spawn();
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` arguments of cluster node `node`: demo mode without the
/// simulator on the test city in `dir/city`, the shared database, NATS.
pub fn node_args(dir: &Path, database_url: &str, nats: &str, node: &str) -> Vec<String> {
    let mut args = crate::process_args(dir, Some(database_url.to_owned()));
    args.extend(
        ["--cluster", nats, "--node-id", node, "--tick-ms", "20"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    args
}

/// Waits until `base` answers `/ready` with 200 (caught up with the log).
pub async fn wait_ready(base: &str) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/ready")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{base} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A metric's value on a node (`None` if absent).
pub async fn metric(base: &str, name: &str) -> Option<f64> {
    let text = crate::metrics_at(base).await;
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.split(['{', ' ']).next() == Some(name))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Polls `get` until `done` holds of its answer, for at most `within`;
/// the last answer.
pub async fn eventually<F, Fut>(
    within: Duration,
    mut get: F,
    done: impl Fn(&Value) -> bool,
) -> Value
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Value>,
{
    let start = Instant::now();
    loop {
        let v = get().await;
        if done(&v) || start.elapsed() > within {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// GET `path` on `base` with `token`, as JSON (`Null` if it failed).
pub async fn get(base: &str, token: &str, path: &str) -> Value {
    let Ok(r) = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
    else {
        return Value::Null;
    };
    r.json().await.unwrap_or(Value::Null)
}
