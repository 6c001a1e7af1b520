//! The JSON views the server sends back over `/ws` and in the REST
//! queries: staff, cameras and places, written straight to text. (What
//! clients send is riskmap-wire's.) Every message type is documented with an
//! example in docs/protocol.md.

use std::fmt::Write as _;

use serde::Serialize;

use riskmap_engine::layer::{Shape, representative};
use riskmap_engine::model::{
    Camera, DutyStatus, EpochMs, Fix, KeyPlace, RiskLevel, RiskSource, Role, Skill,
};
use riskmap_engine::staff::Member;
use riskmap_engine::{AreaTree, LayerItem};

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
