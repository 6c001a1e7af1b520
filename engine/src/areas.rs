//! The governance tree (城市 → 区县 → 街镇 → 社区/村 → 网格) and the queries on
//! it: a point's grid and its ancestor chain, subtree membership (分级授权),
//! areas within a box.

use std::sync::atomic::{AtomicU64, Ordering};

use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use rustc_hash::FxHashMap;

use super::error::{EngineError, Result};
use super::locator::GridLocator;
use super::model::{Area, AreaLevel};
use super::sphere::LonLat;

/// Dense index of an area inside one [`AreaTree`]. Only meaningful for the
/// tree that issued it: a re-import renumbers.
pub type AreaIdx = u32;

type AreaEnvelope = GeomWithData<Rectangle<[f64; 2]>, AreaIdx>;

/// The area tree with its indexes. Built once from a full list of areas and
/// replaced whole when the areas layer is re-imported: areas change rarely,
/// and a rebuild keeps every index consistent by construction.
#[derive(Debug)]
pub struct AreaTree {
    /// Every area, by [`AreaIdx`].
    areas: Vec<Area>,
    /// Code → index, for lookups by code from the API and the stores.
    by_code: FxHashMap<String, AreaIdx>,
    /// Parent of each area, `None` for a root.
    parent: Vec<Option<AreaIdx>>,
    /// Children of each area, in input order.
    children: Vec<Vec<AreaIdx>>,
    /// Pre-order interval of each area: `b` is in `a`'s subtree iff
    /// `enter[a] <= enter[b] < exit[a]`. Makes the 分级授权 check O(1).
    enter: Vec<u32>,
    exit: Vec<u32>,
    /// Envelopes of every area, for viewport queries on the areas layer.
    envelopes: RTree<AreaEnvelope>,
    /// Point → grid.
    locator: GridLocator,
    /// Which build this is (see [`AreaTree::generation`]).
    generation: u64,
}

/// Where a tree's grid locator came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocatorOrigin {
    /// The image given.
    Image,
    /// Built afresh: no image was given, or it was refused (why).
    Built(Option<String>),
}

/// Trees built so far in this process.
static TREES_BUILT: AtomicU64 = AtomicU64::new(0);

impl AreaTree {
    /// Builds the tree, refusing duplicate codes, missing parents, and levels
    /// out of order (a grid's parent must be a community, and so on).
    pub fn build(areas: Vec<Area>, h3_resolution: h3o::Resolution) -> Result<AreaTree> {
        Self::build_from_image(areas, h3_resolution, None).map(|(tree, _)| tree)
    }

    /// [`AreaTree::build`], taking the grid locator from `image` (what
    /// [`AreaTree::locator_image`] gave at an earlier start) if it was made
    /// from exactly these grids, and building it afresh otherwise.
    pub fn build_from_image(
        areas: Vec<Area>,
        h3_resolution: h3o::Resolution,
        image: Option<&[u8]>,
    ) -> Result<(AreaTree, LocatorOrigin)> {
        let mut by_code = FxHashMap::default();
        for (i, a) in areas.iter().enumerate() {
            if by_code.insert(a.code.clone(), i as AreaIdx).is_some() {
                return Err(EngineError::InvalidAreaTree(format!(
                    "duplicate area code {}",
                    a.code
                )));
            }
            if a.geometry.0.is_empty() {
                return Err(EngineError::InvalidAreaTree(format!(
                    "area {} has an empty geometry",
                    a.code
                )));
            }
        }
        let mut parent = vec![None; areas.len()];
        let mut children = vec![Vec::new(); areas.len()];
        for (i, a) in areas.iter().enumerate() {
            let Some(pcode) = &a.parent else {
                continue;
            };
            let p = *by_code.get(pcode).ok_or_else(|| {
                EngineError::InvalidAreaTree(format!("area {} has unknown parent {pcode}", a.code))
            })?;
            let plevel = areas[p as usize].level;
            if plevel.child() != Some(a.level) {
                return Err(EngineError::InvalidAreaTree(format!(
                    "area {} is a {:?} but its parent {pcode} is a {plevel:?}",
                    a.code, a.level
                )));
            }
            parent[i] = Some(p);
            children[p as usize].push(i as AreaIdx);
        }
        let (enter, exit) = preorder(&parent, &children);
        let envelopes = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .filter_map(|(i, a)| {
                    let r = a.geometry.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as AreaIdx,
                    ))
                })
                .collect(),
        );
        let grids: Vec<(AreaIdx, &MultiPolygon<f64>)> = areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.level == AreaLevel::Grid)
            .map(|(i, a)| (i as AreaIdx, &a.geometry))
            .collect();
        let (locator, origin) =
            match image.map(|b| GridLocator::from_image(&grids, h3_resolution, b)) {
                Some(Ok(locator)) => (locator, LocatorOrigin::Image),
                refused => (
                    GridLocator::build(&grids, h3_resolution)?,
                    LocatorOrigin::Built(refused.and_then(Result::err)),
                ),
            };
        let tree = AreaTree {
            areas,
            by_code,
            parent,
            children,
            enter,
            exit,
            envelopes,
            locator,
            generation: TREES_BUILT.fetch_add(1, Ordering::Relaxed) + 1,
        };
        Ok((tree, origin))
    }

    /// The grid locator as bytes, to keep beside the areas for the next
    /// start's [`AreaTree::build_from_image`].
    #[must_use]
    pub fn locator_image(&self) -> Vec<u8> {
        self.locator.image()
    }

    /// This tree's number, different for every tree built in the process.
    /// An [`AreaIdx`] means something only in the tree that numbered it:
    /// whatever keeps one beyond a read of the tree (a live subscription's
    /// scope, a queued event) keeps this number beside it, and is known to
    /// be stale once an import has put another tree in place.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// How many areas the tree holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether the tree is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The area at an index.
    #[must_use]
    pub fn get(&self, idx: AreaIdx) -> &Area {
        &self.areas[idx as usize]
    }

    /// Every area, by index.
    pub fn iter(&self) -> impl Iterator<Item = (AreaIdx, &Area)> {
        self.areas
            .iter()
            .enumerate()
            .map(|(i, a)| (i as AreaIdx, a))
    }

    /// The index of an area code.
    #[must_use]
    pub fn idx(&self, code: &str) -> Option<AreaIdx> {
        self.by_code.get(code).copied()
    }

    /// The parent of an area.
    #[must_use]
    pub fn parent(&self, idx: AreaIdx) -> Option<AreaIdx> {
        self.parent[idx as usize]
    }

    /// The children of an area.
    #[must_use]
    pub fn children(&self, idx: AreaIdx) -> &[AreaIdx] {
        &self.children[idx as usize]
    }

    /// The grid that contains a point, if any. A point on the shared edge of
    /// two grids belongs to the one listed first.
    #[must_use]
    pub fn grid_at(&self, p: LonLat) -> Option<AreaIdx> {
        self.locator.locate(p)
    }

    /// An area and its ancestors, from the area up to the root.
    #[must_use]
    pub fn chain(&self, idx: AreaIdx) -> Vec<AreaIdx> {
        let mut out = vec![idx];
        let mut cur = idx;
        while let Some(p) = self.parent[cur as usize] {
            out.push(p);
            cur = p;
        }
        out
    }

    /// Whether `idx` is `ancestor` or lies below it (分级授权: a user bound to
    /// `ancestor` may see `idx`).
    #[must_use]
    pub fn is_within(&self, idx: AreaIdx, ancestor: AreaIdx) -> bool {
        let (a, b) = (ancestor as usize, idx as usize);
        // An index from another tree may be out of this one's range: it is
        // then within nothing (never a panic).
        match (self.enter.get(a), self.exit.get(a), self.enter.get(b)) {
            (Some(ea), Some(xa), Some(eb)) => ea <= eb && eb < xa,
            _ => false,
        }
    }

    /// Areas whose geometry intersects a lon/lat rectangle, optionally of one
    /// level only.
    pub fn in_bbox(
        &self,
        bbox: Rect<f64>,
        level: Option<AreaLevel>,
    ) -> impl Iterator<Item = AreaIdx> + '_ {
        let env = AABB::from_corners([bbox.min().x, bbox.min().y], [bbox.max().x, bbox.max().y]);
        self.envelopes
            .locate_in_envelope_intersecting(env)
            .map(|e| e.data)
            .filter(move |&i| {
                let a = &self.areas[i as usize];
                level.is_none_or(|l| a.level == l) && a.geometry.intersects(&bbox)
            })
    }

    /// The grid locator, for statistics.
    #[must_use]
    pub fn locator(&self) -> &GridLocator {
        &self.locator
    }
}

/// Pre-order enter/exit numbers over the forest, iteratively (the tree is
/// shallow, but a hostile import need not be).
fn preorder(parent: &[Option<AreaIdx>], children: &[Vec<AreaIdx>]) -> (Vec<u32>, Vec<u32>) {
    let n = parent.len();
    let mut enter = vec![0; n];
    let mut exit = vec![0; n];
    let mut clock = 0u32;
    let mut stack: Vec<(AreaIdx, bool)> = (0..n)
        .rev()
        .filter(|&i| parent[i].is_none())
        .map(|i| (i as AreaIdx, false))
        .collect();
    while let Some((i, done)) = stack.pop() {
        if done {
            exit[i as usize] = clock;
            continue;
        }
        enter[i as usize] = clock;
        clock += 1;
        stack.push((i, true));
        for &c in children[i as usize].iter().rev() {
            stack.push((c, false));
        }
    }
    (enter, exit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    }

    fn area(code: &str, level: AreaLevel, parent: Option<&str>, g: MultiPolygon<f64>) -> Area {
        Area {
            code: code.into(),
            name: code.into(),
            level,
            parent: parent.map(Into::into),
            geometry: g,
        }
    }

    fn city() -> Vec<Area> {
        vec![
            area("1", AreaLevel::City, None, rect(120.0, 28.0, 120.2, 28.1)),
            area(
                "11",
                AreaLevel::District,
                Some("1"),
                rect(120.0, 28.0, 120.2, 28.1),
            ),
            area(
                "111",
                AreaLevel::Street,
                Some("11"),
                rect(120.0, 28.0, 120.2, 28.1),
            ),
            area(
                "1111",
                AreaLevel::Community,
                Some("111"),
                rect(120.0, 28.0, 120.2, 28.1),
            ),
            area(
                "11111",
                AreaLevel::Grid,
                Some("1111"),
                rect(120.0, 28.0, 120.1, 28.1),
            ),
            area(
                "11112",
                AreaLevel::Grid,
                Some("1111"),
                rect(120.1, 28.0, 120.2, 28.1),
            ),
        ]
    }

    #[test]
    fn locates_and_chains() {
        let t = AreaTree::build(city(), h3o::Resolution::Ten).unwrap();
        let g = t.grid_at(LonLat::new(120.15, 28.05).unwrap()).unwrap();
        assert_eq!(t.get(g).code, "11112");
        let chain: Vec<_> = t
            .chain(g)
            .into_iter()
            .map(|i| t.get(i).code.as_str())
            .collect();
        assert_eq!(chain, ["11112", "1111", "111", "11", "1"]);
        assert!(t.grid_at(LonLat::new(121.0, 28.05).unwrap()).is_none());
        // On the shared edge: the first listed grid.
        let g = t.grid_at(LonLat::new(120.1, 28.05).unwrap()).unwrap();
        assert_eq!(t.get(g).code, "11111");
    }

    #[test]
    fn subtree_membership() {
        let t = AreaTree::build(city(), h3o::Resolution::Ten).unwrap();
        let (d, g1, g2) = (
            t.idx("11").unwrap(),
            t.idx("11111").unwrap(),
            t.idx("11112").unwrap(),
        );
        assert!(t.is_within(g1, d));
        assert!(t.is_within(d, d));
        assert!(!t.is_within(d, g1));
        assert!(!t.is_within(g2, g1));
    }

    #[test]
    fn refuses_a_broken_tree() {
        let mut a = city();
        a[4].parent = Some("111".into());
        assert!(
            AreaTree::build(a, h3o::Resolution::Ten)
                .unwrap_err()
                .to_string()
                .contains("parent")
        );
        let mut a = city();
        a[5].code = "11111".into();
        assert!(
            AreaTree::build(a, h3o::Resolution::Ten)
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let mut a = city();
        a[5].parent = Some("nope".into());
        assert!(
            AreaTree::build(a, h3o::Resolution::Ten)
                .unwrap_err()
                .to_string()
                .contains("unknown parent")
        );
    }
}
