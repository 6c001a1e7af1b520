//! The `/ws` wire protocol: what clients send, and the JSON views the server
//! sends back. Every message type is documented with an example in
//! docs/protocol.md.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use riskmap_engine::layer::{Shape, representative};
use riskmap_engine::model::{
    Camera, DutyStatus, EpochMs, Fix, KeyPlace, RiskLevel, RiskSource, Role, Skill,
};
use riskmap_engine::staff::Member;
use riskmap_engine::{AreaTree, LayerItem};

/// A set of live layers, as bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layers(u16);

impl Layers {
    /// Field staff and their moves.
    pub const STAFF: Layers = Layers(1);
    /// Cameras.
    pub const CAMERAS: Layers = Layers(2);
    /// Risk sources.
    pub const RISK_SOURCES: Layers = Layers(4);
    /// Key places.
    pub const KEY_PLACES: Layers = Layers(8);
    /// Incidents.
    pub const INCIDENTS: Layers = Layers(16);
    /// Alerts (warning-level changes, SOS).
    pub const ALERTS: Layers = Layers(32);
    /// Incident statistics of the subscription's area (opt-in).
    pub const STATS: Layers = Layers(64);
    /// Each grid's risk level (风险研判, opt-in).
    pub const RISK: Layers = Layers(128);
    /// Cameras' online state only (opt-in): a screen that loaded 20,000
    /// cameras once from `/ogc` follows their health without a snapshot of
    /// every camera in view after each subscribe.
    pub const CAMERA_HEALTH: Layers = Layers(256);
    /// Staff counted per H3 cell by role, duty and online (opt-in,
    /// 人员分布): a city-wide screen's hexagons and figures without a
    /// million members in its snapshot.
    pub const STAFF_CELLS: Layers = Layers(512);

    /// The names clients use, with their bits.
    pub const NAMES: [(&'static str, Layers); 10] = [
        ("staff", Layers::STAFF),
        ("cameras", Layers::CAMERAS),
        ("risk_sources", Layers::RISK_SOURCES),
        ("key_places", Layers::KEY_PLACES),
        ("incidents", Layers::INCIDENTS),
        ("alerts", Layers::ALERTS),
        ("stats", Layers::STATS),
        ("risk", Layers::RISK),
        ("camera_health", Layers::CAMERA_HEALTH),
        ("staff_cells", Layers::STAFF_CELLS),
    ];

    /// The live layers a subscription gets when it names none.
    pub const DEFAULT: Layers = Layers(1 | 16 | 32);

    /// Parses layer names; an unknown name is an error naming it.
    pub fn parse(names: &[String]) -> Result<Layers, String> {
        let mut out = Layers(0);
        for n in names {
            let (_, bit) = Layers::NAMES
                .iter()
                .find(|(name, _)| name == n)
                .ok_or_else(|| {
                    format!(
                        "unknown layer {n:?}; layers are {}",
                        Layers::NAMES.map(|(n, _)| n).join(", ")
                    )
                })?;
            out.0 |= bit.0;
        }
        Ok(out)
    }

    /// The layers of both.
    #[must_use]
    pub const fn union(self, other: Layers) -> Layers {
        Layers(self.0 | other.0)
    }

    /// Whether every bit of `other` is set.
    #[must_use]
    pub fn contains(self, other: Layers) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    #[must_use]
    pub fn intersects(self, other: Layers) -> bool {
        self.0 & other.0 != 0
    }
}

/// A message from a client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Watch a box or an area.
    Subscribe {
        /// `[west, south, east, north]`.
        #[serde(default)]
        bbox: Option<[f64; 4]>,
        /// An area code instead of a box.
        #[serde(default)]
        area: Option<String>,
        /// Layer names; default staff, incidents, alerts.
        #[serde(default)]
        layers: Option<Vec<String>>,
    },
    /// Stop watching.
    Unsubscribe,
    /// A field client's position.
    Fix {
        /// Client's message id, echoed in the ack.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// The fix.
        #[serde(flatten)]
        fix: FixIn,
    },
    /// Several positions at once (e.g. buffered while offline).
    Fixes {
        /// Client's message id, echoed in the ack.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// The fixes.
        fixes: Vec<FixIn>,
    },
    /// A query, answered with a `result` carrying the same id.
    Query {
        /// Client's message id.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// Which query: nearest, cameras, nearby, locate, heatmap.
        query: String,
        /// The query's parameters, as in the REST API.
        #[serde(default)]
        params: serde_json::Map<String, serde_json::Value>,
    },
    /// Keep-alive.
    Ping {
        /// Echoed in the pong.
        #[serde(default)]
        id: Option<serde_json::Value>,
    },
    /// 一键求助: a field client raises an SOS (answered with `sos`).
    Sos {
        /// Echoed in the answer.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// What is wrong, if the worker can say.
        #[serde(default)]
        note: Option<String>,
    },
    /// A field client calls its SOS off (answered with `sos`).
    SosCancel {
        /// Echoed in the answer.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// Why.
        #[serde(default)]
        note: Option<String>,
    },
    /// A field client reports an incident.
    Report {
        /// Echoed in the `reported` answer.
        #[serde(default)]
        id: Option<serde_json::Value>,
        /// The report, as `POST /api/incidents` takes it.
        incident: crate::incident::ReportIn,
    },
}

pub use riskmap_engine::gcj02::Datum;

/// A position fix as clients send it (REST batches and `/ws`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct FixIn {
    /// Whose fix; field users may omit it (it is theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<String>,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// When the device took it: epoch milliseconds (or seconds), or ISO 8601.
    /// Defaults to the time the server receives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<serde_json::Value>,
    /// Horizontal accuracy, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f32>,
    /// Speed, metres per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f32>,
    /// Heading, degrees clockwise from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<f32>,
    /// Altitude, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f32>,
    /// Battery, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<f32>,
    /// The datum of lon/lat; default WGS84.
    #[serde(default)]
    pub coords: Datum,
}

/// A staff member as snapshots, `staff_update` and the staff query show
/// them, written straight to text (a snapshot holds thousands: no `Value`
/// tree per member).
///
/// The fields are declared in the order of their names, and so written: the
/// shape was a `serde_json::Value` object, whose members come out sorted,
/// and the text stays byte for byte what clients have always been sent.
#[derive(Debug, Serialize)]
pub struct StaffView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    battery: Option<f64>,
    duty: DutyStatus,
    grid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    heading: Option<f64>,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lon: Option<f64>,
    name: &'a str,
    role: Role,
    skills: Skills,
    #[serde(skip_serializing_if = "Option::is_none")]
    speed: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    t: Option<EpochMs>,
}

impl<'a> StaffView<'a> {
    /// The view of `m`, its home grid named from `tree`. The position and
    /// its time are there once the member has a fix; heading, speed,
    /// accuracy and battery when the fix has them.
    #[must_use]
    pub fn new(m: &'a Member, tree: &'a AreaTree) -> Self {
        let fix = m.fix.as_ref();
        // The device's f32 readings are written as the f64 they widen to,
        // as they always were.
        let reading = |x: fn(&Fix) -> Option<f32>| fix.and_then(x).map(f64::from);
        StaffView {
            accuracy: reading(|f| f.accuracy_m),
            battery: reading(|f| f.battery_pct),
            duty: m.duty,
            grid: m.home.map(|g| tree.get(g).code.as_str()),
            heading: reading(|f| f.heading_deg),
            id: m.id.as_str(),
            lat: fix.map(|f| f.position.lat),
            lon: fix.map(|f| f.position.lon),
            name: m.name.as_str(),
            role: m.role,
            skills: Skills(m.skills),
            speed: reading(|f| f.speed_mps),
            t: fix.map(|f| f.fix_time_ms),
        }
    }
}

/// A skill mask, written as the list of its skills' names (without a `Vec`
/// per member).
#[derive(Debug, Clone, Copy)]
struct Skills(u16);

impl Serialize for Skills {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(Skill::ALL.into_iter().filter(|k| self.0 & k.bit() != 0))
    }
}

/// A staff member as a `Value`, for callers that build a message around it.
#[must_use]
pub fn staff_json(m: &Member, tree: &AreaTree) -> serde_json::Value {
    serde_json::to_value(StaffView::new(m, tree)).unwrap_or_default()
}

/// One move in a `staff_moves` message: the fields a marker needs.
#[must_use]
pub fn move_json(id: &str, duty: DutyStatus, fix: &Fix) -> String {
    let mut s = String::with_capacity(96);
    let duty = match duty {
        DutyStatus::Off => "off",
        DutyStatus::Available => "available",
        DutyStatus::Busy => "busy",
        DutyStatus::Sos => "sos",
    };
    let _ = write!(
        s,
        "{{\"id\":{},\"lon\":{:.7},\"lat\":{:.7},\"t\":{},\"duty\":\"{duty}\"",
        serde_json::Value::from(id),
        fix.position.lon,
        fix.position.lat,
        fix.fix_time_ms
    );
    if let Some(h) = fix.heading_deg {
        let _ = write!(s, ",\"heading\":{h:.1}");
    }
    if let Some(v) = fix.speed_mps {
        let _ = write!(s, ",\"speed\":{v:.1}");
    }
    s.push('}');
    s
}

/// A camera as snapshots and queries show it (fields in the order of their
/// names, as [`StaffView`]'s).
#[derive(Debug, Serialize)]
pub struct CameraView<'a> {
    fov: Option<f64>,
    heading: Option<f64>,
    id: &'a str,
    lat: f64,
    lon: f64,
    name: &'a str,
    online: bool,
    owner: &'a str,
    range_m: f64,
    stream_url: Option<&'a str>,
}

impl<'a> CameraView<'a> {
    /// The view of `c`.
    #[must_use]
    pub fn new(c: &'a Camera) -> Self {
        CameraView {
            fov: c.fov_deg,
            heading: c.heading_deg,
            id: &c.id,
            lat: c.location.lat,
            lon: c.location.lon,
            name: &c.name,
            online: c.online,
            owner: &c.owner,
            range_m: c.range_m,
            stream_url: c.stream_url.as_deref(),
        }
    }
}

/// A camera as a `Value`, for callers that add to it.
#[must_use]
pub fn camera_json(c: &Camera) -> serde_json::Value {
    serde_json::to_value(CameraView::new(c)).unwrap_or_default()
}

/// A risk source or a key place as snapshots and queries show it: its
/// representative point, plus its line or polygon if it has one; a risk
/// source has its level and colour too. Fields in the order of their names,
/// as [`StaffView`]'s.
#[derive(Debug, Serialize)]
pub struct PlaceView<'a> {
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    colour: Option<&'static str>,
    /// A `Value`, not the `geojson::Geometry`: written directly, the
    /// geometry's members would come in another order than the sorted one
    /// clients have been sent. Places are few (thousands, not millions).
    #[serde(skip_serializing_if = "Option::is_none")]
    geometry: Option<serde_json::Value>,
    id: &'a str,
    lat: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<RiskLevel>,
    lon: f64,
    name: &'a str,
}

impl<'a> PlaceView<'a> {
    /// The view of a risk source.
    #[must_use]
    pub fn risk_source(r: &'a RiskSource) -> Self {
        PlaceView {
            colour: Some(r.level.colour()),
            level: Some(r.level),
            ..PlaceView::of(&r.id, &r.name, &r.category, r.shape())
        }
    }

    /// The view of a key place.
    #[must_use]
    pub fn key_place(k: &'a KeyPlace) -> Self {
        PlaceView::of(&k.id, &k.name, &k.category, k.shape())
    }

    fn of(id: &'a str, name: &'a str, category: &'a str, shape: Shape<'_>) -> Self {
        let p = representative(shape);
        let g = match shape {
            Shape::Point(_) => None,
            Shape::Line(ml) => Some(geojson::GeometryValue::from(ml)),
            Shape::Area(mp) => Some(geojson::GeometryValue::from(mp)),
        };
        PlaceView {
            category,
            colour: None,
            geometry: g.and_then(|g| serde_json::to_value(geojson::Geometry::new(g)).ok()),
            id,
            lat: p.y(),
            level: None,
            lon: p.x(),
            name,
        }
    }
}

/// A risk source as a `Value`, for callers that add to it.
#[must_use]
pub fn risk_source_json(r: &RiskSource) -> serde_json::Value {
    serde_json::to_value(PlaceView::risk_source(r)).unwrap_or_default()
}

/// A key place as a `Value`, for callers that add to it.
#[must_use]
pub fn key_place_json(k: &KeyPlace) -> serde_json::Value {
    serde_json::to_value(PlaceView::key_place(k)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
