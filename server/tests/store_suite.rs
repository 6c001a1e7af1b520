//! The store test suite: one body per behaviour, run against SQLite (always,
//! in a temporary directory) and against PostGIS when
//! `RISKMAP_TEST_DATABASE_URL` is set (each test in a database of its own,
//! created for it and dropped after it). Without the variable the PostGIS
//! variants print "skipped: `RISKMAP_TEST_DATABASE_URL` not set" and pass;
//! `scripts/with-postgres.sh` provides one.
//!
//! The SQLite store runs its track compactor eagerly here ([`EAGER`]), so
//! that every track behaviour is checked while fixes move from the log into
//! chunks underneath it; `sqlite_tracks.rs` checks the two forms one by one.
//!
//! `RISKMAP_TEST_CITY_DIR` (optional) points `demo_sized_city` at a real city
//! directory (e.g. the demo city of Wenzhou) instead of a synthetic one of the
//! same size.
#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::missing_panics_doc
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use riskmap::connector::{CallbackState, IntakeSource, SourceKind};
use riskmap::identity::{AccountChanges, NewUser, UserRole};
use riskmap::incident::channel::{ExternalRef, Intake};
use riskmap::incident::model::{
    Action, Chain, Detail, Incident, LogEntry, PendingExtension, Priority, Source, State,
    StepLimits, Supervision,
};
use riskmap::org::Department;
use riskmap::store::intake::AttachmentRow;
use riskmap::store::outbox::Outgoing;
use riskmap::store::postgis::PostgisStore;
use riskmap::store::sqlite::tracks::Compaction;
use riskmap::store::sqlite::{DB_FILE, SqliteStore};
use riskmap::store::{
    AuditEntry, LayerData, LayerKind, LogRange, Session, Store, StoreError, TrackPoint, WriteMode,
};
use riskmap_engine::City;
use riskmap_engine::model::{
    Area, AreaLevel, Camera, DutyStatus, Fix, Footprint, KeyPlace, RiskLevel, RiskSource, Role,
    Skill, Staff,
};
use riskmap_engine::sphere::LonLat;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgPool, SqlitePool};
use tempfile::TempDir;

// ---------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------

/// A compaction pass for every 1,000 fixes and every 20 ms: the tests'
/// batches span many passes, and their reads race the compactor.
const EAGER: Compaction = Compaction {
    rows: 1_000,
    every: Duration::from_millis(20),
};

/// A store under test, plus a raw connection to the same database for
/// looking under the hood (and for breaking rows on purpose).
struct Backend {
    store: Arc<dyn Store>,
    raw: Raw,
    place: Place,
}

enum Raw {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// Where the database lives; dropping it removes the database.
enum Place {
    Sqlite(TempDir),
    Pg(PgDatabase),
}

impl Backend {
    async fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with(&dir.path().join("nested/data"), EAGER)
            .await
            .unwrap();
        let raw = SqlitePool::connect(&format!(
            "sqlite://{}",
            dir.path().join("nested/data").join(DB_FILE).display()
        ))
        .await
        .unwrap();
        Backend {
            store: Arc::new(store),
            raw: Raw::Sqlite(raw),
            place: Place::Sqlite(dir),
        }
    }

    async fn postgis() -> Option<Backend> {
        let db = PgDatabase::create().await?;
        let store = PostgisStore::connect(&db.url).await.unwrap();
        let raw = PgPoolOptions::new()
            .max_connections(2)
            .connect(&db.url)
            .await
            .unwrap();
        Some(Backend {
            store: Arc::new(store),
            raw: Raw::Pg(raw),
            place: Place::Pg(db),
        })
    }

    /// A second store on the same database, as after a restart (and a
    /// second run of the migrations, which must be a no-op).
    async fn reopen(&self) -> Arc<dyn Store> {
        match &self.place {
            Place::Sqlite(dir) => Arc::new(
                SqliteStore::open_with(&dir.path().join("nested/data"), EAGER)
                    .await
                    .unwrap(),
            ),
            Place::Pg(db) => Arc::new(PostgisStore::connect(&db.url).await.unwrap()),
        }
    }

    fn kind(&self) -> &'static str {
        self.store.kind()
    }

    /// Runs a statement on the raw connection; returns the rows it changed.
    async fn exec(&self, sql: &str) -> u64 {
        match &self.raw {
            Raw::Sqlite(p) => p.execute(sql).await.unwrap().rows_affected(),
            Raw::Pg(p) => p.execute(sql).await.unwrap().rows_affected(),
        }
    }

    /// The first column of every row of a query, as text.
    async fn texts(&self, sql: &str) -> Vec<String> {
        match &self.raw {
            Raw::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
            Raw::Pg(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
        }
    }
}

/// A fresh PostGIS database for one test, dropped when the test ends (also
/// when it fails).
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> Option<PgDatabase> {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("RISKMAP_TEST_DATABASE_URL").ok()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "riskmap_test_{}_{}_{nanos}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = with_database(&admin_url, &name);
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on a
        // future: a thread with a runtime of its own drops the database.
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&url).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// `url` with its database replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority..].find('/') {
        Some(i) => &base[..authority + i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// Every behaviour, as a test per backend.
macro_rules! suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let backend = super::Backend::sqlite().await;
                    super::$test(&backend).await;
                }
            )*
        }
        mod postgis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(backend) = super::Backend::postgis().await else {
                        println!("skipped: RISKMAP_TEST_DATABASE_URL not set");
                        return;
                    };
                    super::$test(&backend).await;
                }
            )*
        }
    };
}

suite!(
    layers_round_trip,
    write_layer_replace_and_merge,
    failed_writes_change_nothing,
    invalid_geometry_is_refused,
    append_fixes_in_bulk,
    last_fix_only_moves_forward,
    prune_tracks,
    users,
    sessions,
    settings,
    index_images,
    corrupt_rows_are_named,
    reopen_keeps_everything,
    concurrent_writes_and_reads,
    demo_sized_city,
    incidents_round_trip,
    departments_round_trip,
    intake_round_trip,
    inspections_round_trip,
    fences_and_roster_round_trip,
    audit_by_area,
    outbox_keeps_records_with_their_writes,
);

// ---------------------------------------------------------------------------
// The test city
// ---------------------------------------------------------------------------

/// Coordinates with every bit of a double in use, so that a lossy round trip
/// shows.
const LON0: f64 = 120.654_321_098_765_43;
const LAT0: f64 = 28.012_345_678_901_234;
const T0: i64 = 1_767_225_600_000;

fn ring(x0: f64, y0: f64, w: f64, h: f64) -> LineString<f64> {
    LineString::from(vec![
        (x0, y0),
        (x0 + w, y0),
        (x0 + w, y0 + h),
        (x0, y0 + h),
        (x0, y0),
    ])
}

fn rect(x0: f64, y0: f64, w: f64, h: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(ring(x0, y0, w, h), vec![])])
}

fn area(
    code: &str,
    name: &str,
    level: AreaLevel,
    parent: Option<&str>,
    geometry: MultiPolygon<f64>,
) -> Area {
    Area {
        code: code.into(),
        name: name.into(),
        level,
        parent: parent.map(Into::into),
        geometry,
    }
}

fn fix(lon: f64, lat: f64, t: i64) -> Fix {
    Fix {
        server_time_ms: t + 250,
        ..Fix::at(LonLat::new(lon, lat).unwrap(), t)
    }
}

fn full_fix(lon: f64, lat: f64, t: i64) -> Fix {
    Fix {
        accuracy_m: Some(4.5),
        speed_mps: Some(1.25),
        heading_deg: Some(271.75),
        altitude_m: Some(-3.5),
        battery_pct: Some(87.0),
        ..fix(lon, lat, t)
    }
}

fn staff(id: &str, role: Role, grid: &str, last_fix: Option<Fix>) -> Staff {
    Staff {
        id: id.into(),
        name: format!("员工{id}"),
        role,
        skills: vec![],
        home_grid: grid.into(),
        duty: DutyStatus::Off,
        devices: vec![],
        last_fix,
    }
}

fn camera(id: &str, lon: f64, lat: f64) -> Camera {
    Camera {
        id: id.into(),
        name: format!("摄像头{id}"),
        heading_deg: Some(45.5),
        fov_deg: Some(90.0),
        range_m: 120.0,
        stream_url: Some(format!("rtsp://cam.example/{id}")),
        online: true,
        owner: "公安".into(),
        location: LonLat::new(lon, lat).unwrap(),
    }
}

const GRID_A: &str = "330302001001001";
const GRID_B: &str = "330302001001002";

/// 1 city, 1 district, 1 street, 1 community, 2 grids; staff with and
/// without a last fix; cameras with and without a heading; risk sources and
/// key places as points, polygons (one with a hole) and a two-part
/// multipolygon. Listed out of order on purpose.
fn small_city() -> City {
    let d = 0.01;
    let areas = vec![
        area(
            GRID_B,
            "二号网格",
            AreaLevel::Grid,
            Some("330302001001"),
            rect(LON0 + d, LAT0, d, d),
        ),
        area(
            GRID_A,
            "一号网格",
            AreaLevel::Grid,
            Some("330302001001"),
            rect(LON0, LAT0, d, d),
        ),
        area(
            "330300",
            "温州市",
            AreaLevel::City,
            None,
            rect(LON0, LAT0, 2.0 * d, d),
        ),
        area(
            "330302001001",
            "社区",
            AreaLevel::Community,
            Some("330302001"),
            rect(LON0, LAT0, 2.0 * d, d),
        ),
        area(
            "330302",
            "鹿城区",
            AreaLevel::District,
            Some("330300"),
            rect(LON0, LAT0, 2.0 * d, d),
        ),
        area(
            "330302001",
            "五马街道",
            AreaLevel::Street,
            Some("330302"),
            rect(LON0, LAT0, 2.0 * d, d),
        ),
    ];
    let mut s1 = staff(
        "S000003",
        Role::GridWorker,
        GRID_A,
        Some(full_fix(LON0 + 0.001, LAT0 + 0.002, T0)),
    );
    s1.skills = vec![Skill::Mediation, Skill::FirstAid, Skill::FloodControl];
    s1.devices = vec!["dev-3".into(), "imei-8613".into()];
    s1.duty = DutyStatus::Available;
    let mut s2 = staff("S000001", Role::UrbanManagement, GRID_B, None);
    s2.duty = DutyStatus::Sos;
    let mut s3 = staff(
        "S000002",
        Role::Volunteer,
        GRID_B,
        Some(fix(LON0 + 0.015, LAT0 + 0.005, T0 - 60_000)),
    );
    s3.devices = vec!["dev-2".into()];
    s3.last_fix.as_mut().unwrap().battery_pct = Some(12.5);
    let staff = vec![s1, s2, s3];
    let mut dome = camera("C2", LON0 + 0.003, LAT0 + 0.004);
    dome.heading_deg = None;
    dome.fov_deg = None;
    dome.stream_url = None;
    dome.online = false;
    dome.owner = String::new();
    let cameras = vec![dome, camera("C1", LON0 + 0.0123, LAT0 + 0.0045)];
    let holed = MultiPolygon::new(vec![Polygon::new(
        ring(LON0 + 0.001, LAT0 + 0.001, 0.004, 0.004),
        vec![ring(LON0 + 0.002, LAT0 + 0.002, 0.001, 0.001)],
    )]);
    let risk_sources = vec![
        RiskSource {
            id: "R2".into(),
            name: "化工厂".into(),
            category: "危化品企业".into(),
            level: RiskLevel::Low,
            footprint: Footprint::Area(holed),
        },
        RiskSource {
            id: "R1".into(),
            name: "滑坡隐患点".into(),
            category: "地质灾害隐患点".into(),
            level: RiskLevel::Major,
            footprint: Footprint::Point(Point::new(LON0 + 0.007, LAT0 + 0.008)),
        },
    ];
    let two_parts = MultiPolygon::new(vec![
        Polygon::new(ring(LON0 + 0.011, LAT0 + 0.001, 0.001, 0.002), vec![]),
        Polygon::new(ring(LON0 + 0.013, LAT0 + 0.001, 0.002, 0.001), vec![]),
    ]);
    let key_places = vec![
        KeyPlace {
            id: "K2".into(),
            name: "实验小学".into(),
            category: "学校".into(),
            footprint: Footprint::Area(two_parts),
        },
        KeyPlace {
            id: "K1".into(),
            name: "人民医院".into(),
            category: "医院".into(),
            footprint: Footprint::Point(Point::new(LON0 + 0.002, LAT0 + 0.009)),
        },
        // Far from Wenzhou, with doubles that need many decimals: the
        // round trip must be bit-exact on every backend.
        KeyPlace {
            id: "K3".into(),
            name: "灯塔".into(),
            category: "其他".into(),
            footprint: Footprint::Point(Point::new(
                5.123_456_789_012_345,
                -0.000_123_456_789_012_345_67,
            )),
        },
    ];
    City {
        areas,
        staff,
        cameras,
        risk_sources,
        key_places,
    }
}

/// A city as `load_city` returns it: areas by level then code, everything
/// else by id.
fn sorted(mut city: City) -> City {
    city.areas
        .sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code)));
    city.staff.sort_by(|a, b| a.id.cmp(&b.id));
    city.cameras.sort_by(|a, b| a.id.cmp(&b.id));
    city.risk_sources.sort_by(|a, b| a.id.cmp(&b.id));
    city.key_places.sort_by(|a, b| a.id.cmp(&b.id));
    city
}

fn clone_city(c: &City) -> City {
    City {
        areas: c.areas.clone(),
        staff: c.staff.clone(),
        cameras: c.cameras.clone(),
        risk_sources: c.risk_sources.clone(),
        key_places: c.key_places.clone(),
    }
}

/// Compares two cities layer by layer, naming the first difference (a
/// whole-city `assert_eq!` would print thousands of lines).
fn assert_same_city(got: &City, want: &City) {
    fn layer<T: PartialEq + std::fmt::Debug>(what: &str, got: &[T], want: &[T]) {
        assert_eq!(got.len(), want.len(), "{what}: count");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g, w, "{what}[{i}]");
        }
    }
    layer("areas", &got.areas, &want.areas);
    layer("staff", &got.staff, &want.staff);
    layer("cameras", &got.cameras, &want.cameras);
    layer("risk_sources", &got.risk_sources, &want.risk_sources);
    layer("key_places", &got.key_places, &want.key_places);
}

fn points(fixes: &[(String, Fix)]) -> Vec<TrackPoint<'_>> {
    fixes
        .iter()
        .map(|(id, fix)| TrackPoint {
            staff_id: id,
            fix: *fix,
        })
        .collect()
}

fn new_user(username: &str, role: UserRole) -> NewUser {
    NewUser {
        username: username.into(),
        display_name: format!("用户 {username}"),
        role,
        area: "330302".into(),
        staff_id: None,
        department: None,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        must_change_password: false,
    }
}

// ---------------------------------------------------------------------------
// The behaviours
// ---------------------------------------------------------------------------

async fn layers_round_trip(b: &Backend) {
    let store = &b.store;
    assert!(store.is_empty().await.unwrap());
    assert_same_city(&store.load_city().await.unwrap(), &City::default());

    let city = small_city();
    store.import_city(&city).await.unwrap();
    assert!(!store.is_empty().await.unwrap());
    assert_same_city(
        &store.load_city().await.unwrap(),
        &sorted(clone_city(&city)),
    );

    // Enums are stored as serde names, not numbers or labels.
    assert_eq!(
        b.texts("SELECT role FROM staff WHERE id = 'S000003'").await,
        ["grid_worker"]
    );
    assert_eq!(
        b.texts("SELECT duty FROM staff WHERE id = 'S000001'").await,
        ["sos"]
    );
    assert_eq!(
        b.texts("SELECT level FROM areas WHERE code = '330302001'")
            .await,
        ["street"]
    );
    if let Raw::Pg(p) = &b.raw {
        // Real geometry for GIS tools, including the generated points.
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT GeometryType(geom) FROM areas UNION ALL SELECT GeometryType(geom) FROM cameras \
             UNION ALL SELECT GeometryType(geom) FROM staff WHERE geom IS NOT NULL \
             UNION ALL SELECT GeometryType(geom) || ST_SRID(geom) FROM risk_sources ORDER BY 1",
        )
        .fetch_all(p)
        .await
        .unwrap();
        assert_eq!(kinds.iter().filter(|k| *k == "MULTIPOLYGON").count(), 6);
        assert_eq!(kinds.iter().filter(|k| *k == "POINT").count(), 4);
        assert!(
            kinds.contains(&"POINT4326".to_owned())
                && kinds.contains(&"MULTIPOLYGON4326".to_owned())
        );
        let inside: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM cameras WHERE ST_Intersects(geom, ST_MakeEnvelope({}, {}, {}, {}, 4326))",
            LON0,
            LAT0,
            LON0 + 0.01,
            LAT0 + 0.01
        ))
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!(inside, 1);
    }

    // A second import replaces every layer, including with nothing.
    let smaller = City {
        areas: vec![area(
            "110000",
            "北京市",
            AreaLevel::City,
            None,
            rect(116.3, 39.9, 0.1, 0.1),
        )],
        ..City::default()
    };
    store.import_city(&smaller).await.unwrap();
    assert_same_city(&store.load_city().await.unwrap(), &smaller);
}

async fn write_layer_replace_and_merge(b: &Backend) {
    let store = &b.store;
    let city = small_city();
    store.import_city(&city).await.unwrap();
    let mut want = sorted(clone_city(&city));

    // Replace: the layer becomes exactly the import; other layers stay.
    let c3 = camera("C3", LON0 + 0.005, LAT0 + 0.005);
    store
        .write_layer(&LayerData::Cameras(vec![c3.clone()]), WriteMode::Replace)
        .await
        .unwrap();
    want.cameras = vec![c3.clone()];
    assert_same_city(&store.load_city().await.unwrap(), &want);

    // Merge: same id replaced, new id added, the rest untouched.
    let mut c3b = c3.clone();
    c3b.online = false;
    c3b.heading_deg = None;
    c3b.location = LonLat::new(LON0 + 0.006, LAT0 + 0.001).unwrap();
    let c4 = camera("C4", LON0 + 0.007, LAT0 + 0.002);
    let c0 = camera("C0", LON0 + 0.008, LAT0 + 0.003);
    store
        .write_layer(
            &LayerData::Cameras(vec![c4.clone(), c3b.clone()]),
            WriteMode::Merge,
        )
        .await
        .unwrap();
    store
        .write_layer(&LayerData::Cameras(vec![c0.clone()]), WriteMode::Merge)
        .await
        .unwrap();
    want.cameras = vec![c0, c3b, c4];
    assert_same_city(&store.load_city().await.unwrap(), &want);

    // A merged staff record replaces the stored one whole, last fix
    // included (as the engine's upsert does).
    let mut s3 = city.staff[0].clone();
    assert_eq!(s3.id, "S000003");
    s3.last_fix = None;
    s3.skills = vec![Skill::Hazmat];
    s3.name = "改名".into();
    let s9 = staff(
        "S000009",
        Role::Police,
        GRID_A,
        Some(fix(LON0, LAT0, T0 + 5)),
    );
    store
        .write_layer(
            &LayerData::Staff(vec![s9.clone(), s3.clone()]),
            WriteMode::Merge,
        )
        .await
        .unwrap();
    want.staff[2] = s3;
    want.staff.push(s9);
    assert_same_city(&store.load_city().await.unwrap(), &want);

    // Areas, risk sources and key places, both ways.
    let mut grid = want.areas[4].clone();
    assert_eq!(grid.code, GRID_A);
    grid.name = "新一号网格".into();
    grid.geometry = rect(LON0, LAT0, 0.009, 0.0095);
    store
        .write_layer(&LayerData::Areas(vec![grid.clone()]), WriteMode::Merge)
        .await
        .unwrap();
    want.areas[4] = grid;
    let mut r1 = want.risk_sources[0].clone();
    r1.footprint = Footprint::Area(rect(LON0, LAT0, 0.001, 0.001));
    r1.level = RiskLevel::Significant;
    store
        .write_layer(&LayerData::RiskSources(vec![r1.clone()]), WriteMode::Merge)
        .await
        .unwrap();
    want.risk_sources[0] = r1;
    store
        .write_layer(&LayerData::KeyPlaces(vec![]), WriteMode::Replace)
        .await
        .unwrap();
    want.key_places.clear();
    assert_same_city(&store.load_city().await.unwrap(), &want);

    // Replacing the areas leaves the other layers alone.
    let only = vec![area(
        "330300",
        "温州市",
        AreaLevel::City,
        None,
        rect(LON0, LAT0, 0.02, 0.01),
    )];
    store
        .write_layer(&LayerData::Areas(only.clone()), WriteMode::Replace)
        .await
        .unwrap();
    want.areas = only;
    assert_same_city(&store.load_city().await.unwrap(), &want);
}

async fn failed_writes_change_nothing(b: &Backend) {
    let store = &b.store;
    let city = small_city();
    store.import_city(&city).await.unwrap();
    let before = store.load_city().await.unwrap();

    // Big enough for several INSERT chunks on both backends; the duplicate
    // comes last, after earlier chunks went in.
    let mut cameras: Vec<Camera> = (0..12_000)
        .map(|i| camera(&format!("X{i:05}"), LON0 + f64::from(i) * 1e-6, LAT0))
        .collect();
    cameras.push(camera("X00007", LON0, LAT0));
    for mode in [WriteMode::Replace, WriteMode::Merge] {
        let err = store
            .write_layer(&LayerData::Cameras(cameras.clone()), mode)
            .await
            .unwrap_err();
        match err {
            StoreError::Conflict(m) => assert!(m.contains("X00007"), "{m}"),
            other => panic!("{mode:?}: expected a conflict, got {other:?}"),
        }
        assert_same_city(&store.load_city().await.unwrap(), &before);
    }

    // A merge whose duplicate is an id already stored, for every layer.
    let s = city.staff[1].clone();
    let err = store
        .write_layer(&LayerData::Staff(vec![s.clone(), s]), WriteMode::Merge)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let a = city.areas[0].clone();
    let err = store
        .write_layer(&LayerData::Areas(vec![a.clone(), a]), WriteMode::Replace)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let r = city.risk_sources[0].clone();
    let err = store
        .write_layer(
            &LayerData::RiskSources(vec![r.clone(), r]),
            WriteMode::Merge,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let k = city.key_places[0].clone();
    let err = store
        .write_layer(
            &LayerData::KeyPlaces(vec![k.clone(), k]),
            WriteMode::Replace,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_same_city(&store.load_city().await.unwrap(), &before);

    // An import is one transaction: a bad last layer undoes the first ones.
    let mut bad = City {
        areas: vec![area(
            "110000",
            "北京市",
            AreaLevel::City,
            None,
            rect(116.3, 39.9, 0.1, 0.1),
        )],
        cameras: vec![camera("Y1", 116.31, 39.91)],
        key_places: city.key_places.clone(),
        ..City::default()
    };
    bad.key_places.push(city.key_places[1].clone());
    let err = store.import_city(&bad).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_same_city(&store.load_city().await.unwrap(), &before);
}

async fn invalid_geometry_is_refused(b: &Backend) {
    // What the loader would refuse never gets in: a row that cannot be
    // loaded would keep the server from starting.
    let store = &b.store;
    let city = small_city();
    store.import_city(&city).await.unwrap();
    let before = store.load_city().await.unwrap();

    let mut open = city.areas[0].clone();
    open.geometry = MultiPolygon::new(vec![]);
    let err = store
        .write_layer(&LayerData::Areas(vec![open]), WriteMode::Merge)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains(GRID_B)),
        "{err:?}"
    );

    let mut nan = city.cameras[0].clone();
    nan.location = LonLat {
        lon: f64::NAN,
        lat: 28.0,
    };
    let err = store
        .write_layer(&LayerData::Cameras(vec![nan]), WriteMode::Merge)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("C2")),
        "{err:?}"
    );

    let mut far = city.staff[0].clone();
    far.last_fix.as_mut().unwrap().position = LonLat {
        lon: 200.0,
        lat: 28.0,
    };
    let err = store
        .write_layer(&LayerData::Staff(vec![far]), WriteMode::Replace)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("S000003")),
        "{err:?}"
    );

    let bad_fix = [(
        "S000001".to_owned(),
        Fix {
            position: LonLat {
                lon: 120.0,
                lat: f64::INFINITY,
            },
            ..fix(120.0, 28.0, T0)
        },
    )];
    let err = store.append_fixes(&points(&bad_fix)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains("S000001")),
        "{err:?}"
    );
    assert!(
        store
            .track("S000001", 0, i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_same_city(&store.load_city().await.unwrap(), &before);
}

async fn append_fixes_in_bulk(b: &Backend) {
    let store = &b.store;
    let city = small_city();
    store.import_city(&city).await.unwrap();

    // 10,000 fixes of three staff members and someone not on the roster,
    // interleaved, each member's times increasing by one second; not in
    // time order within the batch.
    let ids = ["S000001", "S000002", "S000003", "ghost"];
    let base = T0 - 1_000_000;
    let mut fixes: Vec<(String, Fix)> = (0..10_000_i64)
        .map(|i| {
            let id = ids[(i % 4) as usize];
            let t = base + (i / 4) * 1000;
            let mut f = fix(LON0 + (i as f64) * 1e-7, LAT0 + (i as f64) * 1e-7, t);
            if i % 3 == 0 {
                f.accuracy_m = Some(3.0 + (i % 7) as f32);
                f.battery_pct = Some(50.5);
            }
            (id.to_owned(), f)
        })
        .collect();
    fixes.reverse();
    fixes[..5000].rotate_left(1234);
    let started = Instant::now();
    store.append_fixes(&points(&fixes)).await.unwrap();
    let took = started.elapsed();
    eprintln!("{}: appended 10,000 fixes in {took:?}", b.kind());
    assert!(took < Duration::from_secs(10), "{took:?}");

    // Each track comes back whole, in time order.
    for id in ids {
        let mut want: Vec<Fix> = fixes
            .iter()
            .filter(|(s, _)| s == id)
            .map(|(_, f)| *f)
            .collect();
        want.sort_by_key(|f| f.fix_time_ms);
        assert_eq!(want.len(), 2500);
        let got = store.track(id, i64::MIN, i64::MAX, 100_000).await.unwrap();
        assert_eq!(got, want, "{id}");
        // A range, inclusive at both ends, and a limit.
        let (from, to) = (want[10].fix_time_ms, want[20].fix_time_ms);
        assert_eq!(
            store.track(id, from, to, 1000).await.unwrap(),
            want[10..=20]
        );
        assert_eq!(store.track(id, from, to, 5).await.unwrap(), want[10..15]);
        assert!(
            store
                .track(id, base - 10, base - 1, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
    assert!(
        store
            .track("nobody", i64::MIN, i64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Each member's stored last fix is the newest of the batch when that is
    // newer than what was stored (every member here: the batch ends after
    // T0), and the ghost gained no roster entry.
    let newest = |id: &str| {
        fixes
            .iter()
            .filter(|(s, _)| s == id)
            .map(|(_, f)| *f)
            .max_by_key(|f| f.fix_time_ms)
            .unwrap()
    };
    let loaded = store.load_city().await.unwrap();
    assert_eq!(loaded.staff.len(), 3);
    for s in &loaded.staff {
        assert_eq!(s.last_fix, Some(newest(&s.id)), "{}", s.id);
    }
    // Everything else about them is as imported.
    for (got, want) in loaded.staff.iter().zip(&sorted(clone_city(&city)).staff) {
        assert_eq!(
            Staff {
                last_fix: None,
                ..got.clone()
            },
            Staff {
                last_fix: None,
                ..want.clone()
            }
        );
    }
    store.append_fixes(&[]).await.unwrap();
}

async fn last_fix_only_moves_forward(b: &Backend) {
    let store = &b.store;
    let city = small_city();
    store.import_city(&city).await.unwrap();
    let last = |c: &City, id: &str| c.staff.iter().find(|s| s.id == id).unwrap().last_fix;

    // S000003 was imported with a fix at T0. An older one goes to the track
    // but leaves the last fix alone; so does one exactly as old.
    let older = [
        ("S000003".to_owned(), fix(LON0, LAT0, T0 - 1)),
        ("S000003".to_owned(), fix(LON0 + 0.001, LAT0, T0)),
    ];
    store.append_fixes(&points(&older)).await.unwrap();
    let loaded = store.load_city().await.unwrap();
    assert_eq!(last(&loaded, "S000003"), city.staff[0].last_fix);
    assert_eq!(
        store.track("S000003", 0, i64::MAX, 10).await.unwrap().len(),
        2
    );

    // A newer one moves it; S000001 had none, so any fix moves it.
    let newer = [
        ("S000003".to_owned(), full_fix(LON0 + 0.002, LAT0, T0 + 1)),
        ("S000001".to_owned(), fix(LON0 + 0.003, LAT0, 5)),
    ];
    store.append_fixes(&points(&newer)).await.unwrap();
    let loaded = store.load_city().await.unwrap();
    assert_eq!(last(&loaded, "S000003"), Some(newer[0].1));
    assert_eq!(last(&loaded, "S000001"), Some(newer[1].1));

    // A later batch with only older fixes changes nothing, however many.
    let stale: Vec<(String, Fix)> = (0..100)
        .map(|i| ("S000003".to_owned(), fix(LON0, LAT0, T0 - 1000 + i)))
        .collect();
    store.append_fixes(&points(&stale)).await.unwrap();
    let loaded = store.load_city().await.unwrap();
    assert_eq!(last(&loaded, "S000003"), Some(newer[0].1));
    assert_eq!(
        store
            .track("S000003", 0, i64::MAX, 1000)
            .await
            .unwrap()
            .len(),
        103
    );

    // Within one batch the newest wins whatever its place in the batch.
    let mixed = [
        ("S000002".to_owned(), fix(LON0, LAT0, T0 + 300)),
        ("S000002".to_owned(), fix(LON0 + 0.001, LAT0, T0 + 900)),
        ("S000002".to_owned(), fix(LON0 + 0.002, LAT0, T0 + 600)),
    ];
    store.append_fixes(&points(&mixed)).await.unwrap();
    let loaded = store.load_city().await.unwrap();
    assert_eq!(last(&loaded, "S000002"), Some(mixed[1].1));
}

async fn prune_tracks(b: &Backend) {
    let store = &b.store;
    let fixes: Vec<(String, Fix)> = (0..45_000_i64)
        .map(|i| (format!("S{:06}", i % 7), fix(LON0, LAT0, i)))
        .collect();
    store.append_fixes(&points(&fixes)).await.unwrap();
    assert_eq!(store.prune_tracks(0).await.unwrap(), 0);
    // More rows than SQLite deletes per transaction.
    assert_eq!(store.prune_tracks(42_000).await.unwrap(), 42_000);
    let left: usize = {
        let mut n = 0;
        for s in 0..7 {
            let t = store
                .track(&format!("S{s:06}"), i64::MIN, i64::MAX, 100_000)
                .await
                .unwrap();
            assert!(t.iter().all(|f| f.fix_time_ms >= 42_000));
            n += t.len();
        }
        n
    };
    assert_eq!(left, 3_000);
    assert_eq!(store.prune_tracks(42_000).await.unwrap(), 0);
    assert_eq!(store.prune_tracks(i64::MAX).await.unwrap(), 3_000);
}

async fn users(b: &Backend) {
    let store = &b.store;
    assert_eq!(store.count_users().await.unwrap(), 0);
    let admin = store
        .create_user(&new_user("admin", UserRole::Admin))
        .await
        .unwrap();
    assert_eq!(admin.username, "admin");
    assert_eq!(admin.role, UserRole::Admin);
    let mut field = new_user("wangwei", UserRole::Field);
    field.staff_id = Some("S000003".into());
    field.department = Some("330302001-d01".into());
    let wang = store.create_user(&field).await.unwrap();
    assert_ne!(admin.id, wang.id);
    assert_eq!(wang.staff_id.as_deref(), Some("S000003"));
    assert_eq!(wang.department.as_deref(), Some("330302001-d01"));

    let mut again = new_user("admin", UserRole::Viewer);
    again.display_name = "someone else".into();
    let err = store.create_user(&again).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("admin")),
        "{err:?}"
    );
    assert_eq!(store.count_users().await.unwrap(), 2);

    let (found, hash) = store.user_by_name("wangwei").await.unwrap().unwrap();
    assert_eq!(found, wang);
    assert_eq!(hash, field.password_hash);
    assert_eq!(store.user(admin.id).await.unwrap(), Some(admin.clone()));
    assert_eq!(store.user(wang.id).await.unwrap(), Some(wang));
    assert_eq!(store.user(admin.id + 1000).await.unwrap(), None);
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    // Usernames are exact: no case folding.
    assert!(store.user_by_name("Admin").await.unwrap().is_none());
    assert_eq!(
        b.texts("SELECT role FROM users ORDER BY id").await,
        ["admin", "field"]
    );

    for (i, role) in UserRole::ALL.into_iter().enumerate() {
        let u = store
            .create_user(&new_user(&format!("u{i}"), role))
            .await
            .unwrap();
        assert_eq!(store.user(u.id).await.unwrap().unwrap().role, role);
    }
    assert_eq!(store.count_users().await.unwrap(), 7);
}

async fn sessions(b: &Backend) {
    let store = &b.store;
    let user = store
        .create_user(&new_user("li", UserRole::Dispatcher))
        .await
        .unwrap();
    let session = Session {
        token_hash: "ab".repeat(32),
        user_id: user.id,
        created_ms: T0,
        expires_ms: T0 + 8 * 3_600_000,
    };
    store.create_session(&session).await.unwrap();
    assert_eq!(
        store.session(&session.token_hash).await.unwrap(),
        Some((session.clone(), user.clone()))
    );
    assert_eq!(store.session(&"cd".repeat(32)).await.unwrap(), None);

    let err = store.create_session(&session).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let orphan = Session {
        token_hash: "ef".repeat(32),
        user_id: user.id + 1000,
        ..session.clone()
    };
    let err = store.create_session(&orphan).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    let second = Session {
        token_hash: "12".repeat(32),
        ..session.clone()
    };
    store.create_session(&second).await.unwrap();
    store.revoke_session(&session.token_hash).await.unwrap();
    assert_eq!(store.session(&session.token_hash).await.unwrap(), None);
    assert!(store.session(&second.token_hash).await.unwrap().is_some());
    // Revoking what is not there is not an error.
    store.revoke_session(&session.token_hash).await.unwrap();

    // A password set by someone else: the hash and the flag change together,
    // every session ends, and the flag comes back with the login.
    let third = Session {
        token_hash: "34".repeat(32),
        ..session.clone()
    };
    store.create_session(&third).await.unwrap();
    let (account, kept) = store
        .set_password("li", "$argon2id$new", true, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept, None);
    assert!(account.user.must_change_password && !account.disabled);
    assert_eq!(store.session(&second.token_hash).await.unwrap(), None);
    assert_eq!(store.session(&third.token_hash).await.unwrap(), None);
    let (found, hash) = store.user_by_name("li").await.unwrap().unwrap();
    assert_eq!(
        (found.must_change_password, hash.as_str()),
        (true, "$argon2id$new")
    );
    store.create_session(&third).await.unwrap();
    let (_, in_session) = store.session(&third.token_hash).await.unwrap().unwrap();
    assert!(in_session.must_change_password);
    let (account, _) = store
        .set_password("li", "$argon2id$own", false, None)
        .await
        .unwrap()
        .unwrap();
    assert!(!account.user.must_change_password);
    assert!(
        !store
            .user(user.id)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(
        store
            .set_password("nobody", "$argon2id$x", true, None)
            .await
            .unwrap()
            .is_none()
    );
    // (The new password ended `third` again.)
    assert_eq!(store.session(&third.token_hash).await.unwrap(), None);
    let second = Session {
        token_hash: "78".repeat(32),
        ..session.clone()
    };
    store.create_session(&second).await.unwrap();

    // Which sessions are still open, asked in chunks (more than one).
    let mut asked: Vec<String> = (0..1_200).map(|i| format!("{i:064x}")).collect();
    asked.insert(700, second.token_hash.clone());
    let expired = Session {
        token_hash: "56".repeat(32),
        expires_ms: T0 + 10,
        ..session.clone()
    };
    store.create_session(&expired).await.unwrap();
    asked.push(expired.token_hash.clone());
    assert_eq!(
        store.open_sessions(&asked, T0 + 100).await.unwrap(),
        std::slice::from_ref(&second.token_hash)
    );
    assert_eq!(
        store.open_sessions(&[], T0).await.unwrap(),
        Vec::<String>::new()
    );

    // A session dies with its user.
    b.exec(&format!("DELETE FROM users WHERE id = {}", user.id))
        .await;
    assert_eq!(store.session(&second.token_hash).await.unwrap(), None);
}

async fn settings(b: &Backend) {
    let store = &b.store;
    assert_eq!(store.setting("track_retention_days").await.unwrap(), None);
    store
        .put_setting("track_retention_days", "30")
        .await
        .unwrap();
    store
        .put_setting("title", "温州市网格化指挥中心")
        .await
        .unwrap();
    assert_eq!(
        store
            .setting("track_retention_days")
            .await
            .unwrap()
            .as_deref(),
        Some("30")
    );
    store
        .put_setting("track_retention_days", "7")
        .await
        .unwrap();
    assert_eq!(
        store
            .setting("track_retention_days")
            .await
            .unwrap()
            .as_deref(),
        Some("7")
    );
    assert_eq!(
        store.setting("title").await.unwrap().as_deref(),
        Some("温州市网格化指挥中心")
    );
    store.put_setting("empty", "").await.unwrap();
    assert_eq!(store.setting("empty").await.unwrap().as_deref(), Some(""));
}

/// A derived index's image comes back byte for byte (every byte value, a
/// few megabytes as a city's grid locator is), and a second one under the
/// same name replaces the first.
async fn index_images(b: &Backend) {
    let store = &b.store;
    assert_eq!(store.index_image("grid-locator").await.unwrap(), None);
    let big: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    store.put_index_image("grid-locator", &big).await.unwrap();
    store.put_index_image("other", b"\0\xff").await.unwrap();
    assert_eq!(store.index_image("grid-locator").await.unwrap(), Some(big));
    store
        .put_index_image("grid-locator", b"short")
        .await
        .unwrap();
    assert_eq!(
        store.index_image("grid-locator").await.unwrap().as_deref(),
        Some(&b"short"[..])
    );
    assert_eq!(
        store.index_image("other").await.unwrap().as_deref(),
        Some(&b"\0\xff"[..])
    );
}

async fn corrupt_rows_are_named(b: &Backend) {
    let store = &b.store;
    store.import_city(&small_city()).await.unwrap();
    let expect_corrupt = |err: StoreError, needles: &[&str]| match err {
        StoreError::Corrupt(m) => {
            for n in needles {
                assert!(m.contains(n), "{m:?} should mention {n:?}");
            }
        }
        other => panic!("expected a corrupt row, got {other:?}"),
    };

    let cases = [
        (
            "UPDATE staff SET role = 'pilot' WHERE id = 'S000002'",
            "UPDATE staff SET role = 'volunteer' WHERE id = 'S000002'",
            ["staff", "S000002", "pilot"],
        ),
        (
            "UPDATE staff SET duty = 'asleep' WHERE id = 'S000001'",
            "UPDATE staff SET duty = 'sos' WHERE id = 'S000001'",
            ["staff", "S000001", "asleep"],
        ),
        (
            "UPDATE areas SET level = 'planet' WHERE code = '330302'",
            "UPDATE areas SET level = 'district' WHERE code = '330302'",
            ["areas", "330302", "planet"],
        ),
        (
            "UPDATE risk_sources SET level = 9 WHERE id = 'R1'",
            "UPDATE risk_sources SET level = 1 WHERE id = 'R1'",
            ["risk_sources", "R1", "9"],
        ),
    ];
    for (break_it, mend_it, needles) in cases {
        assert_eq!(b.exec(break_it).await, 1);
        expect_corrupt(store.load_city().await.unwrap_err(), &needles);
        assert_eq!(b.exec(mend_it).await, 1);
    }
    let skills = match &b.raw {
        Raw::Sqlite(_) => "UPDATE staff SET skills = '[\"juggling\"]' WHERE id = 'S000003'",
        Raw::Pg(_) => "UPDATE staff SET skills = '[\"juggling\"]'::jsonb WHERE id = 'S000003'",
    };
    b.exec(skills).await;
    expect_corrupt(
        store.load_city().await.unwrap_err(),
        &["staff", "S000003", "juggling"],
    );
    b.exec(&skills.replace("juggling", "mediation")).await;
    assert_eq!(store.load_city().await.unwrap().staff.len(), 3);
    // A geometry the model refuses (a GIS-side edit past its latitudes), as
    // each store hands it back: GeoJSON text from SQLite, WKB from PostGIS.
    let (polar, mend) = match &b.raw {
        Raw::Sqlite(_) => (
            "UPDATE risk_sources SET geometry = \
             '{\"type\":\"Point\",\"coordinates\":[120.6,88.5]}' WHERE id = 'R1'",
            "UPDATE risk_sources SET geometry = \
             '{\"type\":\"Point\",\"coordinates\":[120.6,28.0]}' WHERE id = 'R1'",
        ),
        Raw::Pg(_) => (
            "UPDATE risk_sources SET geom = \
             ST_SetSRID(ST_GeomFromText('POINT(120.6 88.5)'), 4326) WHERE id = 'R1'",
            "UPDATE risk_sources SET geom = \
             ST_SetSRID(ST_GeomFromText('POINT(120.6 28.0)'), 4326) WHERE id = 'R1'",
        ),
    };
    assert_eq!(b.exec(polar).await, 1);
    expect_corrupt(
        store.load_city().await.unwrap_err(),
        &["risk_sources", "R1", "88.5"],
    );
    assert_eq!(b.exec(mend).await, 1);
    assert_eq!(store.load_city().await.unwrap().risk_sources.len(), 2);

    let user = store
        .create_user(&new_user("zhao", UserRole::Viewer))
        .await
        .unwrap();
    b.exec(&format!(
        "UPDATE users SET role = 'emperor' WHERE id = {}",
        user.id
    ))
    .await;
    expect_corrupt(
        store.user(user.id).await.unwrap_err(),
        &["users", &user.id.to_string(), "emperor"],
    );
    expect_corrupt(store.user_by_name("zhao").await.unwrap_err(), &["emperor"]);
}

async fn reopen_keeps_everything(b: &Backend) {
    let city = small_city();
    b.store.import_city(&city).await.unwrap();
    let fixes = [("S000001".to_owned(), full_fix(LON0, LAT0, T0 + 10))];
    b.store.append_fixes(&points(&fixes)).await.unwrap();
    let user = b
        .store
        .create_user(&new_user("admin", UserRole::Admin))
        .await
        .unwrap();
    b.store.put_setting("k", "v").await.unwrap();
    let before = b.store.load_city().await.unwrap();

    let again = b.reopen().await;
    assert_eq!(again.kind(), b.kind());
    again.ping().await.unwrap();
    assert_same_city(&again.load_city().await.unwrap(), &before);
    assert_eq!(again.user(user.id).await.unwrap(), Some(user));
    assert_eq!(again.setting("k").await.unwrap().as_deref(), Some("v"));
    assert_eq!(
        again.track("S000001", 0, i64::MAX, 10).await.unwrap(),
        [fixes[0].1]
    );
    if let Raw::Sqlite(p) = &b.raw {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }
}

async fn concurrent_writes_and_reads(b: &Backend) {
    // Writers of every kind at once must queue, not fail (SQLite has one
    // writer), while readers keep reading.
    let store = b.store.clone();
    store.import_city(&small_city()).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..6_i64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..15_i64 {
                let fixes: Vec<(String, Fix)> = (0..200)
                    .map(|i| {
                        (
                            format!("S00000{}", 1 + (i % 3)),
                            fix(LON0, LAT0, T0 + w * 1_000_000 + round * 1000 + i),
                        )
                    })
                    .collect();
                store.append_fixes(&points(&fixes)).await.unwrap();
                store
                    .put_setting(&format!("w{w}"), &round.to_string())
                    .await
                    .unwrap();
                if round % 5 == 0 {
                    let c = camera(&format!("W{w}R{round}"), LON0, LAT0);
                    store
                        .write_layer(&LayerData::Cameras(vec![c]), WriteMode::Merge)
                        .await
                        .unwrap();
                    store
                        .create_user(&new_user(&format!("w{w}r{round}"), UserRole::Viewer))
                        .await
                        .unwrap();
                    // A roster merge and a replace of a small layer, racing
                    // the other writers' fix batches for the same rows.
                    let mut roster = small_city().staff;
                    if w % 2 == 1 {
                        roster.reverse();
                    }
                    store
                        .write_layer(&LayerData::Staff(roster), WriteMode::Merge)
                        .await
                        .unwrap();
                    store
                        .write_layer(
                            &LayerData::KeyPlaces(small_city().key_places),
                            WriteMode::Replace,
                        )
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for _ in 0..2 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..10 {
                let city = store.load_city().await.unwrap();
                assert_eq!(city.areas.len(), 6);
                store.track("S000001", 0, i64::MAX, 50).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total: usize = {
        let mut n = 0;
        for id in ["S000001", "S000002", "S000003"] {
            n += store.track(id, 0, i64::MAX, 100_000).await.unwrap().len();
        }
        n
    };
    assert_eq!(total, 6 * 15 * 200);
    assert_eq!(store.count_users().await.unwrap(), 18);
    assert_eq!(store.load_city().await.unwrap().cameras.len(), 2 + 18);
}

/// A synthetic city the size of the demo city of Wenzhou: 1 + 10 + 100 +
/// 1,000 + 4,000 areas with 24-vertex outlines, 6,000 staff, 20,000 cameras,
/// 2,000 risk sources and 1,500 key places.
fn demo_sized() -> City {
    fn blob(cx: f64, cy: f64, r: f64) -> MultiPolygon<f64> {
        let mut pts: Vec<Coord<f64>> = (0..24)
            .map(|i| {
                let a = f64::from(i) * std::f64::consts::TAU / 24.0;
                Coord {
                    x: cx + r * a.cos() * (1.0 + 0.1 * (3.0 * a).sin()),
                    y: cy + r * a.sin(),
                }
            })
            .collect();
        pts.push(pts[0]);
        MultiPolygon::new(vec![Polygon::new(LineString::new(pts), vec![])])
    }
    let (cx, cy) = (120.65, 28.0);
    let mut areas = vec![area(
        "330300",
        "温州市",
        AreaLevel::City,
        None,
        blob(cx, cy, 0.5),
    )];
    let mut grids = Vec::new();
    for d in 0..10 {
        let dc = format!("3303{:02}", d + 1);
        let (dx, dy) = (cx + f64::from(d) * 0.01, cy);
        areas.push(area(
            &dc,
            "区",
            AreaLevel::District,
            Some("330300"),
            blob(dx, dy, 0.1),
        ));
        for s in 0..10 {
            let sc = format!("{dc}{s:03}");
            areas.push(area(
                &sc,
                "街道",
                AreaLevel::Street,
                Some(&dc),
                blob(dx, dy + f64::from(s) * 0.001, 0.05),
            ));
            for c in 0..10 {
                let cc = format!("{sc}{c:03}");
                areas.push(area(
                    &cc,
                    "社区",
                    AreaLevel::Community,
                    Some(&sc),
                    blob(dx, dy, 0.01),
                ));
                for g in 0..4 {
                    let gc = format!("{cc}{g:03}");
                    areas.push(area(
                        &gc,
                        "网格",
                        AreaLevel::Grid,
                        Some(&cc),
                        blob(dx + f64::from(g) * 1e-4, dy, 0.003),
                    ));
                    grids.push(gc);
                }
            }
        }
    }
    let jitter = |i: u32| (f64::from(i % 997) * 1.37e-4, f64::from(i % 991) * 1.13e-4);
    let staff = (0..6000_u32)
        .map(|i| {
            let (dx, dy) = jitter(i);
            let mut s = staff(
                &format!("S{i:06}"),
                Role::ALL[(i % 5) as usize],
                &grids[i as usize % grids.len()],
                (i % 10 != 0).then(|| full_fix(cx + dx, cy + dy, T0 + i64::from(i))),
            );
            s.skills = vec![
                Skill::ALL[(i % 10) as usize],
                Skill::ALL[((i + 3) % 10) as usize],
            ];
            s.devices = vec![format!("dev-{i}")];
            s
        })
        .collect();
    let cameras = (0..20_000_u32)
        .map(|i| {
            let (dx, dy) = jitter(i * 7);
            let mut c = camera(&format!("C{i:06}"), cx + dx, cy + dy);
            if i % 3 == 0 {
                c.heading_deg = None;
                c.fov_deg = None;
            }
            c
        })
        .collect();
    let risk_sources = (0..2000_u32)
        .map(|i| {
            let (dx, dy) = jitter(i * 13);
            RiskSource {
                id: format!("R{i:05}"),
                name: "风险源".into(),
                category: "危化品企业".into(),
                level: [
                    RiskLevel::Major,
                    RiskLevel::Significant,
                    RiskLevel::General,
                    RiskLevel::Low,
                ][(i % 4) as usize],
                footprint: if i % 2 == 0 {
                    Footprint::Point(Point::new(cx + dx, cy + dy))
                } else {
                    Footprint::Area(blob(cx + dx, cy + dy, 0.0005))
                },
            }
        })
        .collect();
    let key_places = (0..1500_u32)
        .map(|i| {
            let (dx, dy) = jitter(i * 17);
            KeyPlace {
                id: format!("K{i:05}"),
                name: "学校".into(),
                category: "学校".into(),
                footprint: if i % 3 == 0 {
                    Footprint::Area(blob(cx + dx, cy + dy, 0.0008))
                } else {
                    Footprint::Point(Point::new(cx + dx, cy + dy))
                },
            }
        })
        .collect();
    City {
        areas,
        staff,
        cameras,
        risk_sources,
        key_places,
    }
}

async fn demo_sized_city(b: &Backend) {
    let (city, source) = match std::env::var_os("RISKMAP_TEST_CITY_DIR") {
        Some(dir) => (
            riskmap_engine::city::read(&PathBuf::from(&dir)).unwrap(),
            format!("{}", dir.display()),
        ),
        None => (demo_sized(), "synthetic".to_owned()),
    };
    let store = &b.store;
    let started = Instant::now();
    store.import_city(&city).await.unwrap();
    let import = started.elapsed();
    let started = Instant::now();
    let loaded = store.load_city().await.unwrap();
    let load = started.elapsed();
    assert_same_city(&loaded, &sorted(clone_city(&city)));

    // A round of fixes from everyone, as the simulator sends them.
    let fixes: Vec<(String, Fix)> = (0..10_000_u32)
        .map(|i| {
            let s = &city.staff[i as usize % city.staff.len()];
            (
                s.id.clone(),
                full_fix(120.6, 28.0, T0 + 10_000_000 + i64::from(i)),
            )
        })
        .collect();
    let started = Instant::now();
    store.append_fixes(&points(&fixes)).await.unwrap();
    let append = started.elapsed();
    eprintln!(
        "{}: {source} city of {} areas, {} staff, {} cameras, {} risk sources, {} key places: \
         import {import:?}, load {load:?}; 10,000 fixes over {} staff: {append:?}",
        b.kind(),
        city.areas.len(),
        city.staff.len(),
        city.cameras.len(),
        city.risk_sources.len(),
        city.key_places.len(),
        city.staff.len().min(10_000),
    );
    // Generous bounds for a debug build on a busy two-core machine; the
    // point is to catch a row-at-a-time regression, which is 10–100× slower.
    assert!(import < Duration::from_secs(60), "import took {import:?}");
    assert!(load < Duration::from_secs(60), "load took {load:?}");
    assert!(append < Duration::from_secs(10), "append took {append:?}");
}

// ---------------------------------------------------------------------------
// Incidents
// ---------------------------------------------------------------------------

fn incident(id: &str) -> Incident {
    Incident {
        id: id.into(),
        category: "0101".into(),
        source: Source::Hotline,
        priority: Priority::Urgent,
        position: LonLat::new(LON0, LAT0).unwrap(),
        grid: "330302001001001".into(),
        area: "330302001001001".into(),
        description: "楼上漏水, \"quoted\"\nand a new line".into(),
        photos: vec!["photo://a.jpg".into(), "photo://b.jpg".into()],
        reporter: "field".into(),
        reporter_staff: Some("S000001".into()),
        state: State::Reported,
        report_only: false,
        assignee_staff: None,
        assignee_department: None,
        assignee_limits: None,
        merged_into: None,
        possible_duplicate_of: Some("SJ20261123000001".into()),
        rework_count: 0,
        extension_hours: 0.0,
        step_extension_hours: 0.0,
        pending_extension: None,
        created_ms: T0,
        updated_ms: T0,
        step_started_ms: T0,
        handled_ms: None,
        closed_ms: None,
        on_time: None,
        step_times: [(0, 0); 6],
        chain: Chain::default(),
        intake: None,
        version: 1,
    }
}

fn log_entry(id: &str, seq: i64, action: Action, from: Option<State>, to: State) -> LogEntry {
    LogEntry {
        incident: id.into(),
        seq,
        at_ms: T0 + seq * 1000,
        action,
        from,
        to,
        actor: "dispatcher".into(),
        actor_role: "dispatcher".into(),
        actor_area: "330300".into(),
        comment: format!("step {seq}"),
        photos: vec![],
        detail: Detail::Assignment {
            staff_id: Some("S000002".into()),
            department: Some(format!("dept {seq}")),
        },
    }
}

/// What the intake keeps: photos with the incidents that carry them, a
/// ticket once (a second is a conflict, and its incident is not written),
/// and the call-backs each change owes its tickets, the merged ones' too.
async fn inspections_round_trip(b: &Backend) {
    use riskmap::store::InspectionFilter;
    use riskmap::venue::{CheckItem, Inspection, ScanKind};
    let store = &b.store;
    let at = |id: &str, place: &str, staff: &str, grid: Option<&str>, t: i64| Inspection {
        id: id.into(),
        place_id: place.into(),
        place_name: "实验小学".into(),
        place_category: "学校".into(),
        grid: grid.map(Into::into),
        kind: ScanKind::Inspection,
        staff_id: staff.into(),
        staff_name: "王伟".into(),
        at_ms: t,
        position: LonLat::new(LON0, LAT0).unwrap(),
        distance_m: 12.5,
        checklist: vec![CheckItem {
            item: "消防通道畅通".into(),
            ok: false,
            note: Some("堆放杂物".into()),
        }],
        problems: 1,
        note: None,
        photos: vec!["b".repeat(64)],
    };
    let rows = [
        at("I1", "K1", "S1", Some("g1"), T0),
        at("I2", "K1", "S2", Some("g1"), T0 + 10),
        at("I3", "K2", "S1", Some("g2"), T0 + 20),
        at("I4", "K3", "S1", None, T0 + 30),
    ];
    for r in &rows {
        assert_eq!(store.put_inspection_kept(r, None).await.unwrap(), None);
    }
    // The same id twice is refused; nothing else changes.
    assert!(store.put_inspection_kept(&rows[0], None).await.is_err());
    let g1 = vec!["g1".to_owned()];
    let all = InspectionFilter {
        from: T0,
        to: T0 + 100,
        limit: 10,
        ..InspectionFilter::default()
    };
    assert_eq!(ids(store, all).await, ["I4", "I3", "I2", "I1"]);
    let got = store.inspections(all).await.unwrap();
    assert_eq!(got[3], rows[0], "the whole record comes back");
    assert_eq!(
        ids(
            store,
            InspectionFilter {
                place: Some("K1"),
                ..all
            }
        )
        .await,
        ["I2", "I1"]
    );
    assert_eq!(
        ids(
            store,
            InspectionFilter {
                staff: Some("S1"),
                ..all
            }
        )
        .await,
        ["I4", "I3", "I1"]
    );
    assert_eq!(
        ids(
            store,
            InspectionFilter {
                grids: Some(&g1),
                ..all
            }
        )
        .await,
        ["I2", "I1"]
    );
    assert_eq!(
        ids(
            store,
            InspectionFilter {
                from: T0 + 10,
                to: T0 + 30,
                ..all
            }
        )
        .await,
        ["I3", "I2"]
    );
    assert_eq!(
        ids(store, InspectionFilter { limit: 1, ..all }).await,
        ["I4"]
    );
    let mut last = store.last_inspections().await.unwrap();
    last.sort();
    assert_eq!(
        last,
        [
            ("K1".to_owned(), T0 + 10),
            ("K2".to_owned(), T0 + 20),
            ("K3".to_owned(), T0 + 30)
        ]
    );
}

/// The ids of the inspections a filter selects, in order.
async fn ids(store: &Arc<dyn Store>, f: riskmap::store::InspectionFilter<'_>) -> Vec<String> {
    store
        .inspections(f)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect()
}

async fn intake_round_trip(b: &Backend) {
    let store = &b.store;
    store.import_city(&small_city()).await.unwrap();
    let photo = AttachmentRow {
        id: "a".repeat(64),
        mime: "image/png".into(),
        width: 3,
        height: 2,
        bytes: vec![0, 1, 2, 255],
        thumb: vec![0xFF, 0xD8],
        uploaded_by: "field".into(),
    };
    store.put_attachment(&photo).await.unwrap();
    store.put_attachment(&photo).await.unwrap();
    let got = store.attachment(&photo.id, false).await.unwrap().unwrap();
    assert_eq!(
        got,
        (
            "image/png".to_owned(),
            vec![0, 1, 2, 255],
            "field".to_owned()
        )
    );
    let thumb = store.attachment(&photo.id, true).await.unwrap().unwrap();
    assert_eq!(
        (thumb.0.as_str(), thumb.1),
        ("image/jpeg", vec![0xFF, 0xD8])
    );
    let other = "b".repeat(64);
    assert_eq!(
        store
            .missing_attachments(&[photo.id.clone(), other.clone()])
            .await
            .unwrap(),
        vec![other]
    );
    let source = IntakeSource {
        name: "hotline".into(),
        title: "12345 热线".into(),
        kind: SourceKind::Hotline,
        categories: [("A".to_owned(), "0101".to_owned())].into(),
        default_category: None,
        callback_url: Some("http://127.0.0.1:9/cb".into()),
        secret: "s".repeat(32),
        updated_ms: T0,
    };
    store.put_source(&source).await.unwrap();
    assert_eq!(store.sources().await.unwrap(), vec![source.clone()]);

    let ticketed = |id: &str, ticket: &str| Incident {
        photos: vec![photo.id.clone()],
        intake: Some(Intake {
            external: Some(ExternalRef {
                source: "hotline".into(),
                ticket: ticket.into(),
            }),
            phone: Some("13800138000".into()),
            ..Intake::default()
        }),
        ..incident(id)
    };
    let (a, b_id) = ("SJ20261123000010", "SJ20261123000011");
    let report = |id: &str| log_entry(id, 1, Action::Report, None, State::Reported);
    store
        .create_incident(&ticketed(a, "T1"), &report(a))
        .await
        .unwrap();
    let err = store
        .create_incident(&ticketed(b_id, "T1"), &report(b_id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        store
            .ticket_incident("hotline", "T1")
            .await
            .unwrap()
            .as_deref(),
        Some(a)
    );
    let loaded = store.load_incidents().await.unwrap();
    assert_eq!(
        loaded.len(),
        1,
        "the second ticket's incident was not written"
    );
    assert_eq!(loaded[0].0, ticketed(a, "T1"), "intake kept");
    assert_eq!(
        store.attachment_incidents(&photo.id).await.unwrap(),
        vec![a.to_owned()]
    );

    // `a` goes into `c`; `c`'s change owes T1 a call-back.
    let c = "SJ20261123000012";
    store
        .create_incident(&incident(c), &report(c))
        .await
        .unwrap();
    let mut merged = ticketed(a, "T1");
    merged.state = State::Merged;
    merged.merged_into = Some(c.into());
    merged.version = 2;
    store
        .record_transition(
            &merged,
            &log_entry(a, 2, Action::Merge, Some(State::Reported), State::Merged),
            &[],
        )
        .await
        .unwrap();
    let mut moved = incident(c);
    moved.state = State::Accepted;
    moved.version = 2;
    store
        .record_transition(
            &moved,
            &log_entry(c, 2, Action::Accept, Some(State::Reported), State::Accepted),
            &[],
        )
        .await
        .unwrap();
    let due = store.due_callbacks(T0 + 10_000, 10).await.unwrap();
    assert_eq!(
        due.len(),
        1,
        "one at a time per ticket, oldest first: {due:?}"
    );
    assert_eq!((due[0].incident.as_str(), due[0].seq), (a, 1));
    let all = store
        .callbacks(Some(CallbackState::Pending), 10)
        .await
        .unwrap();
    let owed: Vec<(&str, i64)> = all
        .iter()
        .rev()
        .map(|c| (c.incident.as_str(), c.seq))
        .collect();
    assert_eq!(owed, [(a, 1), (a, 2), (c, 2)]);
    // Claimed once; settled; the next one comes due.
    assert!(store.claim_callback(&due[0], T0 + 70_000).await.unwrap());
    assert!(
        !store.claim_callback(&due[0], T0 + 70_000).await.unwrap(),
        "taken already"
    );
    let mut done = due[0].clone();
    done.state = CallbackState::Delivered;
    done.attempts = 1;
    done.delivered_ms = Some(T0 + 11_000);
    store.settle_callback(&done).await.unwrap();
    assert_eq!(store.callback(done.id).await.unwrap(), Some(done));
    let next = store.due_callbacks(T0 + 10_000, 10).await.unwrap();
    assert_eq!((next[0].incident.as_str(), next[0].seq), (a, 2));
}

async fn departments_round_trip(b: &Backend) {
    let store = &b.store;
    assert!(store.departments().await.unwrap().is_empty());
    let dept = |code: &str, area: &str, staff: &[&str]| Department {
        code: code.into(),
        name: format!("{code} 综合行政执法队, \"quoted\""),
        kind: "综合行政执法队".into(),
        area: area.into(),
        staff: staff.iter().map(|s| (*s).to_owned()).collect(),
        limits: None,
    };
    let first = [
        dept("b", "330302001", &["S000001"]),
        dept("a", "330302", &[]),
    ];
    store.put_departments(&first, None).await.unwrap();
    let mut got = store.departments().await.unwrap();
    assert_eq!(got, vec![first[1].clone(), first[0].clone()], "by code");
    // The same code again replaces it.
    let moved = Department {
        limits: Some(StepLimits {
            sign: 0.5,
            handle: 0.1 + 0.2,
        }),
        ..dept("b", "330302002", &["S000001", "S000002"])
    };
    store
        .put_departments(std::slice::from_ref(&moved), None)
        .await
        .unwrap();
    got = store.departments().await.unwrap();
    assert_eq!(got, vec![first[1].clone(), moved]);
    // The account's department is kept and changed like its other fields.
    let mut u = new_user("dept-login", UserRole::Dispatcher);
    u.department = Some("a".into());
    store.create_user(&u).await.unwrap();
    let changes = AccountChanges {
        department: Some(Some("b".into())),
        ..AccountChanges::default()
    };
    let (after, _) = store
        .change_account("dept-login", &changes, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.user.department.as_deref(), Some("b"));
    let listed = store.users().await.unwrap();
    assert_eq!(listed[0].user.department.as_deref(), Some("b"));
    let clear = AccountChanges {
        department: Some(None),
        ..AccountChanges::default()
    };
    let (after, _) = store
        .change_account("dept-login", &clear, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.user.department, None);
}

async fn incidents_round_trip(b: &Backend) {
    let store = &b.store;
    store.import_city(&small_city()).await.unwrap();
    let id = "SJ20261123000002";
    let first = incident(id);
    store
        .create_incident(
            &first,
            &log_entry(id, 1, Action::Report, None, State::Reported),
        )
        .await
        .unwrap();
    // The same id again is a conflict, and nothing of it lands.
    let err = store
        .create_incident(
            &first,
            &log_entry(id, 1, Action::Report, None, State::Reported),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // A transition with every optional field set, and a duty change.
    let mut next = first.clone();
    next.state = State::Dispatched;
    next.assignee_staff = Some("S000002".into());
    next.assignee_department = Some("司法所".into());
    next.assignee_limits = Some(StepLimits {
        sign: 1.5,
        handle: 0.1 + 0.2,
    });
    next.pending_extension = Some(PendingExtension {
        hours: 1.5,
        reason: "等".into(),
        by: "field".into(),
        at_ms: T0 + 5,
    });
    next.extension_hours = 0.1 + 0.2;
    next.step_times = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (i64::MAX / 3, 12)];
    next.on_time = Some(false);
    next.handled_ms = Some(T0 + 7);
    next.chain = Chain {
        escalations: 2,
        clock_escalations: 1,
        escalated_ms: Some(T0 + 6),
        supervisions: 1,
        supervision: Some(Supervision {
            by: "district".into(),
            by_area: "330302".into(),
            order: "限期办结 \"now\"".into(),
            at_ms: T0 + 3,
            due_ms: T0 + 3_600_003,
            answered_ms: Some(T0 + 4),
            answered_by: Some("street".into()),
            answer: Some("已处理".into()),
        }),
    };
    next.version = 2;
    let entry = log_entry(
        id,
        2,
        Action::Dispatch,
        Some(State::Reported),
        State::Dispatched,
    );
    store
        .record_transition(&next, &entry, &[("S000002".into(), DutyStatus::Busy)])
        .await
        .unwrap();
    let loaded = store.load_incidents().await.unwrap();
    assert_eq!(loaded, vec![(next.clone(), 2)]);
    let staff = store.load_city().await.unwrap().staff;
    assert_eq!(
        staff.iter().find(|s| s.id == "S000002").unwrap().duty,
        DutyStatus::Busy
    );
    let log = store.incident_log(id).await.unwrap();
    assert_eq!(
        log,
        vec![
            log_entry(id, 1, Action::Report, None, State::Reported),
            entry.clone()
        ]
    );
    let range = |grids, after| LogRange {
        from: T0 + 1500,
        to: T0 + 10_000,
        grids,
        after,
    };
    assert_eq!(
        store.log_between(&range(None, None), 10).await.unwrap(),
        vec![entry.clone()]
    );
    // Filtered by the incident's grid in the store, and paged by key.
    let mine = ["330302001001001".to_owned()];
    let other = ["330302001001002".to_owned()];
    assert_eq!(
        store
            .log_between(&range(Some(&mine), None), 10)
            .await
            .unwrap(),
        vec![entry.clone()]
    );
    assert!(
        store
            .log_between(&range(Some(&other), None), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .log_between(&range(Some(&[]), None), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let all = LogRange {
        from: 0,
        to: i64::MAX,
        grids: None,
        after: None,
    };
    let first_page = store.log_between(&all, 1).await.unwrap();
    assert_eq!(first_page.len(), 1);
    assert_eq!(first_page[0].seq, 1);
    let next_page = store
        .log_between(
            &LogRange {
                after: Some((first_page[0].at_ms, id, first_page[0].seq)),
                ..all
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(next_page, vec![entry]);

    // A stale version is a conflict and changes nothing, log included.
    let mut stale = next.clone();
    stale.state = State::Closed;
    let err = store
        .record_transition(
            &stale,
            &log_entry(id, 3, Action::Close, Some(State::Dispatched), State::Closed),
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.load_incidents().await.unwrap(), vec![(next, 2)]);
    assert_eq!(store.incident_log(id).await.unwrap().len(), 2);

    // The flow log cannot be edited or deleted, even by hand.
    for sql in [
        "UPDATE incident_log SET comment = 'rewritten'",
        "DELETE FROM incident_log",
    ] {
        let refused = match &b.raw {
            Raw::Sqlite(p) => p.execute(sql).await.map(|_| ()).map_err(|e| e.to_string()),
            Raw::Pg(p) => p.execute(sql).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("append-only")),
            "{sql}: {refused:?}"
        );
    }
    assert_eq!(store.incident_log(id).await.unwrap().len(), 2);
}

async fn audit_by_area(b: &Backend) {
    let store = &b.store;
    for (i, (user, area)) in [
        ("city", ""),
        ("d1", "330302"),
        ("g1", "330302001001001"),
        ("d2", "330303"),
    ]
    .into_iter()
    .enumerate()
    {
        store
            .append_audit(&AuditEntry {
                seq: 0,
                at_ms: T0 + i64::try_from(i).unwrap(),
                username: user.into(),
                role: "admin".into(),
                area: area.into(),
                action: "login".into(),
                status: 200,
                ip: "127.0.0.1".into(),
            })
            .await
            .unwrap();
    }
    let names = |entries: Vec<AuditEntry>| -> Vec<String> {
        entries.into_iter().map(|e| e.username).collect()
    };
    let all = store
        .audit_between(T0, T0 + 10, None, None, 10)
        .await
        .unwrap();
    assert_eq!(names(all), ["d2", "g1", "d1", "city"]);
    let district = ["330302".to_owned(), "330302001001001".to_owned()];
    let some = store
        .audit_between(T0, T0 + 10, None, Some(&district), 10)
        .await
        .unwrap();
    assert_eq!(names(some), ["g1", "d1"]);
    let one = store
        .audit_between(T0, T0 + 10, Some("d1"), Some(&district), 10)
        .await
        .unwrap();
    assert_eq!(names(one), ["d1"]);
    assert!(
        store
            .audit_between(T0, T0 + 10, None, Some(&[]), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A cluster node's record commits with its write, in the same
/// transaction (a refused write leaves none), waits in the outbox in commit
/// order until it is sent, and a job's slot is claimed once.
async fn outbox_keeps_records_with_their_writes(b: &Backend) {
    let store = &b.store;
    store.import_city(&small_city()).await.unwrap();
    let out = |subject: &'static str, payload: &'static str| Some(Outgoing { subject, payload });
    let id = "SJ20261203000001";
    let report = log_entry(id, 1, Action::Report, None, State::Reported);
    let first = store
        .create_incident_kept(
            &incident(id),
            &report,
            out("riskmap.events.incidents", "{\"n\":1}"),
        )
        .await
        .unwrap()
        .expect("an outbox id");
    let refused = store
        .create_incident_kept(
            &incident(id),
            &report,
            out("riskmap.events.incidents", "{\"n\":2}"),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let fixes = [("S000001".to_owned(), fix(LON0, LAT0, T0 + 60_000))];
    let second = store
        .append_fixes_kept(
            &points(&fixes),
            &[Outgoing {
                subject: "riskmap.events.fixes",
                payload: "{\"n\":3}",
            }],
        )
        .await
        .unwrap()[0];
    let third = store
        .write_layer_kept(
            &LayerData::Cameras(vec![camera("C-OUTBOX", LON0, LAT0)]),
            WriteMode::Merge,
            out("riskmap.events.layers", "{\"n\":4}"),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(first < second && second < third, "{first} {second} {third}");
    // Without a record, a write keeps none.
    assert_eq!(
        store.append_fixes_kept(&points(&fixes), &[]).await.unwrap(),
        Vec::<i64>::new()
    );

    let later = riskmap::clock::now_ms() + 60_000;
    let waiting = store.outbox_waiting(later, 10).await.unwrap();
    let seen: Vec<(i64, &str, &str)> = waiting
        .iter()
        .map(|k| (k.id, k.subject.as_str(), k.payload.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (first, "riskmap.events.incidents", "{\"n\":1}"),
            (second, "riskmap.events.fixes", "{\"n\":3}"),
            (third, "riskmap.events.layers", "{\"n\":4}"),
        ]
    );
    assert!(
        store.outbox_waiting(0, 10).await.unwrap().is_empty(),
        "none that old"
    );
    store.outbox_sent(&[first, third]).await.unwrap();
    let left: Vec<i64> = store
        .outbox_waiting(later, 10)
        .await
        .unwrap()
        .iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(left, [second]);

    assert!(store.claim_run("sweep", 7, "n1", T0).await.unwrap());
    assert!(
        !store.claim_run("sweep", 7, "n2", T0).await.unwrap(),
        "a slot runs once"
    );
    assert!(store.claim_run("sweep", 8, "n2", T0).await.unwrap());

    // A layer as stored, for a node that reads another's import.
    let LayerData::Cameras(cameras) = store.read_layer(LayerKind::Cameras).await.unwrap() else {
        panic!("cameras read as another layer");
    };
    assert!(cameras.iter().any(|c| c.id == "C-OUTBOX"));
}

/// Fences (电子围栏) and the roster (排班) come back as saved, every bit of
/// their coordinates and times kept; a save deletes and replaces in one
/// transaction.
async fn fences_and_roster_round_trip(b: &Backend) {
    use riskmap::fence::{Detect, Fence};
    use riskmap::roster::Shift;
    let store = &b.store;
    let fence = |id: &str, x: f64| Fence {
        id: id.into(),
        name: format!("围栏{id}"),
        detect: vec![Detect::Exit],
        area: rect(LON0 + x, LAT0, 0.001, 0.002),
        updated_ms: T0,
        updated_by: "admin".into(),
    };
    let (f1, f2, f3) = (fence("F1", 0.0), fence("F2", 0.01), fence("F3", 0.02));
    store
        .put_fences(&[f1.clone(), f2.clone()], &[], None)
        .await
        .unwrap();
    let mut f2b = f2.clone();
    f2b.detect = vec![Detect::Enter, Detect::Exit];
    store
        .put_fences(&[f2b.clone(), f3.clone()], &["F1".to_owned()], None)
        .await
        .unwrap();
    assert_eq!(store.fences().await.unwrap(), [f2b, f3]);

    let shift = |grid: &str, staff: &str| -> Shift {
        serde_json::from_value(serde_json::json!({
            "grid": grid, "staff": [staff], "days": ["mon", "sun"],
            "start": "22:00", "end": "06:30", "name": "夜班" }))
        .unwrap()
    };
    let (a, b1, c) = (shift("G1", "S1"), shift("G2", "S2"), shift("G1", "S3"));
    store
        .put_roster(&[], &[a.clone(), b1.clone()], None)
        .await
        .unwrap();
    store
        .put_roster(&["G1".to_owned()], std::slice::from_ref(&c), None)
        .await
        .unwrap();
    assert_eq!(store.roster().await.unwrap(), [b1, c]);
}
