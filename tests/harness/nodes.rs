//! A cluster for a test (its directory, nats-server, one PostGIS database,
//! riskmap nodes as processes) and what its nodes and its store hold, to
//! tell whether they agree.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::ServerProcess;
use crate::cluster::{Nats, get, node_args, wait_ready};

/// The cluster of a test: its directory, NATS, the database, the nodes.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub nats: Nats,
    pub database_url: String,
    pub nodes: Vec<Option<ServerProcess>>,
}

impl Cluster {
    /// `n` nodes, or `None` without a PostGIS to run on.
    pub async fn start(n: usize) -> Option<Cluster> {
        let Some(database_url) = crate::fresh_database().await else {
            eprintln!("RISKMAP_TEST_DATABASE_URL is not set: the cluster tests need PostGIS");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        crate::write_city(&dir.path().join("city"));
        let nats = Nats::start(dir.path());
        let mut c = Cluster {
            dir,
            nats,
            database_url,
            nodes: Vec::new(),
        };
        // The first node loads the demo city into the empty store; the
        // others find it there.
        for _ in 0..n {
            c.add_node().await;
        }
        Some(c)
    }

    /// Starts one more node and waits until it is ready (caught up).
    pub async fn add_node(&mut self) -> String {
        let i = self.nodes.len();
        let name = format!("n{}", i + 1);
        let args = node_args(self.dir.path(), &self.database_url, &self.nats.url, &name);
        let log = self.dir.path().join(format!("{name}.log"));
        let node = ServerProcess::spawn(&args, &log);
        wait_ready(&node.base).await;
        let base = node.base.clone();
        self.nodes.push(Some(node));
        base
    }

    pub fn base(&self, i: usize) -> String {
        self.nodes[i].as_ref().unwrap().base.clone()
    }

    /// SIGKILL of node `i`.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i] = None;
    }

    pub fn log_of(&self, node: &str) -> std::path::PathBuf {
        self.dir.path().join(format!("{node}.log"))
    }
}

pub async fn login(base: &str) -> String {
    crate::login_at(base, "dispatcher", crate::DEMO_PASSWORD).await
}

pub async fn post(base: &str, token: &str, path: &str, body: &Value) -> Option<Value> {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

/// What a node holds that every node must agree on: each staff member's
/// live position, fix time and duty, and each incident's version.
pub async fn state_of(base: &str, token: &str) -> BTreeMap<String, Value> {
    let mut state = BTreeMap::new();
    for s in 1..=5 {
        let v = get(base, token, &format!("/api/staff/S{s}")).await;
        state.insert(
            format!("staff S{s}"),
            json!([v["lon"], v["lat"], v["t"], v["duty"]]),
        );
    }
    let list = get(base, token, "/api/incidents?limit=1000").await;
    for i in list["incidents"].as_array().into_iter().flatten() {
        state.insert(
            format!("incident {}", i["id"].as_str().unwrap()),
            i["version"].clone(),
        );
    }
    state
}

/// The same, read from PostGIS (the store of record).
pub async fn state_in_store(database_url: &str) -> BTreeMap<String, Value> {
    let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
    let mut state = BTreeMap::new();
    let staff = sqlx::query(
        "SELECT id, lon, lat, fix_time_ms, duty \
         FROM staff ORDER BY id",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in staff {
        let id: String = r.get("id");
        let lon: Option<f64> = r.get("lon");
        let lat: Option<f64> = r.get("lat");
        let t: Option<i64> = r.get("fix_time_ms");
        let duty: String = r.get("duty");
        state.insert(format!("staff {id}"), json!([lon, lat, t, duty]));
    }
    let incidents = sqlx::query("SELECT id, version FROM incidents")
        .fetch_all(&mut c)
        .await
        .unwrap();
    for r in incidents {
        let id: String = r.get("id");
        state.insert(format!("incident {id}"), json!(r.get::<i64, _>("version")));
    }
    state
}

/// Waits until every node's state equals the store's; panics with the
/// first difference.
pub async fn assert_converged(c: &Cluster, bases: &[String], token_of: &[String]) {
    let want = state_in_store(&c.database_url).await;
    assert!(want.keys().any(|k| k.starts_with("incident")), "{want:?}");
    for (base, token) in bases.iter().zip(token_of) {
        let start = Instant::now();
        loop {
            let have = state_of(base, token).await;
            if have == want {
                break;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let diff: Vec<_> = want
                    .iter()
                    .filter(|(k, v)| have.get(*k) != Some(*v))
                    .map(|(k, v)| format!("{k}: store {v}, node {:?}", have.get(k)))
                    .take(10)
                    .collect();
                panic!("{base} did not converge with PostGIS: {diff:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn fix(staff: &str, lon: f64, t: i64) -> Value {
    json!({ "staff_id": staff, "lon": lon, "lat": 28.05, "t": t })
}
