//! The engine's static layers cut into tiles: which features each layer's
//! tile holds at each zoom, with the properties a map styles them by.

use std::str::FromStr;

use geo::Point;
use rustc_hash::FxHashMap;

use super::mvt::{self, LayerWriter, Value};
use super::{BUFFER, TileGeometry, TileId};
use crate::layer::Shape;
use crate::model::{AreaLevel, Camera, KeyPlace, RiskSource};
use crate::{AreaIdx, AreaTree, Engine, Layer, LayerItem};

/// The layers served as tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileLayer {
    /// The governance tree's outlines, each level from the zoom it shows at.
    Areas,
    /// Cameras, thinned where they would overlap on screen.
    Cameras,
    /// Risk sources' footprints.
    RiskSources,
    /// Key places' footprints.
    KeyPlaces,
}

impl TileLayer {
    /// Every layer.
    pub const ALL: [TileLayer; 4] = [
        TileLayer::Areas,
        TileLayer::Cameras,
        TileLayer::RiskSources,
        TileLayer::KeyPlaces,
    ];

    /// The name in the URL and the tile's layer name (a style's
    /// `source-layer`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TileLayer::Areas => "areas",
            TileLayer::Cameras => "cameras",
            TileLayer::RiskSources => "risk_sources",
            TileLayer::KeyPlaces => "key_places",
        }
    }
}

impl FromStr for TileLayer {
    type Err = String;

    fn from_str(s: &str) -> Result<TileLayer, String> {
        TileLayer::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                format!("no tile layer {s:?}; there are areas, cameras, risk_sources, key_places")
            })
    }
}

/// Zoom from which each area level is in the tiles (the big screen draws
/// streets from 9, communities from 10.5, grids from 12).
fn levels_at(z: u32) -> &'static [AreaLevel] {
    use AreaLevel::{City, Community, District, Grid, Street};
    match z {
        0..=8 => &[City, District],
        9 => &[City, District, Street],
        10 | 11 => &[City, District, Street, Community],
        _ => &[City, District, Street, Community, Grid],
    }
}

/// Cameras closer than this many tile units share one point (with a
/// `count`); 8 units are a pixel of a 512-pixel tile. Below zoom 12 a
/// city's cameras are a density, points 32 pixels apart at most (at most
/// 256 a tile); at 12 a district's, 16 pixels (1,024 a tile), and at 13,
/// 8 pixels (4,096 a tile: an urban core's z13 tile holds thousands). A map
/// draws every point in view on every frame; at 8 pixels a 1920×1080 view
/// of a dense district held 15,000 of them, half a second a frame where
/// WebGL runs on the CPU, and a carpet in which nothing could be read.
/// From 14 (the deepest tile a map needs: it scales it beyond) only cameras
/// on the same tile unit, 0.6 m at zoom 14, which no zoom would tell apart.
fn thinning_cell(z: u32) -> i32 {
    match z {
        0..=11 => 256,
        12 => 128,
        13 => 64,
        _ => 1,
    }
}

/// Cuts one tile of a layer from the engine: the features placed where
/// `visible` allows (a feature's grid, an area itself; `None` for a feature
/// in no grid).
pub fn cut(
    engine: &Engine,
    layer: TileLayer,
    tile: TileId,
    visible: &dyn Fn(Option<AreaIdx>) -> bool,
) -> Vec<u8> {
    let bounds = tile.bounds(BUFFER);
    let tree = engine.areas();
    let mut out = LayerWriter::new(layer.name());
    match layer {
        TileLayer::Areas => areas(tree, visible, tile, bounds, &mut out),
        TileLayer::Cameras => cameras(engine.cameras(), visible, tile, bounds, &mut out),
        TileLayer::RiskSources => {
            for i in in_tile(engine.risk_sources(), visible, bounds) {
                let Some(r) = engine.risk_sources().get(i) else {
                    continue;
                };
                footprint(tile, r, &mut out, &risk_source(r));
            }
        }
        TileLayer::KeyPlaces => {
            for i in in_tile(engine.key_places(), visible, bounds) {
                let Some(k) = engine.key_places().get(i) else {
                    continue;
                };
                footprint(tile, k, &mut out, &key_place(k));
            }
        }
    }
    mvt::tile([out])
}

fn in_tile<T: LayerItem>(
    layer: &Layer<T>,
    visible: &dyn Fn(Option<AreaIdx>) -> bool,
    bounds: [f64; 4],
) -> Vec<u32> {
    let mut idxs = layer.in_bbox(bounds);
    idxs.retain(|&i| visible(layer.grid(i)));
    // The index's order is its tree's: sort so that a tile's bytes depend on
    // its features only.
    idxs.sort_unstable();
    idxs
}

fn areas(
    tree: &AreaTree,
    visible: &dyn Fn(Option<AreaIdx>) -> bool,
    tile: TileId,
    b: [f64; 4],
    out: &mut LayerWriter,
) {
    let rect = geo::Rect::new((b[0], b[1]), (b[2], b[3]));
    for &level in levels_at(tile.z) {
        let mut idxs: Vec<u32> = tree
            .in_bbox(rect, Some(level))
            .filter(|&i| visible(Some(i)))
            .collect();
        idxs.sort_unstable();
        for i in idxs {
            let a = tree.get(i);
            let Some(geometry) = tile.polygons(&a.geometry) else {
                continue;
            };
            let mut props = vec![
                ("id", Value::Str(&a.code)),
                ("name", Value::Str(&a.name)),
                ("level", Value::Str(level_name(a.level))),
            ];
            if let Some(parent) = &a.parent {
                props.push(("parent", Value::Str(parent)));
            }
            out.add(&geometry, &props);
        }
    }
}

fn level_name(level: AreaLevel) -> &'static str {
    match level {
        AreaLevel::City => "city",
        AreaLevel::District => "district",
        AreaLevel::Street => "street",
        AreaLevel::Community => "community",
        AreaLevel::Grid => "grid",
    }
}

fn cameras(
    layer: &Layer<Camera>,
    visible: &dyn Fn(Option<AreaIdx>) -> bool,
    tile: TileId,
    bounds: [f64; 4],
    out: &mut LayerWriter,
) {
    let cell = thinning_cell(tile.z);
    // The cell's camera of the lowest index stands for the cell. Cells
    // divide the tile evenly, so a tile's margin holds the same cells, and
    // the same points, as its neighbour.
    let mut cells: FxHashMap<[i32; 2], (u32, [i32; 2], i64)> = FxHashMap::default();
    for i in in_tile(layer, visible, bounds) {
        let Some(c) = layer.get(i) else { continue };
        let Some(p) = tile.point(Point::new(c.location.lon, c.location.lat)) else {
            continue;
        };
        cells
            .entry([p[0].div_euclid(cell), p[1].div_euclid(cell)])
            .and_modify(|e| e.2 += 1)
            .or_insert((i, p, 1));
    }
    let mut kept: Vec<(u32, [i32; 2], i64)> = cells.into_values().collect();
    kept.sort_unstable_by_key(|e| e.0);
    for (i, p, count) in kept {
        let Some(c) = layer.get(i) else { continue };
        let mut props = vec![
            ("id", Value::Str(&c.id)),
            ("name", Value::Str(&c.name)),
            ("online", Value::Bool(c.online)),
            ("range_m", Value::Double(c.range_m)),
            ("owner", Value::Str(&c.owner)),
            ("count", Value::Int(count)),
        ];
        if let Some(h) = c.heading_deg {
            props.push(("heading_deg", Value::Double(h)));
        }
        if let Some(f) = c.fov_deg {
            props.push(("fov_deg", Value::Double(f)));
        }
        out.add(&TileGeometry::Points(vec![p]), &props);
    }
}

fn risk_source(r: &RiskSource) -> Vec<(&str, Value<'_>)> {
    vec![
        ("id", Value::Str(&r.id)),
        ("name", Value::Str(&r.name)),
        ("category", Value::Str(&r.category)),
        ("level", Value::Int(i64::from(u8::from(r.level)))),
    ]
}

fn key_place(k: &KeyPlace) -> Vec<(&str, Value<'_>)> {
    vec![
        ("id", Value::Str(&k.id)),
        ("name", Value::Str(&k.name)),
        ("category", Value::Str(&k.category)),
    ]
}

/// A footprint (a point, a route, an extent) in the tile, if any of it is.
fn footprint<T: LayerItem>(
    tile: TileId,
    item: &T,
    out: &mut LayerWriter,
    props: &[(&str, Value<'_>)],
) {
    let geometry = match item.shape() {
        Shape::Point(p) => tile.point(p).map(|p| TileGeometry::Points(vec![p])),
        Shape::Line(l) => tile.lines(l),
        Shape::Area(a) => tile.polygons(a),
    };
    if let Some(g) = geometry {
        out.add(&g, props);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_names_read_back_and_unknown_ones_are_named() {
        for l in TileLayer::ALL {
            assert_eq!(l.name().parse::<TileLayer>(), Ok(l));
        }
        let err = "roads".parse::<TileLayer>().expect_err("no such layer");
        assert!(err.contains("roads") && err.contains("cameras"), "{err}");
    }

    #[test]
    fn finer_levels_join_as_the_map_zooms_in() {
        assert_eq!(levels_at(5).len(), 2);
        assert!(levels_at(9).contains(&AreaLevel::Street));
        assert!(!levels_at(11).contains(&AreaLevel::Grid));
        assert!(levels_at(12).contains(&AreaLevel::Grid));
    }
}
