//! The staff census (人员分布): how many members stand in each H3 cell, by
//! role, duty and whether they are online, for a screen that shows a whole
//! city as hexagons.
//!
//! A city-wide `staff` subscription carries every member: 22 MB of snapshot
//! at 100,000 staff, 218 MB at a million, which no browser reads in seconds.
//! The `staff_cells` layer carries the counts instead, a few thousand cells
//! whatever the headcount, and what changed every [`CENSUS_EVERY`].
//!
//! Each pass counts everyone again rather than following every move: a
//! recount cannot drift (members added, removed, re-homed, going stale with
//! time are all just counted as they are), and it costs little because each
//! member's cell is remembered with the position it was computed for, so only
//! those who moved ask H3. The table keeps each count's home grid, so one
//! table serves every scope (分级授权): a district's screen sums only the rows
//! of members homed in its district.

use std::sync::Arc;
use std::time::Duration;

use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

use super::ViewerId;
use super::hub::Subscription;
use crate::identity::Scope;
use riskmap_engine::model::{DutyStatus, EpochMs, Role};
use riskmap_engine::sphere::{self, LonLat};
use riskmap_engine::{AreaIdx, AreaTree, Engine};

/// The resolution members are counted at (cells of about 0.1 km², 174 m
/// edges); a client draws coarser hexagons as these cells' parents.
pub const CENSUS_RES: Resolution = Resolution::Nine;

/// How often the census is taken while anyone watches it. Counts that are
/// two seconds late go unnoticed at city zoom; a recount of a million
/// members costs tens of milliseconds.
pub const CENSUS_EVERY: Duration = Duration::from_secs(2);

/// Duty statuses in the order of their class numbers.
pub const DUTIES: [DutyStatus; 4] = [
    DutyStatus::Off,
    DutyStatus::Available,
    DutyStatus::Busy,
    DutyStatus::Sos,
];

/// Classes: every role × every duty × online or offline.
const CLASSES: usize = Role::ALL.len() * DUTIES.len() * 2;

/// A member's class: `(role × 4 + duty) × 2 + offline`, with roles in
/// [`Role::ALL`]'s order and duties in [`DUTIES`]'.
pub type Class = u8;

/// The class of a member of `role` and `duty`, online or not.
#[must_use]
pub fn class_of(role: Role, duty: DutyStatus, offline: bool) -> Class {
    let r = Role::ALL.iter().position(|&x| x == role).unwrap_or(0);
    let d = DUTIES.iter().position(|&x| x == duty).unwrap_or(0);
    // At most 5 × 4 × 2 = 40 classes.
    u8::try_from((r * DUTIES.len() + d) * 2 + usize::from(offline)).unwrap_or(u8::MAX)
}

/// One count of the table: members of one class homed in one grid,
/// standing in one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    cell: u64,
    class: Class,
    home: Option<AreaIdx>,
    count: u32,
    /// The cell's centre, for a subscription's box.
    centre: LonLat,
}

/// One census: every count, sorted by cell and class.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Row>,
    /// The [generation](AreaTree::generation) of the area tree the rows'
    /// home grids index: an areas import renumbers the grids, and a table
    /// of the tree before counts members under grids that are others' now.
    tree: u64,
}

/// What one subscription sees of a table: `(cell, class, members)`, sorted
/// by cell and class, no zero counts.
pub type Counts = Vec<(u64, Class, u32)>;

impl Table {
    /// The counts of members in `scope`, in cells whose centre lies in
    /// `bbox`.
    #[must_use]
    pub fn view(&self, scope: Scope, bbox: [f64; 4], tree: &AreaTree) -> Counts {
        let mut out: Counts = Vec::new();
        for r in &self.rows {
            if !sphere::in_bbox(bbox, r.centre) || !scope.contains(r.home, tree) {
                continue;
            }
            match out.last_mut() {
                Some((cell, class, n)) if *cell == r.cell && *class == r.class => *n += r.count,
                _ => out.push((r.cell, r.class, r.count)),
            }
        }
        out
    }
}

/// Where a member stood and whose they were at the last pass, and the
/// slot that counted them.
#[derive(Debug, Clone, Copy)]
struct Memo {
    lon: f64,
    lat: f64,
    home: Option<AreaIdx>,
    /// [`NO_SLOT`] until counted (or for a position H3 refuses).
    slot: u32,
}

const NO_SLOT: u32 = u32::MAX;

impl Default for Memo {
    fn default() -> Self {
        Memo {
            lon: f64::NAN,
            lat: f64::NAN,
            home: None,
            slot: NO_SLOT,
        }
    }
}

/// A cell and a home grid: what one histogram of a pass counts.
#[derive(Debug, Clone, Copy)]
struct Slot {
    cell: u64,
    home: Option<AreaIdx>,
    centre: LonLat,
}

/// The census and what each audience was last told.
///
/// A pass costs a look at each member and an increment: members are
/// counted into per-slot histograms (a slot is a cell and a home grid, a few
/// thousand of them in a city, since people stand near their grids), and
/// each member's slot is remembered with the position and home it was found
/// for, so only those who moved or were re-homed ask H3 or a hash table.
#[derive(Debug, Default)]
pub struct Census {
    /// By staff index: a freed index reused by another member is simply
    /// looked up again, its position being another.
    memo: Vec<Memo>,
    slots: Vec<Slot>,
    slot_of: FxHashMap<(u64, Option<AreaIdx>), u32>,
    latest: Option<Arc<Table>>,
    /// The counts last sent to each audience (a scope and a box).
    told: FxHashMap<Audience, Counts>,
}

/// Viewers who see the same counts: the same scope (of the same area tree:
/// an index names another area in another tree) and box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Audience {
    scope: Scope,
    tree: u64,
    bbox: [u64; 4],
}

impl Audience {
    fn of(sub: &Subscription) -> Self {
        Audience {
            scope: sub.scope,
            tree: sub.tree,
            bbox: sub.bbox.map(f64::to_bits),
        }
    }
}

impl Census {
    /// Counts everyone now; the result is also the [`latest`](Self::latest).
    /// A member with no fix stands nowhere and is not counted; one whose last
    /// fix is older than `stale_after_ms` counts as offline.
    pub fn take(&mut self, engine: &Engine, now: EpochMs, stale_after_ms: i64) -> Arc<Table> {
        let fresh = now.saturating_sub(stale_after_ms);
        let tree = engine.areas().generation();
        let mut hist: Vec<[u32; CLASSES]> = vec![[0; CLASSES]; self.slots.len()];
        for (idx, m) in engine.staff().iter() {
            let Some(fix) = m.fix else { continue };
            let Some(slot) = self.slot(idx as usize, fix.position, m.home) else {
                continue;
            };
            if slot >= hist.len() {
                hist.resize(self.slots.len(), [0; CLASSES]);
            }
            hist[slot][usize::from(class_of(m.role, m.duty, fix.fix_time_ms < fresh))] += 1;
        }
        let table = Arc::new(Table {
            rows: self.rows(&hist),
            tree,
        });
        self.forget_empty_slots(&hist);
        self.latest = Some(table.clone());
        table
    }

    /// The histograms as rows ordered by cell and class: the slots sorted by
    /// cell, each cell's rows then by class.
    fn rows(&self, hist: &[[u32; CLASSES]]) -> Vec<Row> {
        let mut order: Vec<usize> = (0..hist.len())
            .filter(|&i| hist[i].iter().any(|&n| n > 0))
            .collect();
        order.sort_unstable_by_key(|&i| self.slots[i].cell);
        let mut rows = Vec::new();
        for group in order.chunk_by(|&a, &b| self.slots[a].cell == self.slots[b].cell) {
            let from = rows.len();
            for &i in group {
                let s = self.slots[i];
                for (class, &count) in hist[i].iter().enumerate().filter(|(_, n)| **n > 0) {
                    rows.push(Row {
                        cell: s.cell,
                        class: u8::try_from(class).unwrap_or(u8::MAX),
                        home: s.home,
                        count,
                        centre: s.centre,
                    });
                }
            }
            // A cell's homes are few: its rows in class order cost little.
            rows[from..].sort_by_key(|r| r.class);
        }
        rows
    }

    /// Once most slots counted nobody (people moved on), they are made
    /// again from scratch at the next pass: the memory follows the city, not
    /// everywhere anyone ever stood.
    fn forget_empty_slots(&mut self, hist: &[[u32; CLASSES]]) {
        let used = hist.iter().filter(|h| h.iter().any(|&n| n > 0)).count();
        if self.slots.len() > 4096 && used < self.slots.len() / 2 {
            self.slots.clear();
            self.slot_of.clear();
            for m in &mut self.memo {
                m.slot = NO_SLOT;
            }
        }
    }

    /// The last census taken, if any.
    #[must_use]
    pub fn latest_taken(&self) -> Option<Arc<Table>> {
        self.latest.clone()
    }

    /// The last census, or a new one if none was taken yet or the last
    /// was of another area tree (分级授权: its homes index that tree).
    pub fn latest(&mut self, engine: &Engine, now: EpochMs, stale_after_ms: i64) -> Arc<Table> {
        match &self.latest {
            Some(t) if t.tree == engine.areas().generation() => t.clone(),
            _ => self.take(engine, now, stale_after_ms),
        }
    }

    /// What changed for each viewer since the census before `table`, as
    /// the text of a `staff_cells` message (none for a viewer whose counts
    /// did not change). `before` is that census: the counts an audience
    /// that appeared since were told by their snapshots.
    ///
    /// Across an areas import nothing of the tree before is compared: a
    /// viewer whose scope was read from it is told nothing (the import
    /// resyncs every viewer; its scope's index may name another area now),
    /// and neither the census before nor what its audiences were told is
    /// a new audience's starting point.
    pub fn changes(
        &mut self,
        before: Option<&Table>,
        table: &Table,
        viewers: &[(ViewerId, Subscription)],
        tree: &AreaTree,
    ) -> Vec<(ViewerId, Arc<str>)> {
        let current = tree.generation();
        let before = before.filter(|b| b.tree == current);
        let mut told = FxHashMap::default();
        let mut texts: FxHashMap<Audience, Option<Arc<str>>> = FxHashMap::default();
        let mut out = Vec::new();
        for (id, sub) in viewers.iter().filter(|(_, sub)| sub.tree == current) {
            let audience = Audience::of(sub);
            let text = texts.entry(audience).or_insert_with(|| {
                let now = table.view(sub.scope, sub.bbox, tree);
                let was = self.told.remove(&audience).unwrap_or_else(|| {
                    before.map_or_else(Vec::new, |b| b.view(sub.scope, sub.bbox, tree))
                });
                let changed = changed_cells(&was, &now);
                told.insert(audience, now);
                let message = Changes {
                    kind: "staff_cells",
                    cells: CellList(&changed),
                };
                (!changed.is_empty())
                    .then(|| serde_json::to_string(&message).ok().map(Arc::from))
                    .flatten()
            });
            if let Some(text) = text {
                out.push((*id, text.clone()));
            }
        }
        // Audiences no one is in any more are forgotten.
        self.told = told;
        out
    }

    /// The slot counting a member at `p` homed in `home`: the memo's when
    /// neither changed, else the cell's (asked of H3) and the home's.
    fn slot(&mut self, idx: usize, p: LonLat, home: Option<AreaIdx>) -> Option<usize> {
        if idx >= self.memo.len() {
            self.memo.resize(idx + 1, Memo::default());
        }
        let memo = self.memo[idx];
        if memo.slot != NO_SLOT
            && memo.lon.to_bits() == p.lon.to_bits()
            && memo.lat.to_bits() == p.lat.to_bits()
            && memo.home == home
        {
            return Some(memo.slot as usize);
        }
        let cell = u64::from(LatLng::new(p.lat, p.lon).ok()?.to_cell(CENSUS_RES));
        let slots = &mut self.slots;
        let slot = *self.slot_of.entry((cell, home)).or_insert_with(|| {
            slots.push(Slot {
                cell,
                home,
                centre: centre(cell),
            });
            u32::try_from(slots.len() - 1).unwrap_or(NO_SLOT)
        });
        self.memo[idx] = Memo {
            lon: p.lon,
            lat: p.lat,
            home,
            slot,
        };
        Some(slot as usize)
    }
}

fn centre(cell: u64) -> LonLat {
    CellIndex::try_from(cell).map_or(LonLat { lon: 0.0, lat: 0.0 }, |c| {
        let ll = LatLng::from(c);
        LonLat {
            lon: ll.lng(),
            lat: ll.lat(),
        }
    })
}

/// The cells whose counts differ between two views, each with its counts
/// now (none: it emptied).
fn changed_cells(was: &Counts, now: &Counts) -> Counts {
    let mut out = Counts::new();
    let (mut a, mut b) = (groups(was).peekable(), groups(now).peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return out,
            (Some(x), Some(y)) if x[0].0 == y[0].0 => {
                if x != y {
                    out.extend_from_slice(y);
                }
                a.next();
                b.next();
            }
            (Some(x), y) if y.is_none_or(|y| x[0].0 < y[0].0) => {
                // Emptied: the cell with no class, a count of zero.
                out.push((x[0].0, 0, 0));
                a.next();
            }
            _ => out.extend_from_slice(b.next().unwrap_or_default()),
        }
    }
}

/// A view's rows, one slice per cell.
fn groups(c: &Counts) -> impl Iterator<Item = &[(u64, Class, u32)]> {
    c.chunk_by(|x, y| x.0 == y.0)
}

/// Counts as the protocol's list of cells:
/// `[{"cell":"89…","counts":[[class,n],…]},…]`; an emptied cell has no counts.
pub struct CellList<'a>(pub &'a Counts);

impl Serialize for CellList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(groups(self.0).map(|rows| {
            CellEntry {
                cell: format!("{:x}", rows[0].0),
                counts: rows
                    .iter()
                    .filter(|r| r.2 > 0)
                    .map(|&(_, class, n)| (class, n))
                    .collect(),
            }
        }))
    }
}

#[derive(Serialize)]
struct CellEntry {
    cell: String,
    counts: Vec<(Class, u32)>,
}

/// A `staff_cells` message: the cells whose counts changed.
#[derive(Serialize)]
struct Changes<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    cells: CellList<'a>,
}

#[cfg(test)]
mod tests;
