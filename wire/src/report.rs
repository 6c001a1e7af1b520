//! An incident report (上报) as clients send it — `POST /api/incidents`, a
//! `/ws` `report` message, the citizens' and connectors' channels — and the
//! two words of it the incident model keeps: where it came from and how
//! fast it must be handled.

use serde::{Deserialize, Serialize};

use riskmap_engine::gcj02::Datum;

/// Where a report came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 网格员巡查 — a grid worker on patrol.
    Patrol,
    /// 群众上报 — a citizen.
    Citizen,
    /// 12345 热线 — the city hotline.
    Hotline,
    /// 视频告警 — a camera's alert.
    Camera,
    /// 系统 — another system, or the demo simulator.
    System,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 5] = [
        Source::Patrol,
        Source::Citizen,
        Source::Hotline,
        Source::Camera,
        Source::System,
    ];
}

/// How fast it must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// 一般.
    Normal,
    /// 紧急.
    Urgent,
    /// 特急.
    Emergency,
}

impl Priority {
    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::Urgent => "urgent",
            Priority::Emergency => "emergency",
        }
    }
}

/// A report as clients send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportIn {
    /// Minor category code.
    pub category: String,
    /// Where it came from (default: `patrol` for field staff, else `citizen`).
    #[serde(default)]
    pub source: Option<Source>,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Photo references.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 事件报备: record and close at once.
    #[serde(default)]
    pub report_only: bool,
    /// Datum of lon/lat.
    #[serde(default)]
    pub coords: Datum,
}
