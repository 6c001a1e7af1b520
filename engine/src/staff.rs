//! Field staff and where they are: the hot write path.
//!
//! Staff move all the time, so their positions live in a hash of lon/lat
//! cells (buckets) rather than an R-tree: a move inside the same cell
//! rewrites one entry in place, a move across cells is a swap-remove and a
//! push. The cells are all one size, chosen from the density and re-chosen
//! when it changes by a factor (staff/grid.rs), so a bucket holds about the
//! same number of staff in a town of 10,000 as in a city of a million. Each entry carries the staff member's unit vector and the bits dispatch
//! filters on, so a k-nearest query scans contiguous memory and ranks by chord
//! length, which is exact in great-circle metres.
//!
//! k-nearest walks square rings of cells outwards from the query and stops
//! when a lower bound on the distance to everything outside the rings scanned
//! so far (see [`crate::sphere::lat_gap_m`], [`crate::sphere::lon_gap_m`]) exceeds the k-th
//! best distance. Where the rings would grow larger than the number of
//! occupied cells (a query far from everyone), it scans the occupied cells in
//! order of their lower bound instead.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, Ordering};

use compact_str::CompactString;
use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::areas::AreaIdx;
use super::error::{EngineError, Result};
use super::model::{DutyStatus, Fix, Role, Skill, Staff};
use super::sphere::LonLat;

mod grid;
mod query;

use grid::{Density, Place, cols_of, snapped};
pub use grid::{MAX_CELL_DEG, MIN_CELL_DEG};

/// Dense index of a staff member inside one [`StaffIndex`]; stable while the
/// member exists, reused after removal.
pub type StaffIdx = u32;

/// Bucket size in degrees (about 500 m) an index starts with, until it
/// knows the density: a few dozen staff per cell in a city's core. The index
/// re-sizes its buckets from there (see `staff/grid.rs`).
pub const DEFAULT_CELL_DEG: f64 = 0.005;

/// Largest k a nearest query may ask for.
pub const MAX_K: usize = 1_000;

/// One staff member as the index keeps them: the model, compacted.
#[derive(Debug, Clone)]
pub struct Member {
    /// Stable identifier.
    pub id: CompactString,
    /// Chinese name.
    pub name: CompactString,
    /// What kind of staff.
    pub role: Role,
    /// Whether they can take a task now.
    pub duty: DutyStatus,
    /// Skills as a [`Skill::bit`] mask.
    pub skills: u16,
    /// Code of their home grid, as given.
    pub home_grid: CompactString,
    /// The home grid resolved in the current area tree, if it exists there.
    pub home: Option<AreaIdx>,
    /// Tracker and phone ids (the OsmAnd `id`). A boxed slice, not a
    /// `Vec`: no spare capacity and 8 bytes less per member (issue 6's
    /// memory budget is 300 bytes per staff member).
    pub devices: Box<[CompactString]>,
    /// Last accepted fix.
    pub fix: Option<Fix>,
    /// The grid `fix` lies in, once someone has asked ([`Member::grid`]).
    grid: GridMemo,
}

/// A member's current grid, remembered from the first time it is asked for
/// after a move until the next move (or a new area tree). Locating a point
/// costs about a microsecond (an H3 cell, sometimes a point-in-polygon
/// test); a dispatch answer names the current grid of every candidate, and
/// most candidates have not moved since the last answer that named them.
///
/// Filled in under the engine's *read* lock, hence atomic; a race between two
/// readers is harmless, as both locate the same fix in the same tree.
#[derive(Debug)]
struct GridMemo(AtomicU32);

/// [`GridMemo`] values that are not an [`AreaIdx`].
const GRID_UNKNOWN: u32 = u32::MAX;
const GRID_NONE: u32 = u32::MAX - 1;

impl GridMemo {
    fn unknown() -> Self {
        GridMemo(AtomicU32::new(GRID_UNKNOWN))
    }

    /// Forgets the grid (the fix or the tree changed); needs no atomic
    /// operation, as the caller holds the member exclusively.
    fn forget(&mut self) {
        *self.0.get_mut() = GRID_UNKNOWN;
    }
}

impl Clone for GridMemo {
    fn clone(&self) -> Self {
        GridMemo(AtomicU32::new(self.0.load(Ordering::Relaxed)))
    }
}

impl Member {
    /// The grid the member's last fix lies in, by `locate` the first time it
    /// is asked for after each move; `None` without a fix or outside every
    /// grid.
    pub fn grid(&self, locate: impl FnOnce(LonLat) -> Option<AreaIdx>) -> Option<AreaIdx> {
        match self.grid.0.load(Ordering::Relaxed) {
            GRID_UNKNOWN => {
                let found = self.fix.and_then(|f| locate(f.position));
                // An AreaIdx never reaches the two reserved values: a tree
                // of four billion areas does not fit in memory.
                let stored = found.map_or(GRID_NONE, |g| g.min(GRID_NONE - 1));
                self.grid.0.store(stored, Ordering::Relaxed);
                found
            }
            GRID_NONE => None,
            g => Some(g),
        }
    }

    /// The grid of one of the member's fixes: the remembered answer for
    /// the current one, a lookup for an earlier one (a batch of fixes
    /// moves the member to its last, but each fix lies where it lies).
    pub fn grid_of(
        &self,
        fix: &Fix,
        locate: impl FnOnce(LonLat) -> Option<AreaIdx>,
    ) -> Option<AreaIdx> {
        if self.fix.as_ref() == Some(fix) {
            self.grid(locate)
        } else {
            locate(fix.position)
        }
    }

    /// The member's skills, in display order.
    #[must_use]
    pub fn skill_list(&self) -> Vec<Skill> {
        Skill::ALL
            .into_iter()
            .filter(|s| self.skills & s.bit() != 0)
            .collect()
    }

    /// The model form of this member.
    #[must_use]
    pub fn to_staff(&self) -> Staff {
        Staff {
            id: self.id.to_string(),
            name: self.name.to_string(),
            role: self.role,
            skills: self.skill_list(),
            home_grid: self.home_grid.to_string(),
            duty: self.duty,
            devices: self.devices.iter().map(ToString::to_string).collect(),
            last_fix: self.fix,
        }
    }
}

/// One positioned staff member in a cell, laid out for scanning.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Unit vector of the last fix.
    v: [f64; 3],
    idx: StaffIdx,
    role: u8,
    duty: DutyStatus,
    skills: u16,
}

/// Which staff a query wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffFilter {
    /// Only staff whose duty status is available.
    pub available_only: bool,
    /// Allowed roles as a [`Role::bit`] mask; 0 allows every role.
    pub roles: u8,
    /// Required skills as a [`Skill::bit`] mask: all of them.
    pub skills: u16,
}

impl StaffFilter {
    fn accepts(self, e: &Entry) -> bool {
        (!self.available_only || e.duty == DutyStatus::Available)
            && (self.roles == 0 || self.roles & e.role != 0)
            && e.skills & self.skills == self.skills
    }

    /// Whether a member passes the filter.
    #[must_use]
    pub fn accepts_member(&self, m: &Member) -> bool {
        (!self.available_only || m.duty == DutyStatus::Available)
            && (self.roles == 0 || self.roles & m.role.bit() != 0)
            && m.skills & self.skills == self.skills
    }
}

/// A staff member found by a query, with the great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    /// Who.
    pub idx: StaffIdx,
    /// Great-circle metres from the query point.
    pub distance_m: f64,
}

/// What a fix did to the live position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The fix is the newest: the live position moved.
    Applied,
    /// The fix is older than (or as old as) the live one: it belongs in the
    /// track only.
    Stale,
}

/// The roster and the moving-point index.
#[derive(Debug)]
pub struct StaffIndex {
    /// Members by index; `None` marks a freed slot.
    members: Vec<Option<Member>>,
    /// Freed slots, reused before growing.
    free: Vec<StaffIdx>,
    /// Id → index. Keys are hashed from the member's own id, so the id is not
    /// stored twice.
    by_id: HashTable<StaffIdx>,
    /// Device id → (index, which of the member's devices), likewise.
    by_device: HashTable<(StaffIdx, u8)>,
    /// Cell key → entries in that cell.
    cells: FxHashMap<u64, Vec<Entry>>,
    /// Where each member's entry sits, by index.
    places: Vec<Place>,
    /// Members by home grid, for "same grid first".
    by_home: FxHashMap<AreaIdx, Vec<StaffIdx>>,
    /// Number of live members.
    len: usize,
    /// Bucket size, degrees; re-chosen as the density changes.
    cell_deg: f64,
    /// Columns around the globe.
    cols: i64,
    /// How crowded the buckets are, to know when to re-size them.
    density: Density,
    /// A load is under way ([`StaffIndex::load_batch`]): members are not
    /// bucketed one by one (re-sizing the buckets again and again as the
    /// roster grows) but all at once by [`StaffIndex::end_load`].
    loading: bool,
}

impl Default for StaffIndex {
    fn default() -> Self {
        StaffIndex::new(DEFAULT_CELL_DEG)
    }
}

impl StaffIndex {
    /// An empty index whose buckets start at `cell_deg` degrees (clamped
    /// to [`MIN_CELL_DEG`]..=[`MAX_CELL_DEG`], rounded to divide 360°) and are re-sized to the
    /// density as staff are added, move and leave.
    #[must_use]
    pub fn new(cell_deg: f64) -> Self {
        let cell_deg = if cell_deg.is_finite() {
            snapped(cell_deg.clamp(MIN_CELL_DEG, MAX_CELL_DEG))
        } else {
            DEFAULT_CELL_DEG
        };
        StaffIndex {
            members: Vec::new(),
            free: Vec::new(),
            by_id: HashTable::new(),
            by_device: HashTable::new(),
            cells: FxHashMap::default(),
            places: Vec::new(),
            by_home: FxHashMap::default(),
            len: 0,
            cell_deg,
            cols: cols_of(cell_deg),
            density: Density::default(),
            loading: false,
        }
    }

    /// An index of `staff` with buckets sized to them, each homed in the grid at the same position of
    /// `homes`; a later member with the same id replaces an earlier one, as
    /// [`StaffIndex::upsert`] would.
    pub fn build(cell_deg: f64, staff: &[Staff], homes: &[AreaIdx]) -> Result<Self> {
        let mut index = StaffIndex::new(cell_deg);
        index.reserve_exact(staff.len());
        index.loading = true;
        for (s, &home) in staff.iter().zip(homes) {
            index.upsert(s, Some(home))?;
        }
        index.end_load();
        Ok(index)
    }

    /// Makes room for `n` more members (one device each) at once: a roster
    /// loaded in batches otherwise grows its tables by doubling, each step a
    /// copy onto fresh memory, and ends with up to twice the room it needs.
    pub fn reserve_exact(&mut self, n: usize) {
        self.members.reserve_exact(n);
        self.places.reserve_exact(n);
        let members = &self.members;
        let id_of = |i: StaffIdx| members[i as usize].as_ref().map_or("", |m| m.id.as_str());
        self.by_id.reserve(n, |&i| FxBuildHasher.hash_one(id_of(i)));
        self.by_device.reserve(n, |&(i, d)| {
            let device = members[i as usize]
                .as_ref()
                .and_then(|m| m.devices.get(d as usize))
                .map_or("", CompactString::as_str);
            FxBuildHasher.hash_one(device)
        });
    }

    /// Adds a batch of a roster being read (the way [`StaffIndex::build`]
    /// adds a whole one), each member homed in the grid `home` gives for
    /// their home grid's code; an unknown code is refused. Call
    /// [`StaffIndex::end_load`] after the last batch.
    pub fn load_batch(
        &mut self,
        staff: &[Staff],
        home: impl Fn(&str) -> Option<AreaIdx>,
    ) -> Result<()> {
        let n = staff.len();
        self.members.reserve(n);
        self.places.reserve(n);
        self.loading = true;
        for s in staff {
            let grid =
                home(&s.home_grid).ok_or_else(|| EngineError::UnknownArea(s.home_grid.clone()))?;
            self.upsert(s, Some(grid))?;
        }
        Ok(())
    }

    /// Ends a load: every member is bucketed at once, and the buckets are
    /// sized from the whole roster, so a city starts with buckets made for
    /// its density.
    pub fn end_load(&mut self) {
        if std::mem::take(&mut self.loading) {
            self.bucket_all();
        }
        self.fit();
    }

    /// The bucket size now, degrees.
    #[must_use]
    pub fn cell_deg(&self) -> f64 {
        self.cell_deg
    }

    /// Number of members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A member by index.
    #[must_use]
    pub fn get(&self, idx: StaffIdx) -> Option<&Member> {
        self.members.get(idx as usize)?.as_ref()
    }

    /// Every member.
    pub fn iter(&self) -> impl Iterator<Item = (StaffIdx, &Member)> {
        self.members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| Some((i as StaffIdx, m.as_ref()?)))
    }

    /// The index of a staff id.
    #[must_use]
    pub fn find(&self, id: &str) -> Option<StaffIdx> {
        let h = FxBuildHasher.hash_one(id);
        self.by_id
            .find(h, |&i| self.member_id(i) == Some(id))
            .copied()
    }

    /// The member a device id belongs to.
    #[must_use]
    pub fn find_device(&self, device: &str) -> Option<StaffIdx> {
        let h = FxBuildHasher.hash_one(device);
        self.by_device
            .find(h, |&(i, n)| self.device(i, n) == Some(device))
            .map(|&(i, _)| i)
    }

    /// Members whose home grid is `grid`.
    #[must_use]
    pub fn homed_in(&self, grid: AreaIdx) -> &[StaffIdx] {
        self.by_home.get(&grid).map_or(&[], Vec::as_slice)
    }

    /// Adds a member or replaces the one with the same id. `home` is the
    /// resolved home grid. A device id may belong to one member only.
    pub fn upsert(&mut self, staff: &Staff, home: Option<AreaIdx>) -> Result<StaffIdx> {
        if let Some(fix) = &staff.last_fix {
            fix.position.validated()?;
        }
        if staff.devices.len() > usize::from(u8::MAX) {
            return Err(EngineError::InvalidProperties(
                "a staff member may have at most 255 devices".into(),
            ));
        }
        let existing = self.find(&staff.id);
        for d in &staff.devices {
            if let Some(owner) = self.find_device(d)
                && Some(owner) != existing
            {
                return Err(EngineError::InvalidProperties(format!(
                    "device {d} already belongs to staff {}",
                    self.member_id(owner).unwrap_or_default()
                )));
            }
        }
        let member = Member {
            id: staff.id.as_str().into(),
            name: staff.name.as_str().into(),
            role: staff.role,
            duty: staff.duty,
            skills: Skill::mask(&staff.skills),
            home_grid: staff.home_grid.as_str().into(),
            home,
            devices: staff.devices.iter().map(|d| d.as_str().into()).collect(),
            fix: staff.last_fix,
            grid: GridMemo::unknown(),
        };
        let idx = if let Some(idx) = existing {
            self.unlink(idx);
            self.members[idx as usize] = Some(member);
            idx
        } else {
            let idx = if let Some(i) = self.free.pop() {
                self.members[i as usize] = Some(member);
                i
            } else {
                self.members.push(Some(member));
                self.places.push(Place::NOWHERE);
                (self.members.len() - 1) as StaffIdx
            };
            let h = FxBuildHasher.hash_one(staff.id.as_str());
            let members = &self.members;
            self.by_id.insert_unique(h, idx, |&i| {
                FxBuildHasher.hash_one(members[i as usize].as_ref().map_or("", |m| m.id.as_str()))
            });
            self.len += 1;
            idx
        };
        self.link(idx);
        Ok(idx)
    }

    /// Removes a member; returns whether they existed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(idx) = self.find(id) else {
            return false;
        };
        self.unlink(idx);
        let h = FxBuildHasher.hash_one(id);
        if let Ok(e) = self.by_id.find_entry(h, |&i| i == idx) {
            e.remove();
        }
        self.members[idx as usize] = None;
        self.free.push(idx);
        self.len -= 1;
        true
    }

    /// Applies a fix unless it is older than, or as old as, the live one.
    pub fn apply_fix(&mut self, idx: StaffIdx, fix: Fix) -> Result<MoveOutcome> {
        fix.position.validated()?;
        let m = self
            .members
            .get_mut(idx as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| EngineError::UnknownStaff(idx.to_string()))?;
        // An older fix is stale, unless the live one is from the future
        // (taken before such fixes were refused, or restored from a store
        // that holds one): a real fix frees a pinned marker.
        if m.fix.is_some_and(|old| {
            old.fix_time_ms >= fix.fix_time_ms && !old.is_from_the_future(fix.server_time_ms)
        }) {
            return Ok(MoveOutcome::Stale);
        }
        m.fix = Some(fix);
        m.grid.forget();
        let entry = entry_of(idx, m);
        self.place(idx, entry);
        Ok(MoveOutcome::Applied)
    }

    /// Changes a member's duty status.
    pub fn set_duty(&mut self, idx: StaffIdx, duty: DutyStatus) -> Result<()> {
        let m = self
            .members
            .get_mut(idx as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| EngineError::UnknownStaff(idx.to_string()))?;
        m.duty = duty;
        let p = self.places[idx as usize];
        if let Some(e) = self
            .cells
            .get_mut(&p.cell)
            .and_then(|c| c.get_mut(p.pos as usize))
        {
            e.duty = duty;
        }
        Ok(())
    }

    /// Re-resolves every member's home grid, after the area tree changed.
    pub fn rehome(&mut self, resolve: impl Fn(&str) -> Option<AreaIdx>) {
        self.by_home.clear();
        for (i, m) in self.members.iter_mut().enumerate() {
            if let Some(m) = m {
                m.grid.forget();
                m.home = resolve(&m.home_grid);
                if let Some(h) = m.home {
                    self.by_home.entry(h).or_default().push(i as StaffIdx);
                }
            }
        }
    }

    /// A member's live position.
    #[must_use]
    pub fn position(&self, idx: StaffIdx) -> Option<LonLat> {
        Some(self.get(idx)?.fix?.position)
    }

    fn member_id(&self, idx: StaffIdx) -> Option<&str> {
        Some(self.get(idx)?.id.as_str())
    }

    fn device(&self, idx: StaffIdx, n: u8) -> Option<&str> {
        Some(self.get(idx)?.devices.get(n as usize)?.as_str())
    }

    /// Puts a member's entry into its cell and its keys into the tables.
    fn link(&mut self, idx: StaffIdx) {
        let Some(m) = self.members[idx as usize].as_ref() else {
            return;
        };
        if let Some(h) = m.home {
            self.by_home.entry(h).or_default().push(idx);
        }
        let devices: Vec<u64> = m
            .devices
            .iter()
            .map(|d| FxBuildHasher.hash_one(d.as_str()))
            .collect();
        let entry = (m.fix.is_some() && !self.loading).then(|| entry_of(idx, m));
        for (n, h) in devices.into_iter().enumerate() {
            let members = &self.members;
            self.by_device.insert_unique(h, (idx, n as u8), |&(i, n)| {
                let device = members[i as usize]
                    .as_ref()
                    .and_then(|m| m.devices.get(n as usize))
                    .map_or("", CompactString::as_str);
                FxBuildHasher.hash_one(device)
            });
        }
        if let Some(entry) = entry {
            self.place(idx, entry);
        }
    }

    /// Takes a member's entry out of its cell and its keys out of the tables
    /// (but not out of `by_id`).
    fn unlink(&mut self, idx: StaffIdx) {
        let Some(m) = self.members[idx as usize].as_ref() else {
            return;
        };
        if let Some(h) = m.home
            && let Some(list) = self.by_home.get_mut(&h)
        {
            list.retain(|&i| i != idx);
        }
        let hashes: Vec<u64> = m
            .devices
            .iter()
            .map(|d| FxBuildHasher.hash_one(d.as_str()))
            .collect();
        for h in hashes {
            if let Ok(e) = self.by_device.find_entry(h, |&(i, _)| i == idx) {
                e.remove();
            }
        }
        self.unplace(idx);
    }
}

fn entry_of(idx: StaffIdx, m: &Member) -> Entry {
    Entry {
        v: m.fix.map_or([0.0; 3], |f| f.position.unit_vector()),
        idx,
        role: m.role.bit(),
        duty: m.duty,
        skills: m.skills,
    }
}
