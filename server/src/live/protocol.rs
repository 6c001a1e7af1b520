//! The `/ws` wire protocol: what clients send, and the JSON views the server
//! sends back. Every message type is documented with an example in
//! docs/protocol.md.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use riskmap_engine::layer::{Shape, representative};
use riskmap_engine::model::{Camera, Fix, KeyPlace, RiskSource};
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

    /// The names clients use, with their bits.
    pub const NAMES: [(&'static str, Layers); 9] = [
        ("staff", Layers::STAFF),
        ("cameras", Layers::CAMERAS),
        ("risk_sources", Layers::RISK_SOURCES),
        ("key_places", Layers::KEY_PLACES),
        ("incidents", Layers::INCIDENTS),
        ("alerts", Layers::ALERTS),
        ("stats", Layers::STATS),
        ("risk", Layers::RISK),
        ("camera_health", Layers::CAMERA_HEALTH),
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

/// A staff member as snapshots show them.
#[must_use]
pub fn staff_json(m: &Member, tree: &AreaTree) -> serde_json::Value {
    let grid = m.home.map(|g| tree.get(g).code.clone());
    let mut v = serde_json::json!({
        "id": m.id.as_str(),
        "name": m.name.as_str(),
        "role": m.role,
        "duty": m.duty,
        "grid": grid,
        "skills": m.skill_list(),
    });
    if let (Some(fix), serde_json::Value::Object(o)) = (m.fix, &mut v) {
        o.insert("lon".into(), fix.position.lon.into());
        o.insert("lat".into(), fix.position.lat.into());
        o.insert("t".into(), fix.fix_time_ms.into());
        for (k, x) in [
            ("heading", fix.heading_deg),
            ("speed", fix.speed_mps),
            ("accuracy", fix.accuracy_m),
            ("battery", fix.battery_pct),
        ] {
            if let Some(x) = x {
                o.insert(k.into(), f64::from(x).into());
            }
        }
    }
    v
}

/// One move in a `staff_moves` message: the fields a marker needs.
#[must_use]
pub fn move_json(m: &Member, fix: &Fix) -> String {
    let mut s = String::with_capacity(96);
    let duty = match m.duty {
        riskmap_engine::model::DutyStatus::Off => "off",
        riskmap_engine::model::DutyStatus::Available => "available",
        riskmap_engine::model::DutyStatus::Busy => "busy",
        riskmap_engine::model::DutyStatus::Sos => "sos",
    };
    let _ = write!(
        s,
        "{{\"id\":{},\"lon\":{:.7},\"lat\":{:.7},\"t\":{},\"duty\":\"{duty}\"",
        serde_json::Value::from(m.id.as_str()),
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

/// A camera as snapshots and queries show it.
#[must_use]
pub fn camera_json(c: &Camera) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "name": c.name,
        "lon": c.location.lon,
        "lat": c.location.lat,
        "heading": c.heading_deg,
        "fov": c.fov_deg,
        "range_m": c.range_m,
        "online": c.online,
        "owner": c.owner,
        "stream_url": c.stream_url,
    })
}

fn place_fields(shape: Shape<'_>, v: &mut serde_json::Value) {
    let p = representative(shape);
    if let serde_json::Value::Object(o) = v {
        o.insert("lon".into(), p.x().into());
        o.insert("lat".into(), p.y().into());
        let g = match shape {
            Shape::Point(_) => None,
            Shape::Line(ml) => Some(geojson::GeometryValue::from(ml)),
            Shape::Area(mp) => Some(geojson::GeometryValue::from(mp)),
        };
        if let Some(Ok(g)) = g.map(|g| serde_json::to_value(geojson::Geometry::new(g))) {
            o.insert("geometry".into(), g);
        }
    }
}

/// A risk source as snapshots and queries show it: its representative point,
/// plus its line or polygon if it has one.
#[must_use]
pub fn risk_source_json(r: &RiskSource) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": r.id,
        "name": r.name,
        "category": r.category,
        "level": r.level,
        "colour": r.level.colour(),
    });
    place_fields(r.shape(), &mut v);
    v
}

/// A key place as snapshots and queries show it.
#[must_use]
pub fn key_place_json(k: &KeyPlace) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": k.id,
        "name": k.name,
        "category": k.category,
    });
    place_fields(k.shape(), &mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages_and_refuses_unknown_ones() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"subscribe","bbox":[120,27,121,28],"layers":["staff"]}"#,
        )
        .unwrap();
        assert!(matches!(m, ClientMessage::Subscribe { bbox: Some(_), .. }));
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"fix","id":7,"lon":120.6,"lat":28.0,"coords":"gcj02"}"#,
        )
        .unwrap();
        let ClientMessage::Fix { fix, .. } = m else {
            panic!()
        };
        assert_eq!(fix.coords, Datum::Gcj02);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"launch"}"#).is_err());
        assert!(
            Layers::parse(&["staff".into(), "nope".into()])
                .unwrap_err()
                .contains("nope")
        );
    }
}
