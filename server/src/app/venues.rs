//! 场所码 on the running server: a key place's code for an administrator
//! to print (JSON, PNG, SVG), a field worker's scan recorded as an
//! inspection or check-in (committed as one [`DomainEvent::InspectionRecorded`],
//! pushed on the `key_places` layer), the inspections listed under 分级授权,
//! and each place's last inspection kept for the patrol rules.

use parking_lot::RwLock;
use riskmap_engine::LayerItem;
use riskmap_engine::layer::distance_to_shape_m;
use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::LonLat;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::json;
use thiserror::Error;

use super::App;
use super::cluster::{Change, Shipment};
use crate::clock::now_ms;
use crate::event::DomainEvent;
use crate::identity::{Scope, User, UserRole};
use crate::live::{Event, Reach};
use crate::store::{InspectionFilter, StoreError};
use crate::venue::{self, CheckItem, Inspection, ScanKind, VenueError};
use riskmap_wire::Layers;

/// A key place's inspection rhythm and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceDue {
    /// The key place.
    pub place_id: String,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: String,
    /// Its grid.
    pub grid: Option<String>,
    /// Days between inspections, by its category's rule.
    pub every_days: u32,
    /// Its last inspection or check-in.
    pub last_ms: Option<EpochMs>,
    /// When the next is due (none: never inspected, due now).
    pub due_ms: Option<EpochMs>,
    /// Whether it is overdue (逾期未检).
    pub overdue: bool,
}

/// Most inspections in one list.
const MAX_LIST: u32 = 1_000;

/// Why a venue request was refused.
#[derive(Debug, Error)]
pub enum VenuesError {
    /// The user may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such place (in the user's area).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The code is malformed or forged, or the report out of bounds.
    #[error(transparent)]
    Code(#[from] VenueError),
    /// The phone is too far from the place.
    #[error("you are {distance_m:.0} m from {place}; scan its code within {radius_m:.0} m of it")]
    TooFar {
        /// The place's name.
        place: String,
        /// How far the phone was, metres.
        distance_m: f64,
        /// How far it may be.
        radius_m: f64,
    },
    /// The store failed; nothing was recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A place's code, for the admin page.
#[derive(Debug, Clone, Serialize)]
pub struct VenueCode {
    /// The key place.
    pub place_id: String,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: String,
    /// Its grid.
    pub grid: Option<String>,
    /// The signed code (what the QR code carries after `/field?venue=`).
    pub code: String,
    /// The field page's path that records a scan of it.
    pub path: String,
}

/// Where the phone is, with the scan.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionIn {
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Horizontal accuracy, metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// `POST /api/venues/scan`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanIn {
    /// The code as scanned (the code, or the link that carries it).
    pub code: String,
    /// Where the phone is.
    pub position: PositionIn,
    /// Inspection (default) or check-in.
    #[serde(default = "inspection")]
    pub kind: ScanKind,
    /// The checklist's results.
    #[serde(default)]
    pub checklist: Vec<CheckItem>,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// Photos (attachment ids from `POST /api/attachments`).
    #[serde(default)]
    pub photos: Vec<String>,
}

fn inspection() -> ScanKind {
    ScanKind::Inspection
}

/// `GET /api/venues/inspections` filters.
#[derive(Debug, Clone, Default)]
pub struct ListIn {
    /// Of one place.
    pub place: Option<String>,
    /// By one worker.
    pub staff: Option<String>,
    /// At or after (default: 30 days ago).
    pub from: Option<EpochMs>,
    /// Before (default: now).
    pub to: Option<EpochMs>,
    /// At most (default and cap 1,000).
    pub limit: Option<u32>,
}

/// The venue codes' key, how near a scan must be, and each place's last
/// inspection.
pub struct Venues {
    key: Vec<u8>,
    radius_m: f64,
    last: RwLock<FxHashMap<String, EpochMs>>,
}

impl Venues {
    /// Codes signed with `key`, scans taken within `radius_m`, the last
    /// inspections as the store has them.
    #[must_use]
    pub fn new(key: &[u8], radius_m: f64, last: Vec<(String, EpochMs)>) -> Venues {
        Venues {
            key: key.to_vec(),
            radius_m,
            last: RwLock::new(last.into_iter().collect()),
        }
    }

    /// A place's last inspection or check-in.
    #[must_use]
    pub fn last_inspected(&self, place: &str) -> Option<EpochMs> {
        self.last.read().get(place).copied()
    }
}

impl App {
    /// A key place's code, for an administrator of its area.
    ///
    /// # Errors
    /// [`VenuesError::Forbidden`] for anyone else, `NotFound` for a place
    /// outside their area.
    pub fn venue_code(&self, user: &User, place_id: &str) -> Result<VenueCode, VenuesError> {
        if user.role != UserRole::Admin {
            return Err(VenuesError::Forbidden(
                "venue codes are printed by an administrator".into(),
            ));
        }
        let engine = self.engine.read();
        let tree = engine.areas();
        let places = engine.key_places();
        let idx = places
            .find(place_id)
            .filter(|&i| Scope::of(user, tree).contains(places.grid(i), tree))
            .ok_or_else(|| {
                VenuesError::NotFound(format!("no key place {place_id} in your area"))
            })?;
        let place = places
            .get(idx)
            .ok_or_else(|| VenuesError::NotFound(place_id.into()))?;
        let code = venue::code(&self.venues.key, &place.id);
        Ok(VenueCode {
            place_id: place.id.clone(),
            name: place.name.clone(),
            category: place.category.clone(),
            grid: places.grid(idx).map(|g| tree.get(g).code.clone()),
            path: format!("/field?venue={code}"),
            code,
        })
    }

    /// A field worker's scan: the code checked, the phone near the place,
    /// the inspection committed and applied.
    ///
    /// # Errors
    /// [`VenuesError`]: not a field worker's login, a malformed or forged
    /// code, a place gone or outside their area, too far, a bad report, or
    /// the store failing.
    pub async fn scan(&self, user: &User, scan: ScanIn) -> Result<Inspection, VenuesError> {
        let staff_id = user.staff_id.clone().ok_or_else(|| {
            VenuesError::Forbidden("venue codes are scanned by a field worker's login".into())
        })?;
        let place_id = venue::verify(&self.venues.key, &scan.code)?;
        venue::check_report(&scan.checklist, scan.note.as_deref(), &scan.photos)?;
        if let Some(bad) = scan.photos.iter().find(|p| !riskmap_media::is_id(p)) {
            return Err(VenuesError::Invalid(format!(
                "photos: {bad:?} is not an attachment id"
            )));
        }
        let at = LonLat::new(scan.position.lon, scan.position.lat)
            .map_err(|e| VenuesError::Invalid(format!("position: {e}")))?;
        let inspection = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let places = engine.key_places();
            let idx = places
                .find(&place_id)
                .ok_or_else(|| VenuesError::NotFound(format!("no key place {place_id}")))?;
            let place = places
                .get(idx)
                .ok_or_else(|| VenuesError::NotFound(place_id.clone()))?;
            let grid = places.grid(idx);
            if !Scope::of(user, tree).contains(grid, tree) {
                return Err(VenuesError::Forbidden(format!(
                    "{} is outside your area",
                    place.name
                )));
            }
            let radius_m = self.venues.radius_m;
            if let Some(acc) = scan.position.accuracy_m
                && !(acc.is_finite() && acc >= 0.0 && acc <= radius_m)
            {
                return Err(VenuesError::Invalid(format!(
                    "the position is too rough (±{acc:.0} m) to place you at {}; wait for a \
                     better fix (±{radius_m:.0} m or better)",
                    place.name
                )));
            }
            let distance_m = distance_to_shape_m(at, place.shape());
            if distance_m > radius_m {
                return Err(VenuesError::TooFar {
                    place: place.name.clone(),
                    distance_m,
                    radius_m,
                });
            }
            let staff = engine.staff();
            let staff_name = staff
                .find(&staff_id)
                .and_then(|i| staff.get(i))
                .map_or_else(|| staff_id.clone(), |m| m.name.to_string());
            let checklist = if scan.kind == ScanKind::Inspection {
                scan.checklist
            } else {
                Vec::new()
            };
            Inspection {
                id: format!("INS-{}", &crate::identity::sessions::new_token()[..16]),
                place_id: place.id.clone(),
                place_name: place.name.clone(),
                place_category: place.category.clone(),
                grid: grid.map(|g| tree.get(g).code.clone()),
                kind: scan.kind,
                staff_id,
                staff_name,
                at_ms: now_ms(),
                position: at,
                distance_m: (distance_m * 10.0).round() / 10.0,
                problems: checklist.iter().filter(|c| !c.ok).count(),
                checklist,
                note: scan.note.filter(|n| !n.trim().is_empty()),
                photos: scan.photos,
            }
        };
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::InspectionRecorded {
                inspection: inspection.clone(),
            }))
        });
        let id = self
            .store
            .put_inspection_kept(&inspection, shipment.as_ref().map(Shipment::outgoing))
            .await?;
        self.shipped(id, shipment);
        self.apply(&DomainEvent::InspectionRecorded {
            inspection: inspection.clone(),
        });
        Ok(inspection)
    }

    /// A committed inspection: the place's last one moves on, and viewers
    /// of the area hear of it.
    pub(super) fn record_inspection(&self, inspection: &Inspection) {
        {
            let mut last = self.venues.last.write();
            let t = last.entry(inspection.place_id.clone()).or_default();
            *t = (*t).max(inspection.at_ms);
        }
        let engine = self.engine.read();
        let tree = engine.areas();
        let grid = inspection.grid.as_deref().and_then(|g| tree.idx(g));
        self.hub.publish(Event {
            text: json!({ "type": "inspection", "inspection": inspection })
                .to_string()
                .into(),
            layer: Layers::KEY_PLACES,
            reach: Reach::of(grid, tree),
            at: Some(inspection.position),
        });
    }

    /// The key places of the user's area (or `area`) whose category has an
    /// inspection rule, overdue first, then by when they fall due.
    ///
    /// # Errors
    /// [`VenuesError::NotFound`] for an area outside the user's.
    pub fn places_due(
        &self,
        user: &User,
        area: Option<&str>,
    ) -> Result<Vec<PlaceDue>, VenuesError> {
        let now = now_ms();
        let rules = self.patrol.rules();
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree)
            .narrowed_to(area, tree)
            .map_err(VenuesError::NotFound)?;
        let places = engine.key_places();
        let last = self.venues.last.read();
        let mut out: Vec<PlaceDue> = places
            .iter()
            .filter(|(i, _)| scope.contains(places.grid(*i), tree))
            .filter_map(|(i, p)| {
                let every_days = rules.place_every_days(&p.category)?;
                let last_ms = last.get(&p.id).copied();
                let due_ms = last_ms.map(|l| l + i64::from(every_days) * 86_400_000);
                Some(PlaceDue {
                    place_id: p.id.clone(),
                    name: p.name.clone(),
                    category: p.category.clone(),
                    grid: places.grid(i).map(|g| tree.get(g).code.clone()),
                    every_days,
                    last_ms,
                    due_ms,
                    overdue: due_ms.is_none_or(|d| d <= now),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (!a.overdue, a.due_ms, &a.place_id).cmp(&(!b.overdue, b.due_ms, &b.place_id))
        });
        Ok(out)
    }

    /// The inspections of the user's area a filter selects, newest first.
    ///
    /// # Errors
    /// [`VenuesError::Invalid`] for a bad period, `Store` if the store fails.
    pub async fn inspections(
        &self,
        user: &User,
        q: ListIn,
    ) -> Result<Vec<Inspection>, VenuesError> {
        let to = q.to.unwrap_or_else(now_ms);
        let from = q.from.unwrap_or(to - 30 * 86_400_000);
        if from >= to {
            return Err(VenuesError::Invalid("`from` must be before `to`".into()));
        }
        let grids = {
            let engine = self.engine.read();
            Scope::of(user, engine.areas()).area_codes(engine.areas())
        };
        Ok(self
            .store
            .inspections(InspectionFilter {
                from,
                to,
                place: q.place.as_deref(),
                staff: q.staff.as_deref(),
                grids: grids.as_deref(),
                limit: q.limit.unwrap_or(MAX_LIST).clamp(1, MAX_LIST),
            })
            .await?)
    }
}
