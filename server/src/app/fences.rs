//! 电子围栏 on the desk: the administrators' fences (kept in the store,
//! changed by one [`DomainEvent::FencesChanged`]) and the buffers around
//! the high-level risk sources (风险源缓冲区), judged on every applied fix
//! by the engine's [`FenceSet`]. A worker on duty crossing into a fence that
//! reports entering, out of one that reports leaving, or into a risk
//! source's buffer is a finding; the node that committed the fix raises the
//! alert (as for the track rules).
//!
//! Every node applies every fix and every fence change, so each holds the
//! same members' states; the zones' keys are handed out here and never
//! reused, so a rebuilt set (an edit, a risk-source import) leaves each
//! member inside the zones they were in, and a deleted zone is left
//! without a word.

use std::sync::Arc;

use geo::InteriorPoint;
use geojson::Feature;
use parking_lot::{Mutex, RwLock};
use riskmap_engine::AreaTree;
use riskmap_engine::fence::{Crossing, FenceKey, FenceSet, FenceState, Zone};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::watch::Seen;
use rustc_hash::FxHashMap;
use thiserror::Error;

use super::App;
use super::alerts::Found;
use super::cluster::{Change, Shipment};
use crate::alert::AlertKind;
use crate::clock::now_ms;
use crate::event::DomainEvent;
use crate::fence::{Detect, Fence, FenceError, MAX_FENCES, check_id};
use crate::identity::{Scope, User, UserRole};
use crate::store::StoreError;

/// Why a fence request was refused.
#[derive(Debug, Error)]
pub enum FencesError {
    /// Only administrators draw fences, inside their own area.
    #[error("{0}")]
    Forbidden(String),
    /// No such fence in the user's area.
    #[error("no fence {0}")]
    NotFound(String),
    /// A fence is malformed; says which and why.
    #[error(transparent)]
    Invalid(#[from] FenceError),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which risk sources are buffered, and how wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BufferRule {
    /// Metres around each; 0: no buffers.
    pub radius_m: f64,
    /// Sources of this level (1 major … 4 low) or higher.
    pub max_level: u8,
}

/// What a zone is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ZoneOf {
    /// An administrator's fence, by id.
    Fence(String),
    /// A risk source's buffer, by the source's id.
    Risk(String),
}

/// The zones as judged now.
#[derive(Default)]
struct Zones {
    /// The administrators' fences, by id.
    fences: FxHashMap<String, Fence>,
    /// Each zone's key (never reused), and back; with the label its alerts
    /// carry.
    keys: FxHashMap<ZoneOf, FenceKey>,
    of: FxHashMap<FenceKey, (ZoneOf, String)>,
    next: FenceKey,
    set: Arc<FenceSet>,
}

impl Zones {
    /// The key of `zone`: the one it had in `before`, else a new one.
    fn key(
        &mut self,
        before: &FxHashMap<ZoneOf, FenceKey>,
        zone: ZoneOf,
        label: String,
    ) -> FenceKey {
        let key = before.get(&zone).copied().unwrap_or_else(|| {
            self.next += 1;
            self.next
        });
        self.keys.insert(zone.clone(), key);
        self.of.insert(key, (zone, label));
        key
    }

    /// The alert a crossing of `key` raises, if it raises one.
    fn finding(&self, crossing: Crossing, staff: &str, t: i64) -> Option<Found> {
        let (key, entering) = match crossing {
            Crossing::Enter(k) => (k, true),
            Crossing::Exit(k) => (k, false),
        };
        let (zone, label) = self.of.get(&key)?;
        let (kind, id, note) = match zone {
            ZoneOf::Fence(id) => {
                let fence = self.fences.get(id)?;
                if entering && fence.reports(Detect::Enter) {
                    (AlertKind::FenceEnter, id, format!("进入围栏：{label}"))
                } else if !entering && fence.reports(Detect::Exit) {
                    (AlertKind::FenceExit, id, format!("离开围栏：{label}"))
                } else {
                    return None;
                }
            }
            ZoneOf::Risk(id) if entering => (
                AlertKind::RiskZone,
                id,
                format!("进入风险源缓冲区：{label}"),
            ),
            ZoneOf::Risk(_) => return None,
        };
        Some(Found::Zone {
            kind,
            key: format!("{id}.{staff}"),
            since: t,
            note,
        })
    }
}

/// The fences, the zones judged, and each member's place among them.
pub struct Fencing {
    rule: BufferRule,
    zones: RwLock<Zones>,
    states: Mutex<FxHashMap<String, FenceState>>,
    /// Held through a rebuild, so that two rebuilds land in order.
    rebuilding: Mutex<()>,
    /// Orders saves: each is checked against the fences as they stand.
    writer: tokio::sync::Mutex<()>,
}

impl Fencing {
    /// Over the fences loaded from the store; the zones are built by
    /// [`App::rebuild_zones`] once the city is loaded.
    #[must_use]
    pub fn new(fences: Vec<Fence>, rule: BufferRule) -> Fencing {
        Fencing {
            rule,
            zones: RwLock::new(Zones {
                fences: fences.into_iter().map(|f| (f.id.clone(), f)).collect(),
                ..Zones::default()
            }),
            states: Mutex::new(FxHashMap::default()),
            rebuilding: Mutex::new(()),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether any zone is judged (the fixes' path skips the work if not).
    #[must_use]
    pub fn judging(&self) -> bool {
        !self.zones.read().set.is_empty()
    }

    /// Takes applied fixes: the crossings that raise alerts (workers on
    /// duty only; everyone's place is kept, so that going on duty inside a
    /// zone is not an entry).
    pub fn observe(&self, seen: &[(&str, Seen)]) -> Vec<(String, Found)> {
        let zones = self.zones.read();
        let set = &*zones.set;
        let mut states = self.states.lock();
        let (mut scratch, mut crossings) = (Vec::new(), Vec::new());
        let mut found = Vec::new();
        for &(staff, s) in seen {
            crossings.clear();
            if let Some(st) = states.get_mut(staff) {
                st.observe(set, s.at, &mut scratch, &mut crossings);
            } else {
                let mut st = FenceState::default();
                st.observe(set, s.at, &mut scratch, &mut crossings);
                if !st.inside().is_empty() {
                    states.insert(staff.to_owned(), st);
                }
            }
            if s.on_duty {
                found.extend(
                    crossings
                        .iter()
                        .filter_map(|&c| zones.finding(c, staff, s.t))
                        .map(|f| (staff.to_owned(), f)),
                );
            }
        }
        found
    }
}

/// Whether `fence` lies in `scope`: its representative point's grid does
/// (a fence outside every grid is no one's).
fn in_scope(fence: &Fence, scope: Scope, tree: &AreaTree) -> bool {
    fence
        .area
        .interior_point()
        .and_then(|p| {
            tree.grid_at(LonLat {
                lon: p.x(),
                lat: p.y(),
            })
        })
        .is_some_and(|g| scope.contains(Some(g), tree))
}

impl App {
    /// Rebuilds the zones judged on the fixes from the fences and the
    /// risk sources as they stand (after start, a fence change, a risk
    /// sources import).
    pub fn rebuild_zones(&self) {
        let f = &self.fences;
        let _order = f.rebuilding.lock();
        let list: Vec<(FenceKey, Zone)> = {
            let engine = self.engine.read();
            let mut z = f.zones.write();
            let Zones { fences, .. } = &*z;
            let fences: Vec<(String, String, Zone)> = fences
                .values()
                .map(|x| (x.id.clone(), x.name.clone(), Zone::Area(x.area.clone())))
                .collect();
            // Zones that are gone lose their keys; the others keep theirs.
            let before = std::mem::take(&mut z.keys);
            z.of.clear();
            let mut list = Vec::with_capacity(fences.len());
            for (id, name, zone) in fences {
                list.push((z.key(&before, ZoneOf::Fence(id), name), zone));
            }
            if f.rule.radius_m > 0.0 {
                for (_, s) in engine.risk_sources().iter() {
                    if s.level as u8 <= f.rule.max_level {
                        let label = format!("{}（{}，{}）", s.name, s.category, s.level.label_zh());
                        list.push((
                            z.key(&before, ZoneOf::Risk(s.id.clone()), label),
                            Zone::Buffer {
                                footprint: s.footprint.clone(),
                                radius_m: f.rule.radius_m,
                            },
                        ));
                    }
                }
            }
            list
        };
        let n = list.len();
        match FenceSet::new(list) {
            Ok(set) => f.zones.write().set = Arc::new(set),
            // Fences and risk sources are checked when saved: a bug.
            Err(e) => tracing::error!(error = %e, "rebuilding the geofences; the old ones stay"),
        }
        tracing::debug!(zones = n, "geofences rebuilt");
    }

    /// Applies a committed fence change.
    pub(super) fn change_fences(&self, put: &[Fence], removed: &[String]) {
        {
            let mut z = self.fences.zones.write();
            for id in removed {
                z.fences.remove(id);
            }
            for fence in put {
                z.fences.insert(fence.id.clone(), fence.clone());
            }
        }
        self.rebuild_zones();
        // The big screens draw the fences from `GET /api/fences`: they read it
        // again (on every node: this is where a committed change is applied).
        self.layer_changed("fences");
    }

    /// The fences `user` may see (those placed in their area), by id.
    pub fn fences_of(&self, user: &User) -> Result<Vec<Feature>, FencesError> {
        if user.role == UserRole::Field {
            return Err(FencesError::Forbidden(
                "fences are for the command centre".into(),
            ));
        }
        let engine = self.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree);
        let z = self.fences.zones.read();
        let mut list: Vec<&Fence> = z
            .fences
            .values()
            .filter(|f| in_scope(f, scope, tree))
            .collect();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(list.into_iter().map(Fence::feature).collect())
    }

    /// Saves fences (added, or replaced by id), all or none; with `replace`
    /// every other fence of the administrator's area is deleted. How many
    /// were saved and deleted.
    ///
    /// # Errors
    /// [`FencesError::Forbidden`] for a non-administrator or a fence
    /// placed outside their area, [`FencesError::Invalid`] naming the first
    /// bad feature.
    pub async fn save_fences(
        &self,
        admin: &User,
        features: &[Feature],
        replace: bool,
    ) -> Result<(usize, usize), FencesError> {
        admin_only(admin)?;
        let _order = self.fences.writer.lock().await;
        let now = now_ms();
        let mut seq = 0;
        let mut put = Vec::with_capacity(features.len());
        // A new fence's id: one no fence holds (a save in the same
        // millisecond as another must not replace its fences).
        let taken = |id: &str| self.fences.zones.read().fences.contains_key(id);
        for f in features {
            let mut fence = Fence::parse(f, self.limits.max_polygon_vertices, || {
                loop {
                    seq += 1;
                    let id = format!("f{now}-{seq}");
                    if !taken(&id) {
                        break id;
                    }
                }
            })?;
            fence.updated_ms = now;
            fence.updated_by.clone_from(&admin.username);
            put.push(fence);
        }
        let mut ids: Vec<&str> = put.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        if let Some([twice, ..]) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(FenceError::Invalid(format!("fence {twice} given twice")).into());
        }
        let removed = {
            let engine = self.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(admin, tree);
            let ours = |f: &Fence| in_scope(f, scope, tree);
            if let Some(f) = put.iter().find(|f| !ours(f)) {
                return Err(FencesError::Forbidden(format!(
                    "fence {} lies outside your area",
                    f.id
                )));
            }
            let z = self.fences.zones.read();
            if let Some(old) = put
                .iter()
                .filter_map(|f| z.fences.get(&f.id))
                .find(|old| !ours(old))
            {
                return Err(FencesError::Forbidden(format!(
                    "fence {} belongs to another area",
                    old.id
                )));
            }
            let removed: Vec<String> = if replace {
                z.fences
                    .values()
                    .filter(|f| ours(f) && !ids.contains(&f.id.as_str()))
                    .map(|f| f.id.clone())
                    .collect()
            } else {
                Vec::new()
            };
            let kept = z.fences.keys().filter(|id| !removed.contains(id)).count();
            let added = put.iter().filter(|f| !z.fences.contains_key(&f.id)).count();
            if kept + added > MAX_FENCES {
                return Err(FenceError::Invalid(format!(
                    "a city keeps at most {MAX_FENCES} fences"
                ))
                .into());
            }
            removed
        };
        let n = (put.len(), removed.len());
        self.commit_fences(put, removed).await?;
        Ok(n)
    }

    /// Deletes one fence of the administrator's area.
    pub async fn remove_fence(&self, admin: &User, id: &str) -> Result<(), FencesError> {
        admin_only(admin)?;
        check_id(id)?;
        let _order = self.fences.writer.lock().await;
        {
            let engine = self.engine.read();
            let tree = engine.areas();
            let scope = Scope::of(admin, tree);
            let z = self.fences.zones.read();
            match z.fences.get(id) {
                Some(f) if in_scope(f, scope, tree) => {}
                _ => return Err(FencesError::NotFound(id.to_owned())),
            }
        }
        self.commit_fences(Vec::new(), vec![id.to_owned()]).await
    }

    async fn commit_fences(
        &self,
        put: Vec<Fence>,
        removed: Vec<String>,
    ) -> Result<(), FencesError> {
        let shipment = self.shipment(|| {
            Change::Event(Box::new(DomainEvent::FencesChanged {
                put: put.clone(),
                removed: removed.clone(),
            }))
        });
        let outgoing = shipment.as_ref().map(Shipment::outgoing);
        let id = self.store.put_fences(&put, &removed, outgoing).await?;
        self.shipped(id, shipment);
        self.apply(&DomainEvent::FencesChanged { put, removed });
        Ok(())
    }
}

fn admin_only(user: &User) -> Result<(), FencesError> {
    if user.role == UserRole::Admin {
        Ok(())
    } else {
        Err(FencesError::Forbidden(
            "drawing fences is for administrators".into(),
        ))
    }
}
