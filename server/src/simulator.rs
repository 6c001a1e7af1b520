//! Demo mode's simulator: staff on duty walk (or ride) between random points
//! of their home grid, reporting a fix every interval through the same path
//! real phones use; and incidents are reported and move along the closed
//! loop. A newcomer sees a living map at once.
//!
//! Staff members who are real people — the demo's `field` login, a phone in
//! someone's hand — are left to them: the simulator neither walks them nor
//! dispatches its incidents to them, so their position is what their phone
//! says and their tasks are the ones a dispatcher gave them.

use std::sync::Arc;
use std::time::Duration;

use geo::{BoundingRect, Intersects};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rustc_hash::{FxHashMap, FxHashSet};
use tokio::sync::watch;

use crate::app::App;
use crate::clock::now_ms;
use crate::identity::{User, UserRole};
use crate::incident::ReportIn;
use crate::incident::model::{Priority, Source, State};
use crate::incident::{ActionRequest, Command};
use riskmap_engine::model::{DutyStatus, Role, Skill};
use riskmap_engine::sphere::{self, LonLat};
use riskmap_engine::{AreaIdx, Engine, NearestQuery, StaffFilter, StaffIdx};
use riskmap_wire::{Datum, FixIn};

/// Where a simulated staff member is heading, and how fast.
struct Walker {
    target: LonLat,
    speed_mps: f64,
}

/// Staff ids of the staff members who have a login (see the module doc).
pub type People = Arc<FxHashSet<String>>;

/// Runs until `stop` turns true.
pub async fn run(
    app: Arc<App>,
    interval: Duration,
    people: People,
    mut stop: watch::Receiver<bool>,
) {
    let mut rng = StdRng::seed_from_u64(now_ms().unsigned_abs());
    let mut walkers: FxHashMap<String, Walker> = FxHashMap::default();
    let slices = interval.as_secs().max(1);
    let mut second: u64 = 0;
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        second += 1;
        let fixes = {
            let engine = app.engine.read();
            step(
                &engine,
                &people,
                &mut walkers,
                &mut rng,
                second % slices,
                slices,
                interval.as_secs_f64(),
            )
        };
        if fixes.is_empty() {
            continue;
        }
        if let Err(e) = app.post_fixes(None, None, fixes).await {
            tracing::warn!(?e, "simulated fixes were refused");
        }
    }
}

/// Moves the staff of one slice one interval further.
fn step(
    engine: &Engine,
    people: &FxHashSet<String>,
    walkers: &mut FxHashMap<String, Walker>,
    rng: &mut StdRng,
    slice: u64,
    slices: u64,
    dt_s: f64,
) -> Vec<FixIn> {
    let now = now_ms();
    let mut out = Vec::new();
    for (idx, m) in engine.staff().iter() {
        if u64::from(idx) % slices != slice
            || m.duty == DutyStatus::Off
            || people.contains(m.id.as_str())
        {
            continue;
        }
        let (Some(fix), Some(home)) = (m.fix, m.home) else {
            continue;
        };
        let here = fix.position;
        let w = walkers.entry(m.id.to_string()).or_insert_with(|| Walker {
            target: random_point_in(engine, home, rng).unwrap_or(here),
            speed_mps: match m.role {
                // Police and urban management patrol by car or e-bike.
                Role::Police | Role::UrbanManagement => rng.random_range(3.0..8.0),
                _ => rng.random_range(0.8..1.6),
            },
        });
        let d = sphere::distance_m(here, w.target);
        let reach = w.speed_mps * dt_s;
        let next = if d <= reach {
            let arrived = w.target;
            w.target = random_point_in(engine, home, rng).unwrap_or(arrived);
            arrived
        } else {
            let f = reach / d;
            LonLat {
                lon: here.lon + (w.target.lon - here.lon) * f,
                lat: here.lat + (w.target.lat - here.lat) * f,
            }
        };
        out.push(FixIn {
            staff_id: Some(m.id.to_string()),
            lon: next.lon,
            lat: next.lat,
            t: Some(now.into()),
            accuracy: Some(rng.random_range(3.0..15.0)),
            speed: Some((reach.min(d) / dt_s) as f32),
            heading: Some(sphere::bearing_deg(here, next) as f32),
            altitude: None,
            battery: Some(rng.random_range(20.0..100.0)),
            coords: Datum::Wgs84,
        });
    }
    out
}

/// A uniformly random point inside a grid (by rejection from its box).
fn random_point_in(engine: &Engine, grid: AreaIdx, rng: &mut StdRng) -> Option<LonLat> {
    let g = &engine.areas().get(grid).geometry;
    let r = g.bounding_rect()?;
    for _ in 0..50 {
        let p = geo::Point::new(
            rng.random_range(r.min().x..=r.max().x),
            rng.random_range(r.min().y..=r.max().y),
        );
        if g.intersects(&p) {
            return LonLat::new(p.x(), p.y()).ok();
        }
    }
    None
}

/// Where a simulated report comes from, with its weight.
const SOURCES: [(Source, u32); 5] = [
    (Source::Patrol, 50),
    (Source::Hotline, 20),
    (Source::Camera, 15),
    (Source::Citizen, 10),
    (Source::System, 5),
];

/// Incidents raised at start on an empty book, so a newcomer's big screen
/// shows a working day at once.
const SEED_INCIDENTS: usize = 40;

/// Demo incidents: every `every`, someone reports a problem where a staff
/// member on duty stands; the incidents the simulator raised then move along
/// the closed loop as the dispatchers and staff behind them would (through
/// the same checks and commits as real users). Incidents people raise are
/// left to people.
pub async fn run_incidents(
    app: Arc<App>,
    every: Duration,
    people: People,
    mut stop: watch::Receiver<bool>,
) {
    let mut rng = StdRng::seed_from_u64(now_ms().unsigned_abs() ^ 0x5eed);
    let mut ours: Vec<String> = Vec::new();
    if app.incidents.book().is_empty() {
        for _ in 0..SEED_INCIDENTS {
            if let Some(id) = raise(&app, &mut rng).await {
                for _ in 0..rng.random_range(0..7) {
                    advance(&app, &people, &id, &mut rng).await;
                }
                ours.push(id);
            }
        }
    }
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Some(id) = raise(&app, &mut rng).await {
            ours.push(id);
        }
        for _ in 0..2 {
            if ours.is_empty() {
                break;
            }
            let id = ours[rng.random_range(0..ours.len())].clone();
            advance(&app, &people, &id, &mut rng).await;
        }
        let book = app.incidents.book();
        ours.retain(|id| book.get(id).is_some_and(|e| e.incident.is_open()));
    }
}

/// The simulator acting as the command centre.
fn centre() -> User {
    User {
        id: 0,
        username: "simulator".into(),
        display_name: "模拟器".into(),
        role: UserRole::Admin,
        area: String::new(),
        staff_id: None,
        department: None,
        must_change_password: false,
    }
}

/// One report where a random staff member on duty stands.
async fn raise(app: &App, rng: &mut StdRng) -> Option<String> {
    let (at, category) = {
        let engine = app.engine.read();
        let staff = engine.staff();
        if staff.is_empty() {
            return None;
        }
        let mut at = None;
        for _ in 0..20 {
            let idx = rng.random_range(0..staff.len()) as StaffIdx;
            if let Some(m) = staff.get(idx).filter(|m| m.duty != DutyStatus::Off)
                && let Some(f) = m.fix
            {
                at = Some(f.position);
                break;
            }
        }
        let cats = app.incidents.dictionary().categories();
        (at?, cats[rng.random_range(0..cats.len())].code.clone())
    };
    let total: u32 = SOURCES.iter().map(|s| s.1).sum();
    let mut pick = rng.random_range(0..total);
    let source = SOURCES
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map_or(Source::System, |s| s.0);
    let priority = match rng.random_range(0..100) {
        0..75 => Priority::Normal,
        75..95 => Priority::Urgent,
        _ => Priority::Emergency,
    };
    let report = ReportIn {
        category,
        source: Some(source),
        priority: Some(priority),
        lon: at.lon + rng.random_range(-0.0005..0.0005),
        lat: at.lat + rng.random_range(-0.0005..0.0005),
        description: "模拟上报：现场发现问题，请处理".into(),
        photos: Vec::new(),
        report_only: rng.random_range(0..100) < 5,
        coords: Datum::Wgs84,
    };
    match app.report_incident(&centre(), report).await {
        Ok(v) => Some(v.id),
        Err(e) => {
            tracing::debug!(error = %e, "simulated report refused");
            None
        }
    }
}

/// Moves one of the simulator's incidents one step along the loop.
async fn advance(app: &App, people: &FxHashSet<String>, id: &str, rng: &mut StdRng) {
    let Some((state, assignee, position, category)) = app.incidents.book().get(id).map(|e| {
        (
            e.incident.state,
            e.incident.assignee_staff.clone(),
            e.incident.position,
            e.incident.category.clone(),
        )
    }) else {
        return;
    };
    let act = |command: Command, comment: &str| ActionRequest::new(command, comment);
    let (user, req) = match state {
        State::Reported if rng.random_range(0..10) == 0 => {
            (centre(), act(Command::Reject {}, "不属于受理范围"))
        }
        State::Reported => (centre(), act(Command::Accept {}, "")),
        State::Accepted => {
            let (staff_id, department) = match nearest_suitable(app, people, position, &category) {
                Some(staff) => (Some(staff), None),
                // No one suitable nearby: the department routing proposes
                // (一网分流).
                None => (
                    None,
                    app.incident_for(&centre(), id)
                        .ok()
                        .and_then(|v| v.proposed_department)
                        .map(|d| d.code),
                ),
            };
            let dispatch = Command::Dispatch {
                staff_id,
                department,
            };
            (centre(), act(dispatch, "请尽快处置"))
        }
        State::Dispatched | State::Signed | State::InProgress => {
            let action = match state {
                State::Dispatched => act(Command::Sign {}, ""),
                State::Signed => act(Command::Start {}, ""),
                _ => act(Command::Handle {}, "已处置完毕"),
            };
            let user = match assignee {
                Some(staff) => User {
                    role: UserRole::Field,
                    staff_id: Some(staff),
                    ..centre()
                },
                None => centre(),
            };
            (user, action)
        }
        State::Handled if rng.random_range(0..7) == 0 => {
            (centre(), act(Command::VerifyFail {}, "核查不通过，需返工"))
        }
        State::Handled => (centre(), act(Command::Verify {}, "")),
        State::Verified => (centre(), act(Command::Close {}, "")),
        State::Rejected | State::Merged | State::Closed => return,
    };
    if let Err(e) = app.act_on_incident(&user, id, req).await {
        tracing::debug!(
            incident = id,
            error = %e,
            "simulated action refused"
        );
    }
}

/// The nearest available staff member with the category's skill.
fn nearest_suitable(
    app: &App,
    people: &FxHashSet<String>,
    at: LonLat,
    category: &str,
) -> Option<String> {
    let skill = app
        .incidents
        .dictionary()
        .category(category)
        .and_then(|c| c.skill);
    let engine = app.engine.read();
    let q = NearestQuery {
        point: at,
        // Enough that someone is left once the people are passed over.
        k: 1 + people.len(),
        filter: StaffFilter {
            available_only: true,
            roles: 0,
            skills: skill.map_or(0, Skill::bit),
        },
        max_m: Some(10_000.0),
        same_grid_first: true,
        fixed_since: None,
    };
    let found = engine.nearest_staff(&q).ok()?;
    found
        .iter()
        .filter_map(|c| engine.staff().get(c.idx))
        .find(|m| !people.contains(m.id.as_str()))
        .map(|m| m.id.to_string())
}
