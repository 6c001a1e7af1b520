//! The governance tree (城市 → 区县 → 街镇 → 社区/村 → 网格), built level by
//! level: every area of one level is split into its children (in parallel),
//! then the next level.
//!
//! Each area carries a population mass and a budget: the number of grids it
//! will end up with. A parent's budget is shared among its children by
//! population (each child at least one grid), so grids come out roughly
//! equal in population, which makes them small in town and large in the
//! hills, and the city has exactly the grids asked for as long as no split
//! comes back short (none does in practice: every seed yields a child).

use geo::{ChamberlainDuquetteArea, MultiPolygon};
use rand::RngExt;
use riskmap_engine::model::{Area, AreaLevel};

use crate::boundaries::{self, CityBounds};
use crate::density::{Density, URBAN};
use crate::inside::Inside;
use crate::names::PlaceNames;
use crate::parallel::{self, rng_for};
use crate::progress;
use crate::subdivide;

/// Most children of one area: codes give each level three digits.
pub const MAX_CHILDREN: usize = 999;

/// How many children an area of each level gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fanout {
    /// Streets per district, at least and at most.
    pub streets: (usize, usize),
    /// Communities per street, at least and at most.
    pub communities: (usize, usize),
}

impl Fanout {
    /// The ranges of the demo city (8–20 streets, 5–12 communities),
    /// widened for bigger cities so that communities do not swell to
    /// hundreds of grids: the upper bounds grow with the cube root of the
    /// grid count beyond the demo's 4,000.
    #[must_use]
    pub fn for_grids(grids: usize) -> Self {
        let s = (grids as f64 / 4_000.0).cbrt().max(1.0);
        Fanout {
            streets: (8, (20.0 * s).round() as usize),
            communities: (5, (12.0 * s).round() as usize),
        }
    }

    /// How many children an area of budget `grids` gets at `level`: more
    /// for a bigger budget (the square root balances the levels), within
    /// the level's range, and never more than the budget, since every child
    /// needs a grid of its own. A code has three digits per level, so no
    /// area gets more than [`MAX_CHILDREN`]; communities are made numerous
    /// enough that none needs that many grids.
    #[must_use]
    pub fn children(&self, level: AreaLevel, grids: usize) -> usize {
        let root = (grids as f64).sqrt();
        let n = match level {
            AreaLevel::Street => {
                ((0.6 * root).round() as usize).clamp(self.streets.0, self.streets.1)
            }
            AreaLevel::Community => ((1.1 * root).round() as usize)
                .clamp(self.communities.0, self.communities.1)
                .max(grids.div_ceil(MAX_CHILDREN / 4)),
            AreaLevel::Grid => grids,
            AreaLevel::City | AreaLevel::District => 1,
        };
        n.min(grids).clamp(1, MAX_CHILDREN)
    }
}

/// One area of the tree and what the build knows about it.
#[derive(Debug, Clone)]
pub struct Node {
    /// The area itself.
    pub area: Area,
    /// Its population, in the density surface's units times km².
    pub mass: f64,
    /// Its extent, km².
    pub km2: f64,
    /// Grids it is to hold.
    pub budget: usize,
    /// Half-size of the lattice its vertices lie on (see
    /// [`subdivide::Lattice`]); infinite (no bound) for the districts,
    /// whose vertices lie on the finer grid of [`boundaries::SNAP`].
    pub lattice: f64,
    /// District and street names, e.g. 鹿城区五马街道 (empty above streets);
    /// cameras are named after it.
    pub street_label: String,
    /// Name of the community (empty above communities).
    pub community: String,
}

impl Node {
    /// Mean density.
    #[must_use]
    pub fn density(&self) -> f64 {
        self.mass / self.km2.max(1e-9)
    }
}

/// The tree, every level in order (city first, grids last).
#[derive(Debug, Clone)]
pub struct Tree {
    /// Every area; a parent always comes before its children.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The grids.
    pub fn grids(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| n.area.level == AreaLevel::Grid)
    }
}

/// Area in square kilometres on the sphere.
#[must_use]
pub fn km2(mp: &MultiPolygon<f64>) -> f64 {
    mp.chamberlain_duquette_unsigned_area() / 1e6
}

/// Builds the tree on `city`, with `grids` grids in all.
#[must_use]
pub fn build(city: &CityBounds, grids: usize, density: &Density, seed: u64) -> Tree {
    let districts = &city.districts;
    let fanout = Fanout::for_grids(grids);
    let city_geometry = boundaries::city_geometry(districts);
    let masses: Vec<f64> = districts
        .iter()
        .map(|d| mean_density(&d.geometry, density, seed, &d.code) * km2(&d.geometry))
        .collect();
    let budgets = apportion(grids.max(districts.len()), &masses);
    let mut nodes = vec![Node {
        km2: km2(&city_geometry),
        area: Area {
            code: city.code.clone(),
            name: city.name.clone(),
            level: AreaLevel::City,
            parent: None,
            geometry: city_geometry,
        },
        mass: masses.iter().sum(),
        budget: grids,
        lattice: f64::INFINITY,
        street_label: String::new(),
        community: String::new(),
    }];
    let mut level: Vec<Node> = districts
        .iter()
        .zip(masses.iter().zip(budgets))
        .map(|(d, (&mass, budget))| Node {
            km2: km2(&d.geometry),
            area: Area {
                code: d.code.clone(),
                name: d.name.clone(),
                level: AreaLevel::District,
                parent: Some(city.code.clone()),
                geometry: d.geometry.clone(),
            },
            mass,
            budget,
            lattice: f64::INFINITY,
            street_label: String::new(),
            community: String::new(),
        })
        .collect();
    for child_level in [AreaLevel::Street, AreaLevel::Community, AreaLevel::Grid] {
        let bar = progress::bar(level.len(), child_level.label_zh());
        let children: Vec<Vec<Node>> = parallel::map(&level, &bar, |parent| {
            split_node(parent, child_level, &fanout, density, seed)
        });
        bar.finish();
        nodes.append(&mut level);
        level = children.into_iter().flatten().collect();
    }
    nodes.append(&mut level);
    Tree { nodes }
}

/// The children of one area.
fn split_node(
    parent: &Node,
    level: AreaLevel,
    fanout: &Fanout,
    density: &Density,
    seed: u64,
) -> Vec<Node> {
    let mut rng = rng_for(seed, &parent.area.code);
    let n = fanout.children(level, parent.budget);
    let (pieces, lattice) =
        subdivide::split(&parent.area.geometry, parent.lattice, n, density, &mut rng);
    let shares: Vec<f64> = pieces.iter().map(|p| p.share).collect();
    let budgets = apportion(parent.budget, &shares);
    let mut names = PlaceNames::default();
    pieces
        .into_iter()
        .zip(budgets)
        .enumerate()
        .map(|(i, (piece, budget))| {
            let code = format!("{}{:03}", parent.area.code, i + 1);
            let km2 = km2(&piece.geometry);
            let mass = parent.mass * piece.share;
            let urban = mass / km2.max(1e-9) >= URBAN;
            let name = match level {
                AreaLevel::Street if urban => names.next("街道", &mut rng),
                AreaLevel::Street if rng.random_bool(0.25) => names.next("乡", &mut rng),
                AreaLevel::Street => names.next("镇", &mut rng),
                AreaLevel::Community if urban => names.next("社区", &mut rng),
                AreaLevel::Community => names.next("村", &mut rng),
                _ => format!("{}第{}网格", parent.area.name, i + 1),
            };
            let street_label = match level {
                AreaLevel::Street => format!("{}{name}", parent.area.name),
                _ => parent.street_label.clone(),
            };
            let community = match level {
                AreaLevel::Community => name.clone(),
                _ => parent.community.clone(),
            };
            Node {
                area: Area {
                    code,
                    name,
                    level,
                    parent: Some(parent.area.code.clone()),
                    geometry: piece.geometry,
                },
                mass,
                km2,
                budget,
                lattice: lattice.half,
                street_label,
                community,
            }
        })
        .collect()
}

/// The mean density over an area, by sampling.
fn mean_density(area: &MultiPolygon<f64>, density: &Density, seed: u64, key: &str) -> f64 {
    let inside = Inside::new(area);
    let mut rng = rng_for(seed, &format!("mass {key}"));
    let values: Vec<f64> = (0..4_000)
        .filter_map(|_| inside.random_point(&mut rng))
        .map(|c| density.at(c))
        .collect();
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Shares `total` among children by `weights`, each getting at least one
/// (when `total` allows): the rest is split in proportion, largest
/// remainders first, so the parts always add up to `total`.
#[must_use]
pub fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let floor = usize::from(total >= n);
    let spare = total - floor * n;
    let sum: f64 = weights.iter().map(|w| w.max(0.0)).sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| {
            if sum > 0.0 {
                spare as f64 * w.max(0.0) / sum
            } else {
                spare as f64 / n as f64
            }
        })
        .collect();
    let mut out: Vec<usize> = exact.iter().map(|e| floor + e.floor() as usize).collect();
    let mut left = total.saturating_sub(out.iter().sum());
    let mut by_remainder: Vec<usize> = (0..n).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for i in by_remainder.into_iter().cycle() {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_and_gives_everyone_one() {
        let parts = apportion(10, &[5.0, 0.0, 1.0, 3.0]);
        assert_eq!(parts.iter().sum::<usize>(), 10);
        assert!(parts.iter().all(|&p| p >= 1));
        assert!(parts[0] > parts[2]);
        assert_eq!(apportion(7, &[1.0; 7]), vec![1; 7]);
        assert_eq!(apportion(2, &[1.0, 1.0, 1.0]).iter().sum::<usize>(), 2);
    }

    #[test]
    fn fanout_stays_in_range() {
        let f = Fanout::for_grids(4_000);
        assert_eq!(f.children(AreaLevel::Street, 3), 3);
        assert_eq!(f.children(AreaLevel::Street, 10_000), 20);
        assert_eq!(f.children(AreaLevel::Community, 30), 6);
        assert_eq!(f.children(AreaLevel::Grid, 7), 7);
        assert_eq!(f.children(AreaLevel::Grid, 5_000), MAX_CHILDREN);
        assert!(f.children(AreaLevel::Community, 100_000) >= 100_000 / MAX_CHILDREN);
    }
}
