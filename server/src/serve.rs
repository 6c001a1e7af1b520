//! `riskmap serve`: open the store, load the engine, start the background
//! tasks and the listeners, and shut down gracefully.

use rustc_hash::FxHashSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::access::UserRole;
use crate::app::{App, Limits};
use crate::auth::{Auth, new_password, now_ms};
use crate::config::ServeArgs;
use crate::guard::{Guard, LoginThrottle, Rates};
use crate::incident::{Book, Desk, Dictionary};
use crate::ingest::{Ingest, IngestConfig};
use crate::live::{Hub, HubConfig};
use crate::metrics::Metrics;
use crate::store::postgis::PostgisStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, StoreError};
use riskmap_engine::city::{self, CityDirError};
use riskmap_engine::model::AreaLevel;
use riskmap_engine::{AreaTree, Engine, EngineConfig};

/// The password of every demo login except the admin's.
pub const DEMO_PASSWORD: &str = "riskmap-demo";

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
    /// Creating a login failed.
    #[error("creating a login: {0}")]
    Auth(#[from] crate::auth::AuthError),
}

/// A running server.
pub struct Server {
    /// The shared state.
    pub app: Arc<App>,
    /// Where the HTTP listener is bound.
    pub addr: SocketAddr,
    /// Where the OsmAnd listener is bound, if any.
    pub osmand_addr: Option<SocketAddr>,
    /// The admin password, if it was generated (to print once).
    pub generated_admin_password: Option<String>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    writer: JoinHandle<()>,
}

impl Server {
    /// Stops accepting, lets requests finish, and waits until every queued
    /// fix is committed.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // The writer ends once the last Ingest handle (inside App) is gone.
        drop(self.app);
        let _ = self.writer.await;
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

/// Opens the configured store.
pub async fn open_store(args: &ServeArgs) -> Result<Arc<dyn Store>, ServeError> {
    Ok(match &args.database_url {
        Some(url) => Arc::new(PostgisStore::connect(url).await?),
        None => Arc::new(SqliteStore::open(&args.data_dir).await?),
    })
}

/// Imports the demo city into an empty store (in demo mode), then builds the
/// engine from the store.
async fn load_engine(
    args: &ServeArgs,
    store: &dyn Store,
    resolution: h3o::Resolution,
) -> Result<Engine, ServeError> {
    if args.demo && store.is_empty().await? {
        let t = Instant::now();
        let dir = args.demo_city.clone();
        let city = tokio::task::spawn_blocking(move || city::read(&dir))
            .await
            .map_err(|e| ServeError::Config(format!("reading the demo city: {e}")))??;
        store.import_city(&city).await?;
        tracing::info!(elapsed_ms = t.elapsed().as_millis(), "demo city imported");
    }
    let t = Instant::now();
    let config = EngineConfig {
        h3_resolution: resolution,
        ..EngineConfig::default()
    };
    // The area tree (with the grid locator, the costliest index) is built
    // while the store is still reading the other layers.
    let (areas_tx, areas_rx) = tokio::sync::oneshot::channel();
    let tree = async {
        let areas = areas_rx
            .await
            .map_err(|_| ServeError::Config("the store did not read the areas".into()))?;
        let started = Instant::now();
        let tree = tokio::task::spawn_blocking(move || AreaTree::build(areas, resolution))
            .await
            .map_err(|e| ServeError::Config(format!("building the area tree: {e}")))?
            .map_err(CityDirError::from)?;
        Ok::<_, ServeError>((tree, started.elapsed()))
    };
    let (city, tree) = tokio::join!(store.load_city_areas_first(areas_tx), tree);
    let city = city?;
    let (tree, areas_time) = tree?;
    let read_ms = t.elapsed().as_millis();
    let (engine, mut times) =
        tokio::task::spawn_blocking(move || Engine::build_on(config, tree, city))
            .await
            .map_err(|e| ServeError::Config(format!("building the engine: {e}")))?
            .map_err(CityDirError::from)?;
    times.areas = areas_time;
    // elapsed_ms: from the store open to every index built (the cold start
    // figure of docs/PERFORMANCE.md); read_ms: until every layer is read
    // (the area tree is built meanwhile, in areas_ms); after_read_ms: the
    // rest of the build (staff and layers side by side, then placing).
    tracing::info!(
        areas = engine.areas().len(),
        staff = engine.staff().len(),
        cameras = engine.cameras().len(),
        elapsed_ms = t.elapsed().as_millis(),
        read_ms,
        after_read_ms = times.total.as_millis(),
        areas_ms = times.areas.as_millis(),
        staff_ms = times.staff.as_millis(),
        layers_ms = times.layers.as_millis(),
        placing_ms = times.placing.as_millis(),
        "engine loaded"
    );
    Ok(engine)
}

/// The shared state, and the track writer's task.
fn build_app(
    args: &ServeArgs,
    store: Arc<dyn Store>,
    auth: Auth,
    engine: Engine,
    incidents: Desk,
) -> (Arc<App>, JoinHandle<()>) {
    let metrics = Arc::new(Metrics::default());
    let (ingest, writer) = Ingest::start(store.clone(), metrics.clone(), IngestConfig::default());
    let hub = Hub::new(
        HubConfig {
            tick: Duration::from_millis(args.tick_ms),
            queue: args.viewer_queue.max(2),
            slow_close_after: Duration::from_secs(args.slow_viewer_close_s),
            ..HubConfig::default()
        },
        metrics.clone(),
    );
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
            max_concurrent_requests: args.max_concurrent_requests.max(1),
            max_polygon_vertices: args.max_polygon_vertices,
            ..Limits::default()
        },
        incidents,
        guard: Guard {
            logins: LoginThrottle::new(
                args.login_failures_per_user,
                args.login_failures_per_address,
                Duration::from_secs(15 * 60),
            ),
            rates: Rates::new(args.requests_per_second),
            cors_origins: args.cors_origin.clone(),
        },
    });
    (app, writer)
}

/// Starts the server: returns once it is listening.
pub async fn start(args: ServeArgs) -> Result<Server, ServeError> {
    let resolution = h3o::Resolution::try_from(args.h3_resolution).map_err(|_| {
        ServeError::Config(format!(
            "--h3-resolution must be 0 to 15, got {}",
            args.h3_resolution
        ))
    })?;
    if args.tick_ms == 0 || args.tick_ms > 10_000 {
        return Err(ServeError::Config("--tick-ms must be 1 to 10000".into()));
    }
    let store = open_store(&args).await?;
    tracing::info!(store = store.kind(), "store open");

    let engine = load_engine(&args, &*store, resolution).await?;
    let root_area = engine
        .areas()
        .iter()
        .find(|(_, a)| a.level == AreaLevel::City)
        .map(|(_, a)| a.code.clone());
    let auth = Auth::new(
        store.clone(),
        Duration::from_secs(args.token_ttl_hours.max(1) * 3600),
    );
    let generated_admin_password = ensure_admin(&*store, &auth).await?;
    let people: crate::simulator::People = if args.demo {
        Arc::new(ensure_demo_users(&*store, &auth, &engine, root_area.as_deref()).await?)
    } else {
        Arc::default()
    };

    let incidents = load_incidents(&args, &*store).await?;
    let (app, writer) = build_app(&args, store, auth, engine, incidents);

    let (shutdown, watch_rx) = watch::channel(false);
    let mut tasks = spawn_background(&app, &args, people, &watch_rx);

    let static_dir = args.static_dir.clone().or_else(|| {
        let d = std::path::PathBuf::from("web-client/dist");
        d.join("index.html").exists().then_some(d)
    });
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| ServeError::Bind(e, args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(e, args.listen))?;
    let router = crate::api::router(app.clone(), static_dir);
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let config = crate::tls::server_config(cert, key).map_err(ServeError::Config)?;
            let tls = crate::tls::TlsListener::new(listener, config)
                .map_err(|e| ServeError::Bind(e, args.listen))?;
            tasks.push(tokio::spawn(serve_on(tls, router, watch_rx.clone())));
        }
        _ => tasks.push(tokio::spawn(serve_on(
            NoDelayListener(listener),
            router,
            watch_rx.clone(),
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
        )));
    }
    tracing::info!(%addr, "listening");
    Ok(Server {
        app,
        addr,
        osmand_addr,
        generated_admin_password,
        shutdown,
        tasks,
        writer,
    })
}

/// The background tasks: the hub's tick, the incident clock, track
/// retention, and in demo mode the simulator.
fn spawn_background(
    app: &Arc<App>,
    args: &ServeArgs,
    people: crate::simulator::People,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = vec![
        tokio::spawn(tick_loop(app.clone(), stop.clone())),
        tokio::spawn(incident_clock_loop(app.clone(), stop.clone())),
        tokio::spawn(retention_loop(
            app.clone(),
            args.track_retention_days,
            stop.clone(),
        )),
    ];
    if args.demo && !args.no_simulator {
        tasks.push(tokio::spawn(crate::simulator::run(
            app.clone(),
            Duration::from_secs(args.sim_interval_s.max(1)),
            people.clone(),
            stop.clone(),
        )));
        if args.sim_incident_every_s > 0 {
            tasks.push(tokio::spawn(crate::simulator::run_incidents(
                app.clone(),
                Duration::from_secs(args.sim_incident_every_s),
                people,
                stop.clone(),
            )));
        }
    }
    tasks
}

/// Turns Nagle's algorithm off on an accepted connection. Live pushes and
/// acks are small frames written one at a time: with Nagle on, a frame
/// written while the previous one is unacknowledged waits for the peer's
/// delayed ACK (40 ms on Linux), which showed as tens of milliseconds of
/// fix → viewer latency under load (docs/PERFORMANCE.md).
pub fn no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
}

/// A TCP listener whose connections have Nagle's algorithm off.
pub struct NoDelayListener(pub TcpListener);

impl axum::serve::Listener for NoDelayListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (mut tcp, addr) = axum::serve::Listener::accept(&mut self.0).await;
        no_delay(&mut tcp);
        (tcp, addr)
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

async fn serve_on<L>(listener: L, router: axum::Router, mut stop: watch::Receiver<bool>)
where
    L: axum::serve::Listener<Addr = SocketAddr>,
    crate::api::guard::Peer:
        for<'a> axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    let service = router.into_make_service_with_connect_info::<crate::api::guard::Peer>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "listener failed");
    }
}

async fn tick_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(app.hub.tick_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let engine = app.engine.read();
        app.hub.tick(&engine);
    }
}

/// The incident clock: warning levels re-read and statistics pushed, once a
/// second.
async fn incident_clock_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = now_ms();
        app.incident_clock(now);
        app.push_incident_stats(now);
    }
}

/// Reads the incident configuration and every stored incident.
async fn load_incidents(args: &ServeArgs, store: &dyn Store) -> Result<Desk, ServeError> {
    let dict = match &args.incident_config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ServeError::Config(format!("--incident-config {}: {e}", path.display()))
            })?;
            Dictionary::from_json(&text).map_err(ServeError::Config)?
        }
        None => Dictionary::default_config(),
    };
    let t = Instant::now();
    let stored = store.load_incidents().await?;
    let book = Book::load(stored, &dict, now_ms());
    tracing::info!(
        incidents = book.len(),
        open = book.open().count(),
        elapsed_ms = t.elapsed().as_millis(),
        "incidents loaded"
    );
    Ok(Desk::new(dict, book))
}

async fn retention_loop(app: Arc<App>, days: u32, mut stop: watch::Receiver<bool>) {
    // First a minute after start (not at once: a restart loop should not
    // turn into a delete loop), then hourly.
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut every = tokio::time::interval_at(first, Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let before = now_ms() - i64::from(days) * 24 * 3600 * 1000;
        match app.store.prune_tracks(before).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, days, "pruned old track fixes"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning tracks failed"),
        }
    }
}

/// Creates the first admin when there are no users. Returns the password if
/// it was generated (`RISKMAP_ADMIN_PASSWORD` unset).
async fn ensure_admin(store: &dyn Store, auth: &Auth) -> Result<Option<String>, ServeError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match std::env::var("RISKMAP_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (new_password(), true),
    };
    // The system administrator is bound to no area: they see everything.
    auth.create_user("admin", "系统管理员", UserRole::Admin, "", None, &password)
        .await?;
    Ok(generated.then_some(password))
}

/// The demo logins, created once. Answers the staff ids of the logins bound
/// to a staff member: the people the simulator leaves alone.
async fn ensure_demo_users(
    store: &dyn Store,
    auth: &Auth,
    engine: &Engine,
    root: Option<&str>,
) -> Result<FxHashSet<String>, ServeError> {
    let mut people = FxHashSet::default();
    let Some(root) = root else {
        return Ok(people);
    };
    let district = engine
        .areas()
        .iter()
        .find(|(_, a)| a.level == AreaLevel::District)
        .map_or(root.to_owned(), |(_, a)| a.code.clone());
    let field = engine
        .staff()
        .iter()
        .next()
        .map(|(_, m)| (m.id.to_string(), m.home_grid.to_string()));
    let mut users: Vec<(String, &str, UserRole, String, Option<String>)> = vec![
        (
            "commander".into(),
            "指挥长",
            UserRole::Commander,
            root.to_owned(),
            None,
        ),
        (
            "dispatcher".into(),
            "派遣员",
            UserRole::Dispatcher,
            root.to_owned(),
            None,
        ),
        (
            "screen".into(),
            "指挥中心大屏",
            UserRole::Viewer,
            root.to_owned(),
            None,
        ),
        (
            "district".into(),
            "区县指挥长",
            UserRole::Commander,
            district,
            None,
        ),
    ];
    if let Some((staff_id, grid)) = field {
        users.push((
            "field".into(),
            "网格员",
            UserRole::Field,
            grid,
            Some(staff_id),
        ));
    }
    for (username, name, role, area, staff_id) in users {
        let staff_id = if let Some((user, _)) = store.user_by_name(&username).await? {
            user.staff_id
        } else {
            auth.create_user(
                &username,
                name,
                role,
                &area,
                staff_id.as_deref(),
                DEMO_PASSWORD,
            )
            .await?;
            staff_id
        };
        people.extend(staff_id);
    }
    Ok(people)
}

/// The lines the run command prints: where to go and how to log in.
#[must_use]
pub fn banner(server: &Server, demo: bool) -> String {
    let mut s = format!("\nriskmap is running at http://{}/\n", server.addr);
    if let Some(o) = server.osmand_addr {
        let _ = writeln!(s, "OsmAnd (Traccar Client) listener at http://{o}/");
    }
    match &server.generated_admin_password {
        Some(p) => {
            let _ = writeln!(
                s,
                "admin login: admin / {p}   (generated; set RISKMAP_ADMIN_PASSWORD to choose)"
            );
        }
        None => s.push_str("admin login: admin / (the password set in RISKMAP_ADMIN_PASSWORD)\n"),
    }
    if demo {
        let _ = writeln!(
            s,
            "demo logins (password {DEMO_PASSWORD}): commander, dispatcher, screen (big screen), \
             district (one district), field (a grid worker)"
        );
    }
    s
}
