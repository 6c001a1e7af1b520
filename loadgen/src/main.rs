//! `loadgen`: drives a running riskmap (and, for comparison, PostGIS and
//! Redis) and reports throughput, latency percentiles and the server's
//! memory and CPU. See docs/PERFORMANCE.md for the runs and their figures.

mod dataset;
mod dispatch;
mod http1;
mod ingest;
mod osmand;
mod report;
mod resp;
mod ws;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

/// Load generator for riskmap.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Writes a benchmark city: the areas and static layers of BASE, and
    /// STAFF staff uniform over Wenzhou's urban core, AVAILABLE of them
    /// available, each in the grid they stand in.
    Dataset {
        /// A city directory (`geodata demo --out DIR`) to take areas from.
        #[arg(long)]
        base: PathBuf,
        /// Output city directory.
        #[arg(long)]
        out: PathBuf,
        /// How many staff.
        #[arg(long, default_value_t = 100_000)]
        staff: usize,
        /// Share of them available.
        #[arg(long, default_value_t = 1.0 / 3.0)]
        available: f64,
        #[command(flatten)]
        area: Area,
    },
    /// Staff positions over /ws (batched `fixes` through dispatcher-level
    /// gateway connections) while viewers time every move pushed to them.
    Ingest(Box<IngestArgs>),
    /// OsmAnd (Traccar Client) GETs, C keep-alive connections, closed loop.
    Osmand(OsmandArgs),
    /// Nearest-5-available queries against riskmap, PostGIS and/or Redis,
    /// one after the other, same points and concurrency.
    Dispatch(DispatchArgs),
    /// Loads a city's staff into PostGIS (table `bench_staff`, partial `GiST`
    /// index over the available) and prints the query plan.
    LoadPostgis {
        /// PostgreSQL URL.
        #[arg(long, env = "LOADGEN_DATABASE_URL")]
        database_url: String,
        /// City directory.
        #[arg(long)]
        city: PathBuf,
    },
    /// Loads a city's available staff into a Redis geo set.
    LoadRedis {
        /// host:port.
        #[arg(long)]
        redis: String,
        /// City directory.
        #[arg(long)]
        city: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
struct Area {
    /// The box the staff stand in (and queries fall in):
    /// west,south,east,north.
    #[arg(long, value_delimiter = ',', default_values_t = dataset::WENZHOU_URBAN)]
    bbox: Vec<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

impl Area {
    fn bbox(&self) -> Result<[f64; 4], String> {
        <[f64; 4]>::try_from(self.bbox.as_slice())
            .map_err(|_| "--bbox takes four numbers: west,south,east,north".to_owned())
    }
}

#[derive(Debug, Clone, Args)]
struct Common {
    /// riskmap's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The city directory the server runs (for staff ids and devices).
    #[arg(long)]
    city: PathBuf,
    /// Use only the first N staff of the city.
    #[arg(long)]
    staff: Option<usize>,
    /// Seconds of unmeasured lead-in.
    #[arg(long, default_value_t = 3.0)]
    warmup_s: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration_s: f64,
    /// The server's process id: its memory (`VmRSS`, `VmHWM`) and CPU time go
    /// into the report.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    area: Area,
}

impl Common {
    fn roster(&self) -> Result<Vec<dataset::Member>, String> {
        let mut staff = dataset::roster(&self.city)?;
        if let Some(n) = self.staff {
            staff.truncate(n);
        }
        Ok(staff)
    }

    fn secs(&self) -> Result<(Duration, Duration), String> {
        let d = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v).map_err(|_| format!("--{name} must be seconds ≥ 0"))
        };
        Ok((
            d("warmup-s", self.warmup_s)?,
            d("duration-s", self.duration_s)?,
        ))
    }
}

#[derive(Debug, Args)]
struct IngestArgs {
    #[command(flatten)]
    common: Common,
    /// Fixes per second offered, all gateways together (0: as fast as
    /// acknowledgements come back).
    #[arg(long, default_value_t = 100_000)]
    rate: u64,
    /// Fixes per `fixes` message.
    #[arg(long, default_value_t = 250)]
    batch: usize,
    /// Gateway connections (each carries an equal share of the staff).
    #[arg(long, default_value_t = 20)]
    gateways: usize,
    /// Messages a gateway may have unacknowledged.
    #[arg(long, default_value_t = 4)]
    window: usize,
    /// Viewer connections.
    #[arg(long, default_value_t = 200)]
    viewers: usize,
    /// Servers the viewers connect to, round robin, comma-separated (the
    /// nodes of a cluster; the gateways send to --url); default: --url.
    #[arg(long, value_delimiter = ',')]
    viewer_urls: Vec<String>,
    /// Of the viewers, how many watch the whole box (city-wide screens).
    #[arg(long, default_value_t = 0)]
    wide_viewers: usize,
    /// Side of a viewer's box, km.
    #[arg(long, default_value_t = 3.0)]
    viewer_box_km: f64,
    /// Layers each viewer subscribes to, comma-separated (`staff` moves are
    /// timed; e.g. `staff,stats` also has the server push the incident
    /// statistics every second).
    #[arg(long, value_delimiter = ',', default_value = "staff")]
    viewer_layers: Vec<String>,
    /// The server's coalescing tick, ms (to report latency beyond it).
    #[arg(long, default_value_t = 100.0)]
    tick_ms: f64,
    /// Gateway login (a dispatcher's area must hold the staff).
    #[arg(long, default_value = "dispatcher")]
    gateway_user: String,
    /// Viewer login.
    #[arg(long, default_value = "screen")]
    viewer_user: String,
    /// Password of both logins.
    #[arg(long, env = "LOADGEN_PASSWORD", default_value = "riskmap-demo")]
    password: String,
}

#[derive(Debug, Args)]
struct OsmandArgs {
    #[command(flatten)]
    common: Common,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Send to this base URL instead of --url (e.g. the --osmand-listen
    /// port, whose path is `/`).
    #[arg(long)]
    osmand_url: Option<String>,
}

#[derive(Debug, Args)]
struct DispatchArgs {
    /// Targets, comma-separated: riskmap, riskmap-batch (POST
    /// /api/dispatch/batch), riskmap-ws (pipelined /ws `query` messages),
    /// health (riskmap's `GET /health`, the HTTP ceiling), tiles (the
    /// vector tile of --tile-layer and --tile-zoom over each point),
    /// postgis, redis.
    #[arg(long, value_delimiter = ',', default_value = "riskmap")]
    target: Vec<String>,
    /// riskmap's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// riskmap login (its area must hold the staff).
    #[arg(long, default_value = "dispatcher")]
    user: String,
    /// Its password.
    #[arg(long, env = "LOADGEN_PASSWORD", default_value = "riskmap-demo")]
    password: String,
    /// PostgreSQL URL (loaded with `loadgen load-postgis`).
    #[arg(long, env = "LOADGEN_DATABASE_URL")]
    database_url: Option<String>,
    /// Redis host:port (loaded with `loadgen load-redis`).
    #[arg(long)]
    redis: Option<String>,
    /// Redis search radii, metres: one Redis target per radius.
    #[arg(long, value_delimiter = ',', default_values_t = [500.0, 5000.0])]
    redis_radius_m: Vec<f64>,
    /// Concurrent clients per target.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Nearest how many.
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Queries per request of the riskmap-batch target (at most 1,000),
    /// and queries in flight on each riskmap-ws connection.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// The tiles target's layer (`areas`, `cameras`, `risk_sources`,
    /// `key_places`).
    #[arg(long, default_value = "cameras")]
    tile_layer: String,
    /// The tiles target's zoom.
    #[arg(long, default_value_t = 12)]
    tile_zoom: u32,
    /// Distinct query points (uniform in --bbox, from --seed).
    #[arg(long, default_value_t = 4096)]
    points: usize,
    /// Every client walks the points from the first, as screens opening
    /// the same view ask for the same tiles at once (by default each starts
    /// at its own offset, so that no two ask the same at the same moment).
    #[arg(long)]
    same_start: bool,
    /// Seconds of unmeasured lead-in per target.
    #[arg(long, default_value_t = 2.0)]
    warmup_s: f64,
    /// Seconds measured per target.
    #[arg(long, default_value_t = 10.0)]
    duration_s: f64,
    /// Process ids for CPU figures: NAME=PID (riskmap, postgis, redis).
    #[arg(long, value_delimiter = ',')]
    pid: Vec<String>,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    #[command(flatten)]
    area: Area,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Dataset {
            base,
            out,
            staff,
            available,
            area,
        } => {
            let spec = dataset::Spec {
                base,
                out,
                staff,
                available,
                bbox: area.bbox()?,
                seed: area.seed,
            };
            let n =
                tokio::task::spawn_blocking(move || dataset::build(&spec).map(|n| (n, spec.out)))
                    .await
                    .map_err(|e| format!("building the dataset: {e}"))??;
            println!("{} staff written to {}", n.0, n.1.display());
            Ok(())
        }
        Command::Ingest(a) => {
            let (warmup, duration) = a.common.secs()?;
            let viewer_bases = if a.viewer_urls.is_empty() {
                vec![a.common.url.clone()]
            } else {
                a.viewer_urls.clone()
            };
            let spec = ingest::Spec {
                base: a.common.url.clone(),
                viewer_bases,
                staff: a.common.roster()?,
                rate: a.rate,
                batch: a.batch,
                gateways: a.gateways,
                window: a.window,
                viewers: a.viewers,
                wide_viewers: a.wide_viewers,
                viewer_box_km: a.viewer_box_km,
                viewer_layers: a.viewer_layers.clone(),
                bbox: a.common.area.bbox()?,
                gateway_user: (a.gateway_user.clone(), a.password.clone()),
                viewer_user: (a.viewer_user.clone(), a.password.clone()),
                warmup,
                duration,
                server_pid: a.common.server_pid,
                tick_ms: a.tick_ms,
                seed: a.common.area.seed,
            };
            let v = ingest::run(spec).await?;
            finish("ingest over /ws", &v, a.common.json.as_deref())
        }
        Command::Osmand(a) => {
            let (warmup, duration) = a.common.secs()?;
            let (base, path) = match &a.osmand_url {
                Some(u) => (u.clone(), "/".to_owned()),
                None => (a.common.url.clone(), "/osmand".to_owned()),
            };
            let spec = osmand::Spec {
                base,
                path,
                metrics_base: a.common.url.clone(),
                staff: a.common.roster()?,
                concurrency: a.concurrency,
                warmup,
                duration,
                server_pid: a.common.server_pid,
                seed: a.common.area.seed,
            };
            let v = osmand::run(spec).await?;
            finish("OsmAnd over HTTP", &v, a.common.json.as_deref())
        }
        Command::Dispatch(a) => dispatch_command(a).await,
        Command::LoadPostgis { database_url, city } => {
            let staff = dataset::roster(&city)?;
            let plan = dispatch::load_postgis(&database_url, &staff).await?;
            println!(
                "{} staff loaded into PostGIS ({}); the query plan:\n{plan}",
                staff.len(),
                dispatch::PG_TABLE
            );
            Ok(())
        }
        Command::LoadRedis { redis, city } => {
            let staff = dataset::roster(&city)?;
            let n = dispatch::load_redis(&redis, &staff).await?;
            println!(
                "{n} available staff (of {}) loaded into Redis ({})",
                staff.len(),
                dispatch::REDIS_KEY
            );
            Ok(())
        }
    }
}

async fn dispatch_command(a: DispatchArgs) -> Result<(), String> {
    let bbox = a.area.bbox()?;
    let mut targets = Vec::new();
    for t in &a.target {
        match t.as_str() {
            "riskmap" => {
                let token = ws::login(&a.url, &a.user, &a.password).await?;
                targets.push(dispatch::Target::Riskmap {
                    base: a.url.clone(),
                    token,
                });
            }
            "riskmap-batch" => {
                let token = ws::login(&a.url, &a.user, &a.password).await?;
                targets.push(dispatch::Target::RiskmapBatch {
                    base: a.url.clone(),
                    token,
                    batch: a.batch_size,
                });
            }
            "riskmap-ws" => {
                let token = ws::login(&a.url, &a.user, &a.password).await?;
                targets.push(dispatch::Target::RiskmapWs {
                    base: a.url.clone(),
                    token,
                    depth: a.batch_size,
                });
            }
            "health" => targets.push(dispatch::Target::Health {
                base: a.url.clone(),
            }),
            "tiles" => {
                let token = ws::login(&a.url, &a.user, &a.password).await?;
                targets.push(dispatch::Target::Tiles {
                    base: a.url.clone(),
                    token,
                    layer: a.tile_layer.clone(),
                    zoom: a.tile_zoom,
                });
            }
            "postgis" => targets.push(dispatch::Target::Postgis {
                url: a
                    .database_url
                    .clone()
                    .ok_or("--target postgis needs --database-url")?,
            }),
            "redis" => {
                let addr = a.redis.clone().ok_or("--target redis needs --redis")?;
                for &radius_m in &a.redis_radius_m {
                    if !(radius_m.is_finite() && radius_m > 0.0) {
                        return Err(format!("--redis-radius-m must be positive, got {radius_m}"));
                    }
                    targets.push(dispatch::Target::Redis {
                        addr: addr.clone(),
                        radius_m,
                    });
                }
            }
            other => {
                return Err(format!(
                    "unknown target {other:?}; targets are riskmap, riskmap-batch, riskmap-ws, health, postgis, redis"
                ));
            }
        }
    }
    let mut pids = Vec::new();
    for p in &a.pid {
        let (name, pid) = p
            .split_once('=')
            .and_then(|(n, v)| Some((n.to_owned(), v.parse::<u32>().ok()?)))
            .ok_or_else(|| format!("--pid takes NAME=PID, got {p:?}"))?;
        pids.push((name, pid));
    }
    let d = |name: &str, v: f64| {
        Duration::try_from_secs_f64(v).map_err(|_| format!("--{name} must be seconds ≥ 0"))
    };
    let spec = dispatch::Spec {
        targets,
        points: dataset::query_points(a.points, bbox, a.area.seed)?,
        concurrency: a.concurrency,
        same_start: a.same_start,
        k: a.k,
        warmup: d("warmup-s", a.warmup_s)?,
        duration: d("duration-s", a.duration_s)?,
        pids,
    };
    let v = dispatch::run(spec).await?;
    print_dispatch(&v);
    report::write_json(a.json.as_deref(), &v)
}

fn finish(title: &str, v: &Value, json_path: Option<&std::path::Path>) -> Result<(), String> {
    report::print_table(title, v);
    report::write_json(json_path, v)
}

/// The side-by-side table: one row per target.
fn print_dispatch(v: &Value) {
    println!(
        "== dispatch: nearest {} available, {} concurrent clients, {} query points",
        v["k"], v["concurrency"], v["query_points"]
    );
    println!(
        "  {:<12} {:>12} {:>9} {:>9} {:>9} {:>8} {:>7} {:>10} {:>10}",
        "target",
        "queries/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "results",
        "errors",
        "srv cores",
        "gen cores"
    );
    let empty = Vec::new();
    for t in v["targets"].as_array().unwrap_or(&empty) {
        let f = |x: &Value| x.as_f64().unwrap_or(0.0);
        println!(
            "  {:<12} {:>12.0} {:>9.3} {:>9.3} {:>9.3} {:>8.2} {:>7} {:>10.2} {:>10.2}",
            t["target"].as_str().unwrap_or("?"),
            f(&t["queries_per_s"]),
            f(&t["latency"]["p50_ms"]),
            f(&t["latency"]["p99_ms"]),
            f(&t["latency"]["max_ms"]),
            f(&t["mean_results"]),
            t["errors"],
            f(&t["server"]["cores_busy"]),
            f(&t["loadgen"]["cores_busy"]),
        );
        if let Some(e) = t["first_error"].as_str() {
            println!("    first error: {e}");
        }
    }
    if let Some(r) = v["ratios"].as_object() {
        for (k, x) in r {
            println!("  {k}: {x}×");
        }
    }
}
