//! The tick's moves: what is watched, and the moves written for it.
//!
//! Finding a move's routing cell (H3) and writing its JSON cost about 2 µs
//! a move: 10,000 staff moving made it 15–20 ms of a core every tick, paid
//! whether or not anyone watched. A move is now written only when a viewer
//! of the staff layer watches its cell (or the cell it left), and its cell
//! is found only while someone watches the staff layer at all. With no such
//! viewer the tick remembers where each member was, so that a viewer who
//! subscribes later still hears a member leave its box.

use std::sync::Arc;

use compact_str::CompactString;
use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::{FxHashMap, FxHashSet};

use super::super::protocol::move_json;
use riskmap_engine::model::{DutyStatus, Fix};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{AreaIdx, StaffIdx};

/// A member who moved since the last tick, as the tick needs them (copied
/// under the engine's lock, written after it is let go).
pub(super) struct Mover {
    pub idx: StaffIdx,
    /// Inline for ids of up to 24 bytes: a copy, not an allocation.
    pub id: CompactString,
    pub duty: DutyStatus,
    pub fix: Fix,
    pub home: Option<AreaIdx>,
}

/// A move as viewers get it: the routing cell it is in and the one it left
/// (if another), where, the member's home area, the JSON fragment.
pub(super) struct Fragment {
    pub cell: CellIndex,
    pub left: Option<CellIndex>,
    pub pos: LonLat,
    pub home: Option<AreaIdx>,
    pub json: String,
}

/// What the staff layer's viewers watch, read at the start of a tick: the
/// routing cells of their subscriptions, and whether one watches a box too
/// large to route (it hears of moves anywhere in its box).
#[derive(Clone, Default)]
pub(super) struct Watched {
    pub cells: Arc<FxHashSet<CellIndex>>,
    pub everywhere: bool,
}

impl Watched {
    /// Anyone at all watches the staff layer (a routed viewer's box covers
    /// a cell at least).
    fn any(&self) -> bool {
        self.everywhere || !self.cells.is_empty()
    }

    fn sees(&self, cell: CellIndex) -> bool {
        self.everywhere || self.cells.contains(&cell)
    }
}

/// Where a member was at the last tick: the routing cell while anyone
/// watched, the position (its cell not yet found) while no one did.
#[derive(Clone, Copy)]
enum Last {
    Cell(CellIndex),
    At(LonLat),
}

/// The tick's memory of where every member that moved was last.
#[derive(Default)]
pub(super) struct LastSeen(FxHashMap<StaffIdx, Last>);

impl LastSeen {
    /// Notes the movers' new places and writes the moves `watched` sees.
    pub fn write(
        &mut self,
        movers: Vec<Mover>,
        watched: &Watched,
        res: Resolution,
    ) -> Vec<Fragment> {
        let cell_of = |p: LonLat| LatLng::new(p.lat, p.lon).ok().map(|ll| ll.to_cell(res));
        let mut out = Vec::new();
        for m in movers {
            let pos = m.fix.position;
            if !watched.any() {
                self.0.insert(m.idx, Last::At(pos));
                continue;
            }
            let Some(cell) = cell_of(pos) else {
                continue;
            };
            let left = match self.0.insert(m.idx, Last::Cell(cell)) {
                Some(Last::Cell(c)) => Some(c),
                Some(Last::At(p)) => cell_of(p),
                None => None,
            }
            .filter(|&c| c != cell);
            if watched.sees(cell) || left.is_some_and(|c| watched.sees(c)) {
                out.push(Fragment {
                    cell,
                    left,
                    pos,
                    home: m.home,
                    json: move_json(&m.id, m.duty, &m.fix),
                });
            }
        }
        out
    }
}
