//! Location sharing through the app layer: a batch of fixes is checked (who
//! may move whom, every number in range), committed to the tracks by the
//! track writer, and only then applied to the live map: what viewers and
//! dispatch see has survived a crash.

use std::sync::Arc;
use std::time::Instant;

use riskmap_engine::model::Fix;
use riskmap_engine::sphere::LonLat;

use super::App;
use super::ingest::IngestError;
use crate::clock::{epoch_ms, now_ms, parse_time};
use crate::event::{DomainEvent, StaffFix};
use crate::identity::{Scope, User, UserRole};
use crate::live::FixIn;
use crate::metrics::Metrics;

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
    /// Valid, but the store could not commit it: nothing moved.
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
    /// Checks, commits and applies a batch of fixes posted by `user`.
    /// `default_staff` is whose fixes they are when a fix names no one (a
    /// field user's own, or an OsmAnd device's owner).
    pub async fn post_fixes(
        &self,
        user: Option<&User>,
        default_staff: Option<&str>,
        fixes: Vec<FixIn>,
    ) -> Result<FixReport, FixRejection> {
        let batch = self.check_fixes(user, default_staff, fixes)?;
        self.record_fixes(batch).await
    }

    /// [`App::post_fixes`] in two halves, for a connection that pipelines
    /// its messages: the batch is checked now (a refusal is immediate), and
    /// the returned future commits and applies it. The future owns all it
    /// needs, so it can run in its own task, and complete even if the
    /// connection goes away, while the connection reads its next batch.
    pub fn submit_fixes(
        self: &Arc<Self>,
        user: Option<&User>,
        default_staff: Option<&str>,
        fixes: Vec<FixIn>,
    ) -> Result<impl Future<Output = Result<FixReport, FixRejection>> + Send + 'static, FixRejection>
    {
        let batch = self.check_fixes(user, default_staff, fixes)?;
        let app = Arc::clone(self);
        Ok(async move { app.record_fixes(batch).await })
    }

    /// Commits a checked batch, then applies it.
    async fn record_fixes(&self, batch: Vec<StaffFix>) -> Result<FixReport, FixRejection> {
        let started = Instant::now();
        let fixes = self
            .ingest
            .persist(batch)
            .await
            .map_err(FixRejection::NotPersisted)?;
        let persisted = Instant::now();
        self.metrics.fix_persist.observe(persisted - started);
        let applied = self.apply(&DomainEvent::FixesRecorded { fixes });
        if !applied.found.is_empty() {
            self.raise_rule_alerts(applied.found).await;
        }
        self.metrics.fix_apply.observe(persisted.elapsed());
        Ok(applied.fixes)
    }

    /// Checks every fix of a batch before any of it is committed.
    fn check_fixes(
        &self,
        user: Option<&User>,
        default_staff: Option<&str>,
        fixes: Vec<FixIn>,
    ) -> Result<Vec<StaffFix>, FixRejection> {
        if fixes.len() > self.limits.max_fixes_per_request {
            return Err(FixRejection::TooMany {
                limit: self.limits.max_fixes_per_request,
            });
        }
        let now = now_ms();
        let mut ready: Vec<StaffFix> = Vec::with_capacity(fixes.len());
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
                let (fix, clamped) =
                    to_fix(&f, now).map_err(|reason| FixRejection::Invalid { index, reason })?;
                if clamped {
                    Metrics::add(&self.metrics.fixes_future, 1);
                }
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
                ready.push(StaffFix { staff_id, fix });
            }
        }
        Ok(ready)
    }
}

/// Turns a client's fix into an engine fix: time parsed (default now),
/// GCJ-02 converted, every number checked. A time more than
/// [`FUTURE_TOLERANCE_MS`](riskmap_engine::model::FUTURE_TOLERANCE_MS) ahead of the server's clock (a phone whose clock
/// is wrong, or someone pinning a marker: a fix from the future would make
/// every real one after it look stale) is taken as the server's time; the
/// flag says so.
pub fn to_fix(f: &FixIn, now: i64) -> Result<(Fix, bool), String> {
    let given = LonLat::new(f.lon, f.lat).map_err(|e| e.to_string())?;
    let position = f.coords.to_wgs84(given).map_err(|e| e.to_string())?;
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
    let mut fix = Fix {
        position,
        accuracy_m: check("accuracy", f.accuracy, 0.0, 100_000.0)?,
        speed_mps: check("speed", f.speed, 0.0, 1_000.0)?,
        heading_deg: check("heading", f.heading, 0.0, 360.0)?,
        altitude_m: check("altitude", f.altitude, -1_000.0, 20_000.0)?,
        battery_pct: check("battery", f.battery, 0.0, 100.0)?,
        fix_time_ms,
        server_time_ms: now,
    };
    let clamped = fix.is_from_the_future(now);
    if clamped {
        fix.fix_time_ms = now;
    }
    Ok((fix, clamped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Datum;
    use riskmap_engine::model::FUTURE_TOLERANCE_MS;

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
        let (w, clamped) = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!(!clamped);
        assert!((w.position.lon - 120.66).abs() < 1e-12);
        f.coords = Datum::Gcj02;
        let (g, _) = to_fix(&f, 1_767_225_600_000).unwrap();
        assert!(riskmap_engine::sphere::distance_m(w.position, g.position) > 100.0);
        f.lat = f64::NAN;
        assert!(to_fix(&f, 0).is_err());
    }

    #[test]
    fn a_fix_from_the_future_is_taken_at_the_server_time() {
        let now = 1_767_225_600_000;
        let at = |t: i64| FixIn {
            staff_id: None,
            lon: 120.66,
            lat: 28.01,
            t: Some(serde_json::json!(t)),
            accuracy: None,
            speed: None,
            heading: None,
            altitude: None,
            battery: None,
            coords: Datum::Wgs84,
        };
        let (fix, clamped) = to_fix(&at(now + FUTURE_TOLERANCE_MS), now).unwrap();
        assert_eq!(
            (fix.fix_time_ms, clamped),
            (now + FUTURE_TOLERANCE_MS, false)
        );
        let (fix, clamped) = to_fix(&at(now + 8 * 3_600_000), now).unwrap();
        assert_eq!((fix.fix_time_ms, clamped), (now, true));
        let (fix, clamped) = to_fix(&at(now - 5_000), now).unwrap();
        assert_eq!((fix.fix_time_ms, clamped), (now - 5_000, false));
    }
}
