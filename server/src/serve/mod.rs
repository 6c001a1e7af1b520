//! `riskmap serve`: open the store, load the engine, start the background
//! tasks and the listeners, and shut down gracefully.

mod demo;
pub mod departments;
pub mod import;
mod load;
mod node;
mod tasks;
pub mod users;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use riskmap_engine::Engine;
use riskmap_engine::city::CityDirError;
use riskmap_engine::watch::WatchRules;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use demo::DEMO_PASSWORD;
pub use load::open_store;

use crate::app::Desk;
use crate::app::alerts::Alerts;
use crate::app::audit::Auditor;
use crate::app::channels::{ChannelConfig, Channels};
use crate::app::fences::{BufferRule, Fencing};
use crate::app::ingest::{Ingest, IngestConfig};
use crate::app::patrol::PatrolDesk;
use crate::app::risk::RiskDesk;
use crate::app::roster::Rosters;
use crate::app::venues::Venues;
use crate::app::{App, Limits};
use crate::config::ServeArgs;
use crate::identity::password::new_password;
use crate::identity::{Auth, LoginThrottle, Rates, UserRole};
use crate::live::{Hub, HubConfig};
use crate::metrics::Metrics;
use crate::net::proxies::TrustedProxies;
use crate::net::public_url::PublicUrl;
use crate::net::{NoDelayListener, serve_on};
use crate::store::{Store, StoreError};
use riskmap_engine::risk::RiskWeights;

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum ServeError {
    /// The store could not be opened or migrated.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The demo city could not be read.
    #[error("demo city: {0}")]
    DemoCity(#[from] CityDirError),
    /// A listener could not be bound.
    #[error("cannot listen on {1}: {0}")]
    Bind(#[source] std::io::Error, SocketAddr),
    /// A configuration value is out of range.
    #[error("configuration: {0}")]
    Config(String),
    /// Creating a login or setting its password failed.
    #[error("login: {0}")]
    Auth(#[from] crate::identity::AuthError),
    /// Another server runs on the same embedded store.
    #[error(
        "another riskmap server (process {holder}) is using the store in {}; stop it first, \
         or give this one its own --data-dir",
        dir.display()
    )]
    StoreInUse {
        /// The store's directory.
        dir: PathBuf,
        /// The process id the lock file names.
        holder: String,
    },
    /// The cluster could not be joined.
    #[error("cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
    /// Outside demo mode, the store's demo logins still have the public
    /// demo password.
    #[error(
        "this store holds demo logins with the public demo password ({0}): anyone could log in \
         as them. Serve it with --demo to run the demo, or give a real deployment its own \
         --data-dir (or database)"
    )]
    DemoLogins(String),
}

/// How long requests under way get to finish at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running server.
pub struct Server {
    /// The shared state.
    pub app: Arc<App>,
    /// Where the HTTP listener is bound.
    pub addr: SocketAddr,
    /// It serves HTTPS (`--tls-cert`).
    pub tls: bool,
    /// Where the OsmAnd listener is bound, if any.
    pub osmand_addr: Option<SocketAddr>,
    /// The admin password, if it was generated (to hand over once).
    pub generated_admin_password: Option<String>,
    /// Where a generated admin password is written when the banner does
    /// not go to a terminal (logs are read by more people than admins).
    admin_password_file: PathBuf,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The track writer and the audit writer.
    writers: Vec<JoinHandle<()>>,
    /// Tells the writers to commit what is queued and end.
    drain: watch::Sender<bool>,
    /// Released once the writers have committed everything.
    store_lock: Option<load::StoreLock>,
}

impl Server {
    /// Shuts down in order: every WebSocket is told, with a going-away
    /// close and a reason; listeners stop accepting and let the requests
    /// under way finish (for [`SHUTDOWN_GRACE`] at most); then the writers
    /// commit what is queued and end. A fix that arrives after that is
    /// refused, never acknowledged unsaved.
    pub async fn shutdown(self) {
        self.app.hub.close_all(
            crate::live::hub::CLOSE_GOING_AWAY,
            "the server is shutting down; reconnect in a moment",
        );
        let _ = self.shutdown.send(true);
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        for mut t in self.tasks {
            if tokio::time::timeout_at(deadline, &mut t).await.is_err() {
                t.abort();
            }
        }
        let _ = self.drain.send(true);
        for w in self.writers {
            let _ = w.await;
        }
        drop(self.app);
        drop(self.store_lock);
    }

    /// Waits for Ctrl-C or SIGTERM, then shuts down.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The track rules of the command line (0 minutes: the rule is off).
fn watch_rules(args: &ServeArgs) -> WatchRules {
    let ms =
        |min: u64| (min > 0).then(|| i64::try_from(min.saturating_mul(60_000)).unwrap_or(i64::MAX));
    WatchRules {
        left_grid_after_ms: ms(args.alert_left_grid_min),
        motionless_after_ms: ms(args.alert_motionless_min),
        motionless_radius_m: args.alert_motionless_radius_m,
    }
}

/// A key every node shares: made by the first to start, kept in the store.
async fn shared_key(store: &dyn Store, name: &str) -> Result<String, ServeError> {
    if let Some(k) = store.setting(name).await? {
        return Ok(k);
    }
    let k = hex::encode(rand::random::<[u8; 32]>());
    store.put_setting(name, &k).await?;
    // Two nodes starting at once: the one written last is everyone's.
    Ok(store.setting(name).await?.unwrap_or(k))
}

/// 场所码: the codes signed with the city's key, the scan radius, and each
/// place's last inspection.
async fn venues(args: &ServeArgs, store: &dyn Store) -> Result<Venues, ServeError> {
    let key = shared_key(store, "venue_code_key").await?;
    Ok(Venues::new(
        key.as_bytes(),
        args.venue_scan_radius_m,
        store.last_inspections().await?,
    ))
}

/// The channels' settings, their challenges signed with the key every node
/// shares.
async fn channels(args: &ServeArgs, store: &dyn Store) -> Result<Channels, ServeError> {
    let key = shared_key(store, "citizen_proof_key").await?;
    Ok(Channels::new(
        ChannelConfig {
            proof_difficulty: args.citizen_proof_bits,
            reports_per_address_hour: args.citizen_reports_per_hour,
            reports_per_phone_hour: args.citizen_reports_per_phone_hour,
            uploads_per_address_hour: args.citizen_reports_per_hour.saturating_mul(3),
            alarm_merge_ms: i64::from(args.alarm_merge_minutes) * 60_000,
            ..ChannelConfig::default()
        },
        key.as_bytes(),
    ))
}

/// The parts of the shared state loaded before it is built.
struct Desks {
    engine: Engine,
    incidents: Desk,
    alerts: Alerts,
    risk: RiskDesk,
    channels: Channels,
    patrol: PatrolDesk,
    venues: Venues,
    fences: Fencing,
    roster: Rosters,
}

/// The shared state, and its writers' tasks.
fn build_app(
    args: &ServeArgs,
    store: Arc<dyn Store>,
    auth: Auth,
    Desks {
        engine,
        incidents,
        alerts,
        risk,
        channels,
        patrol,
        venues,
        fences,
        roster,
    }: Desks,
    Edge {
        trusted_proxies,
        public_url,
    }: Edge,
    cluster: Option<Arc<crate::app::cluster::ClusterLink>>,
    drain: &watch::Receiver<bool>,
) -> (Arc<App>, Vec<JoinHandle<()>>) {
    let metrics = Arc::new(Metrics::default());
    let (ingest, track_writer) = Ingest::start(
        store.clone(),
        metrics.clone(),
        IngestConfig::default(),
        cluster.clone(),
        drain.clone(),
    );
    let (audit, audit_writer) = Auditor::start(store.clone(), drain.clone());
    let hub = Hub::new(
        HubConfig {
            tick: Duration::from_millis(args.tick_ms),
            queue: args.viewer_queue.max(2),
            slow_close_after: Duration::from_secs(args.slow_viewer_close_s),
            ..HubConfig::default()
        },
        metrics.clone(),
    );
    // The blocking work bounded to one at a time per core.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let app = Arc::new(App {
        engine: RwLock::new(engine),
        store,
        auth,
        hub,
        ingest,
        metrics,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_frame_bytes: args.max_message_bytes,
            max_import_bytes: args.max_import_bytes,
            ws_messages_per_second: args.ws_messages_per_second,
            max_ws_connections: args.max_ws_connections,
            max_ws_per_user: args.max_ws_per_user.max(1),
            ws_ping: Duration::from_secs(args.ws_ping_s.max(1)),
            ws_patience: Duration::from_secs(args.slow_viewer_close_s.max(1)),
            max_concurrent_requests: args.max_concurrent_requests.max(1),
            max_polygon_vertices: args.max_polygon_vertices,
            stale_after_ms: i64::try_from(args.stale_after_s.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            ..Limits::default()
        },
        incidents,
        alerts,
        risk,
        logins: LoginThrottle::new(
            args.login_failures_per_user,
            args.login_failures_per_address,
            crate::config::LOGIN_THROTTLE_WINDOW,
        ),
        rates: Rates::new(args.requests_per_second),
        bad_tokens: Rates::new(crate::config::BAD_TOKENS_PER_SECOND),
        unknown_devices: Rates::new(crate::config::UNKNOWN_DEVICES_PER_SECOND),
        audit,
        cors_origins: args.cors_origin.clone(),
        trusted_proxies,
        public_url,
        imports: tokio::sync::Mutex::new(()),
        camera_misses: parking_lot::Mutex::default(),
        cluster,
        channels,
        patrol,
        venues,
        fences,
        roster,
        tiles: crate::app::tiles::Tiles::new(),
        snapshots: Arc::new(tokio::sync::Semaphore::new(cores)),
        heavy_queries: Arc::new(tokio::sync::Semaphore::new(cores)),
        census: parking_lot::Mutex::default(),
    });
    // Fixes applied from here on wait for today's stored ones.
    app.patrol.hold();
    app.rebuild_zones();
    let t = std::time::Instant::now();
    app.rebuild_risk(crate::clock::now_ms());
    tracing::info!(elapsed_ms = t.elapsed().as_millis(), "grid risk computed");
    (app, vec![track_writer, audit_writer])
}

/// Loads what the shared state holds beside the engine.
async fn desks(
    args: &ServeArgs,
    store: &dyn Store,
    engine: Engine,
    risk_weights: RiskWeights,
) -> Result<Desks, ServeError> {
    let incidents = load::load_incidents(args, store).await?;
    let alerts = Alerts::new(
        store
            .load_alerts(Alerts::closed_since(crate::clock::now_ms()))
            .await?,
        watch_rules(args),
    );
    let risk = RiskDesk::new(risk_weights);
    let channels = channels(args, store).await?;
    let patrol = PatrolDesk::new(load::patrol_rules(args)?);
    let venues = venues(args, store).await?;
    let fences = Fencing::new(
        store.fences().await?,
        BufferRule {
            radius_m: args.risk_buffer_m,
            max_level: args.risk_buffer_level,
        },
    );
    let roster = Rosters::new(store.roster().await?);
    Ok(Desks {
        engine,
        incidents,
        alerts,
        risk,
        channels,
        patrol,
        venues,
        fences,
        roster,
    })
}

/// Starts the server: returns once it is listening.
pub async fn start(args: ServeArgs) -> Result<Server, ServeError> {
    let Checked {
        resolution,
        edge,
        risk_weights,
    } = checked(&args)?;
    let (store, store_lock) = open_store(&args.store()).await?;
    tracing::info!(store = store.kind(), "store open");
    let joined = node::join(&args, &*store).await?;

    let engine = load::load_engine(&args, &*store, resolution).await?;
    let auth = Auth::new(
        store.clone(),
        Duration::from_secs(args.token_ttl_hours.max(1) * 3600),
    );
    let generated_admin_password = ensure_admin(&*store, &auth).await?;
    let people: crate::simulator::People = if args.demo {
        let dict = load::dictionary(&args)?;
        Arc::new(demo::ensure_demo_org(&*store, &auth, &engine, &dict).await?)
    } else {
        demo::refuse_public_demo_logins(&auth).await?;
        Arc::default()
    };

    let desks = desks(&args, &*store, engine, risk_weights).await?;
    let (drain, drain_rx) = watch::channel(false);
    let (app, writers) = build_app(
        &args,
        store,
        auth,
        desks,
        edge,
        joined.as_ref().map(|j| j.link.clone()),
        &drain_rx,
    );

    let (shutdown, watch_rx) = watch::channel(false);
    let (mut tasks, lease) = node::start(&app, joined, &args, &watch_rx).await?;
    tasks.extend(tasks::spawn_background(
        &app, &args, people, lease, &watch_rx,
    ));

    let static_dir = web_client_dir(args.static_dir.as_deref());
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| ServeError::Bind(e, args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(e, args.listen))?;
    let router = crate::api::router(app.clone(), static_dir);
    let header_read = Duration::from_secs(args.header_read_timeout_s.max(1));
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let config = crate::net::tls::server_config(cert, key).map_err(ServeError::Config)?;
            let tls = crate::net::tls::TlsListener::new(listener, config)
                .map_err(|e| ServeError::Bind(e, args.listen))?;
            tasks.push(tokio::spawn(serve_on(
                tls,
                router.layer(axum::Extension(crate::net::OverTls)),
                watch_rx.clone(),
                header_read,
            )));
        }
        _ => tasks.push(tokio::spawn(serve_on(
            NoDelayListener(listener),
            router,
            watch_rx.clone(),
            header_read,
        ))),
    }
    let mut osmand_addr = None;
    if let Some(oa) = args.osmand_listen {
        let l = TcpListener::bind(oa)
            .await
            .map_err(|e| ServeError::Bind(e, oa))?;
        osmand_addr = Some(l.local_addr().map_err(|e| ServeError::Bind(e, oa))?);
        tasks.push(tokio::spawn(serve_on(
            NoDelayListener(l),
            crate::api::osmand_router(app.clone()),
            watch_rx.clone(),
            header_read,
        )));
    }
    tracing::info!(%addr, "listening");
    Ok(Server {
        app,
        addr,
        tls: args.tls_cert.is_some(),
        osmand_addr,
        generated_admin_password,
        admin_password_file: args.data_dir.join(ADMIN_PASSWORD_FILE),
        shutdown,
        tasks,
        writers,
        drain,
        store_lock,
    })
}

/// How clients reach the server: who may speak for them, and the address
/// its links are written with.
struct Edge {
    trusted_proxies: TrustedProxies,
    public_url: Option<PublicUrl>,
}

/// The options checked before anything starts, parsed.
struct Checked {
    resolution: h3o::Resolution,
    edge: Edge,
    risk_weights: RiskWeights,
}

/// The options checked before anything starts: the H3 resolution, the
/// trusted proxies, the public URL and the risk model's weights, parsed.
fn checked(args: &ServeArgs) -> Result<Checked, ServeError> {
    let resolution = h3o::Resolution::try_from(args.h3_resolution).map_err(|_| {
        ServeError::Config(format!(
            "--h3-resolution must be 0 to 15, got {}",
            args.h3_resolution
        ))
    })?;
    if args.tick_ms == 0 || args.tick_ms > 10_000 {
        return Err(ServeError::Config("--tick-ms must be 1 to 10000".into()));
    }
    let r = args.venue_scan_radius_m;
    if !(r.is_finite() && (10.0..=1_000.0).contains(&r)) {
        return Err(ServeError::Config(format!(
            "--venue-scan-radius-m must be 10 to 1000 metres, got {r}"
        )));
    }
    let b = args.risk_buffer_m;
    if !(0.0..=5000.0).contains(&b) {
        return Err(ServeError::Config(format!(
            "--risk-buffer-m must be 0 (off) to 5000 metres, got {b}"
        )));
    }
    let r = args.alert_motionless_radius_m;
    if !(r.is_finite() && (1.0..=1_000.0).contains(&r)) {
        return Err(ServeError::Config(format!(
            "--alert-motionless-radius-m must be 1 to 1000 metres, got {r}"
        )));
    }
    let trusted_proxies = TrustedProxies::parse(&args.trusted_proxy)
        .map_err(|e| ServeError::Config(format!("--trusted-proxy: {e}")))?;
    let public_url = args
        .public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(str::parse)
        .transpose()
        .map_err(|e| ServeError::Config(format!("--public-url: {e}")))?;
    Ok(Checked {
        resolution,
        edge: Edge {
            trusted_proxies,
            public_url,
        },
        risk_weights: load::risk_weights(args)?,
    })
}

/// Creates the first admin when there are no users. Returns the password if
/// it was generated (`RISKMAP_ADMIN_PASSWORD` unset).
async fn ensure_admin(store: &dyn Store, auth: &Auth) -> Result<Option<String>, ServeError> {
    if store.count_users().await? > 0 {
        if std::env::var("RISKMAP_ADMIN_PASSWORD").is_ok_and(|p| !p.is_empty()) {
            tracing::warn!(
                "RISKMAP_ADMIN_PASSWORD is read only when a store has no users yet; \
                 this store's admin keeps the password it has"
            );
        }
        return Ok(None);
    }
    let (password, generated) = match std::env::var("RISKMAP_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (new_password(), true),
    };
    // The operator's own choice is taken as it is (a test rig, a password
    // manager's format), but said when it is weaker than the rules.
    if let Err(weak) = crate::identity::password::check_password(&password, "admin") {
        tracing::warn!("RISKMAP_ADMIN_PASSWORD breaks the password rules ({weak}); change it");
    }
    // The system administrator is bound to no area: they see everything.
    // The operator chose this password, or received it in a file only they
    // can read: the first login is theirs and keeps it.
    auth.create_user(
        "admin",
        "系统管理员",
        UserRole::Admin,
        "",
        (None, None),
        &password,
        false,
    )
    .await?;
    Ok(generated.then_some(password))
}

/// Writes a secret to a file only this user may read.
fn write_private(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{secret}")
}

/// Where the built web client is: `--static-dir`, or `web-client/dist` in
/// the working directory or above the binary (a `target/*/riskmap` started
/// from another directory). Says so when there is none: the server then
/// answers `/` with a page that tells how to build it.
fn web_client_dir(given: Option<&Path>) -> Option<PathBuf> {
    let has_index = |d: &Path| d.join("index.html").is_file();
    if let Some(dir) = given {
        if has_index(dir) {
            return Some(dir.to_owned());
        }
        tracing::warn!(dir = %dir.display(), "--static-dir holds no index.html (is the web client built?)");
        return None;
    }
    let beside_binary = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .map(|d| d.join("web-client/dist"))
            .find(|d| has_index(d))
    });
    let found = Some(PathBuf::from("web-client/dist"))
        .filter(|d| has_index(d))
        .or(beside_binary);
    if found.is_none() {
        tracing::warn!(
            "the web client was not found (no web-client/dist here or above the binary): \
             build it with `cd web-client && npm ci && npm run build`, or pass --static-dir; \
             the API works without it"
        );
    }
    found
}

/// The file in the data directory a generated admin password is written to
/// when the banner goes to a log.
pub const ADMIN_PASSWORD_FILE: &str = "admin-password";

/// The lines the run command prints: where to go and how to log in. A
/// generated admin password is shown only on a terminal; otherwise (a
/// service's log) it is written to a file only this user can read, and the
/// banner says where.
#[must_use]
pub fn banner(server: &Server, demo: bool, on_terminal: bool) -> String {
    let scheme = if server.tls { "https" } else { "http" };
    let mut s = format!("\nriskmap is running at {scheme}://{}/\n", server.addr);
    if let Some(url) = &server.app.public_url {
        let _ = writeln!(s, "public address (printed venue codes, OGC links): {url}/");
    }
    if let Some(o) = server.osmand_addr {
        let _ = writeln!(s, "OsmAnd (Traccar Client) listener at http://{o}/");
    }
    match &server.generated_admin_password {
        Some(p) if on_terminal => {
            let _ = writeln!(
                s,
                "admin login: admin / {p}   (generated; set RISKMAP_ADMIN_PASSWORD to choose)"
            );
        }
        Some(p) => {
            let path = &server.admin_password_file;
            match write_private(path, p) {
                Ok(()) => {
                    let _ = writeln!(
                        s,
                        "admin login: admin / the generated password in {} (readable by this \
                         user only; delete it once you have logged in)",
                        path.display()
                    );
                }
                Err(e) => {
                    let _ = writeln!(
                        s,
                        "admin login: admin / a generated password that could not be written to \
                         {} ({e}); set RISKMAP_ADMIN_PASSWORD on a fresh store to choose one",
                        path.display()
                    );
                }
            }
        }
        None => s.push_str(
            "admin login: admin / the password chosen when this store was first started \
             (forgotten? stop the server and run `riskmap users passwd admin` with the same \
             --data-dir or --database-url)\n",
        ),
    }
    if demo {
        let _ = writeln!(
            s,
            "demo logins (password {DEMO_PASSWORD}): commander, dispatcher, screen (big screen), \
             district (one district), district-admin (its logins, at /admin), field (a grid \
             worker)"
        );
    }
    s
}
