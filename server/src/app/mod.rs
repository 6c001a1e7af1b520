//! The running server's shared state: one cheap handle that every request,
//! connection and background task holds.
//!
//! Every change of live state goes through a method here, which updates the
//! engine (under its write lock, never across an await), tells the hub, and
//! persists through the store before it is acknowledged.

pub mod ingest;

use std::sync::Arc;

use parking_lot::RwLock;

use crate::clock::{epoch_ms, now_ms, parse_time};
use crate::identity::Auth;
use crate::identity::Scope;
use crate::identity::{User, UserRole};
use crate::live::{Datum, FixIn, Hub};
use crate::metrics::Metrics;
use crate::store::Store;
use ingest::{Ingest, IngestError};
use riskmap_engine::model::{DutyStatus, Fix};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{Engine, MoveOutcome, StaffIdx, gcj02};

/// Limits on what clients may send; each refusal names the limit.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest HTTP request body, bytes.
    pub max_body_bytes: usize,
    /// Largest WebSocket message, bytes.
    pub max_frame_bytes: usize,
    /// Largest layer import body (`POST /ogc/collections/{id}/items`), bytes.
    pub max_import_bytes: usize,
    /// Most fixes in one request or message.
    pub max_fixes_per_request: usize,
    /// Most features in one import.
    pub max_import_features: usize,
    /// Most items an OGC page may hold.
    pub max_page: usize,
    /// Largest k of a nearest query.
    pub max_k: usize,
    /// Largest radius of a nearby query, metres.
    pub max_radius_m: f64,
    /// WebSocket messages a connection may send per second (sustained).
    pub ws_messages_per_second: u32,
    /// Open WebSocket connections at most.
    pub max_ws_connections: usize,
    /// HTTP requests in flight at most (beyond: 503).
    pub max_concurrent_requests: usize,
    /// Vertices of one imported polygon at most.
    pub max_polygon_vertices: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_frame_bytes: 1024 * 1024,
            max_import_bytes: 512 * 1024 * 1024,
            max_fixes_per_request: 10_000,
            max_import_features: 2_000_000,
            max_page: 10_000,
            max_k: 100,
            max_radius_m: 50_000.0,
            ws_messages_per_second: 200,
            max_ws_connections: 20_000,
            max_concurrent_requests: 4_096,
            max_polygon_vertices: 200_000,
        }
    }
}

/// The shared state.
pub struct App {
    /// The city in memory: the live truth.
    pub engine: RwLock<Engine>,
    /// What survives a restart.
    pub store: Arc<dyn Store>,
    /// Logins and sessions.
    pub auth: Auth,
    /// Live push.
    pub hub: Hub,
    /// The track writer.
    pub ingest: Ingest,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Input limits.
    pub limits: Limits,
    /// The incident closed loop.
    pub incidents: crate::incident::Desk,
    /// Login throttling, request rates, CORS.
    pub guard: crate::identity::Guard,
}

/// Why a batch of fixes was refused; nothing of it was applied.
#[derive(Debug, Clone, PartialEq)]
pub enum FixRejection {
    /// A fix is malformed or out of range.
    Invalid {
        /// Position in the batch, from 0.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The staff member is unknown.
    UnknownStaff {
        /// Position in the batch, from 0.
        index: usize,
        /// Who.
        staff_id: String,
    },
    /// The user may not post this staff member's position.
    Forbidden {
        /// Position in the batch, from 0.
        index: usize,
        /// Why.
        reason: String,
    },
    /// Too many fixes at once.
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// Valid, applied live, but the store could not commit the track.
    NotPersisted(IngestError),
}

/// What a batch of fixes did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FixReport {
    /// Fixes that moved a live position.
    pub applied: usize,
    /// Fixes older than the live position (kept in the track only).
    pub stale: usize,
}

impl App {
    /// The scope of a user now.
    #[must_use]
    pub fn scope_of(&self, user: &User) -> Scope {
        Scope::of(user, self.engine.read().areas())
    }

    /// Validates, applies and persists a batch of fixes posted by `user`.
    /// `default_staff` is whose fixes they are when a fix names no one (a
    /// field user's own, or an OsmAnd device's owner).
    pub async fn post_fixes(
        &self,
        user: Option<&User>,
        default_staff: Option<&str>,
        fixes: Vec<FixIn>,
    ) -> Result<FixReport, FixRejection> {
        let (report, commit) = self.apply_fixes(user, default_staff, fixes)?;
        commit.await.map_err(FixRejection::NotPersisted)?;
        Ok(report)
    }

    /// The first half of [`App::post_fixes`]: validates the batch and applies
    /// it to the live map at once; returns what it did and the commit to wait
    /// for before acknowledging. The commit is queued to the track writer
    /// only when the returned future is first polled, and it owns everything
    /// it needs, so a connection can apply its next batch while this one's
    /// commit is still under way (acknowledging in order).
    pub fn apply_fixes(
        &self,
        user: Option<&User>,
        default_staff: Option<&str>,
        fixes: Vec<FixIn>,
    ) -> Result<
        (
            FixReport,
            impl Future<Output = Result<(), IngestError>> + Send + 'static,
        ),
        FixRejection,
    > {
        if fixes.len() > self.limits.max_fixes_per_request {
            return Err(FixRejection::TooMany {
                limit: self.limits.max_fixes_per_request,
            });
        }
        let now = now_ms();
        // Validate everything before anything is applied.
        let mut ready: Vec<(StaffIdx, String, Fix)> = Vec::with_capacity(fixes.len());
        {
            let engine = self.engine.read();
            let scope = user.map(|u| Scope::of(u, engine.areas()));
            for (index, f) in fixes.into_iter().enumerate() {
                let staff_id = f
                    .staff_id
                    .clone()
                    .or_else(|| default_staff.map(ToOwned::to_owned))
                    .ok_or_else(|| FixRejection::Invalid {
                        index,
                        reason: "the fix names no staff_id".into(),
                    })?;
                let fix =
                    to_fix(&f, now).map_err(|reason| FixRejection::Invalid { index, reason })?;
                let idx =
                    engine
                        .staff()
                        .find(&staff_id)
                        .ok_or_else(|| FixRejection::UnknownStaff {
                            index,
                            staff_id: staff_id.clone(),
                        })?;
                if let (Some(u), Some(scope)) = (user, scope) {
                    let home = engine.staff().get(idx).and_then(|m| m.home);
                    let allowed = match u.role {
                        UserRole::Field => u.staff_id.as_deref() == Some(staff_id.as_str()),
                        UserRole::Admin | UserRole::Commander | UserRole::Dispatcher => {
                            scope.contains(home, engine.areas())
                        }
                        UserRole::Viewer => false,
                    };
                    if !allowed {
                        return Err(FixRejection::Forbidden {
                            index,
                            reason: format!("{} may not post positions for {staff_id}", u.username),
                        });
                    }
                }
                ready.push((idx, staff_id, fix));
            }
        }
        let mut report = FixReport::default();
        let mut moved = Vec::with_capacity(ready.len());
        {
            let mut engine = self.engine.write();
            for (idx, _, fix) in &ready {
                match engine.apply_fix(*idx, *fix) {
                    Ok(MoveOutcome::Applied) => {
                        report.applied += 1;
                        moved.push(*idx);
                    }
                    Ok(MoveOutcome::Stale) | Err(_) => report.stale += 1,
                }
            }
        }
        Metrics::add(&self.metrics.fixes_applied, report.applied as u64);
        Metrics::add(&self.metrics.fixes_stale, report.stale as u64);
        self.hub.note_moves(moved);
        let ingest = self.ingest.clone();
        let points: Vec<(String, Fix)> = ready.into_iter().map(|(_, id, fix)| (id, fix)).collect();
        Ok((report, async move { ingest.persist(points).await }))
    }

    /// Changes a staff member's duty status, live and in the store.
    pub async fn set_duty(&self, staff_id: &str, duty: DutyStatus) -> Result<(), String> {
        {
            let mut engine = self.engine.write();
            let idx = engine
                .staff()
                .find(staff_id)
                .ok_or_else(|| format!("unknown staff member {staff_id}"))?;
            engine.set_duty(idx, duty).map_err(|e| e.to_string())?;
        }
        self.store
            .set_duty(staff_id, duty)
            .await
            .map_err(|e| e.to_string())?;
        self.publish_staff(staff_id);
        Ok(())
    }

    /// Tells viewers about a staff member's changed record (duty, profile).
    pub fn publish_staff(&self, staff_id: &str) {
        let engine = self.engine.read();
        let Some(idx) = engine.staff().find(staff_id) else {
            return;
        };
        let Some(m) = engine.staff().get(idx) else {
            return;
        };
        let text = serde_json::json!({
            "type": "staff_update",
            "staff": crate::live::protocol::staff_json(m, engine.areas()),
        })
        .to_string();
        self.hub.publish(crate::live::Event {
            text: text.into(),
            layer: crate::live::Layers::STAFF,
            grid: m.home,
            at: m.fix.map(|f| f.position),
        });
    }

    /// Whether the server is ready to serve: the store answers. (The engine
    /// is loaded before the App exists, so it always is.)
    pub async fn ready(&self) -> Result<(), String> {
        // A probe must answer promptly: a database that is down can keep a
        // connection attempt waiting far longer than any probe waits.
        match tokio::time::timeout(std::time::Duration::from_secs(2), self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the store is unreachable: {e}")),
            Err(_) => Err("the store did not answer within 2 s".into()),
        }
    }
}

/// Turns a client's fix into an engine fix: time parsed (default now),
/// GCJ-02 converted, every number checked.
pub fn to_fix(f: &FixIn, now: i64) -> Result<Fix, String> {
    let given = LonLat::new(f.lon, f.lat).map_err(|e| e.to_string())?;
    let position = match f.coords {
        Datum::Wgs84 => given,
        Datum::Gcj02 => gcj02::to_wgs84(given).map_err(|e| e.to_string())?,
    };
    let fix_time_ms = match &f.t {
        None | Some(serde_json::Value::Null) => now,
        Some(serde_json::Value::Number(n)) => {
            let v = n.as_f64().ok_or("t must be a number or a date")?;
            epoch_ms(v).map_err(|e| e.to_string())?
        }
        Some(serde_json::Value::String(s)) => parse_time(s).map_err(|e| e.to_string())?,
        Some(_) => {
            return Err("t must be epoch milliseconds, epoch seconds or an ISO 8601 date".into());
        }
    };
    let check = |name: &str, v: Option<f32>, lo: f32, hi: f32| -> Result<Option<f32>, String> {
        match v {
            Some(x) if !x.is_finite() || x < lo || x > hi => {
                Err(format!("{name} must be within {lo}..{hi}, got {x}"))
            }
            other => Ok(other),
        }
    };
    Ok(Fix {
        position,
        accuracy_m: check("accuracy", f.accuracy, 0.0, 100_000.0)?,
        speed_mps: check("speed", f.speed, 0.0, 1_000.0)?,
        heading_deg: check("heading", f.heading, 0.0, 360.0)?,
        altitude_m: check("altitude", f.altitude, -1_000.0, 20_000.0)?,
        battery_pct: check("battery", f.battery, 0.0, 100.0)?,
        fix_time_ms,
        server_time_ms: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_are_checked_and_gcj02_converted() {
        let mut f = FixIn {
            staff_id: None,
            lon: 120.66,
            lat: 28.01,
            t: None,
            accuracy: Some(5.0),
            speed: None,
            heading: Some(370.0),
            altitude: None,
            battery: None,
            coords: Datum::Wgs84,
        };
        assert!(
            to_fix(&f, 1_767_225_600_000)
                .unwrap_err()
                .contains("heading")
        );
        f.heading = Some(90.0);
        let w = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!((w.position.lon - 120.66).abs() < 1e-12);
        f.coords = Datum::Gcj02;
        let g = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!(riskmap_engine::sphere::distance_m(w.position, g.position) > 100.0);
        f.lat = f64::NAN;
        assert!(to_fix(&f, 0).is_err());
    }
}
