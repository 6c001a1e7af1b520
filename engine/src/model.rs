//! The data model: what the city is made of.
//!
//! Every coordinate inside riskmap is WGS84 longitude/latitude in degrees. The
//! serde derives describe each entity's GeoJSON `properties` object (RFC 7946
//! outside, see [`super::geojson`]); geometry travels in the feature's
//! `geometry` member and is therefore skipped here.

use geo::{MultiLineString, MultiPolygon, Point};
use serde::{Deserialize, Serialize};

use super::sphere::LonLat;

/// Milliseconds since the Unix epoch, UTC. The engine needs no calendar, only
/// an order, so it stays a plain integer.
pub type EpochMs = i64;

/// The five levels of the governance tree (城市 → 区县 → 街镇 → 社区/村 → 网格).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    /// 城市
    City,
    /// 区县
    District,
    /// 街镇
    Street,
    /// 社区/村
    Community,
    /// 网格 — the smallest governance area, patrolled by its grid workers.
    Grid,
}

impl AreaLevel {
    /// All levels from the top of the tree down.
    pub const ALL: [AreaLevel; 5] = [
        AreaLevel::City,
        AreaLevel::District,
        AreaLevel::Street,
        AreaLevel::Community,
        AreaLevel::Grid,
    ];

    /// The level a child of this level has, if any.
    #[must_use]
    pub fn child(self) -> Option<AreaLevel> {
        match self {
            AreaLevel::City => Some(AreaLevel::District),
            AreaLevel::District => Some(AreaLevel::Street),
            AreaLevel::Street => Some(AreaLevel::Community),
            AreaLevel::Community => Some(AreaLevel::Grid),
            AreaLevel::Grid => None,
        }
    }

    /// The Chinese label shown on maps and panels.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            AreaLevel::City => "城市",
            AreaLevel::District => "区县",
            AreaLevel::Street => "街镇",
            AreaLevel::Community => "社区/村",
            AreaLevel::Grid => "网格",
        }
    }
}

/// 区域 — one node of the governance tree, from the city down to a grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// GB/T 2260 region code, extended with three digits per level below the
    /// district (street, community, grid). Unique; the feature id.
    pub code: String,
    /// Chinese name, e.g. 五马街道.
    pub name: String,
    /// Where in the tree this area sits.
    pub level: AreaLevel,
    /// Code of the enclosing area; `None` only for the city.
    pub parent: Option<String>,
    /// The area's extent. Children tile their parent with no gaps or overlaps.
    #[serde(skip, default = "empty_multi_polygon")]
    pub geometry: MultiPolygon<f64>,
}

/// The five kinds of field staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员 — patrols one grid.
    GridWorker,
    /// 民警 — community police officer.
    Police,
    /// 城管 — urban management officer.
    UrbanManagement,
    /// 综治 — comprehensive governance (综治中心) staff.
    Comprehensive,
    /// 志愿者 — volunteer.
    Volunteer,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 5] = [
        Role::GridWorker,
        Role::Police,
        Role::UrbanManagement,
        Role::Comprehensive,
        Role::Volunteer,
    ];

    /// The Chinese label.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::GridWorker => "网格员",
            Role::Police => "民警",
            Role::UrbanManagement => "城管",
            Role::Comprehensive => "综治",
            Role::Volunteer => "志愿者",
        }
    }

    /// A bit for role filters in the staff index.
    #[must_use]
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What a staff member is trained for; dispatch filters on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skill {
    /// 矛盾调解 — dispute mediation.
    Mediation,
    /// 急救 — first aid.
    FirstAid,
    /// 消防 — fire safety.
    FireSafety,
    /// 法律咨询 — legal advice.
    Legal,
    /// 交通疏导 — traffic control.
    Traffic,
    /// 心理疏导 — psychological counselling.
    Counselling,
    /// 电工 — electrician.
    Electrician,
    /// 危化品 — hazardous chemicals.
    Hazmat,
    /// 环境卫生 — sanitation and environment.
    Sanitation,
    /// 防汛防台 — flood and typhoon response.
    FloodControl,
}

impl Skill {
    /// Every skill, in display order.
    pub const ALL: [Skill; 10] = [
        Skill::Mediation,
        Skill::FirstAid,
        Skill::FireSafety,
        Skill::Legal,
        Skill::Traffic,
        Skill::Counselling,
        Skill::Electrician,
        Skill::Hazmat,
        Skill::Sanitation,
        Skill::FloodControl,
    ];

    /// The Chinese label.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            Skill::Mediation => "矛盾调解",
            Skill::FirstAid => "急救",
            Skill::FireSafety => "消防",
            Skill::Legal => "法律咨询",
            Skill::Traffic => "交通疏导",
            Skill::Counselling => "心理疏导",
            Skill::Electrician => "电工",
            Skill::Hazmat => "危化品",
            Skill::Sanitation => "环境卫生",
            Skill::FloodControl => "防汛防台",
        }
    }

    /// A bit for skill filters in the staff index.
    #[must_use]
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The set of skills as a bit mask.
    #[must_use]
    pub fn mask(skills: &[Skill]) -> u16 {
        skills.iter().fold(0, |m, s| m | s.bit())
    }
}

/// Whether a staff member can take a task now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    /// 离岗 — off duty.
    #[default]
    Off,
    /// 在岗空闲 — on duty and free.
    Available,
    /// 任务中 — on duty, handling a task.
    Busy,
    /// 紧急求助 — raised an SOS.
    Sos,
}

impl DutyStatus {
    /// The Chinese label.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            DutyStatus::Off => "离岗",
            DutyStatus::Available => "在岗",
            DutyStatus::Busy => "任务中",
            DutyStatus::Sos => "求助",
        }
    }
}

/// One position report from a staff member's phone or tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Where, WGS84.
    #[serde(flatten)]
    pub position: LonLat,
    /// Horizontal accuracy, metres.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub accuracy_m: Option<f32>,
    /// Ground speed, metres per second.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub speed_mps: Option<f32>,
    /// Course over ground, degrees clockwise from north.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub heading_deg: Option<f32>,
    /// Altitude above the ellipsoid, metres.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub altitude_m: Option<f32>,
    /// Battery level, percent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub battery_pct: Option<f32>,
    /// When the device took the fix.
    pub fix_time_ms: EpochMs,
    /// When the server received it.
    pub server_time_ms: EpochMs,
}

/// How far ahead of the server's clock a fix's own time may be (phones'
/// clocks drift by seconds; a minute covers the drift and a slow upload).
pub const FUTURE_TOLERANCE_MS: EpochMs = 60_000;

impl Fix {
    /// A fix of a position alone (no accuracy, speed, heading, altitude or
    /// battery), taken and received at `t`: an imported last position, a
    /// test's.
    #[must_use]
    pub fn at(position: LonLat, t: EpochMs) -> Fix {
        Fix {
            position,
            accuracy_m: None,
            speed_mps: None,
            heading_deg: None,
            altitude_m: None,
            battery_pct: None,
            fix_time_ms: t,
            server_time_ms: t,
        }
    }

    /// Whether this fix claims a time further ahead of `server_now` than
    /// [`FUTURE_TOLERANCE_MS`]: a wrong clock, or someone pinning a marker
    /// (a fix from the future makes every real one after it look older).
    #[must_use]
    pub fn is_from_the_future(&self, server_now: EpochMs) -> bool {
        self.fix_time_ms > server_now.saturating_add(FUTURE_TOLERANCE_MS)
    }
}

/// 工作人员 — a member of the field staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    /// Stable identifier, the feature id (e.g. `S000123`).
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// What kind of staff.
    pub role: Role,
    /// What they are trained for.
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Code of the grid they are responsible for (their 责任网格).
    pub home_grid: String,
    /// Whether they can take a task now.
    #[serde(default)]
    pub duty: DutyStatus,
    /// Device ids of their trackers or phones (the OsmAnd `id`).
    #[serde(default)]
    pub devices: Vec<String>,
    /// Their last accepted fix, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub last_fix: Option<Fix>,
}

/// The four standard risk levels (重大/较大/一般/低 = red/orange/yellow/blue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum RiskLevel {
    /// 重大风险, red.
    Major = 1,
    /// 较大风险, orange.
    Significant = 2,
    /// 一般风险, yellow.
    General = 3,
    /// 低风险, blue.
    Low = 4,
}

impl RiskLevel {
    /// The Chinese label.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            RiskLevel::Major => "重大风险",
            RiskLevel::Significant => "较大风险",
            RiskLevel::General => "一般风险",
            RiskLevel::Low => "低风险",
        }
    }

    /// The standard map colour.
    #[must_use]
    pub fn colour(self) -> &'static str {
        match self {
            RiskLevel::Major => "red",
            RiskLevel::Significant => "orange",
            RiskLevel::General => "yellow",
            RiskLevel::Low => "blue",
        }
    }
}

impl TryFrom<u8> for RiskLevel {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        match v {
            1 => Ok(RiskLevel::Major),
            2 => Ok(RiskLevel::Significant),
            3 => Ok(RiskLevel::General),
            4 => Ok(RiskLevel::Low),
            other => Err(format!("risk level must be 1 to 4, got {other}")),
        }
    }
}

impl From<RiskLevel> for u8 {
    fn from(v: RiskLevel) -> u8 {
        v as u8
    }
}

/// A point, a line or an area, for layers whose features may be any.
#[derive(Debug, Clone, PartialEq)]
pub enum Footprint {
    /// A single location.
    Point(Point<f64>),
    /// A route, e.g. a gas pipeline or a flood-prone embankment.
    Line(MultiLineString<f64>),
    /// An extent, e.g. a construction site or a school campus.
    Area(MultiPolygon<f64>),
}

/// 风险源 — a hazard the city keeps an eye on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSource {
    /// Stable identifier, the feature id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Free category, e.g. 危化品企业, 地质灾害隐患点.
    pub category: String,
    /// 1 (major) to 4 (low).
    pub level: RiskLevel,
    /// Where it is.
    #[serde(skip, default = "empty_footprint")]
    pub footprint: Footprint,
}

/// 视频监控 — a camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Stable identifier, the feature id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Direction the camera looks, degrees clockwise from north. `None` for a
    /// dome camera that sees all around.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub heading_deg: Option<f64>,
    /// Horizontal field of view, degrees. `None` (or 360) sees all around.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fov_deg: Option<f64>,
    /// How far it usefully sees, metres.
    pub range_m: f64,
    /// Where to fetch its video (RTSP/HLS), if published.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stream_url: Option<String>,
    /// Whether the camera is reporting.
    #[serde(default = "yes")]
    pub online: bool,
    /// Who runs it, e.g. 公安, 城管, 社区.
    #[serde(default)]
    pub owner: String,
    /// Where it is mounted.
    #[serde(skip, default = "origin")]
    pub location: LonLat,
}

/// 重点场所 — a place that needs attention: schools, hospitals, markets...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyPlace {
    /// Stable identifier, the feature id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// Free category, e.g. 学校, 医院, 农贸市场, 出租房.
    pub category: String,
    /// Where it is.
    #[serde(skip, default = "empty_footprint")]
    pub footprint: Footprint,
}

fn empty_multi_polygon() -> MultiPolygon<f64> {
    MultiPolygon::new(Vec::new())
}

fn empty_footprint() -> Footprint {
    Footprint::Area(empty_multi_polygon())
}

fn origin() -> LonLat {
    LonLat { lon: 0.0, lat: 0.0 }
}

fn yes() -> bool {
    true
}
