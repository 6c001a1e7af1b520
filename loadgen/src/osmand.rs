//! `loadgen osmand`: Traccar Client's OsmAnd GETs, one fix per request, from
//! C keep-alive connections in a closed loop (each sends its next request
//! when the last is answered, i.e. committed).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::dataset::Member;
use crate::http1::Conn;
use crate::report::{Latency, Window, metric, now_ms, round3};
use crate::ws::metrics;

/// What to run.
pub struct Spec {
    /// `http://host:port` of the listener.
    pub base: String,
    /// Path of the OsmAnd endpoint (`/osmand`, or `/` on `--osmand-listen`).
    pub path: String,
    /// Base URL of the main listener, for `/metrics` (may equal `base`).
    pub metrics_base: String,
    /// The staff whose devices report.
    pub staff: Vec<Member>,
    /// Concurrent connections.
    pub concurrency: usize,
    /// Unmeasured lead-in.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// The server's process id.
    pub server_pid: Option<u32>,
    /// Random seed.
    pub seed: u64,
}

struct Outcome {
    hist: Latency,
    ok: u64,
    refused: u64,
    first_error: Option<String>,
}

/// Runs the load and returns the report.
pub async fn run(spec: Spec) -> Result<Value, String> {
    let devices: Vec<Member> = spec
        .staff
        .into_iter()
        .filter(|m| m.device.is_some())
        .collect();
    if devices.is_empty() || spec.concurrency == 0 {
        return Err("osmand needs staff with devices and --concurrency above 0".into());
    }
    let device_count = devices.len();
    let concurrency = spec.concurrency.min(device_count);
    let mut shares: Vec<Vec<Member>> = vec![Vec::new(); concurrency];
    for (i, m) in devices.into_iter().enumerate() {
        shares[i % concurrency].push(m);
    }
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(concurrency);
    for (w, share) in shares.into_iter().enumerate() {
        let conn = Conn::connect(&spec.base)
            .await
            .map_err(|e| format!("connecting to {}: {e}", spec.base))?;
        tasks.push(tokio::spawn(worker(
            conn,
            spec.path.clone(),
            share,
            spec.seed.wrapping_add(w as u64),
            measuring.clone(),
            stop.clone(),
        )));
    }
    tokio::time::sleep(spec.warmup).await;
    let metrics_before = metrics(&spec.metrics_base).await;
    let window = Window::measure(spec.duration, spec.server_pid, &measuring).await;
    let metrics_after = metrics(&spec.metrics_base).await;
    stop.store(true, Ordering::Relaxed);

    let mut hist = Latency::new();
    let (mut ok, mut refused) = (0, 0);
    let mut first_error = None;
    for t in tasks {
        if let Ok(o) = t.await {
            hist.merge(&o.hist);
            ok += o.ok;
            refused += o.refused;
            if first_error.is_none() {
                first_error = o.first_error;
            }
        }
    }
    let secs = window.wall.as_secs_f64();
    let m = |name: &str| metric(&metrics_after, name) - metric(&metrics_before, name);
    Ok(json!({
        "mode": "osmand",
        "devices": device_count,
        "concurrency": concurrency,
        "seconds": round3(secs),
        "requests_ok": ok,
        "requests_refused": refused,
        "first_error": first_error,
        "requests_per_s": round3(ok as f64 / secs),
        "latency": hist.to_json(),
        "server_counters": {
            "fixes_persisted": m("riskmap_fixes_persisted_total"),
            "fix_batches": m("riskmap_fix_batches_total"),
        },
        "server": window.server_json(),
        "loadgen": window.own_json(),
    }))
}

async fn worker(
    mut conn: Conn,
    path: String,
    mut devices: Vec<Member>,
    seed: u64,
    measuring: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Outcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Outcome {
        hist: Latency::new(),
        ok: 0,
        refused: 0,
        first_error: None,
    };
    let mut last_t = vec![0i64; devices.len()];
    let mut target = String::with_capacity(160);
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let m = &mut devices[i];
        m.lon += rng.random_range(-2e-5..2e-5);
        m.lat += rng.random_range(-2e-5..2e-5);
        // Strictly rising per device (an equal time would be stale).
        let t = now_ms().max(last_t[i] + 1);
        last_t[i] = t;
        target.clear();
        let _ = write!(
            target,
            "{path}?id={}&lat={:.7}&lon={:.7}&timestamp={t}&speed=2.5&bearing={}&accuracy=8&batt=77",
            m.device.as_deref().unwrap_or_default(),
            m.lat,
            m.lon,
            rng.random_range(0..360)
        );
        i = (i + 1) % devices.len();
        let sent = Instant::now();
        match conn.get(&target, "").await {
            Ok(r) if r.status == 200 => {
                if measuring.load(Ordering::Relaxed) {
                    out.hist.record(sent.elapsed());
                    out.ok += 1;
                }
            }
            Ok(r) => {
                out.refused += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(format!(
                        "{}: {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ));
                }
            }
            Err(e) => {
                out.first_error.get_or_insert_with(|| e.to_string());
                break;
            }
        }
    }
    out
}
