//! Counts per H3 cell inside a box: the heat map layer.

use h3o::{CellIndex, LatLng, Resolution};
use rustc_hash::FxHashMap;

use super::error::{EngineError, Result};
use super::sphere::LonLat;

/// Largest number of cells a heat map may return, so a city-wide box at a
/// fine resolution is refused with a reason instead of built.
pub const MAX_HEAT_CELLS: usize = 200_000;

/// Counts points per H3 cell at `resolution`, sorted by cell.
pub fn count(
    points: impl IntoIterator<Item = LonLat>,
    resolution: u8,
) -> Result<Vec<(CellIndex, u32)>> {
    let res = Resolution::try_from(resolution).map_err(|_| {
        EngineError::InvalidQuery(format!("H3 resolution must be 0 to 15, got {resolution}"))
    })?;
    let mut counts: FxHashMap<CellIndex, u32> = FxHashMap::default();
    for p in points {
        let Ok(ll) = LatLng::new(p.lat, p.lon) else {
            continue;
        };
        *counts.entry(ll.to_cell(res)).or_default() += 1;
        if counts.len() > MAX_HEAT_CELLS {
            return Err(EngineError::InvalidQuery(format!(
                "the heat map would have more than {MAX_HEAT_CELLS} cells: use a coarser resolution or a smaller box"
            )));
        }
    }
    let mut out: Vec<_> = counts.into_iter().collect();
    out.sort_unstable_by_key(|&(c, _)| c);
    Ok(out)
}
