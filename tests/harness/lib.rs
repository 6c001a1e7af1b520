//! The harness of the end-to-end tests: the real server on 127.0.0.1:0 over
//! a small two-district test city (in process, as the `riskmap` binary runs
//! it, or as the built binary itself for faults), and clients for it
//! (reqwest for HTTP, tokio-tungstenite for `/ws`).
//!
//! The store is SQLite in a temporary directory, or PostGIS when
//! `RISKMAP_TEST_DATABASE_URL` is set (each server gets a fresh database).
// Test support: a failed step is a failed test (unwrap, panics), and every
// helper is called for its value by tests that read it.
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    clippy::must_use_candidate
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use geo::{LineString, MultiPolygon, Polygon};
use riskmap::config::ServeArgs;
use riskmap::serve::Server;
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, risk_source_feature, staff_feature,
    write_collection,
};
use riskmap_engine::model::{
    Area, AreaLevel, Camera, DutyStatus, Fix, Footprint, KeyPlace, RiskLevel, RiskSource, Role,
    Skill, Staff,
};
use riskmap_engine::sphere::LonLat;
use serde_json::Value;
use sqlx::Connection;
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::Message;

pub mod binaries;
pub mod channels;
pub mod cluster;
pub mod incidents;
pub mod load;
pub mod locks;
pub mod nodes;
pub mod ogc;
pub mod org;

pub use binaries::binary;

/// Where the fixes a test sends begin: an hour ago, on the second. A fixed
/// date would age past the track retention (30 days) and its fixes be
/// pruned while the test runs (a cluster node prunes as soon as it takes
/// the jobs' lease), reading as acknowledged fixes lost.
pub fn fixes_from_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis();
    (i64::try_from(now).expect("a time in range") - 3_600_000) / 1000 * 1000
}

pub const ADMIN_PASSWORD: &str = "test-admin-password";
pub const DEMO_PASSWORD: &str = riskmap::serve::DEMO_PASSWORD;

/// The test city: 城市 T (code 1) with districts 11 (west, lon 120.00–120.10)
/// and 12 (east, 120.10–120.20), each one street, one community and two
/// grids side by side; lat 28.00–28.10.
pub fn city_areas() -> Vec<Area> {
    let mut out = vec![area(
        "1",
        "测试市",
        AreaLevel::City,
        None,
        rect(120.0, 28.0, 120.2, 28.1),
    )];
    for (d, x0) in [("11", 120.0), ("12", 120.1)] {
        let whole = rect(x0, 28.0, x0 + 0.1, 28.1);
        let s = format!("{d}001");
        let c = format!("{s}001");
        out.push(area(
            d,
            &format!("{d}区"),
            AreaLevel::District,
            Some("1"),
            whole.clone(),
        ));
        out.push(area(
            &s,
            &format!("{d}街道"),
            AreaLevel::Street,
            Some(d),
            whole.clone(),
        ));
        out.push(area(
            &c,
            &format!("{d}社区"),
            AreaLevel::Community,
            Some(&s),
            whole,
        ));
        out.push(area(
            &format!("{c}001"),
            "第1网格",
            AreaLevel::Grid,
            Some(&c),
            rect(x0, 28.0, x0 + 0.05, 28.1),
        ));
        out.push(area(
            &format!("{c}002"),
            "第2网格",
            AreaLevel::Grid,
            Some(&c),
            rect(x0 + 0.05, 28.0, x0 + 0.1, 28.1),
        ));
    }
    out
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
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

/// The test city's two districts trade places in the server's area tree,
/// each area of one taking the index of its twin in the other (11001001001
/// that of 12001001001, …), as an areas import may renumber them — without
/// the rest of the import (the risk rebuild, the tile versions, the
/// resync), as the engine holds it in the moment between.
pub fn swap_districts(s: &TestServer) {
    let mut engine = s.server().app.engine.write();
    let mut areas: Vec<Area> = engine.areas().iter().map(|(_, a)| a.clone()).collect();
    let at = |areas: &[Area], code: &str| areas.iter().position(|a| a.code == code).unwrap();
    let west: Vec<String> = areas
        .iter()
        .filter(|a| a.code.starts_with("11"))
        .map(|a| a.code.clone())
        .collect();
    for code in &west {
        let (i, j) = (at(&areas, code), at(&areas, &code.replacen("11", "12", 1)));
        areas.swap(i, j);
    }
    let before = engine.areas().idx(&grid(11, 1));
    engine.replace_areas(areas).unwrap();
    assert_eq!(
        engine.areas().idx(&grid(12, 1)),
        before,
        "the twins traded indexes"
    );
}

/// The grid of district `d` (11 or 12), number `n` (1 or 2).
pub fn grid(d: u8, n: u8) -> String {
    format!("{d}001001{n:03}")
}

/// A staff member of district `d`, grid `n`, at `p`, available, fix at t=1 s
/// after 2026-01-01.
pub fn staff(id: &str, d: u8, n: u8, role: Role, skills: &[Skill], p: (f64, f64)) -> Staff {
    Staff {
        id: id.into(),
        name: format!("员工{id}"),
        role,
        skills: skills.to_vec(),
        home_grid: grid(d, n),
        duty: DutyStatus::Available,
        devices: vec![format!("dev-{id}")],
        last_fix: Some(Fix::at(LonLat::new(p.0, p.1).unwrap(), 1_767_225_601_000)),
    }
}

/// The staff of the test city: S1 is the first (the demo field login).
pub fn city_staff() -> Vec<Staff> {
    vec![
        staff(
            "S1",
            11,
            1,
            Role::GridWorker,
            &[Skill::Mediation],
            (120.02, 28.05),
        ),
        staff(
            "S2",
            11,
            1,
            Role::Police,
            &[Skill::FirstAid, Skill::Traffic],
            (120.03, 28.05),
        ),
        staff(
            "S3",
            11,
            2,
            Role::UrbanManagement,
            &[Skill::Sanitation],
            (120.07, 28.05),
        ),
        staff(
            "S4",
            12,
            1,
            Role::GridWorker,
            &[Skill::Mediation],
            (120.11, 28.05),
        ),
        staff("S5", 12, 2, Role::Volunteer, &[], (120.17, 28.05)),
    ]
}

/// Writes the test city as a city directory.
pub fn write_city(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    write_collection(
        &dir.join("areas.geojson"),
        city_areas().iter().map(area_feature),
    )
    .unwrap();
    write_collection(
        &dir.join("staff.geojson"),
        city_staff().iter().map(staff_feature),
    )
    .unwrap();
    let cams = [
        Camera {
            id: "C1".into(),
            name: "北向摄像头".into(),
            heading_deg: Some(0.0),
            fov_deg: Some(90.0),
            range_m: 200.0,
            stream_url: None,
            online: true,
            owner: "公安".into(),
            location: LonLat::new(120.02, 28.049).unwrap(),
        },
        Camera {
            id: "C2".into(),
            name: "东区球机".into(),
            heading_deg: None,
            fov_deg: None,
            range_m: 100.0,
            stream_url: None,
            online: true,
            owner: "社区".into(),
            location: LonLat::new(120.11, 28.05).unwrap(),
        },
    ];
    write_collection(
        &dir.join("cameras.geojson"),
        cams.iter().map(camera_feature),
    )
    .unwrap();
    let risks = [RiskSource {
        id: "R1".into(),
        name: "加油站".into(),
        category: "加油站".into(),
        level: RiskLevel::Significant,
        footprint: Footprint::Point(geo::Point::new(120.021, 28.05)),
    }];
    write_collection(
        &dir.join("risk_sources.geojson"),
        risks.iter().map(risk_source_feature),
    )
    .unwrap();
    let places = [KeyPlace {
        id: "K1".into(),
        name: "实验小学".into(),
        category: "学校".into(),
        footprint: Footprint::Area(rect(120.018, 28.048, 120.019, 28.049)),
    }];
    write_collection(
        &dir.join("key_places.geojson"),
        places.iter().map(key_place_feature),
    )
    .unwrap();
}

/// A running test server and its temporary files.
pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub ws_base: String,
    pub http: reqwest::Client,
    pub args: ServeArgs,
    pub dir: PathBuf,
    pub admin_password: String,
    tmp: Option<TempDir>,
}

/// `--stale-after-s` of test servers: the test city's fixes are dated
/// 2026-01-01, and most tests ask about its staff as placed there; the
/// tests of staleness set their own.
pub const FIXTURE_STALE_AFTER_S: u64 = 100 * 365 * 86_400;

/// Server arguments over a fresh temporary directory with the test city.
pub async fn test_args() -> (ServeArgs, TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    write_city(&tmp.path().join("city"));
    let mut args = ServeArgs::defaults();
    args.listen = "127.0.0.1:0".parse().unwrap();
    args.osmand_listen = Some("127.0.0.1:0".parse().unwrap());
    args.data_dir = tmp.path().join("data");
    args.demo = true;
    args.no_simulator = true;
    args.demo_city = tmp.path().join("city");
    args.tick_ms = 20;
    args.stale_after_s = FIXTURE_STALE_AFTER_S;
    // Tests run the patrol alerts' pass themselves, at the times they choose.
    args.patrol_alert_check_s = 0;
    args.static_dir = None;
    args.database_url = fresh_database().await;
    (args, tmp)
}

/// A new empty PostGIS database when `RISKMAP_TEST_DATABASE_URL` is set.
pub async fn fresh_database() -> Option<String> {
    let url = std::env::var("RISKMAP_TEST_DATABASE_URL").ok()?;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    let name = format!(
        "riskmap_it_{}",
        riskmap::identity::sessions::new_token().get(..12).unwrap()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .unwrap();
    let (prefix, _) = url.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

impl TestServer {
    pub async fn start() -> TestServer {
        let (args, tmp) = test_args().await;
        TestServer::start_in(args, tmp).await
    }

    /// A server with `args` (from [`test_args`], changed) over the
    /// temporary directory they name.
    pub async fn start_in(args: ServeArgs, tmp: TempDir) -> TestServer {
        let mut s = TestServer::start_with(args).await;
        tmp.path().clone_into(&mut s.dir);
        s.tmp = Some(tmp);
        s
    }

    pub async fn start_with(args: ServeArgs) -> TestServer {
        let server = Box::pin(riskmap::serve::start(args.clone())).await.unwrap();
        let base = format!("http://{}", server.addr);
        let ws_base = format!("ws://{}", server.addr);
        TestServer {
            admin_password: server.generated_admin_password.clone().unwrap_or_default(),
            server: Some(server),
            base,
            ws_base,
            http: reqwest::Client::new(),
            args,
            dir: PathBuf::new(),
            tmp: None,
        }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().unwrap()
    }

    /// Stops the server (committing what is queued) and starts a new one on
    /// the same store.
    pub async fn restart(&mut self) {
        self.server.take().unwrap().shutdown().await;
        self.restart_stopped().await;
    }

    /// Starts a new server on the store of one that was stopped.
    pub async fn restart_stopped(&mut self) {
        let server = Box::pin(riskmap::serve::start(self.args.clone()))
            .await
            .unwrap();
        self.base = format!("http://{}", server.addr);
        self.ws_base = format!("ws://{}", server.addr);
        self.server = Some(server);
    }

    pub async fn login(&self, user: &str) -> String {
        let password = if user == "admin" {
            self.admin_password.clone()
        } else {
            DEMO_PASSWORD.to_owned()
        };
        let r = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&serde_json::json!({ "username": user, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {user}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Logs in as `user` with `password`: the status and the body.
    pub async fn try_login(&self, user: &str, password: &str) -> (u16, Value) {
        answer(
            self.http
                .post(format!("{}/api/auth/login", self.base))
                .json(&serde_json::json!({ "username": user, "password": password })),
        )
        .await
    }

    /// `riskmap users ARGS…` on this server's store (stop the server
    /// first), the new password in `RISKMAP_NEW_PASSWORD`: whether it
    /// succeeded, its standard output and error.
    pub fn users_cli(&self, args: &[&str], password: &str) -> (bool, String, String) {
        let mut all = vec!["users"];
        all.extend_from_slice(args);
        self.cli(&all, password)
    }

    /// `riskmap ARGS…` (a command that works on the store: `users`,
    /// `departments`, `import`) on this server's store, the server
    /// stopped; as [`TestServer::users_cli`].
    pub fn cli(&self, args: &[&str], password: &str) -> (bool, String, String) {
        let mut store = vec![
            "--data-dir".to_owned(),
            self.args.data_dir.display().to_string(),
        ];
        if let Some(url) = &self.args.database_url {
            store.extend(["--database-url".to_owned(), url.clone()]);
        }
        let out = std::process::Command::new(binary("riskmap"))
            .args(args)
            .args(&store)
            .env("RISKMAP_NEW_PASSWORD", password)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        answer(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(token),
        )
        .await
    }

    /// While a question waits for a turn: a fix of `field`'s is taken and a
    /// nearest query of `asker`'s answered, then 200 ms let pass (time for
    /// the question to have been answered, had it not waited).
    pub async fn others_go_on(&self, field: &str, asker: &str) {
        let fix =
            serde_json::json!({ "fixes": [{ "lon": 120.03, "lat": 28.06, "t": fixes_from_ms() }] });
        let (status, b) = self.post(field, "/api/fixes", &fix).await;
        assert_eq!(status, 200, "{b}");
        let (status, b) = self
            .get(asker, "/api/dispatch/nearest?lon=120.021&lat=28.05&k=3")
            .await;
        assert_eq!(status, 200, "{b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    /// `GET path` sent on a task of its own, for a question that waits
    /// (for a turn): its status, content type and body as text.
    pub fn get_later(
        &self,
        token: &str,
        path: &str,
    ) -> tokio::task::JoinHandle<(u16, String, String)> {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        tokio::spawn(async move {
            let r = request.send().await.unwrap();
            let kind = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            (r.status().as_u16(), kind, r.text().await.unwrap())
        })
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        answer(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    /// A `/ws` connection of `token` subscribed to `layers` of `area`, its
    /// snapshot read.
    pub async fn watch(&self, token: &str, area: &str, layers: &[&str]) -> Ws {
        let mut ws = self.ws(token).await;
        ws.send(&serde_json::json!({ "type": "subscribe", "area": area, "layers": layers }))
            .await;
        ws.next_of("snapshot").await;
        ws
    }

    /// `DELETE path`: the status.
    pub async fn delete(&self, token: &str, path: &str) -> u16 {
        let r = self
            .http
            .delete(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }

    /// `GET path` without a login (the citizen page's routes).
    pub async fn public_get(&self, path: &str) -> (u16, Value) {
        answer(self.http.get(format!("{}{path}", self.base))).await
    }

    /// `POST path` of JSON without a login.
    pub async fn public_post(&self, path: &str, body: &Value) -> (u16, Value) {
        answer(self.http.post(format!("{}{path}", self.base)).json(body)).await
    }

    pub async fn ws(&self, token: &str) -> Ws {
        let (stream, _) =
            tokio_tungstenite::connect_async(format!("{}/ws?token={token}", self.ws_base))
                .await
                .unwrap();
        let mut ws = Ws { stream };
        let hello = ws.next_json().await;
        assert_eq!(hello["type"], "hello");
        ws
    }
}

/// Sends a request; the status and the body as JSON (or as a string if it
/// is not JSON).
async fn answer(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A `/ws` connection to a server at `base` (`http://…`), past its hello.
pub async fn ws_at(base: &str, token: &str) -> Ws {
    let url = format!("{}/ws?token={token}", base.replacen("http", "ws", 1));
    let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut ws = Ws { stream };
    assert_eq!(ws.next_json().await["type"], "hello");
    ws
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn send(&mut self, v: &Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next text message as JSON (5 s at most).
    pub async fn next_json(&mut self) -> Value {
        self.next_json_within(Duration::from_secs(5)).await
    }

    /// The next text message as JSON, waiting at most `within`.
    pub async fn next_json_within(&mut self, within: Duration) -> Value {
        loop {
            let msg = tokio::time::timeout(within, self.stream.next())
                .await
                .expect("a message in time")
                .expect("the connection is open")
                .unwrap();
            match msg {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Close(c) => panic!("closed: {c:?}"),
                _ => {}
            }
        }
    }

    /// The close frame that ends the connection, skipping other messages
    /// (5 s at most).
    pub async fn next_close(&mut self) -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a message within 5 s")
            {
                Some(Ok(Message::Close(c))) => return c.expect("a close frame with a code"),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// The next message of a type, skipping others (5 s at most).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        self.next_of_within(kind, Duration::from_secs(5)).await
    }

    /// Every text message that arrives within `d`, as JSON (for what must
    /// not arrive).
    pub async fn collect_for(&mut self, d: Duration) -> Vec<Value> {
        let until = tokio::time::Instant::now() + d;
        let mut out = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(until, self.stream.next()).await {
            if let Message::Text(t) = msg {
                out.push(serde_json::from_str(t.as_str()).unwrap());
            }
        }
        out
    }

    /// The next message of a type, each message within `within`.
    pub async fn next_of_within(&mut self, kind: &str, within: Duration) -> Value {
        loop {
            let v = self.next_json_within(within).await;
            if v["type"] == kind {
                return v;
            }
        }
    }
}

/// The admin password of servers started as processes.
pub const PROCESS_ADMIN_PASSWORD: &str = "process-test-admin";

/// `riskmap serve` as a child process: for faults (SIGKILL) and for memory
/// figures that must be the server's own. Killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `riskmap serve ARGS` and waits for its banner (stderr to `log`).
    pub fn spawn(args: &[String], log: &Path) -> ServerProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(binary("riskmap"))
            .arg("serve")
            .args(args)
            .env("RISKMAP_ADMIN_PASSWORD", PROCESS_ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("riskmap is running at ") {
                    let _ = tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("no banner; see {}", log.display()));
        ServerProcess { child, base }
    }

    /// The server's resident memory, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` arguments for a demo-mode server (no simulator) on the city in
/// `dir/city`, its store in `dir/data` (or `database_url`).
pub fn process_args(dir: &Path, database_url: Option<String>) -> Vec<String> {
    let mut args: Vec<String> = ["--listen", "127.0.0.1:0", "--demo", "--no-simulator"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.push("--stale-after-s".into());
    args.push(FIXTURE_STALE_AFTER_S.to_string());
    args.push("--demo-city".into());
    args.push(dir.join("city").display().to_string());
    args.push("--data-dir".into());
    args.push(dir.join("data").display().to_string());
    if let Some(url) = database_url {
        args.push("--database-url".into());
        args.push(url);
    }
    args
}

/// Logs in to a server at `base` (demo logins); the token.
pub async fn login_at(base: &str, user: &str, password: &str) -> String {
    let r: Value = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"].as_str().unwrap().to_owned()
}

/// The Prometheus text of a server at `base`.
pub async fn metrics_at(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
