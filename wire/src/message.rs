//! The `/ws` messages a client sends (docs/protocol.md has each with an
//! example), and the live layers a subscription names.

use serde::Deserialize;

use crate::fix::FixIn;
use crate::report::ReportIn;

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
        incident: ReportIn,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use riskmap_engine::gcj02::Datum;

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
