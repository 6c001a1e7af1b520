//! Point-in-area tests and random points inside an area.
//!
//! Districts carry thousands of boundary vertices, and a build asks millions
//! of "is this point inside?" questions (seed sampling, staff and camera
//! placement). A plain crossing test is linear in the vertex count, so the
//! edges are bucketed into horizontal bands: a query only looks at the edges
//! of its own band.

use geo::{Area, BoundingRect, Coord, InteriorPoint, LineString, MultiPolygon};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// One boundary edge, from `a` to `b`, never horizontal.
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
}

/// One polygon of the area, for area-weighted sampling.
#[derive(Debug, Clone, Copy)]
struct Part {
    min: Coord<f64>,
    max: Coord<f64>,
    /// Running total of the parts' areas up to and including this one.
    cumulative_area: f64,
}

/// A MultiPolygon prepared for fast point-in-area tests (even-odd rule, so
/// holes are outside).
#[derive(Debug, Clone)]
pub struct Inside {
    min: Coord<f64>,
    max: Coord<f64>,
    band_height: f64,
    bands: Vec<Vec<Edge>>,
    parts: Vec<Part>,
    /// Somewhere inside, for areas too thin to hit by chance.
    fallback: Option<Coord<f64>>,
}

impl Inside {
    /// Indexes `area`.
    #[must_use]
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        let (min, max) = area
            .bounding_rect()
            .map_or((Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }), |r| {
                (r.min(), r.max())
            });
        let edges: Vec<Edge> = area
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(LineString::lines)
            // A horizontal edge never crosses a horizontal ray.
            .filter(|l| l.dy() != 0.0)
            .map(|l| Edge {
                a: l.start,
                b: l.end,
            })
            .collect();
        // About four edges per band keeps a query short without the index
        // growing much beyond the edge list itself.
        let n_bands = (edges.len() / 4).clamp(1, 4_096);
        let band_height = ((max.y - min.y) / n_bands as f64).max(f64::MIN_POSITIVE);
        let mut bands = vec![Vec::new(); n_bands];
        let band_of = |y: f64| (((y - min.y) / band_height) as usize).min(n_bands - 1);
        for e in edges {
            for band in &mut bands[band_of(e.a.y.min(e.b.y))..=band_of(e.a.y.max(e.b.y))] {
                band.push(e);
            }
        }
        let mut total = 0.0;
        let parts = area
            .0
            .iter()
            .filter_map(|p| {
                let r = p.bounding_rect()?;
                total += p.unsigned_area();
                Some(Part {
                    min: r.min(),
                    max: r.max(),
                    cumulative_area: total,
                })
            })
            .collect();
        Inside {
            min,
            max,
            band_height,
            bands,
            parts,
            fallback: area.interior_point().map(|p| p.0),
        }
    }

    /// Whether `p` is inside (points exactly on the boundary may go either
    /// way).
    #[must_use]
    pub fn contains(&self, p: Coord<f64>) -> bool {
        if p.x < self.min.x || p.x > self.max.x || p.y < self.min.y || p.y > self.max.y {
            return false;
        }
        let band = (((p.y - self.min.y) / self.band_height) as usize).min(self.bands.len() - 1);
        let mut inside = false;
        for e in &self.bands[band] {
            if (e.a.y > p.y) != (e.b.y > p.y) {
                let x = e.a.x + (p.y - e.a.y) * (e.b.x - e.a.x) / (e.b.y - e.a.y);
                if p.x < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// A random point inside, roughly uniform: a polygon is chosen by area,
    /// then points are drawn in its bounding box until one lands inside. An
    /// area too thin to hit gets its interior point.
    pub fn random_point(&self, rng: &mut ChaCha8Rng) -> Option<Coord<f64>> {
        let total = self.parts.last()?.cumulative_area;
        let x = rng.random_range(0.0..=total);
        let i = self.parts.partition_point(|p| p.cumulative_area < x);
        let part = self.parts.get(i).or(self.parts.last())?;
        for _ in 0..1_000 {
            let c = Coord {
                x: rng.random_range(part.min.x..=part.max.x),
                y: rng.random_range(part.min.y..=part.max.y),
            };
            if self.contains(c) {
                return Some(c);
            }
        }
        self.fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Polygon;
    use rand::SeedableRng;

    /// A unit square with a square hole, and a far island.
    fn ring_and_island() -> MultiPolygon<f64> {
        let sq = |x0: f64, y0: f64, s: f64| {
            LineString::from(vec![
                (x0, y0),
                (x0 + s, y0),
                (x0 + s, y0 + s),
                (x0, y0 + s),
                (x0, y0),
            ])
        };
        MultiPolygon::new(vec![
            Polygon::new(sq(0.0, 0.0, 1.0), vec![sq(0.25, 0.25, 0.5)]),
            Polygon::new(sq(5.0, 5.0, 0.1), vec![]),
        ])
    }

    #[test]
    fn holes_are_outside_and_islands_inside() {
        let inside = Inside::new(&ring_and_island());
        assert!(inside.contains(Coord { x: 0.1, y: 0.1 }));
        assert!(!inside.contains(Coord { x: 0.5, y: 0.5 }));
        assert!(inside.contains(Coord { x: 5.05, y: 5.05 }));
        assert!(!inside.contains(Coord { x: 3.0, y: 3.0 }));
        assert!(!inside.contains(Coord { x: -1.0, y: 0.5 }));
    }

    #[test]
    fn random_points_are_inside() {
        let inside = Inside::new(&ring_and_island());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1_000 {
            let p = inside.random_point(&mut rng).unwrap();
            assert!(inside.contains(p), "{p:?}");
        }
    }
}
