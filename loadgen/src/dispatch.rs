//! `loadgen dispatch`: "the 5 nearest available staff to this point", asked
//! of riskmap (`GET /api/dispatch/nearest`), PostGIS (k-NN over a partial
//! `GiST` index) and Redis (`GEOSEARCH`), with the same query points, the same
//! number of concurrent clients in a closed loop, one target after the
//! other in one run. Also loads the peers with a city's staff.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use tokio_postgres::types::Type;
use tokio_postgres::{NoTls, Statement};

use crate::dataset::Member;
use crate::http1::Conn;
use crate::report::{Latency, Window, round3};
use crate::resp::{Redis, Reply};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::tile::TileId;
use riskmap_engine::tile::mvt;

/// The PostGIS table the staff are loaded into.
pub const PG_TABLE: &str = "bench_staff";
/// The Redis key holding the available staff.
pub const REDIS_KEY: &str = "bench:staff:available";

/// One thing to ask.
#[derive(Debug, Clone)]
pub enum Target {
    /// riskmap over HTTP: base URL and bearer token.
    Riskmap { base: String, token: String },
    /// riskmap's `POST /api/dispatch/batch`: `batch` nearest queries per
    /// request.
    RiskmapBatch {
        base: String,
        token: String,
        batch: usize,
    },
    /// riskmap over one `/ws` connection: `depth` `query` messages sent
    /// before their results are read (pipelined).
    RiskmapWs {
        base: String,
        token: String,
        depth: usize,
    },
    /// riskmap's `GET /health` over the same HTTP client: the ceiling a
    /// single-query HTTP request cannot beat (it does no search).
    Health { base: String },
    /// riskmap's vector tiles: for each point, the `layer` tile of `zoom`
    /// holding it (read back to count its features).
    Tiles {
        base: String,
        token: String,
        layer: String,
        zoom: u32,
    },
    /// PostgreSQL + PostGIS.
    Postgis { url: String },
    /// Redis GEOSEARCH within a radius (metres).
    Redis { addr: String, radius_m: f64 },
}

impl Target {
    /// A short name for the table.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Target::Riskmap { .. } => "riskmap".into(),
            Target::RiskmapBatch { batch, .. } => format!("riskmap-batch{batch}"),
            Target::RiskmapWs { depth, .. } => format!("riskmap-ws{depth}"),
            Target::Health { .. } => "health".into(),
            Target::Tiles { layer, zoom, .. } => format!("tiles-{layer}-z{zoom}"),
            Target::Postgis { .. } => "postgis".into(),
            Target::Redis { radius_m, .. } => {
                if *radius_m >= 1000.0 {
                    format!("redis-{}km", radius_m / 1000.0)
                } else {
                    format!("redis-{radius_m}m")
                }
            }
        }
    }
}

/// How to run each target.
pub struct Spec {
    /// The targets, run one after the other.
    pub targets: Vec<Target>,
    /// The query points (the same for every target).
    pub points: Vec<LonLat>,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Every client starts at the first point (else each at its own).
    pub same_start: bool,
    /// Nearest how many.
    pub k: usize,
    /// Unmeasured lead-in per target.
    pub warmup: Duration,
    /// Measured time per target.
    pub duration: Duration,
    /// Process ids to report CPU for, by target name prefix
    /// (`riskmap`, `postgis`, `redis`).
    pub pids: Vec<(String, u32)>,
}

enum Client {
    Riskmap {
        conn: Conn,
        headers: String,
    },
    RiskmapBatch {
        conn: Conn,
        headers: String,
        batch: usize,
    },
    RiskmapWs {
        socket: Box<crate::ws::Socket>,
        depth: usize,
    },
    Health {
        conn: Conn,
    },
    Tiles {
        conn: Conn,
        headers: String,
        layer: String,
        zoom: u32,
    },
    Postgis {
        conn: tokio_postgres::Client,
        nearest: Statement,
    },
    Redis {
        conn: Redis,
        radius: String,
    },
}

#[derive(Deserialize)]
struct Answer {
    candidates: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct BatchAnswer {
    results: Vec<BatchResult>,
}

#[derive(Deserialize)]
struct BatchResult {
    data: Option<Answer>,
    message: Option<String>,
}

const PG_QUERY: &str = "SELECT id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography) \
     FROM bench_staff WHERE available \
     ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT $3";

impl Client {
    async fn open(t: &Target) -> Result<Client, String> {
        Ok(match t {
            Target::Riskmap { base, token } => Client::Riskmap {
                conn: Conn::connect(base)
                    .await
                    .map_err(|e| format!("connecting to {base}: {e}"))?,
                headers: format!("Authorization: Bearer {token}\r\n"),
            },
            Target::RiskmapBatch { base, token, batch } => Client::RiskmapBatch {
                conn: Conn::connect(base)
                    .await
                    .map_err(|e| format!("connecting to {base}: {e}"))?,
                headers: format!("Authorization: Bearer {token}\r\n"),
                batch: (*batch).max(1),
            },
            Target::RiskmapWs { base, token, depth } => Client::RiskmapWs {
                socket: Box::new(crate::ws::connect(base, token).await?),
                depth: (*depth).max(1),
            },
            Target::Health { base } => Client::Health {
                conn: Conn::connect(base)
                    .await
                    .map_err(|e| format!("connecting to {base}: {e}"))?,
            },
            Target::Tiles {
                base,
                token,
                layer,
                zoom,
            } => Client::Tiles {
                conn: Conn::connect(base)
                    .await
                    .map_err(|e| format!("connecting to {base}: {e}"))?,
                headers: format!("Authorization: Bearer {token}\r\n"),
                layer: layer.clone(),
                zoom: *zoom,
            },
            Target::Postgis { url } => {
                let conn = pg_connect(url).await?;
                // Prepared once per connection: each query is then only
                // bound and executed, as an application would ask it.
                let nearest = conn
                    .prepare_typed(PG_QUERY, &[Type::FLOAT8, Type::FLOAT8, Type::INT8])
                    .await
                    .map_err(|e| format!("PostGIS: {e}"))?;
                Client::Postgis { conn, nearest }
            }
            Target::Redis { addr, radius_m } => Client::Redis {
                conn: Redis::connect(addr)
                    .await
                    .map_err(|e| format!("connecting to Redis at {addr}: {e}"))?,
                radius: format!("{radius_m}"),
            },
        })
    }

    /// Asks for the k nearest of the points from `points[i]` on (one, or a
    /// batch's worth); how many queries were answered and how many results
    /// came back.
    async fn ask(&mut self, points: &[LonLat], i: usize, k: usize) -> Result<(u64, u64), String> {
        if let Client::RiskmapBatch {
            conn,
            headers,
            batch,
        } = self
        {
            let queries: Vec<Value> = (0..*batch)
                .map(|j| {
                    let p = points[(i + j) % points.len()];
                    json!({ "query": "nearest", "params": { "lon": p.lon, "lat": p.lat, "k": k } })
                })
                .collect();
            let body =
                serde_json::to_vec(&json!({ "queries": queries })).map_err(|e| e.to_string())?;
            let r = conn
                .post_json("/api/dispatch/batch", headers, &body)
                .await
                .map_err(|e| e.to_string())?;
            if r.status != 200 {
                return Err(format!(
                    "riskmap answered {}: {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                ));
            }
            let a: BatchAnswer = serde_json::from_slice(&r.body)
                .map_err(|e| format!("riskmap's answer is unreadable: {e}"))?;
            let mut results = 0;
            for q in &a.results {
                match (&q.data, &q.message) {
                    (Some(d), _) => results += d.candidates.len() as u64,
                    (None, m) => return Err(format!("a batch query failed: {m:?}")),
                }
            }
            return Ok((a.results.len() as u64, results));
        }
        if let Client::RiskmapWs { socket, depth } = self {
            return ask_pipelined(socket, *depth, points, i, k).await;
        }
        let n = self.nearest(points[i % points.len()], k).await?;
        Ok((1, n as u64))
    }

    /// Asks for the k nearest; how many came back.
    async fn nearest(&mut self, p: LonLat, k: usize) -> Result<usize, String> {
        match self {
            Client::RiskmapBatch { .. } | Client::RiskmapWs { .. } => {
                Err("a batch or pipelined client asks through ask()".into())
            }
            Client::Riskmap { conn, headers } => {
                let path = format!(
                    "/api/dispatch/nearest?lon={:.6}&lat={:.6}&k={k}",
                    p.lon, p.lat
                );
                let r = conn.get(&path, headers).await.map_err(|e| e.to_string())?;
                if r.status != 200 {
                    return Err(format!(
                        "riskmap answered {}: {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ));
                }
                let a: Answer = serde_json::from_slice(&r.body)
                    .map_err(|e| format!("riskmap's answer is unreadable: {e}"))?;
                Ok(a.candidates.len())
            }
            Client::Health { conn } => {
                let r = conn.get("/health", "").await.map_err(|e| e.to_string())?;
                if r.status != 200 {
                    return Err(format!("/health answered {}", r.status));
                }
                // Not a search: counted as one answer of k so that it
                // reads as a full answer in the table.
                Ok(k)
            }
            Client::Tiles {
                conn,
                headers,
                layer,
                zoom,
            } => {
                let t = TileId::containing(p.lon, p.lat, *zoom);
                let path = format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y);
                let r = conn.get(&path, headers).await.map_err(|e| e.to_string())?;
                if r.status != 200 {
                    return Err(format!("{path} answered {}", r.status));
                }
                // Its framing checked and its features counted (a tile
                // that does not parse is an error, not a fast answer); not
                // decoded, which would time the load generator.
                mvt::count_features(&r.body).map_err(|e| format!("{path}: {e}"))
            }
            Client::Postgis { conn, nearest } => {
                let k = i64::try_from(k).unwrap_or(5);
                let rows = conn
                    .query(&*nearest, &[&p.lon, &p.lat, &k])
                    .await
                    .map_err(|e| format!("PostGIS: {e}"))?;
                Ok(rows.len())
            }
            Client::Redis { conn, radius } => {
                let lon = format!("{:.6}", p.lon);
                let lat = format!("{:.6}", p.lat);
                let count = k.to_string();
                let reply = conn
                    .command(&[
                        b"GEOSEARCH",
                        REDIS_KEY.as_bytes(),
                        b"FROMLONLAT",
                        lon.as_bytes(),
                        lat.as_bytes(),
                        b"BYRADIUS",
                        radius.as_bytes(),
                        b"m",
                        b"ASC",
                        b"COUNT",
                        count.as_bytes(),
                        b"WITHDIST",
                    ])
                    .await
                    .map_err(|e| format!("Redis: {e}"))?;
                match reply {
                    Reply::Array(Some(items)) => Ok(items.len()),
                    Reply::Array(None) => Ok(0),
                    other => Err(format!("Redis answered {other:?}")),
                }
            }
        }
    }
}

/// Sends `depth` nearest queries over `/ws` at once, then reads their
/// results (in any order; the ids tell them apart).
async fn ask_pipelined(
    socket: &mut crate::ws::Socket,
    depth: usize,
    points: &[LonLat],
    i: usize,
    k: usize,
) -> Result<(u64, u64), String> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    for j in 0..depth {
        let p = points[(i + j) % points.len()];
        let q = json!({ "type": "query", "id": j, "query": "nearest",
                        "params": { "lon": p.lon, "lat": p.lat, "k": k } });
        socket
            .feed(Message::Text(q.to_string().into()))
            .await
            .map_err(|e| format!("/ws: {e}"))?;
    }
    socket.flush().await.map_err(|e| format!("/ws: {e}"))?;
    let (mut answered, mut results) = (0u64, 0u64);
    while answered < depth as u64 {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .map_err(|_| "no /ws result within 10 s".to_owned())?
            .ok_or("the server closed /ws")?
            .map_err(|e| format!("/ws: {e}"))?;
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(text.as_str())
            .map_err(|e| format!("an unreadable /ws message: {e}"))?;
        match v["type"].as_str() {
            Some("result") => {
                answered += 1;
                results += v["data"]["candidates"].as_array().map_or(0, Vec::len) as u64;
            }
            Some("error") => return Err(format!("a /ws query failed: {}", v["message"])),
            _ => {}
        }
    }
    Ok((answered, results))
}

struct Outcome {
    hist: Latency,
    answers: u64,
    results: u64,
    empty: u64,
    errors: u64,
    first_error: Option<String>,
}

/// Runs every target; the report holds one entry per target and the ratios
/// of riskmap's rate to each peer's.
pub async fn run(spec: Spec) -> Result<Value, String> {
    if spec.points.is_empty() || spec.concurrency == 0 {
        return Err("dispatch needs query points and --concurrency above 0".into());
    }
    let mut results = Vec::new();
    for target in &spec.targets {
        let name = target.name();
        let pid = spec
            .pids
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix.as_str()))
            .map(|(_, pid)| *pid);
        let r = run_one(target, &spec, pid).await?;
        results.push((name, r));
    }
    // Each of riskmap's ways of asking against each peer.
    let qps = |r: &Value| r["queries_per_s"].as_f64().filter(|q| *q > 0.0);
    let ratios: serde_json::Map<String, Value> = results
        .iter()
        .filter(|(n, _)| n.starts_with("riskmap"))
        .flat_map(|(ours, o)| {
            results
                .iter()
                .filter(|(n, _)| !n.starts_with("riskmap"))
                .filter_map(move |(theirs, t)| {
                    Some((format!("{ours}/{theirs}"), json!(round3(qps(o)? / qps(t)?))))
                })
        })
        .collect();
    Ok(json!({
        "mode": "dispatch",
        "concurrency": spec.concurrency,
        "k": spec.k,
        "query_points": spec.points.len(),
        "targets": results.iter().map(|(n, r)| {
            let mut r = r.clone();
            r["target"] = json!(n);
            r
        }).collect::<Vec<_>>(),
        "ratios": ratios,
    }))
}

async fn run_one(target: &Target, spec: &Spec, pid: Option<u32>) -> Result<Value, String> {
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let points = Arc::new(spec.points.clone());
    let mut tasks = Vec::with_capacity(spec.concurrency);
    for w in 0..spec.concurrency {
        let mut client = Client::open(target).await?;
        let (measuring, stop, points) = (measuring.clone(), stop.clone(), points.clone());
        let k = spec.k;
        // Each client starts at its own offset so they do not ask the same
        // point at the same moment, unless that is what is measured.
        let offset = if spec.same_start {
            0
        } else {
            w * points.len() / spec.concurrency
        };
        tasks.push(tokio::spawn(async move {
            let mut o = Outcome {
                hist: Latency::new(),
                answers: 0,
                results: 0,
                empty: 0,
                errors: 0,
                first_error: None,
            };
            let mut i = offset;
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let r = client.ask(&points, i, k).await;
                if let Ok((answered, _)) = r {
                    i += answered as usize;
                } else {
                    i += 1;
                }
                if !measuring.load(Ordering::Relaxed) {
                    if let Err(e) = r {
                        o.first_error.get_or_insert(e);
                        o.errors += 1;
                    }
                    continue;
                }
                match r {
                    Ok((answered, n)) => {
                        // (A batch's latency is the whole request's.)
                        o.hist.record(sent.elapsed());
                        o.answers += answered;
                        o.results += n;
                        if n == 0 {
                            o.empty += 1;
                        }
                    }
                    Err(e) => {
                        o.errors += 1;
                        o.first_error.get_or_insert(e);
                    }
                }
                if o.errors > 1000 {
                    break;
                }
            }
            o
        }));
    }
    tokio::time::sleep(spec.warmup).await;
    let window = Window::measure(spec.duration, pid, &measuring).await;
    stop.store(true, Ordering::Relaxed);
    let mut hist = Latency::new();
    let (mut answers, mut results, mut empty, mut errors) = (0, 0, 0, 0);
    let mut first_error = None;
    for t in tasks {
        let o = t.await.map_err(|e| format!("a client failed: {e}"))?;
        hist.merge(&o.hist);
        answers += o.answers;
        results += o.results;
        empty += o.empty;
        errors += o.errors;
        if first_error.is_none() {
            first_error = o.first_error;
        }
    }
    let secs = window.wall.as_secs_f64();
    Ok(json!({
        "seconds": round3(secs),
        "answers": answers,
        "queries_per_s": round3(answers as f64 / secs),
        "mean_results": round3(if answers > 0 { results as f64 / answers as f64 } else { 0.0 }),
        "empty_answers": empty,
        "errors": errors,
        "first_error": first_error,
        "latency": hist.to_json(),
        "server": window.server_json(),
        "loadgen": window.own_json(),
    }))
}

/// Opens a PostgreSQL connection (password or SCRAM authentication, no
/// TLS: the peers run on loopback).
async fn pg_connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
    // The connection does the socket's work; it ends when the client is
    // dropped, and a failure shows up in the client's next answer.
    tokio::spawn(connection);
    Ok(client)
}

/// Loads the staff into PostGIS: a table of id, availability and a point,
/// with a `GiST` index over the available ones only (the query's filter).
/// Returns the query plan, so a run shows the index is used.
pub async fn load_postgis(url: &str, staff: &[Member]) -> Result<String, String> {
    let db = pg_connect(url).await?;
    let pg = |e: tokio_postgres::Error| format!("PostGIS: {e}");
    db.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
        .await
        .map_err(pg)?;
    db.batch_execute(&format!("DROP TABLE IF EXISTS {PG_TABLE}"))
        .await
        .map_err(pg)?;
    db.batch_execute(&format!(
        "CREATE TABLE {PG_TABLE} (id text PRIMARY KEY, available boolean NOT NULL, \
         geom geometry(Point, 4326) NOT NULL)"
    ))
    .await
    .map_err(pg)?;
    let insert = db
        .prepare(&format!(
            "INSERT INTO {PG_TABLE} (id, available, geom) \
             SELECT id, av, ST_SetSRID(ST_MakePoint(lon, lat), 4326) \
             FROM UNNEST($1::text[], $2::bool[], $3::float8[], $4::float8[]) AS t(id, av, lon, lat)"
        ))
        .await
        .map_err(pg)?;
    for chunk in staff.chunks(10_000) {
        let ids: Vec<&str> = chunk.iter().map(|m| m.id.as_str()).collect();
        let av: Vec<bool> = chunk.iter().map(|m| m.available).collect();
        let lon: Vec<f64> = chunk.iter().map(|m| m.lon).collect();
        let lat: Vec<f64> = chunk.iter().map(|m| m.lat).collect();
        db.execute(&insert, &[&ids, &av, &lon, &lat])
            .await
            .map_err(pg)?;
    }
    db.batch_execute(&format!(
        "CREATE INDEX {PG_TABLE}_available_geom ON {PG_TABLE} USING gist (geom) WHERE available"
    ))
    .await
    .map_err(pg)?;
    db.batch_execute(&format!("VACUUM ANALYZE {PG_TABLE}"))
        .await
        .map_err(pg)?;
    let plan = db
        .query(
            &format!(
                "EXPLAIN {}",
                PG_QUERY
                    .replace("$1", "120.66")
                    .replace("$2", "28.01")
                    .replace("$3", "5")
            ),
            &[],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| r.try_get::<_, String>(0).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(plan)
}

/// Loads the available staff into one Redis geo set (GEOSEARCH cannot
/// filter, so the set holds exactly the staff the query may return).
pub async fn load_redis(addr: &str, staff: &[Member]) -> Result<usize, String> {
    let mut r = Redis::connect(addr)
        .await
        .map_err(|e| format!("connecting to Redis at {addr}: {e}"))?;
    r.command(&[b"DEL", REDIS_KEY.as_bytes()])
        .await
        .map_err(|e| format!("Redis: {e}"))?;
    let available: Vec<&Member> = staff.iter().filter(|m| m.available).collect();
    for chunk in available.chunks(10_000) {
        let commands: Vec<Vec<Vec<u8>>> = chunk
            .chunks(500)
            .map(|members| {
                let mut c = vec![b"GEOADD".to_vec(), REDIS_KEY.as_bytes().to_vec()];
                for m in members {
                    c.push(format!("{:.7}", m.lon).into_bytes());
                    c.push(format!("{:.7}", m.lat).into_bytes());
                    c.push(m.id.clone().into_bytes());
                }
                c
            })
            .collect();
        for reply in r
            .pipeline(&commands)
            .await
            .map_err(|e| format!("Redis: {e}"))?
        {
            if let Reply::Error(e) = reply {
                return Err(format!("Redis GEOADD: {e}"));
            }
        }
    }
    Ok(available.len())
}
