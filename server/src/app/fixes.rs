//! Location sharing through the app layer: a batch of fixes is checked (who
//! may move whom, every number in range), committed to the tracks by the
//! track writer, and only then applied to the live map: what viewers and
//! dispatch see has survived a crash.

use std::sync::Arc;
use std::time::Instant;

use super::App;
use super::ingest::IngestError;
use crate::clock::now_ms;
use crate::event::{DomainEvent, StaffFix};
use crate::identity::{Scope, User, UserRole};
use crate::metrics::Metrics;
use riskmap_wire::{FixIn, to_fix};

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
