//! Demo mode's simulator: staff on duty walk (or ride) between random points
//! of their home grid, reporting a fix every interval through the same path
//! real phones use, so a newcomer sees a living map at once.

use std::sync::Arc;
use std::time::Duration;

use geo::{BoundingRect, Intersects};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rustc_hash::FxHashMap;
use tokio::sync::watch;

use crate::app::App;
use crate::auth::now_ms;
use crate::engine::model::{DutyStatus, Role};
use crate::engine::sphere::{self, LonLat};
use crate::engine::{AreaIdx, Engine};
use crate::live::{Datum, FixIn};

/// Where a simulated staff member is heading, and how fast.
struct Walker {
    target: LonLat,
    speed_mps: f64,
}

/// Runs until `stop` turns true.
pub async fn run(app: Arc<App>, interval: Duration, mut stop: watch::Receiver<bool>) {
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
    walkers: &mut FxHashMap<String, Walker>,
    rng: &mut StdRng,
    slice: u64,
    slices: u64,
    dt_s: f64,
) -> Vec<FixIn> {
    let now = now_ms();
    let mut out = Vec::new();
    for (idx, m) in engine.staff().iter() {
        if u64::from(idx) % slices != slice || m.duty == DutyStatus::Off {
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
