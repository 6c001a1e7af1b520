//! Map tiles (瓦片): the Web Mercator pyramid (XYZ numbering, as web maps
//! ask for it) and geometry brought into one tile's integer grid — clipped
//! to the tile and a margin, simplified to what the zoom can show — ready to
//! be written as a Mapbox Vector Tile ([`mvt`]). A browser then draws 200,000
//! cameras from the few tiles in view instead of downloading every one.

pub mod layers;
pub mod mvt;
#[cfg(test)]
mod tests;

use std::f64::consts::PI;

use geo::{LineString, MultiLineString, MultiPolygon, Point, Simplify};

/// Tile units across a tile (MVT's customary extent).
pub const EXTENT: u32 = 4096;
/// Tile units kept around the tile: lines and fills then join across tile
/// edges (the renderer clips each tile to its square, so the cuts made out
/// here never show), and a point's symbol near an edge is drawn whole.
pub const BUFFER: f64 = 64.0;
/// The deepest zoom served; beyond it a map scales the deepest tile.
pub const MAX_ZOOM: u32 = 22;
/// Web Mercator's latitude limit (the square world).
const MAX_LAT: f64 = 85.051_128_779_806_59;
/// Douglas–Peucker tolerance in tile units: an eighth of a pixel of a
/// 512-pixel tile, so the simplification follows the zoom by itself.
const SIMPLIFY: f64 = 1.0;

/// One tile of the pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom, 0 ..= [`MAX_ZOOM`].
    pub z: u32,
    /// Column, 0 .. 2^z, from 180° W.
    pub x: u32,
    /// Row, 0 .. 2^z, from the north.
    pub y: u32,
}

/// Why a tile address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// Deeper than the pyramid goes.
    #[error("zoom {0} is beyond the deepest, {MAX_ZOOM}")]
    Zoom(u32),
    /// x or y outside the zoom's 2^z.
    #[error("tile {x}/{y} is outside zoom {z}, whose columns and rows run 0 to {last}")]
    OutOfRange {
        /// The zoom.
        z: u32,
        /// The column asked.
        x: u32,
        /// The row asked.
        y: u32,
        /// 2^z − 1.
        last: u32,
    },
}

/// A tile's geometry in its own grid: x to the east, y to the south, 0 to
/// [`EXTENT`] inside the tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGeometry {
    /// One or more points.
    Points(Vec<[i32; 2]>),
    /// Lines, each of two points or more.
    Lines(Vec<Vec<[i32; 2]>>),
    /// Rings, not closed (the first point is not repeated): each exterior
    /// ring (positive area in the tile's y-down grid, i.e. clockwise as
    /// drawn) followed by its holes (negative area).
    Polygons(Vec<Vec<[i32; 2]>>),
}

impl TileId {
    /// The tile at zoom `z`, column `x`, row `y`, if there is one.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::Zoom(z));
        }
        let last = (1u32 << z) - 1;
        if x > last || y > last {
            return Err(TileError::OutOfRange { z, x, y, last });
        }
        Ok(TileId { z, x, y })
    }

    /// The tile of zoom `z` (at most [`MAX_ZOOM`]) that holds a WGS84 point.
    #[must_use]
    pub fn containing(lon: f64, lat: f64, z: u32) -> TileId {
        let z = z.min(MAX_ZOOM);
        let [x, y] = TileId { z, x: 0, y: 0 }.project(lon, lat);
        let last = f64::from((1u32 << z) - 1);
        let e = f64::from(EXTENT);
        TileId {
            z,
            x: (x / e).floor().clamp(0.0, last) as u32,
            y: (y / e).floor().clamp(0.0, last) as u32,
        }
    }

    /// The tile and `margin` tile units around it in WGS84, [west, south,
    /// east, north]: what to ask an index for.
    #[must_use]
    pub fn bounds(&self, margin: f64) -> [f64; 4] {
        let n = f64::from(1u32 << self.z);
        let m = margin / f64::from(EXTENT);
        let lon = |x: f64| (x / n * 360.0 - 180.0).clamp(-180.0, 180.0);
        let lat = |y: f64| {
            (PI * (1.0 - 2.0 * y / n))
                .sinh()
                .atan()
                .to_degrees()
                .clamp(-MAX_LAT, MAX_LAT)
        };
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        [lon(x - m), lat(y + 1.0 + m), lon(x + 1.0 + m), lat(y - m)]
    }

    /// A WGS84 point in tile units (unrounded; outside the tile as far off
    /// as it is).
    fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        let n = f64::from(1u32 << self.z);
        let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        let wx = (lon + 180.0) / 360.0;
        let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
        let e = f64::from(EXTENT);
        [
            (wx * n - f64::from(self.x)) * e,
            (wy * n - f64::from(self.y)) * e,
        ]
    }

    /// A point in the tile's grid, if it falls in the tile or its margin.
    #[must_use]
    pub fn point(&self, p: Point<f64>) -> Option<[i32; 2]> {
        let [x, y] = self.project(p.x(), p.y());
        Clip::new().contains([x, y]).then(|| round([x, y]))
    }

    /// Lines cut to the tile and its margin and simplified; `None` when
    /// nothing of them is left.
    #[must_use]
    pub fn lines(&self, lines: &MultiLineString<f64>) -> Option<TileGeometry> {
        let clip = Clip::new();
        let mut out = Vec::new();
        for line in lines {
            let projected: Vec<[f64; 2]> = line.coords().map(|c| self.project(c.x, c.y)).collect();
            for part in clip.line(&projected) {
                let part = grid_points(&simplify(&part));
                if part.len() >= 2 {
                    out.push(part);
                }
            }
        }
        (!out.is_empty()).then_some(TileGeometry::Lines(out))
    }

    /// Polygons cut to the tile and its margin and simplified, rings
    /// oriented as MVT wants; `None` when nothing of them is left.
    #[must_use]
    pub fn polygons(&self, polygons: &MultiPolygon<f64>) -> Option<TileGeometry> {
        let clip = Clip::new();
        let mut out = Vec::new();
        let ring = |r: &LineString<f64>, exterior: bool| -> Option<Vec<[i32; 2]>> {
            let mut projected: Vec<[f64; 2]> = r.coords().map(|c| self.project(c.x, c.y)).collect();
            if projected.len() > 1 && projected.first() == projected.last() {
                projected.pop();
            }
            let cut = clip.ring(&projected);
            if cut.len() < 3 {
                return None;
            }
            let mut closed = cut.clone();
            closed.push(cut[0]);
            let mut points = grid_points(&simplify(&closed));
            if points.len() > 1 && points.first() == points.last() {
                points.pop();
            }
            let area = twice_area(&points);
            if points.len() < 3 || area == 0 {
                return None;
            }
            if (area > 0) != exterior {
                points.reverse();
            }
            Some(points)
        };
        for polygon in polygons {
            let Some(exterior) = ring(polygon.exterior(), true) else {
                continue;
            };
            out.push(exterior);
            out.extend(polygon.interiors().iter().filter_map(|r| ring(r, false)));
        }
        (!out.is_empty()).then_some(TileGeometry::Polygons(out))
    }
}

/// Rounds tile units to the grid (clipped to the tile's margin first: far
/// inside i32).
fn round([x, y]: [f64; 2]) -> [i32; 2] {
    [x.round() as i32, y.round() as i32]
}

/// Douglas–Peucker at [`SIMPLIFY`] tile units.
fn simplify(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let line: LineString<f64> = points.iter().map(|&[x, y]| (x, y)).collect();
    line.simplify(SIMPLIFY)
        .coords()
        .map(|c| [c.x, c.y])
        .collect()
}

/// Rounded to the grid, with the repeats rounding makes dropped.
fn grid_points(points: &[[f64; 2]]) -> Vec<[i32; 2]> {
    let mut out: Vec<[i32; 2]> = Vec::with_capacity(points.len());
    for &p in points {
        let p = round(p);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Twice a ring's signed area in the tile's grid (positive: clockwise as
/// drawn, y pointing down).
fn twice_area(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let [x0, y0] = ring[i];
            let [x1, y1] = ring[(i + 1) % n];
            i64::from(x0) * i64::from(y1) - i64::from(x1) * i64::from(y0)
        })
        .sum()
}

/// The square a tile's geometry is cut to: the tile and [`BUFFER`] around.
#[derive(Debug, Clone, Copy)]
struct Clip {
    lo: f64,
    hi: f64,
}

impl Clip {
    fn new() -> Clip {
        Clip {
            lo: -BUFFER,
            hi: f64::from(EXTENT) + BUFFER,
        }
    }

    fn contains(&self, [x, y]: [f64; 2]) -> bool {
        (self.lo..=self.hi).contains(&x) && (self.lo..=self.hi).contains(&y)
    }

    /// A line cut into the parts inside (Liang–Barsky on each segment).
    fn line(&self, points: &[[f64; 2]]) -> Vec<Vec<[f64; 2]>> {
        let mut parts = Vec::new();
        let mut current: Vec<[f64; 2]> = Vec::new();
        for pair in points.windows(2) {
            let Some(cut) = self.segment(pair[0], pair[1]) else {
                // Wholly outside: whatever was inside before ends.
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
                continue;
            };
            if current.is_empty() || cut.entered {
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
                current.push(cut.from);
            }
            current.push(cut.to);
            if cut.left {
                // Left the square: the next part starts where it comes back.
                parts.push(std::mem::take(&mut current));
            }
        }
        if current.len() >= 2 {
            parts.push(current);
        }
        parts
    }

    /// The part of segment a–b inside the square.
    fn segment(&self, a: [f64; 2], b: [f64; 2]) -> Option<Cut> {
        let d = [b[0] - a[0], b[1] - a[1]];
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for axis in 0..2 {
            for (p, q) in [(-d[axis], a[axis] - self.lo), (d[axis], self.hi - a[axis])] {
                if p == 0.0 {
                    if q < 0.0 {
                        return None;
                    }
                } else {
                    let r = q / p;
                    if p < 0.0 {
                        t0 = t0.max(r);
                    } else {
                        t1 = t1.min(r);
                    }
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let (entered, left) = (t0 > 0.0, t1 < 1.0);
        let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
        Some(Cut {
            from: if entered { at(t0) } else { a },
            to: if left { at(t1) } else { b },
            entered,
            left,
        })
    }

    /// A ring cut to the square (Sutherland–Hodgman). A concave ring may
    /// come back with stretches along the square's edges; they lie in the
    /// margin, which the renderer never shows.
    fn ring(&self, ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
        let mut out = ring.to_vec();
        for (axis, bound, keep_below) in [
            (0, self.lo, false),
            (0, self.hi, true),
            (1, self.lo, false),
            (1, self.hi, true),
        ] {
            if out.is_empty() {
                break;
            }
            let inside = |p: [f64; 2]| {
                if keep_below {
                    p[axis] <= bound
                } else {
                    p[axis] >= bound
                }
            };
            let input = std::mem::take(&mut out);
            let mut prev = input[input.len() - 1];
            for &p in &input {
                match (inside(prev), inside(p)) {
                    (true, true) => out.push(p),
                    (true, false) => out.push(cross(prev, p, axis, bound)),
                    (false, true) => {
                        out.push(cross(prev, p, axis, bound));
                        out.push(p);
                    }
                    (false, false) => {}
                }
                prev = p;
            }
        }
        out
    }
}

/// The part of a segment inside the square.
#[derive(Debug, Clone, Copy)]
struct Cut {
    from: [f64; 2],
    to: [f64; 2],
    /// It starts on the square's edge, coming in.
    entered: bool,
    /// It ends on the square's edge, going out.
    left: bool,
}

/// Where segment a–b meets the line `axis` = `bound`.
fn cross(a: [f64; 2], b: [f64; 2], axis: usize, bound: f64) -> [f64; 2] {
    let t = (bound - a[axis]) / (b[axis] - a[axis]);
    let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    p[axis] = bound;
    p
}
