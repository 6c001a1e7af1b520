//! Command line: clap, with environment fallbacks; every default and fixed
//! limit as a named constant, here and nowhere else.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Default address of the HTTP listener.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default directory of the embedded SQLite store.
pub const DEFAULT_DATA_DIR: &str = "data/riskmap";
/// Default directory of the demo city (as `geodata demo` writes it).
pub const DEFAULT_DEMO_CITY: &str = "data/demo";
/// Default H3 resolution for point → grid (10: cells of about 0.015 km²).
pub const DEFAULT_H3_RESOLUTION: u8 = 10;
/// Default coalescing tick of the live push, milliseconds.
pub const DEFAULT_TICK_MS: u64 = 100;
/// Default days of track history kept.
pub const DEFAULT_TRACK_RETENTION_DAYS: u32 = 30;
/// Default token lifetime, hours.
pub const DEFAULT_TOKEN_TTL_HOURS: u64 = 12;
/// Default seconds between a simulated staff member's fixes.
pub const DEFAULT_SIM_INTERVAL_S: u64 = 10;
/// Default seconds between incidents the demo simulator raises.
pub const DEFAULT_SIM_INCIDENT_EVERY_S: u64 = 20;
/// Default largest HTTP request body, bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Default largest layer import, bytes (a whole city's layer).
pub const DEFAULT_MAX_IMPORT_BYTES: usize = 512 * 1024 * 1024;
/// Default largest WebSocket message, bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// Default WebSocket messages a connection may send per second.
pub const DEFAULT_WS_MESSAGES_PER_SECOND: u32 = 200;
/// Default messages queued for one viewer before it counts as behind.
pub const DEFAULT_VIEWER_QUEUE: usize = 16;
/// Default seconds a viewer may stay behind before it is closed.
pub const DEFAULT_SLOW_VIEWER_CLOSE_S: u64 = 120;
/// Default requests per second one bearer token may make.
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 200;
/// Default failed logins per username within the throttle's window.
pub const DEFAULT_LOGIN_FAILURES_PER_USER: usize = 5;
/// Default failed logins per client address within the throttle's window.
pub const DEFAULT_LOGIN_FAILURES_PER_ADDRESS: usize = 30;
/// Default open WebSocket connections at most.
pub const DEFAULT_MAX_WS_CONNECTIONS: usize = 20_000;
/// Default open WebSocket connections per user at most (a command
/// centre's screens share one login; a load generator's viewers too).
pub const DEFAULT_MAX_WS_PER_USER: usize = 256;
/// Default seconds between pings on a WebSocket.
pub const DEFAULT_WS_PING_S: u64 = 20;
/// Seconds without a fix after which a staff member's position is stale.
pub const DEFAULT_STALE_AFTER_S: u64 = 600;
/// How near a key place a venue code's scan must be, metres (a phone's fix
/// in town is good to 10–30 m; a large site is measured to its edge).
pub const DEFAULT_VENUE_SCAN_RADIUS_M: f64 = 100.0;
/// Seconds between passes of the patrol rules' alerts.
pub const DEFAULT_PATROL_ALERT_CHECK_S: u64 = 60;
/// Minutes out of the home grid on duty before a 脱岗 alert.
pub const DEFAULT_ALERT_LEFT_GRID_MIN: u64 = 30;
/// Minutes without moving on duty before a 静止 alert (a possible fall).
pub const DEFAULT_ALERT_MOTIONLESS_MIN: u64 = 30;
/// Default seconds between camera stream probes.
pub const DEFAULT_CAMERA_PROBE_S: u64 = 60;
/// Seconds between the clock's checks for incidents overdue long enough to
/// escalate.
pub const DEFAULT_ESCALATION_CHECK_S: u64 = 60;
/// Default milliseconds one camera probe may take.
pub const DEFAULT_CAMERA_PROBE_TIMEOUT_MS: u64 = 3_000;
/// Metres a member may drift and still count as not moving.
pub const DEFAULT_ALERT_MOTIONLESS_RADIUS_M: f64 = 20.0;
/// Default buffer around a high-level risk source, metres: none. Which
/// sources deserve one, and how wide, is each city's call (in the demo
/// city's crowd of walkers, even 重大 sources alone raise an alert every
/// few seconds).
pub const DEFAULT_RISK_BUFFER_M: f64 = 0.0;
/// Default lowest level (1 major … 4 low) whose risk sources are buffered.
pub const DEFAULT_RISK_BUFFER_LEVEL: u8 = 1;
/// Default seconds a client may take to send a request's headers (and a
/// keep-alive connection may sit idle).
pub const DEFAULT_HEADER_READ_TIMEOUT_S: u64 = 30;
/// Default HTTP requests in flight at most.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 4_096;
/// Default vertices of one imported polygon at most.
pub const DEFAULT_MAX_POLYGON_VERTICES: usize = 200_000;

/// Most fixes in one request or message.
pub const MAX_FIXES_PER_REQUEST: usize = 10_000;
/// Most features in one layer import.
pub const MAX_IMPORT_FEATURES: usize = 2_000_000;
/// Most items an OGC API page may hold.
pub const MAX_PAGE: usize = 10_000;
/// Largest k of a nearest-staff query.
pub const MAX_K: usize = 100;
/// Largest radius of a nearby query, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Requests with an invalid token one client address may make per second
/// (sustained; bursts of twice that): each costs a store lookup.
pub const BAD_TOKENS_PER_SECOND: u32 = 5;
/// OsmAnd fixes naming unknown devices one client address may send per
/// second (sustained; bursts of twice that).
pub const UNKNOWN_DEVICES_PER_SECOND: u32 = 5;
/// How long failed logins count against a username or an address.
pub const LOGIN_THROTTLE_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// riskmap — real-time situational awareness map server for city grid
/// governance (网格化管理).
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve(Box<ServeArgs>),
    /// Loads a city directory (as `geodata demo` writes it) into the engine
    /// and prints what it holds, how long each index took to build, and a
    /// few dispatch queries at a grid of the city.
    Summary {
        /// Directory holding `areas.geojson`, `staff.geojson`,
        /// `cameras.geojson`, `risk_sources.geojson` and `key_places.geojson`.
        #[arg(env = "RISKMAP_CITY_DIR")]
        dir: PathBuf,
        /// H3 resolution of the point → grid cells.
        #[arg(long, env = "RISKMAP_H3_RESOLUTION", default_value_t = DEFAULT_H3_RESOLUTION)]
        h3_resolution: u8,
    },
    /// Accounts on the store, without a running server (bootstrap, scripts,
    /// a forgotten password). On the embedded store the server must be
    /// stopped (it holds the data directory).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Departments (部门, 网格+) on the store, without a running server: the
    /// offices incidents are routed to.
    #[command(subcommand)]
    Departments(DepartmentsCommand),
    /// Imports a city's own data onto the store, without a running server:
    /// whichever of `areas.geojson`, `staff.geojson`, `cameras.geojson`,
    /// `risk_sources.geojson`, `key_places.geojson`, `departments.json` and
    /// `accounts.json` the directory holds, all checked first (nothing is
    /// written unless all of it would load). docs/IMPORT.md.
    Import {
        /// The directory.
        dir: PathBuf,
        /// Each layer given becomes exactly the file (default: features
        /// replace those of the same id, others stay).
        #[arg(long)]
        replace: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `riskmap departments …`.
#[derive(Debug, Subcommand)]
pub enum DepartmentsCommand {
    /// Lists every department: code, type, area, name.
    List(StoreArgs),
    /// Adds or replaces departments (by code) from a JSON file
    /// (`{"departments": [...]}`) or a GeoJSON FeatureCollection whose
    /// features' properties are departments.
    Import {
        /// The file.
        file: PathBuf,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `riskmap users …`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Lists every login: username, role, area, name, and whether disabled.
    List(StoreArgs),
    /// Creates a login. Its password is read from `RISKMAP_NEW_PASSWORD`, or
    /// else from the first line of standard input (at least 10 characters).
    Add {
        /// The login name (3–64 letters, digits, '.', '_', '-').
        username: String,
        /// admin, commander, dispatcher, viewer or field.
        #[arg(long, value_parser = parse_role)]
        role: crate::identity::UserRole,
        /// The code of the area it sees (its subtree); empty only for a
        /// city-wide administrator.
        #[arg(long)]
        area: String,
        /// The name shown (default: the login name).
        #[arg(long)]
        name: Option<String>,
        /// For a field login: the staff member it is.
        #[arg(long)]
        staff: Option<String>,
        /// The department (部门) it belongs to, by code.
        #[arg(long)]
        department: Option<String>,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disables a login: it cannot log in, its sessions end.
    Disable {
        /// The login.
        username: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Enables a disabled login again.
    Enable {
        /// The login.
        username: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Binds a login to another area, role, staff member or department.
    Bind {
        /// The login.
        username: String,
        /// The new area code.
        #[arg(long)]
        area: Option<String>,
        /// The new role.
        #[arg(long, value_parser = parse_role)]
        role: Option<crate::identity::UserRole>,
        /// The staff member it is.
        #[arg(long, conflicts_with = "no_staff")]
        staff: Option<String>,
        /// It is no staff member.
        #[arg(long)]
        no_staff: bool,
        /// The department it belongs to.
        #[arg(long, conflicts_with = "no_department")]
        department: Option<String>,
        /// It belongs to no department.
        #[arg(long)]
        no_department: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Sets a login's password and ends its sessions. The new password is
    /// read from `RISKMAP_NEW_PASSWORD`, or else from the first line of
    /// standard input (never a flag: it would show in the process list).
    Passwd {
        /// The login.
        username: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// A role's name on the command line.
fn parse_role(s: &str) -> Result<crate::identity::UserRole, String> {
    crate::identity::UserRole::parse(s)
        .ok_or_else(|| format!("{s:?}: roles are admin, commander, dispatcher, viewer, field"))
}

/// Which store a command works on (the same options as `serve`).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory of the embedded SQLite store.
    #[arg(long, env = "RISKMAP_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// PostgreSQL + PostGIS at this URL instead of SQLite.
    #[arg(long, env = "RISKMAP_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A file holding the PostgreSQL URL, instead of --database-url.
    #[arg(
        long,
        env = "RISKMAP_DATABASE_URL_FILE",
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<PathBuf>,
}

impl ServeArgs {
    /// The store options of `serve`.
    #[must_use]
    pub fn store(&self) -> StoreArgs {
        StoreArgs {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            database_url_file: self.database_url_file.clone(),
        }
    }
}

/// `riskmap serve` options. The first admin's password comes from the
/// environment variable `RISKMAP_ADMIN_PASSWORD` (never a flag, so it stays
/// out of process listings); without it one is generated and printed.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address of the HTTP and WebSocket listener.
    #[arg(long, env = "RISKMAP_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Directory of the embedded SQLite store (created on first run).
    #[arg(long, env = "RISKMAP_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// Use PostgreSQL + PostGIS at this URL instead of SQLite. A password in
    /// it is visible in the process list when given as a flag: prefer the
    /// environment variable or --database-url-file.
    #[arg(long, env = "RISKMAP_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A file holding the PostgreSQL URL (readable by the server's user
    /// only), instead of --database-url.
    #[arg(
        long,
        env = "RISKMAP_DATABASE_URL_FILE",
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<PathBuf>,
    /// Run as a node of a cluster: the NATS server(s) whose JetStream
    /// carries every committed change between the nodes (e.g.
    /// `nats://127.0.0.1:4222`; several, comma-separated). Needs PostgreSQL
    /// (--database-url), the store every node shares.
    #[arg(long, env = "RISKMAP_CLUSTER")]
    pub cluster: Option<String>,
    /// This node's name in the cluster (metrics, logs, the lease); default:
    /// the host name and the listener's port.
    #[arg(long, env = "RISKMAP_NODE_ID", requires = "cluster")]
    pub node_id: Option<String>,
    /// Copies JetStream keeps of the cluster's log (1, or 3 with three NATS
    /// servers); used when the stream is first created.
    #[arg(
        long,
        env = "RISKMAP_CLUSTER_REPLICAS",
        default_value_t = 1,
        requires = "cluster"
    )]
    pub cluster_replicas: usize,
    /// On an empty store, load the demo city and create demo logins; always
    /// run the simulator that moves the demo staff.
    #[arg(long, env = "RISKMAP_DEMO")]
    pub demo: bool,
    /// Where the demo city is (`geodata demo --out DIR` writes it).
    #[arg(long, env = "RISKMAP_DEMO_CITY", default_value = DEFAULT_DEMO_CITY)]
    pub demo_city: PathBuf,
    /// In demo mode, do not run the simulator (the staff stand still).
    #[arg(long, env = "RISKMAP_NO_SIMULATOR")]
    pub no_simulator: bool,
    /// Seconds between a simulated staff member's fixes.
    #[arg(long, env = "RISKMAP_SIM_INTERVAL_S", default_value_t = DEFAULT_SIM_INTERVAL_S)]
    pub sim_interval_s: u64,
    /// A second listener serving the OsmAnd protocol at its root path (as
    /// Traccar Client expects, e.g. 0.0.0.0:5055).
    #[arg(long, env = "RISKMAP_OSMAND_LISTEN")]
    pub osmand_listen: Option<SocketAddr>,
    /// Directory of the built web client, served at `/`.
    #[arg(long, env = "RISKMAP_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// H3 resolution of the point → grid cells.
    #[arg(long, env = "RISKMAP_H3_RESOLUTION", default_value_t = DEFAULT_H3_RESOLUTION)]
    pub h3_resolution: u8,
    /// Coalescing tick of the live push, milliseconds.
    #[arg(long, env = "RISKMAP_TICK_MS", default_value_t = DEFAULT_TICK_MS)]
    pub tick_ms: u64,
    /// Days of track history to keep.
    #[arg(long, env = "RISKMAP_TRACK_RETENTION_DAYS", default_value_t = DEFAULT_TRACK_RETENTION_DAYS)]
    pub track_retention_days: u32,
    /// Hours a login token lives.
    #[arg(long, env = "RISKMAP_TOKEN_TTL_HOURS", default_value_t = DEFAULT_TOKEN_TTL_HOURS)]
    pub token_ttl_hours: u64,
    /// Largest HTTP request body, bytes.
    #[arg(long, env = "RISKMAP_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Largest layer import (`POST /ogc/collections/{id}/items`), bytes.
    #[arg(long, env = "RISKMAP_MAX_IMPORT_BYTES", default_value_t = DEFAULT_MAX_IMPORT_BYTES)]
    pub max_import_bytes: usize,
    /// Largest WebSocket message, bytes.
    #[arg(long, env = "RISKMAP_MAX_MESSAGE_BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,
    /// WebSocket messages a connection may send per second.
    #[arg(long, env = "RISKMAP_WS_MESSAGES_PER_SECOND", default_value_t = DEFAULT_WS_MESSAGES_PER_SECOND)]
    pub ws_messages_per_second: u32,
    /// Messages queued for one viewer before it counts as behind.
    #[arg(long, env = "RISKMAP_VIEWER_QUEUE", default_value_t = DEFAULT_VIEWER_QUEUE)]
    pub viewer_queue: usize,
    /// Seconds a viewer may stay behind before it is closed; also how long
    /// a WebSocket may stay silent (no message, no answer to pings), and how
    /// long one message may wait for a peer to read it.
    #[arg(long, env = "RISKMAP_SLOW_VIEWER_CLOSE_S", default_value_t = DEFAULT_SLOW_VIEWER_CLOSE_S)]
    pub slow_viewer_close_s: u64,
    /// Incident categories, time limits, priorities, work calendar and
    /// duplicate rule, as JSON (default: the shipped dictionary; see
    /// docs/protocol.md, "Categories and time limits").
    #[arg(long, env = "RISKMAP_INCIDENT_CONFIG")]
    pub incident_config: Option<PathBuf>,
    /// The patrol rules (巡查规则) as JSON: how often each grid is to be
    /// visited, how much of it walked, by what time (default: once a day,
    /// half its cells, by 10:00; see docs/protocol.md, "Patrol coverage").
    #[arg(long, env = "RISKMAP_PATROL_CONFIG")]
    pub patrol_config: Option<PathBuf>,
    /// How near a key place a worker's phone must be for a scan of its
    /// venue code (场所码) to count, metres (to the place's edge).
    #[arg(long, env = "RISKMAP_VENUE_SCAN_RADIUS_M", default_value_t = DEFAULT_VENUE_SCAN_RADIUS_M)]
    pub venue_scan_radius_m: f64,
    /// Seconds between checks of the patrol rules' exceptions, raised as
    /// alerts: a grid not visited by its rule's time while its worker is on
    /// duty (未按时入格), a key place past its inspection rhythm (逾期未检);
    /// 0 turns them off.
    #[arg(long, env = "RISKMAP_PATROL_ALERT_CHECK_S", default_value_t = DEFAULT_PATROL_ALERT_CHECK_S)]
    pub patrol_alert_check_s: u64,
    /// Seconds between probes of every camera's `stream_url` (an HTTP
    /// `GET` of an HLS playlist; a TCP connection for https, rtsp, rtmp),
    /// which keep each camera's `online` flag live; 0 turns probing off.
    #[arg(long, env = "RISKMAP_CAMERA_PROBE_S", default_value_t = DEFAULT_CAMERA_PROBE_S)]
    pub camera_probe_s: u64,
    /// Seconds between the clock's checks for incidents red long enough to
    /// move up one level (超时自动上报; the hours are in the incident
    /// config's `escalation`); 0 turns it off.
    #[arg(long, env = "RISKMAP_ESCALATION_CHECK_S", default_value_t = DEFAULT_ESCALATION_CHECK_S)]
    pub escalation_check_s: u64,
    /// Milliseconds one camera's probe may take before it counts as offline.
    #[arg(long, env = "RISKMAP_CAMERA_PROBE_TIMEOUT_MS", default_value_t = DEFAULT_CAMERA_PROBE_TIMEOUT_MS)]
    pub camera_probe_timeout_ms: u64,
    /// The risk model's weights and level thresholds (风险等级研判), as JSON
    /// naming only what it changes (default: the documented weights; see
    /// docs/protocol.md, "Grid risk").
    #[arg(long, env = "RISKMAP_RISK_CONFIG")]
    pub risk_config: Option<PathBuf>,
    /// Leading zero bits the citizen page's proof of work asks (人机验证:
    /// about 65,000 hashes at 16, a fraction of a second on a phone); 0 for
    /// none.
    #[arg(long, env = "RISKMAP_CITIZEN_PROOF_BITS", default_value_t = 16)]
    pub citizen_proof_bits: u8,
    /// Citizen reports one client address may send an hour (and photos,
    /// three times that); 0 for no limit.
    #[arg(long, env = "RISKMAP_CITIZEN_REPORTS_PER_HOUR", default_value_t = 20)]
    pub citizen_reports_per_hour: u32,
    /// Citizen reports one phone number may send an hour; 0 for no limit.
    #[arg(
        long,
        env = "RISKMAP_CITIZEN_REPORTS_PER_PHONE_HOUR",
        default_value_t = 5
    )]
    pub citizen_reports_per_phone_hour: u32,
    /// Minutes within which a camera's repeated alarm of the same kind is
    /// counted on the open incident it repeats.
    #[arg(long, env = "RISKMAP_ALARM_MERGE_MINUTES", default_value_t = 30)]
    pub alarm_merge_minutes: u32,
    /// Requests per second one bearer token may make (sustained; bursts of
    /// twice that); 0 for no limit.
    #[arg(long, env = "RISKMAP_REQUESTS_PER_SECOND", default_value_t = DEFAULT_REQUESTS_PER_SECOND)]
    pub requests_per_second: u32,
    /// Failed logins per username within 15 minutes before it must wait.
    #[arg(long, env = "RISKMAP_LOGIN_FAILURES_PER_USER", default_value_t = DEFAULT_LOGIN_FAILURES_PER_USER)]
    pub login_failures_per_user: usize,
    /// Failed logins per client address within 15 minutes before it must wait.
    #[arg(long, env = "RISKMAP_LOGIN_FAILURES_PER_ADDRESS", default_value_t = DEFAULT_LOGIN_FAILURES_PER_ADDRESS)]
    pub login_failures_per_address: usize,
    /// Open WebSocket connections at most.
    #[arg(long, env = "RISKMAP_MAX_WS_CONNECTIONS", default_value_t = DEFAULT_MAX_WS_CONNECTIONS)]
    pub max_ws_connections: usize,
    /// Open WebSocket connections one user may hold.
    #[arg(long, env = "RISKMAP_MAX_WS_PER_USER", default_value_t = DEFAULT_MAX_WS_PER_USER)]
    pub max_ws_per_user: usize,
    /// Seconds between pings on a WebSocket (keeps NAT mappings open and
    /// finds peers that went away without a word).
    #[arg(long, env = "RISKMAP_WS_PING_S", default_value_t = DEFAULT_WS_PING_S)]
    pub ws_ping_s: u64,
    /// Seconds a client may take to send a request's headers; also how long
    /// a keep-alive connection may sit idle between requests.
    #[arg(long, env = "RISKMAP_HEADER_READ_TIMEOUT_S", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_S)]
    pub header_read_timeout_s: u64,
    /// HTTP requests in flight at most; beyond it, 503 at once.
    #[arg(long, env = "RISKMAP_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,
    /// Vertices of one imported polygon at most.
    #[arg(long, env = "RISKMAP_MAX_POLYGON_VERTICES", default_value_t = DEFAULT_MAX_POLYGON_VERTICES)]
    pub max_polygon_vertices: usize,
    /// Seconds without a fix after which a staff member counts as offline:
    /// shown so, and left out of dispatch unless it asks for them
    /// (`include_stale=true`).
    #[arg(long, env = "RISKMAP_STALE_AFTER_S", default_value_t = DEFAULT_STALE_AFTER_S)]
    pub stale_after_s: u64,
    /// Minutes a worker on duty may stay out of their own grid before a
    /// `left_grid` alert (脱岗) is raised; 0 turns the rule off.
    #[arg(long, env = "RISKMAP_ALERT_LEFT_GRID_MIN", default_value_t = DEFAULT_ALERT_LEFT_GRID_MIN)]
    pub alert_left_grid_min: u64,
    /// Minutes a worker on duty may stay within --alert-motionless-radius-m
    /// of one spot before a `motionless` alert (静止, a possible fall); 0
    /// turns the rule off.
    #[arg(long, env = "RISKMAP_ALERT_MOTIONLESS_MIN", default_value_t = DEFAULT_ALERT_MOTIONLESS_MIN)]
    pub alert_motionless_min: u64,
    /// How far, metres, a worker may drift (GPS noise, a few steps) and
    /// still count as not moving.
    #[arg(long, env = "RISKMAP_ALERT_MOTIONLESS_RADIUS_M", default_value_t = DEFAULT_ALERT_MOTIONLESS_RADIUS_M)]
    pub alert_motionless_radius_m: f64,
    /// Metres around a high-level risk source within which a worker on
    /// duty raises a `risk_zone` alert (进入风险源缓冲区), e.g. 100; 0 (the
    /// default) turns the rule off.
    #[arg(long, env = "RISKMAP_RISK_BUFFER_M", default_value_t = DEFAULT_RISK_BUFFER_M)]
    pub risk_buffer_m: f64,
    /// The risk sources buffered: those of this level (1 重大, 2 较大,
    /// 3 一般, 4 低) or higher. Only 重大 by default: a worker walks past
    /// many 较大 sources (filling stations …) in a day.
    #[arg(long, env = "RISKMAP_RISK_BUFFER_LEVEL", default_value_t = DEFAULT_RISK_BUFFER_LEVEL,
          value_parser = clap::value_parser!(u8).range(1..=4))]
    pub risk_buffer_level: u8,
    /// A browser origin allowed to call the API (CORS), e.g.
    /// `https://screen.example.gov.cn`; repeat for more. None: same origin only.
    #[arg(long, env = "RISKMAP_CORS_ORIGIN", value_delimiter = ',')]
    pub cors_origin: Vec<String>,
    /// A reverse proxy (address or range, e.g. `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client; repeat for more. None: the TCP
    /// peer is the client and `X-Forwarded-For` is ignored.
    #[arg(long, env = "RISKMAP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<String>,
    /// The address clients and field phones reach this server by, e.g.
    /// `https://map.wenzhou.gov.cn/riskmap`: the root of the links the
    /// server writes (OGC API links, the link a printed 场所码 carries).
    /// None: as each request reached the server (its `Host`; behind a
    /// --trusted-proxy, the proxy's `X-Forwarded-Proto`/`-Host`/`-Prefix`).
    #[arg(long, env = "RISKMAP_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// PEM certificate chain: serve HTTPS and WSS on --listen (with --tls-key).
    #[arg(long, env = "RISKMAP_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "RISKMAP_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between incidents the demo simulator raises (0: none).
    #[arg(long, env = "RISKMAP_SIM_INCIDENT_EVERY_S", default_value_t = DEFAULT_SIM_INCIDENT_EVERY_S)]
    pub sim_incident_every_s: u64,
}

impl ServeArgs {
    /// Defaults, as if run with no flags (for tests and embedding).
    #[must_use]
    pub fn defaults() -> Self {
        match Cli::try_parse_from(["riskmap", "serve"]) {
            Ok(Cli {
                command: Command::Serve(args),
            }) => *args,
            // The parse above has no user input: it cannot fail.
            _ => unreachable!("default serve arguments parse"),
        }
    }
}
