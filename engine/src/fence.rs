//! Geofences (电子围栏) judged on every fix: areas drawn by an administrator,
//! and the buffers around risk sources (风险源缓冲区). A [`FenceSet`] holds
//! the zones in an R-tree of their boxes, so a fix far from every zone costs
//! one tree descent; each member's [`FenceState`] remembers the zones they
//! are in and turns the next fix into crossings (enter, exit), as Tile38's
//! fences do.
//!
//! Zones carry keys their owner hands out and never reuses, so that a set
//! rebuilt after an edit leaves every member's state valid: a zone that is
//! gone is left silently, never "exited".

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point, Rect};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::error::{EngineError, Result};
use crate::model::Footprint;
use crate::sphere::{EARTH_RADIUS_M, LonLat, distance_m};

/// A zone's key, stable across rebuilds of the set.
pub type FenceKey = u32;

/// Metres in a degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A zone's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// Inside the polygons (their boundary excluded).
    Area(MultiPolygon<f64>),
    /// Within `radius_m` of a footprint (a risk source's point, line or
    /// area; inside an area counts as within).
    Buffer {
        /// What is buffered.
        footprint: Footprint,
        /// How far around it, metres.
        radius_m: f64,
    },
}

impl Zone {
    /// Whether `at` lies in the zone. Exact, without the index: the
    /// definition every index answer must agree with.
    #[must_use]
    pub fn contains(&self, at: LonLat) -> bool {
        let p = Point::new(at.lon, at.lat);
        match self {
            Zone::Area(shape) => shape.contains(&p),
            Zone::Buffer {
                footprint,
                radius_m,
            } => match footprint {
                Footprint::Point(c) => {
                    distance_m(
                        LonLat {
                            lon: c.x(),
                            lat: c.y(),
                        },
                        at,
                    ) <= *radius_m
                }
                Footprint::Line(lines) => lines.iter().any(|l| {
                    l.lines()
                        .any(|s| segment_m(at, s.start, s.end) <= *radius_m)
                }),
                Footprint::Area(shape) => {
                    shape.contains(&p)
                        || shape.iter().any(|poly| {
                            std::iter::once(poly.exterior())
                                .chain(poly.interiors())
                                .any(|ring| {
                                    ring.lines()
                                        .any(|s| segment_m(at, s.start, s.end) <= *radius_m)
                                })
                        })
                }
            },
        }
    }

    /// The zone's box, degrees; a buffer's grown by its radius.
    fn bbox(&self) -> Option<Rect<f64>> {
        match self {
            Zone::Area(shape) => shape.bounding_rect(),
            Zone::Buffer {
                footprint,
                radius_m,
            } => {
                let r = match footprint {
                    Footprint::Point(p) => Rect::new(p.0, p.0),
                    Footprint::Line(l) => l.bounding_rect()?,
                    Footprint::Area(a) => a.bounding_rect()?,
                };
                let dlat = radius_m / M_PER_DEG;
                // The widest degree of longitude on the box's poleward side.
                let lat = r.min().y.abs().max(r.max().y.abs()) + dlat;
                let dlon = radius_m / (M_PER_DEG * lat.to_radians().cos().max(1e-6));
                Some(Rect::new(
                    Coord {
                        x: r.min().x - dlon,
                        y: r.min().y - dlat,
                    },
                    Coord {
                        x: r.max().x + dlon,
                        y: r.max().y + dlat,
                    },
                ))
            }
        }
    }
}

/// Metres from `at` to the segment `a`–`b`, on the plane tangent at `at`
/// (buffers are tens to hundreds of metres: the flat earth is exact
/// enough there).
fn segment_m(at: LonLat, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let kx = M_PER_DEG * at.lat.to_radians().cos();
    let (ax, ay) = ((a.x - at.lon) * kx, (a.y - at.lat) * M_PER_DEG);
    let (bx, by) = ((b.x - at.lon) * kx, (b.y - at.lat) * M_PER_DEG);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    // The point on the segment nearest the origin (where `at` is).
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (x, y) = (ax + t * dx, ay + t * dy);
    (x * x + y * y).sqrt()
}

/// The zones and the R-tree of their boxes.
#[derive(Debug, Default)]
pub struct FenceSet {
    /// By key, ascending.
    zones: Vec<(FenceKey, Zone)>,
    boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
}

impl FenceSet {
    /// Indexes `zones`; refuses a zone with no extent or with coordinates
    /// that are not finite, and a key given twice.
    pub fn new(mut zones: Vec<(FenceKey, Zone)>) -> Result<FenceSet> {
        zones.sort_by_key(|(k, _)| *k);
        if let Some(w) = zones.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(EngineError::InvalidProperties(format!(
                "fence key {} given twice",
                w[0].0
            )));
        }
        let mut boxes = Vec::with_capacity(zones.len());
        for (i, (key, zone)) in zones.iter().enumerate() {
            let r = zone
                .bbox()
                .filter(|r| {
                    [r.min().x, r.min().y, r.max().x, r.max().y]
                        .iter()
                        .all(|v| v.is_finite())
                })
                .ok_or_else(|| {
                    EngineError::InvalidGeometry(format!(
                        "fence {key}: the zone is empty or not finite"
                    ))
                })?;
            boxes.push(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i as u32,
            ));
        }
        Ok(FenceSet {
            zones,
            boxes: RTree::bulk_load(boxes),
        })
    }

    /// How many zones.
    #[must_use]
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Whether the set holds `key`.
    #[must_use]
    pub fn holds(&self, key: FenceKey) -> bool {
        self.zones.binary_search_by_key(&key, |(k, _)| *k).is_ok()
    }

    /// The keys of the zones `at` lies in, ascending, into `out` (cleared).
    pub fn containing(&self, at: LonLat, out: &mut Vec<FenceKey>) {
        out.clear();
        for hit in self.boxes.locate_all_at_point([at.lon, at.lat]) {
            let (key, zone) = &self.zones[hit.data as usize];
            if zone.contains(at) {
                out.push(*key);
            }
        }
        out.sort_unstable();
    }
}

/// A fix crossing a zone's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// Into the zone.
    Enter(FenceKey),
    /// Out of it.
    Exit(FenceKey),
}

/// One member's place among the zones: the keys of those they are in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FenceState {
    inside: Vec<FenceKey>,
}

impl FenceState {
    /// Takes the member's next fix: the zones entered and left since the
    /// last one, into `out` (appended). The first fix a state sees enters
    /// every zone it lies in. A zone no longer in `set` is dropped without
    /// an exit.
    pub fn observe(
        &mut self,
        set: &FenceSet,
        at: LonLat,
        scratch: &mut Vec<FenceKey>,
        out: &mut Vec<Crossing>,
    ) {
        set.containing(at, scratch);
        if scratch.is_empty() && self.inside.is_empty() {
            return;
        }
        let (mut i, mut j) = (0, 0);
        let (was, now) = (&self.inside, &*scratch);
        loop {
            match (was.get(i), now.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(&a), b) if b.is_none_or(|&b| a < b) => {
                    if set.holds(a) {
                        out.push(Crossing::Exit(a));
                    }
                    i += 1;
                }
                (_, Some(&b)) => {
                    out.push(Crossing::Enter(b));
                    j += 1;
                }
                (_, None) => break,
            }
        }
        self.inside.clone_from(scratch);
    }

    /// The keys of the zones the member was last seen in.
    #[must_use]
    pub fn inside(&self) -> &[FenceKey] {
        &self.inside
    }
}

#[cfg(test)]
mod tests;
