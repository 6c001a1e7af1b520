//! The collections riskmap serves and their descriptions
//! (`/ogc/collections`): titles, links, and the extents of what the user may
//! see.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::{CRS84, GEOJSON, link};
use crate::api::error::{ApiError, ApiResult};
use crate::app::layers::LayerKind;
use crate::identity::Scope;
use riskmap_engine::layer::{Shape, shape_bounds};
use riskmap_engine::{AreaTree, Engine, Layer, LayerItem};

const TRS_GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// The collections riskmap serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    /// 区域: the governance tree.
    Areas,
    /// 工作人员: field staff at their last fix.
    Staff,
    /// 视频监控.
    Cameras,
    /// 风险源.
    RiskSources,
    /// 重点场所.
    KeyPlaces,
    /// 事件, read-only.
    Incidents,
}

impl Coll {
    /// Every collection, in listing order.
    pub const ALL: [Coll; 6] = [
        Coll::Areas,
        Coll::Staff,
        Coll::Cameras,
        Coll::RiskSources,
        Coll::KeyPlaces,
        Coll::Incidents,
    ];

    /// The collection id: a layer's name, or `incidents`.
    #[must_use]
    pub fn id(self) -> &'static str {
        self.layer().map_or("incidents", LayerKind::name)
    }

    /// The layer an import into this collection writes; incidents have none
    /// (they come from the incident workflow).
    #[must_use]
    pub fn layer(self) -> Option<LayerKind> {
        match self {
            Coll::Areas => Some(LayerKind::Areas),
            Coll::Staff => Some(LayerKind::Staff),
            Coll::Cameras => Some(LayerKind::Cameras),
            Coll::RiskSources => Some(LayerKind::RiskSources),
            Coll::KeyPlaces => Some(LayerKind::KeyPlaces),
            Coll::Incidents => None,
        }
    }

    /// A collection by id; 404 naming the valid ids otherwise.
    pub fn parse(id: &str) -> ApiResult<Coll> {
        Coll::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection {id:?}; collections are {}",
                Coll::ALL.map(Coll::id).join(", ")
            ))
        })
    }

    pub(super) fn title(self) -> &'static str {
        match self {
            Coll::Areas => "网格区域 Governance areas",
            Coll::Staff => "工作人员 Field staff",
            Coll::Cameras => "视频监控 Cameras",
            Coll::RiskSources => "风险源 Risk sources",
            Coll::KeyPlaces => "重点场所 Key places",
            Coll::Incidents => "事件 Incidents",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Coll::Areas => {
                "The governance tree (城市 → 区县 → 街镇 → 社区/村 → 网格) as MultiPolygons; the feature id is \
                 the area code. Filter by level with level=city|district|street|community|grid. datetime is \
                 accepted and ignored."
            }
            Coll::Staff => {
                "Field staff at their last position fix (no geometry before the first fix). datetime filters by \
                 the time of the last fix (properties.last_fix.fix_time_ms)."
            }
            Coll::Cameras => {
                "Cameras as points with heading, field of view and range. datetime is accepted and ignored."
            }
            Coll::RiskSources => {
                "Risk sources (level 1 major/red to 4 low/blue) as points or polygons. datetime is accepted and \
                 ignored."
            }
            Coll::KeyPlaces => {
                "Key places (schools, hospitals, markets...) as points or polygons. datetime is accepted and ignored."
            }
            Coll::Incidents => {
                "Incidents of the closed loop (事件) as points, with their state, clock and warning level (see \
                 docs/protocol.md). datetime filters by the time reported. Read-only: incidents come from the \
                 incident API, never from an import."
            }
        }
    }
}

/// A collection's description, with the extent of what the user may see.
pub(super) fn collection_json(root: &str, engine: &Engine, scope: Scope, coll: Coll) -> Value {
    let url = format!("{root}/ogc/collections/{}", coll.id());
    let mut v = json!({
        "id": coll.id(),
        "title": coll.title(),
        "description": coll.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            link(&url, "self", "application/json", coll.title()),
            link(&format!("{url}/items"), "items", GEOJSON, coll.title()),
        ],
    });
    let mut extent = serde_json::Map::new();
    let (spatial, temporal) = extents(engine, scope, coll);
    if let Some(b) = spatial {
        extent.insert("spatial".into(), json!({ "bbox": [b], "crs": CRS84 }));
    }
    if let Some((from, to)) = temporal {
        extent.insert(
            "temporal".into(),
            json!({ "interval": [[rfc3339_ms(from), rfc3339_ms(to)]], "trs": TRS_GREGORIAN }),
        );
    }
    if !extent.is_empty() {
        v["extent"] = Value::Object(extent);
    }
    v
}

/// A growing `[west, south, east, north]`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Bounds(Option<[f64; 4]>);

impl Bounds {
    fn add(&mut self, w: f64, s: f64, e: f64, n: f64) {
        self.0 = Some(match self.0 {
            None => [w, s, e, n],
            Some([a, b, c, d]) => [a.min(w), b.min(s), c.max(e), d.max(n)],
        });
    }

    fn add_shape(&mut self, shape: Shape<'_>) {
        if let Some(r) = shape_bounds(shape) {
            self.add(r.min().x, r.min().y, r.max().x, r.max().y);
        }
    }
}

/// The box around what the user may see of a collection, and for the staff
/// the first and last of their fixes' times (one pass over a million).
fn extents(engine: &Engine, scope: Scope, coll: Coll) -> (Option<[f64; 4]>, Option<(i64, i64)>) {
    let tree = engine.areas();
    let mut b = Bounds::default();
    let mut times: Option<(i64, i64)> = None;
    match coll {
        Coll::Areas => {
            for r in scope.tops(tree) {
                b.add_shape(Shape::Area(&tree.get(r).geometry));
            }
        }
        Coll::Staff => {
            for (_, m) in engine.staff().iter() {
                if let Some(f) = m.fix
                    && scope.contains(m.home, tree)
                {
                    let (lon, lat, t) = (f.position.lon, f.position.lat, f.fix_time_ms);
                    b.add(lon, lat, lon, lat);
                    times = Some(times.map_or((t, t), |(a, z)| (a.min(t), z.max(t))));
                }
            }
        }
        Coll::Cameras => layer_bounds(engine.cameras(), tree, scope, &mut b),
        Coll::RiskSources => layer_bounds(engine.risk_sources(), tree, scope, &mut b),
        Coll::KeyPlaces => layer_bounds(engine.key_places(), tree, scope, &mut b),
        Coll::Incidents => {}
    }
    (b.0, times)
}

fn layer_bounds<T: LayerItem>(layer: &Layer<T>, tree: &AreaTree, scope: Scope, b: &mut Bounds) {
    for (i, t) in layer.iter() {
        if scope.contains(layer.grid(i), tree) {
            b.add_shape(t.shape());
        }
    }
}

fn rfc3339_ms(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}
