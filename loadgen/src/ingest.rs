//! `loadgen ingest`: staff positions over `/ws` in batched `fixes` messages,
//! while viewers subscribed to boxes of the city time every move they are
//! pushed.
//!
//! How many staff one connection speaks for. A field login is bound to one
//! staff member and the server creates field logins only for its demo; there
//! is no API that mints ten thousand of them (and ten thousand argon2 hashes
//! would take minutes). What the server does allow is a dispatcher (or an
//! admin, commander) posting fixes for any staff member in their area: that
//! is how a telematics gateway (a Traccar server, a vendor's tracker
//! platform) forwards many devices, and it is what this mode does. Each
//! gateway connection, logged in as the dispatcher, carries an equal share of
//! the simulated staff, every fix naming its `staff_id`; the server checks
//! each fix against the dispatcher's area exactly as for a phone. Nothing is
//! weakened: the per-connection message rate limit still applies (batches
//! keep well under it).
//!
//! Fix → viewer latency: every fix carries `t` = the wall clock (epoch ms)
//! when its batch was built; a viewer receiving a `staff_moves` entry
//! records `now − t`. Client and server share the machine's clock. The move
//! a viewer gets is the latest of its tick (positions are coalesced), so the
//! raw figure includes up to one tick of deliberate waiting; the report
//! also gives it less the tick.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use sync::Mutex;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::dataset::Member;
use crate::report::{Latency, Window, metric, now_ms, now_us, round3};
use crate::ws::{Socket, connect, login, metrics};

/// A `std::sync::Mutex` that shrugs off poisoning: the load loops never
/// panic while holding it, and a report is better than none.
mod sync {
    pub struct Mutex<T>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub fn new(v: T) -> Self {
            Mutex(std::sync::Mutex::new(v))
        }

        pub fn lock(&self) -> std::sync::MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `http://host:port` of the server.
    pub base: String,
    /// Where the viewers connect, round robin (several nodes of a cluster:
    /// a fix sent to one node is timed to the viewers of every node).
    pub viewer_bases: Vec<String>,
    /// The staff to move (a city directory's roster, maybe cut short).
    pub staff: Vec<Member>,
    /// Fixes per second to offer, all gateways together (0: as fast as the
    /// acknowledgements allow).
    pub rate: u64,
    /// Fixes per `fixes` message.
    pub batch: usize,
    /// Gateway connections.
    pub gateways: usize,
    /// Messages a gateway may have sent and not yet had acknowledged.
    pub window: usize,
    /// Viewer connections.
    pub viewers: usize,
    /// Of them, how many watch the whole box (a city-wide big screen).
    pub wide_viewers: usize,
    /// Side of a viewer's square box, km.
    pub viewer_box_km: f64,
    /// The layers a viewer subscribes to (`staff` is timed; others, such as
    /// `stats`, only make the server do their work).
    pub viewer_layers: Vec<String>,
    /// The box the staff are in (viewers look inside it).
    pub bbox: [f64; 4],
    /// Login of the gateways.
    pub gateway_user: (String, String),
    /// Login of the viewers.
    pub viewer_user: (String, String),
    /// Unmeasured lead-in.
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// The server's process id, for memory and CPU.
    pub server_pid: Option<u32>,
    /// The server's coalescing tick, ms (only to report latency less it).
    pub tick_ms: f64,
    /// Random seed.
    pub seed: u64,
}

#[derive(Default)]
struct Counters {
    sent_fixes: AtomicU64,
    sent_messages: AtomicU64,
    acked_fixes: AtomicU64,
    applied: AtomicU64,
    stale: AtomicU64,
    errors: AtomicU64,
    moves: AtomicU64,
    move_messages: AtomicU64,
    bytes_to_viewers: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> [u64; 9] {
        [
            &self.sent_fixes,
            &self.sent_messages,
            &self.acked_fixes,
            &self.applied,
            &self.stale,
            &self.errors,
            &self.moves,
            &self.move_messages,
            &self.bytes_to_viewers,
        ]
        .map(|c| c.load(Ordering::Relaxed))
    }
}

struct Shared {
    counters: Counters,
    /// Latencies are recorded only while this is set (after the warm-up).
    measuring: AtomicBool,
    /// Everyone stops when this is set.
    stop: AtomicBool,
    first_error: Mutex<Option<String>>,
}

impl Shared {
    fn error(&self, e: String) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock();
        if first.is_none() {
            *first = Some(e);
        }
    }
}

/// Runs the load and returns the report.
// One flat sequence: connect, warm up, measure, collect, report.
#[allow(clippy::too_many_lines)]
pub async fn run(spec: Spec) -> Result<Value, String> {
    if spec.staff.is_empty() || spec.batch == 0 || spec.gateways == 0 || spec.window == 0 {
        return Err("ingest needs staff, and --batch, --gateways, --window above 0".into());
    }
    let gateway_token = login(&spec.base, &spec.gateway_user.0, &spec.gateway_user.1).await?;
    let viewer_token = login(&spec.base, &spec.viewer_user.0, &spec.viewer_user.1).await?;
    let shared = Arc::new(Shared {
        counters: Counters::default(),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        first_error: Mutex::new(None),
    });

    // Viewers first, so they see the load from its start.
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut viewer_tasks = Vec::with_capacity(spec.viewers);
    for i in 0..spec.viewers {
        let bbox = if i < spec.wide_viewers {
            spec.bbox
        } else {
            viewer_box(&mut rng, spec.bbox, spec.viewer_box_km)
        };
        let base = &spec.viewer_bases[i % spec.viewer_bases.len()];
        let ws = connect(base, &viewer_token).await?;
        viewer_tasks.push(tokio::spawn(viewer(
            ws,
            bbox,
            spec.viewer_layers.clone(),
            shared.clone(),
        )));
    }

    // Gateways: staff dealt round-robin.
    let gateways = spec.gateways.min(spec.staff.len());
    let mut shares: Vec<Vec<Member>> = vec![Vec::new(); gateways];
    for (i, m) in spec.staff.iter().enumerate() {
        shares[i % gateways].push(m.clone());
    }
    let per_gateway_rate = spec.rate as f64 / gateways as f64;
    let mut gateway_tasks = Vec::with_capacity(gateways);
    for (g, share) in shares.into_iter().enumerate() {
        let ws = connect(&spec.base, &gateway_token).await?;
        let plan = Plan {
            rate: per_gateway_rate,
            batch: spec.batch,
            window: spec.window,
            seed: spec.seed.wrapping_add(g as u64),
            phase: g as f64 / gateways as f64,
        };
        gateway_tasks.push(tokio::spawn(gateway(ws, share, plan, shared.clone())));
    }

    tokio::time::sleep(spec.warmup).await;
    let metrics_before = metrics(&spec.base).await;
    let before = shared.counters.snapshot();
    let measured = Window::measure(spec.duration, spec.server_pid, &shared.measuring).await;
    let after = shared.counters.snapshot();
    let metrics_after = metrics(&spec.base).await;

    shared.stop.store(true, Ordering::Relaxed);
    let mut ack = Latency::new();
    for t in gateway_tasks {
        if let Ok(h) = t.await {
            ack.merge(&h);
        }
    }
    let mut seen = Latency::new();
    let mut after_tick = Latency::new();
    for t in viewer_tasks {
        if let Ok((h, a)) = t.await {
            seen.merge(&h);
            after_tick.merge(&a);
        }
    }

    let d: Vec<u64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let secs = measured.wall.as_secs_f64();
    let rate = |n: u64| round3(n as f64 / secs);
    let m = |name: &str| metric(&metrics_after, name) - metric(&metrics_before, name);
    let beyond = |q: f64| round3((seen.ms(q) - spec.tick_ms).max(0.0));
    let first_error = shared.first_error.lock().clone();
    Ok(json!({
        "mode": "ingest",
        "staff": spec.staff.len(),
        "gateways": gateways,
        "batch": spec.batch,
        "window": spec.window,
        "offered_fixes_per_s": spec.rate,
        "viewers": spec.viewers,
        "viewer_nodes": spec.viewer_bases.len(),
        "wide_viewers": spec.wide_viewers.min(spec.viewers),
        "viewer_box_km": spec.viewer_box_km,
        "viewer_layers": spec.viewer_layers,
        "seconds": round3(secs),
        "fixes_sent_per_s": rate(d[0]),
        "messages_sent_per_s": rate(d[1]),
        "fixes_acked_per_s": rate(d[2]),
        "fixes_applied": d[3],
        "fixes_stale": d[4],
        "errors": d[5],
        "first_error": first_error,
        "ack_latency": ack.to_json(),
        "viewer_moves_per_s": rate(d[6]),
        "viewer_messages_per_s": rate(d[7]),
        "viewer_mib_per_s": round3(d[8] as f64 / secs / 1_048_576.0),
        "fix_to_viewer_raw": seen.to_json(),
        "fix_to_viewer_beyond_tick": {
            "tick_ms": spec.tick_ms,
            "p50_ms": beyond(0.50),
            "p99_ms": beyond(0.99),
            "p999_ms": beyond(0.999),
        },
        "tick_to_viewer": after_tick.to_json(),
        "server_counters": {
            "fixes_applied": m("riskmap_fixes_applied_total"),
            "fixes_persisted": m("riskmap_fixes_persisted_total"),
            "fix_batches": m("riskmap_fix_batches_total"),
            "queue_drops": m("riskmap_queue_drops_total"),
            "resyncs": m("riskmap_resyncs_total"),
        },
        "server": measured.server_json(),
        "loadgen": measured.own_json(),
    }))
}

/// A square box of `km` around a random point of `within`.
fn viewer_box(rng: &mut ChaCha8Rng, within: [f64; 4], km: f64) -> [f64; 4] {
    let [w, s, e, n] = within;
    let lon = rng.random_range(w..e);
    let lat = rng.random_range(s..n);
    let half_lat = km / 2.0 / 111.32;
    let half_lon = half_lat / lat.to_radians().cos().max(0.01);
    [
        (lon - half_lon).max(-180.0),
        (lat - half_lat).max(-85.0),
        (lon + half_lon).min(180.0),
        (lat + half_lat).min(85.0),
    ]
}

#[derive(Deserialize)]
struct Moves {
    at: Option<i64>,
    moves: Vec<MoveT>,
}

#[derive(Deserialize)]
struct MoveT {
    t: i64,
}

/// A viewer's two histograms: every move's fix → viewer latency, and per
/// `staff_moves` message the time from its tick (the server's `at`) to the
/// viewer: the push's own delay, beyond the deliberate coalescing.
async fn viewer(
    mut ws: Socket,
    bbox: [f64; 4],
    layers: Vec<String>,
    shared: Arc<Shared>,
) -> (Latency, Latency) {
    let mut hist = Latency::new();
    let mut after_tick = Latency::new();
    let sub = json!({ "type": "subscribe", "bbox": bbox, "layers": layers }).to_string();
    if let Err(e) = ws.send(Message::Text(sub.into())).await {
        shared.error(format!("viewer subscribe: {e}"));
        return (hist, after_tick);
    }
    let c = &shared.counters;
    while !shared.stop.load(Ordering::Relaxed) {
        let msg = match tokio::time::timeout(Duration::from_millis(200), ws.next()).await {
            Err(_) => continue,
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => {
                shared.error(format!("viewer: {e}"));
                break;
            }
            Ok(None) => {
                shared.error("viewer: the server closed the connection".into());
                break;
            }
        };
        let Message::Text(text) = msg else { continue };
        let now = now_us();
        let text = text.as_str();
        // The hub writes this prefix itself; snapshots (large) are skipped
        // without parsing.
        if !text.starts_with("{\"type\":\"staff_moves\"") {
            continue;
        }
        let Ok(m) = serde_json::from_str::<Moves>(text) else {
            shared.error("viewer: unreadable staff_moves".into());
            continue;
        };
        if shared.measuring.load(Ordering::Relaxed) {
            c.move_messages.fetch_add(1, Ordering::Relaxed);
            c.moves.fetch_add(m.moves.len() as u64, Ordering::Relaxed);
            c.bytes_to_viewers
                .fetch_add(text.len() as u64, Ordering::Relaxed);
            for mv in &m.moves {
                hist.record_us(u64::try_from(now - mv.t * 1000).unwrap_or(0));
            }
            if let Some(at) = m.at {
                after_tick.record_us(u64::try_from(now - at * 1000).unwrap_or(0));
            }
        }
    }
    let _ = ws.close(None).await;
    (hist, after_tick)
}

#[derive(Deserialize)]
struct Ack {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    applied: u64,
    #[serde(default)]
    stale: u64,
    #[serde(default)]
    message: Option<String>,
}

/// How one gateway sends.
struct Plan {
    /// Fixes per second.
    rate: f64,
    /// Fixes per message.
    batch: usize,
    /// Messages unacknowledged at most.
    window: usize,
    seed: u64,
    /// Where in the sending period it starts, 0..1.
    phase: f64,
}

// The sender and its ack reader share their state through locals: kept in
// one function so that state stays in one place.
#[allow(clippy::too_many_lines)]
async fn gateway(ws: Socket, mut staff: Vec<Member>, plan: Plan, shared: Arc<Shared>) -> Latency {
    let Plan {
        rate,
        batch,
        window,
        seed,
        phase,
    } = plan;
    let (mut sink, mut stream) = ws.split();
    // Sent, not yet acknowledged: (when, fixes). The server answers one
    // connection's messages in order, so acks pop from the front.
    let in_flight: Arc<Mutex<VecDeque<(Instant, u64)>>> = Arc::new(Mutex::new(VecDeque::new()));
    let permits = Arc::new(Semaphore::new(window));

    let reader = {
        let in_flight = in_flight.clone();
        let permits = permits.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut hist = Latency::new();
            let mut stopping: Option<Instant> = None;
            loop {
                if shared.stop.load(Ordering::Relaxed) {
                    // Wait for what is in flight, but not for ever.
                    let since = *stopping.get_or_insert_with(Instant::now);
                    if in_flight.lock().is_empty() || since.elapsed() > Duration::from_secs(10) {
                        break;
                    }
                }
                let msg =
                    match tokio::time::timeout(Duration::from_millis(200), stream.next()).await {
                        Err(_) => continue,
                        Ok(Some(Ok(m))) => m,
                        Ok(Some(Err(e))) => {
                            shared.error(format!("gateway: {e}"));
                            break;
                        }
                        Ok(None) => {
                            if !shared.stop.load(Ordering::Relaxed) {
                                shared.error("gateway: the server closed the connection".into());
                            }
                            break;
                        }
                    };
                let Message::Text(text) = msg else { continue };
                let Ok(ack) = serde_json::from_str::<Ack>(text.as_str()) else {
                    continue;
                };
                if ack.kind != "ack" && ack.kind != "error" {
                    continue;
                }
                let Some((sent, fixes)) = in_flight.lock().pop_front() else {
                    continue;
                };
                permits.add_permits(1);
                let c = &shared.counters;
                if ack.kind == "error" {
                    shared.error(format!(
                        "gateway: {}",
                        ack.message.unwrap_or_else(|| text.to_string())
                    ));
                    continue;
                }
                if shared.measuring.load(Ordering::Relaxed) {
                    hist.record(sent.elapsed());
                }
                c.acked_fixes.fetch_add(fixes, Ordering::Relaxed);
                c.applied.fetch_add(ack.applied, Ordering::Relaxed);
                c.stale.fetch_add(ack.stale, Ordering::Relaxed);
            }
            // A writer waiting for a permit must not wait for ever.
            permits.close();
            hist
        })
    };

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut last_t = vec![0i64; staff.len()];
    let period = (rate > 0.0).then(|| Duration::from_secs_f64(batch as f64 / rate));
    // Gateways start at staggered phases, so their batches arrive spread
    // over time as a city's phones would, not in one burst per period.
    let start = tokio::time::Instant::now() + period.map_or(Duration::ZERO, |p| p.mul_f64(phase));
    let mut next_at = start;
    let mut cursor = 0usize;
    let mut id = 0u64;
    let mut text = String::with_capacity(batch * 100 + 64);
    while !shared.stop.load(Ordering::Relaxed) {
        if let Some(p) = period {
            tokio::time::sleep_until(next_at).await;
            next_at += p;
            // Far behind schedule (the server is the bottleneck): do not
            // build up a burst to make up for it; the window limits anyway.
            let now = tokio::time::Instant::now();
            if now > next_at + p * 4 {
                next_at = now;
            }
        }
        let Ok(permit) = permits.acquire().await else {
            break;
        };
        permit.forget();
        id += 1;
        let now = now_ms();
        text.clear();
        let _ = write!(text, "{{\"type\":\"fixes\",\"id\":{id},\"fixes\":[");
        let n = batch.min(staff.len());
        for k in 0..n {
            let i = cursor;
            cursor = (cursor + 1) % staff.len();
            let m = &mut staff[i];
            // A walk of a few metres per fix.
            m.lon += rng.random_range(-2e-5..2e-5);
            m.lat += rng.random_range(-2e-5..2e-5);
            // A fix as old as the live one would be stale: keep each staff
            // member's times strictly rising.
            let t = now.max(last_t[i] + 1);
            last_t[i] = t;
            if k > 0 {
                text.push(',');
            }
            let _ = write!(
                text,
                "{{\"staff_id\":\"{}\",\"lon\":{:.7},\"lat\":{:.7},\"t\":{t},\"speed\":1.3,\"heading\":{}}}",
                m.id,
                m.lon,
                m.lat,
                rng.random_range(0..360)
            );
        }
        text.push_str("]}");
        in_flight.lock().push_back((Instant::now(), n as u64));
        if let Err(e) = sink.send(Message::Text(text.clone().into())).await {
            shared.error(format!("gateway send: {e}"));
            in_flight.lock().pop_back();
            break;
        }
        let c = &shared.counters;
        c.sent_fixes.fetch_add(n as u64, Ordering::Relaxed);
        c.sent_messages.fetch_add(1, Ordering::Relaxed);
    }
    let hist = reader.await.unwrap_or_default();
    let _ = sink.close().await;
    hist
}
