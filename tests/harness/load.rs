//! Load on a cluster's nodes while they fail (incident reports and actions,
//! fixes), what each write was acknowledged as, and the check that the
//! store holds every acknowledged write.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::nodes::{fix, post};

/// What a load worker was told was saved.
#[derive(Default)]
pub struct Acked {
    /// Incident id → highest acknowledged version.
    pub incidents: BTreeMap<String, i64>,
    /// (staff, fix time) of acknowledged fixes.
    pub fixes: Vec<(String, i64)>,
}

/// Load on the nodes in `targets` (round robin, moving on to the next node
/// when one fails, as a client behind a balancer does): incident reports
/// and actions, and fixes of S1–S5.
pub fn start_load(
    targets: Vec<String>,
    token: String,
    acked: &Arc<Mutex<Acked>>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let targets = Arc::new(targets);
    let mut workers = Vec::new();
    for w in 0..3usize {
        let (targets, token, acked, stop) =
            (targets.clone(), token.clone(), acked.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut n = 0usize;
            let mut at = w;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let lon = 120.01 + 0.02 * w as f64 + 0.0001 * (n % 50) as f64;
                let body = json!({ "category": "0201", "lon": lon, "lat": 28.05, "description": format!("w{w} n{n}") });
                let Some(v) = post(&targets[at % targets.len()], &token, "/api/incidents", &body).await else {
                    at += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let id = v["id"].as_str().unwrap().to_owned();
                acked.lock().incidents.insert(id.clone(), 1);
                for action in ["accept", "dispatch"] {
                    let mut body = json!({ "action": action });
                    if action == "dispatch" {
                        body["department"] = json!("1-zf");
                    }
                    let path = format!("/api/incidents/{id}/actions");
                    let Some(v) = post(&targets[at % targets.len()], &token, &path, &body).await else {
                        at += 1;
                        break;
                    };
                    let version = v["version"].as_i64().unwrap();
                    let mut a = acked.lock();
                    let e = a.incidents.entry(id.clone()).or_default();
                    *e = (*e).max(version);
                }
            }
        }));
    }
    let (targets, acked, stop) = (targets.clone(), acked.clone(), stop.clone());
    workers.push(tokio::spawn(async move {
        let mut t = crate::fixes_from_ms();
        let mut at = 0usize;
        while !stop.load(Ordering::Relaxed) {
            t += 1_000;
            let fixes: Vec<Value> = (1..=5)
                .map(|i| {
                    fix(
                        &format!("S{i}"),
                        120.02 + 0.02 * f64::from(i) + 0.00001 * ((t / 1000) % 100) as f64,
                        t,
                    )
                })
                .collect();
            if post(
                &targets[at % targets.len()],
                &token,
                "/api/fixes",
                &json!({ "fixes": fixes }),
            )
            .await
            .is_some()
            {
                let mut a = acked.lock();
                for i in 1..=5 {
                    a.fixes.push((format!("S{i}"), t));
                }
            } else {
                at += 1;
            }
        }
    }));
    workers
}

/// Every acknowledged write is in PostGIS: each incident at (at least) its
/// acknowledged version with a flow log as long, each fix in its track.
pub async fn assert_nothing_lost(database_url: &str, acked: &Acked) {
    let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
    for (id, version) in &acked.incidents {
        let r = sqlx::query("SELECT version, (SELECT COUNT(*) FROM incident_log l WHERE l.incident = i.id) AS n FROM incidents i WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut c)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged incident {id} is lost"));
        let stored: i64 = r.get("version");
        assert!(
            stored >= *version,
            "incident {id}: acknowledged {version}, stored {stored}"
        );
        assert_eq!(r.get::<i64, _>("n"), stored, "incident {id}'s flow log");
    }
    let tracked: std::collections::HashSet<(String, i64)> =
        sqlx::query("SELECT staff_id, fix_time_ms FROM tracks")
            .fetch_all(&mut c)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get("staff_id"), r.get("fix_time_ms")))
            .collect();
    for f in &acked.fixes {
        assert!(tracked.contains(f), "acknowledged fix {f:?} is lost");
    }
}
