//! Who and what is in the city: staff, cameras, risk sources and key places.
//!
//! Everything is placed grid first: a grid is drawn with a weight built from
//! its population and its extent (cameras and housing follow people,
//! landslide spots follow the hills), then a point inside it. So staff stand
//! inside their home grid, and dense districts get most of everything.

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use indicatif::ProgressBar;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use riskmap_engine::model::{
    Camera, DutyStatus, Fix, Footprint, KeyPlace, RiskLevel, RiskSource, Role, Skill, Staff,
};
use riskmap_engine::sphere::LonLat;
use rustc_hash::FxHashMap;

use crate::inside::Inside;
use crate::names;
use crate::tree::Node;

/// When every generated fix was taken and received: 2026-01-01T00:00:00Z.
pub const EPOCH_MS: i64 = 1_767_225_600_000;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_195.0;

/// The grids, ready for placing things in them.
pub struct Grids<'a> {
    nodes: Vec<&'a Node>,
    inside: Vec<Inside>,
}

impl<'a> Grids<'a> {
    /// Indexes `grids` for point placement.
    #[must_use]
    pub fn new(grids: impl IntoIterator<Item = &'a Node>) -> Self {
        let nodes: Vec<&Node> = grids.into_iter().collect();
        let inside = nodes
            .iter()
            .map(|n| Inside::new(&n.area.geometry))
            .collect();
        Grids { nodes, inside }
    }

    /// How many grids.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A random point in grid `i`.
    fn point_in(&self, i: usize, rng: &mut ChaCha8Rng) -> Coord<f64> {
        self.inside[i].random_point(rng).unwrap_or_else(|| {
            // Unreachable for a non-empty grid: its interior point is the
            // fallback. Keep a deterministic answer all the same.
            let r = geo::BoundingRect::bounding_rect(&self.nodes[i].area.geometry);
            r.map_or(Coord { x: 0.0, y: 0.0 }, geo::Rect::center)
        })
    }

    /// A picker drawing grids with weight `population^p × extent^(1-p)`:
    /// `p = 1` follows people, `p = 0` follows land.
    fn picker(&self, p: f64) -> Picker {
        Picker::new(
            self.nodes
                .iter()
                .map(|n| n.mass.max(1e-12).powf(p) * n.km2.max(1e-12).powf(1.0 - p)),
        )
    }
}

/// Draws indices with probability proportional to fixed weights.
struct Picker {
    cumulative: Vec<f64>,
}

impl Picker {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        Picker { cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return 0;
        }
        let x = rng.random_range(0.0..total);
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }
}

/// Chooses among `(item, weight)` pairs.
fn weighted<T: Copy>(table: &[(T, f64)], rng: &mut ChaCha8Rng) -> T {
    let total: f64 = table.iter().map(|t| t.1).sum();
    let mut x = rng.random_range(0.0..total);
    for &(item, w) in table {
        if x < w {
            return item;
        }
        x -= w;
    }
    table[table.len() - 1].0
}

/// A feature id: the prefix and a 1-based number, six digits or more when
/// the count needs them.
fn id(prefix: char, i: usize, count: usize) -> String {
    let width = count.to_string().len().max(6);
    format!("{prefix}{:0width$}", i + 1)
}

fn lonlat(c: Coord<f64>) -> LonLat {
    LonLat { lon: c.x, lat: c.y }
}

/// How likely each role is to have each skill.
fn skill_weights(role: Role) -> &'static [(Skill, f64)] {
    match role {
        Role::GridWorker => &[
            (Skill::Mediation, 4.0),
            (Skill::Counselling, 2.0),
            (Skill::FirstAid, 2.0),
            (Skill::FloodControl, 2.0),
            (Skill::Sanitation, 2.0),
            (Skill::FireSafety, 1.0),
            (Skill::Legal, 1.0),
        ],
        Role::Police => &[
            (Skill::Mediation, 3.0),
            (Skill::Traffic, 3.0),
            (Skill::FirstAid, 3.0),
            (Skill::Legal, 2.0),
            (Skill::Counselling, 1.0),
        ],
        Role::UrbanManagement => &[
            (Skill::Sanitation, 4.0),
            (Skill::Traffic, 3.0),
            (Skill::FireSafety, 1.0),
            (Skill::Electrician, 1.0),
            (Skill::FloodControl, 1.0),
        ],
        Role::Comprehensive => &[
            (Skill::Mediation, 4.0),
            (Skill::Legal, 3.0),
            (Skill::Counselling, 2.0),
            (Skill::Hazmat, 1.0),
            (Skill::FloodControl, 1.0),
        ],
        Role::Volunteer => &[
            (Skill::FirstAid, 3.0),
            (Skill::FloodControl, 2.0),
            (Skill::Counselling, 2.0),
            (Skill::Sanitation, 2.0),
            (Skill::FireSafety, 1.0),
            (Skill::Electrician, 1.0),
            (Skill::Traffic, 1.0),
        ],
    }
}

/// One to three distinct skills typical of `role`.
fn skills_for(role: Role, rng: &mut ChaCha8Rng) -> Vec<Skill> {
    let mut pool = skill_weights(role).to_vec();
    let n = weighted(&[(1, 0.4), (2, 0.4), (3, 0.2)], rng);
    let mut out = Vec::with_capacity(n);
    while out.len() < n && !pool.is_empty() {
        let s = weighted(&pool, rng);
        pool.retain(|p| p.0 != s);
        out.push(s);
    }
    out
}

/// The roles of `n` staff over `grids` grids, with each one's home grid.
/// Grid workers come first: one per grid when there are enough staff, and a
/// second in some grids (the more populous, the likelier) up to three
/// quarters of the staff; the rest are police, urban management,
/// comprehensive governance staff and volunteers, homed by population.
fn rosters(grids: &Grids, n: usize, rng: &mut ChaCha8Rng) -> Vec<(Role, usize)> {
    let g = grids.len();
    let picker = grids.picker(1.0);
    let workers = if n >= g {
        ((n as f64 * 0.75).round() as usize).clamp(g, 2 * g).min(n)
    } else {
        (n as f64 * 0.75).round() as usize
    };
    let mut out = Vec::with_capacity(n);
    if workers >= g {
        // Weighted sampling without replacement (Efraimidis–Spirakis): the
        // grids with the largest keys get a second worker.
        let mut keys: Vec<(f64, usize)> = (0..g)
            .map(|i| {
                let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                (u.ln() / grids.nodes[i].mass.max(1e-12), i)
            })
            .collect();
        keys.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut second = vec![false; g];
        for &(_, i) in keys.iter().take(workers - g) {
            second[i] = true;
        }
        for (i, &two) in second.iter().enumerate() {
            out.push((Role::GridWorker, i));
            if two {
                out.push((Role::GridWorker, i));
            }
        }
    } else {
        out.extend((0..workers).map(|_| (Role::GridWorker, picker.pick(rng))));
    }
    let others = [
        (Role::Police, 0.30),
        (Role::UrbanManagement, 0.25),
        (Role::Comprehensive, 0.15),
        (Role::Volunteer, 0.30),
    ];
    while out.len() < n {
        out.push((weighted(&others, rng), picker.pick(rng)));
    }
    out
}

/// `n` field staff, each standing at a random point of their home grid; a
/// quarter off duty, `busy_percent` busy (at most 75), the rest available.
pub fn staff(
    grids: &Grids,
    n: usize,
    busy_percent: u8,
    rng: &mut ChaCha8Rng,
    bar: &ProgressBar,
) -> Vec<Staff> {
    if grids.is_empty() {
        return Vec::new();
    }
    let busy_share = f64::from(busy_percent.min(75)) / 100.0;
    let duties = [
        (DutyStatus::Available, 0.75 - busy_share),
        (DutyStatus::Busy, busy_share),
        (DutyStatus::Off, 0.25),
    ];
    rosters(grids, n, rng)
        .into_iter()
        .enumerate()
        .map(|(i, (role, home))| {
            bar.inc(1);
            let sid = id('S', i, n);
            let at = grids.point_in(home, rng);
            Staff {
                name: names::person(rng),
                role,
                skills: skills_for(role, rng),
                home_grid: grids.nodes[home].area.code.clone(),
                duty: weighted(&duties, rng),
                devices: vec![format!("dev-{sid}")],
                last_fix: Some(Fix {
                    position: lonlat(at),
                    accuracy_m: Some(f32::from(rng.random_range(3_u8..=25))),
                    speed_mps: None,
                    heading_deg: None,
                    altitude_m: None,
                    battery_pct: Some(f32::from(rng.random_range(15_u8..=100))),
                    fix_time_ms: EPOCH_MS,
                    server_time_ms: EPOCH_MS,
                }),
                id: sid,
            }
        })
        .collect()
}

/// `n` cameras, crowded where people are: grids are drawn by population and
/// then again by density, so the urban core gets most of them.
pub fn cameras(grids: &Grids, n: usize, rng: &mut ChaCha8Rng, bar: &ProgressBar) -> Vec<Camera> {
    if grids.is_empty() {
        return Vec::new();
    }
    // population × density^0.5 = population^1.5 × extent^-0.5.
    let picker = Picker::new(
        grids
            .nodes
            .iter()
            .map(|g| g.mass.max(1e-12).powf(1.5) / g.km2.max(1e-9).sqrt()),
    );
    let owners = [("公安", 0.4), ("交通", 0.2), ("城管", 0.2), ("社区", 0.2)];
    let mut per_street: FxHashMap<&str, u32> = FxHashMap::default();
    (0..n)
        .map(|i| {
            bar.inc(1);
            let home = picker.pick(rng);
            let g = grids.nodes[home];
            let counter = per_street.entry(g.street_label.as_str()).or_insert(0);
            *counter += 1;
            let cid = id('C', i, n);
            let dome = rng.random_bool(0.3);
            Camera {
                name: format!("{}监控点{:04}", g.street_label, counter),
                heading_deg: (!dome).then(|| f64::from(rng.random_range(0_u16..360))),
                fov_deg: (!dome).then(|| f64::from(rng.random_range(12_u8..=24) * 5)),
                range_m: f64::from(rng.random_range(30_u8..=150)),
                stream_url: rng
                    .random_bool(0.8)
                    .then(|| format!("rtsp://video.invalid/{cid}")),
                online: rng.random_bool(0.95),
                owner: weighted(&owners, rng).to_owned(),
                location: lonlat(grids.point_in(home, rng)),
                id: cid,
            }
        })
        .collect()
}

/// A risk-source category: its share, how closely it follows people (see
/// [`Grids::picker`]) and how often it is drawn as an area.
struct Category {
    name: &'static str,
    share: f64,
    follows_people: f64,
    area_chance: f64,
}

const RISK_CATEGORIES: [Category; 9] = [
    cat("危化品企业", 0.06, 0.4, 0.3),
    cat("加油站", 0.12, 0.6, 0.05),
    cat("燃气站点", 0.08, 0.7, 0.05),
    cat("建筑工地", 0.15, 0.8, 0.5),
    cat("地质灾害隐患点", 0.12, 0.0, 0.05),
    cat("老旧危房", 0.15, 1.0, 0.0),
    cat("易涝点", 0.12, 0.9, 0.0),
    cat("消防重点单位", 0.10, 1.0, 0.0),
    cat("群租房", 0.10, 1.0, 0.0),
];

const PLACE_CATEGORIES: [Category; 9] = [
    cat("学校", 0.15, 0.9, 0.5),
    cat("医院", 0.06, 1.0, 0.4),
    cat("农贸市场", 0.10, 0.8, 0.3),
    cat("出租房", 0.25, 1.0, 0.0),
    cat("养老院", 0.08, 0.7, 0.1),
    cat("车站", 0.06, 0.7, 0.1),
    cat("商场", 0.08, 1.0, 0.4),
    cat("宗教场所", 0.10, 0.4, 0.05),
    cat("幼儿园", 0.12, 0.9, 0.1),
];

const fn cat(name: &'static str, share: f64, follows_people: f64, area_chance: f64) -> Category {
    Category {
        name,
        share,
        follows_people,
        area_chance,
    }
}

/// Draws a category, then a grid for it.
struct CategoryPicker<'a> {
    categories: &'a [Category],
    pickers: Vec<Picker>,
}

impl<'a> CategoryPicker<'a> {
    fn new(grids: &Grids, categories: &'a [Category]) -> Self {
        let pickers = categories
            .iter()
            .map(|c| grids.picker(c.follows_people))
            .collect();
        CategoryPicker {
            categories,
            pickers,
        }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> (&'a Category, usize) {
        let table: Vec<(usize, f64)> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.share))
            .collect();
        let c = weighted(&table, rng);
        (&self.categories[c], self.pickers[c].pick(rng))
    }
}

/// A point in grid `home`, or (with the category's chance) a rectangle of
/// 50–200 m a side around it, turned at random, when one fits in the grid.
fn footprint(grids: &Grids, home: usize, area_chance: f64, rng: &mut ChaCha8Rng) -> Footprint {
    let at = grids.point_in(home, rng);
    if rng.random_bool(area_chance) {
        let (mut w, mut h) = (rng.random_range(50.0..200.0), rng.random_range(50.0..200.0));
        let turn: f64 = rng.random_range(0.0..std::f64::consts::PI);
        for _ in 0..3 {
            let rect = rectangle(at, w, h, turn);
            if grids.nodes[home].area.geometry.contains(&rect) {
                return Footprint::Area(MultiPolygon::new(vec![rect]));
            }
            // Too big for a small town grid: try a smaller one.
            w /= 2.0;
            h /= 2.0;
        }
    }
    Footprint::Point(Point(at))
}

/// A `w` × `h` metre rectangle centred on `at`, turned by `turn` radians,
/// counter-clockwise as RFC 7946 wants, coordinates rounded to 1e-7°.
fn rectangle(at: Coord<f64>, w: f64, h: f64, turn: f64) -> Polygon<f64> {
    let (sin, cos) = turn.sin_cos();
    let k = at.y.to_radians().cos();
    let corner = |u: f64, v: f64| {
        let (x, y) = (u * cos - v * sin, u * sin + v * cos);
        let round = |d: f64| (d * 1e7).round() / 1e7;
        (
            round(at.x + x / (M_PER_DEG * k)),
            round(at.y + y / M_PER_DEG),
        )
    };
    let (a, b) = (w / 2.0, h / 2.0);
    let ring = vec![
        corner(-a, -b),
        corner(a, -b),
        corner(a, b),
        corner(-a, b),
        corner(-a, -b),
    ];
    Polygon::new(LineString::from(ring), Vec::new())
}

/// Names things uniquely: the second 梧垟社区建筑工地 becomes
/// 梧垟社区建筑工地2.
#[derive(Default)]
struct Unique {
    seen: FxHashMap<String, u32>,
}

impl Unique {
    fn name(&mut self, base: String) -> String {
        let n = self.seen.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}{n}") }
    }
}

/// Risk levels: many more low than major.
const LEVELS: [(RiskLevel, f64); 4] = [
    (RiskLevel::Major, 0.05),
    (RiskLevel::Significant, 0.15),
    (RiskLevel::General, 0.35),
    (RiskLevel::Low, 0.45),
];

/// `n` risk sources: mostly points, about one in ten a small area.
pub fn risk_sources(
    grids: &Grids,
    n: usize,
    rng: &mut ChaCha8Rng,
    bar: &ProgressBar,
) -> Vec<RiskSource> {
    if grids.is_empty() {
        return Vec::new();
    }
    let picker = CategoryPicker::new(grids, &RISK_CATEGORIES);
    let mut unique = Unique::default();
    (0..n)
        .map(|i| {
            bar.inc(1);
            let (category, home) = picker.pick(rng);
            RiskSource {
                id: id('R', i, n),
                name: unique.name(format!("{}{}", grids.nodes[home].community, category.name)),
                category: category.name.to_owned(),
                level: weighted(&LEVELS, rng),
                footprint: footprint(grids, home, category.area_chance, rng),
            }
        })
        .collect()
}

/// The name of a key place of `category` in a community whose stem (its
/// name without 社区/村) is `stem`.
fn place_name(category: &str, stem: &str, rng: &mut ChaCha8Rng) -> String {
    let pick = |options: &[&str], rng: &mut ChaCha8Rng| {
        options[rng.random_range(0..options.len())].to_owned()
    };
    let suffix = match category {
        "学校" => pick(&["小学", "中学", "实验学校", "第二小学"], rng),
        "医院" => pick(&["医院", "卫生院", "社区卫生服务中心", "中医院"], rng),
        "养老院" => pick(&["养老院", "敬老院", "居家养老服务中心"], rng),
        "车站" => pick(&["汽车站", "公交首末站", "客运站"], rng),
        "商场" => pick(&["商场", "购物中心", "商贸城"], rng),
        "宗教场所" => pick(&["寺", "宫", "教堂", "庵"], rng),
        "出租房" => format!("出租房{}号", rng.random_range(1_u16..300)),
        other => other.to_owned(),
    };
    format!("{stem}{suffix}")
}

/// `n` key places: mostly points, some campuses as small areas.
pub fn key_places(
    grids: &Grids,
    n: usize,
    rng: &mut ChaCha8Rng,
    bar: &ProgressBar,
) -> Vec<KeyPlace> {
    if grids.is_empty() {
        return Vec::new();
    }
    let picker = CategoryPicker::new(grids, &PLACE_CATEGORIES);
    let mut unique = Unique::default();
    (0..n)
        .map(|i| {
            bar.inc(1);
            let (category, home) = picker.pick(rng);
            let community = &grids.nodes[home].community;
            let stem = community.trim_end_matches("社区").trim_end_matches('村');
            let name = place_name(category.name, stem, rng);
            KeyPlace {
                id: id('K', i, n),
                name: unique.name(name),
                category: category.name.to_owned(),
                footprint: footprint(grids, home, category.area_chance, rng),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_zero_padded() {
        assert_eq!(id('S', 0, 6_000), "S000001");
        assert_eq!(id('C', 999_999, 1_000_000), "C1000000");
        assert_eq!(id('C', 0, 1_000_000), "C0000001");
    }

    #[test]
    fn category_shares_add_up() {
        for cats in [&RISK_CATEGORIES, &PLACE_CATEGORIES] {
            let sum: f64 = cats.iter().map(|c| c.share).sum();
            assert!((sum - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn rectangles_are_counter_clockwise_and_about_the_right_size() {
        use geo::{ChamberlainDuquetteArea, Winding};
        let r = rectangle(
            Coord {
                x: 120.66,
                y: 28.01,
            },
            100.0,
            50.0,
            0.7,
        );
        assert!(r.exterior().is_ccw());
        let m2 = r.chamberlain_duquette_unsigned_area();
        assert!((m2 - 5_000.0).abs() < 100.0, "{m2}");
    }
}
