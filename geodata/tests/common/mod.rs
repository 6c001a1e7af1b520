//! What every built city must be, whatever its districts: shared by the
//! integration tests.
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use geo::{Area, BooleanOps, BoundingRect, Intersects, MultiPolygon};
use geodata::city::City;
use riskmap_engine::model::AreaLevel;

/// Children cover their parent (areas add up), do not overlap, and lie
/// inside it; codes, parents and levels are consistent.
pub fn check_tiling(city: &City) {
    let by_code: HashMap<&str, &riskmap_engine::model::Area> =
        city.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    assert_eq!(by_code.len(), city.areas.len(), "area codes are unique");
    let mut children: HashMap<&str, Vec<&MultiPolygon<f64>>> = HashMap::new();
    for a in &city.areas {
        assert!(!a.geometry.0.is_empty(), "{} is empty", a.code);
        let Some(p) = &a.parent else {
            assert_eq!(a.level, AreaLevel::City);
            continue;
        };
        let parent = by_code[p.as_str()];
        assert_eq!(parent.level.child(), Some(a.level), "{} under {p}", a.code);
        let digits = match a.level {
            AreaLevel::District => 6,
            AreaLevel::Street => 9,
            AreaLevel::Community => 12,
            _ => 15,
        };
        assert_eq!(a.code.len(), digits, "{}", a.code);
        assert!(a.code.chars().all(|c| c.is_ascii_digit()), "{}", a.code);
        if a.level != AreaLevel::District {
            assert!(a.code.starts_with(p.as_str()), "{} under {p}", a.code);
        }
        children.entry(p.as_str()).or_default().push(&a.geometry);
    }
    // Names are unique among siblings.
    let mut names = HashSet::new();
    for a in &city.areas {
        assert!(
            names.insert((a.parent.clone(), a.name.clone())),
            "two {} under one parent",
            a.name
        );
    }

    let (mut worst_sum, mut worst_overlap, mut worst_outside) = (0.0_f64, 0.0_f64, 0.0_f64);
    for (parent, kids) in &children {
        let pg = &by_code[parent].geometry;
        let pa = pg.unsigned_area();
        let sum: f64 = kids.iter().map(|k| k.unsigned_area()).sum();
        worst_sum = worst_sum.max((sum - pa).abs() / pa);
        for k in kids {
            worst_outside = worst_outside.max(k.difference(pg).unsigned_area() / pa);
        }
        let boxes: Vec<_> = kids.iter().map(|k| k.bounding_rect().unwrap()).collect();
        for i in 0..kids.len() {
            for j in i + 1..kids.len() {
                if boxes[i].intersects(&boxes[j]) {
                    worst_overlap =
                        worst_overlap.max(kids[i].intersection(kids[j]).unsigned_area() / pa);
                }
            }
        }
    }
    eprintln!("tiling: sum {worst_sum:e}, overlap {worst_overlap:e}, outside {worst_outside:e}");
    // Siblings share their edges bit for bit: no overlap at all. Where a
    // child's edge crosses its parent's boundary, the crossing is rounded
    // to the lattice (a fraction of a millimetre), which leaves dents of a
    // few billionths of the parent's area: the sums and the containment are
    // exact to that.
    assert!(
        worst_sum < 1e-6,
        "children's areas miss their parent's by {worst_sum:e}"
    );
    assert!(
        worst_overlap < 1e-9,
        "siblings overlap by {worst_overlap:e} of their parent"
    );
    assert!(
        worst_outside < 1e-7,
        "a child sticks out of its parent by {worst_outside:e}"
    );
}
