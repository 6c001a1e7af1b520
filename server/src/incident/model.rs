//! What an incident is: its states, the actions that move it, and the flow
//! log entry every action leaves behind.

use serde::{Deserialize, Serialize};

use riskmap_engine::model::EpochMs;
use riskmap_engine::sphere::LonLat;

use super::channel::Intake;

/// Where a report came from and how fast it must be handled: words of the
/// report as clients send it (riskmap-wire), kept on every incident.
pub use riskmap_wire::{Priority, Source};

/// Where an incident is in the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 上报.
    Reported,
    /// 受理.
    Accepted,
    /// 不予受理 (terminal).
    Rejected,
    /// 合并 into another incident (terminal).
    Merged,
    /// 派遣.
    Dispatched,
    /// 签收.
    Signed,
    /// 处置中.
    InProgress,
    /// 办结.
    Handled,
    /// 核查.
    Verified,
    /// 结案 (terminal).
    Closed,
}

impl State {
    /// Every state, in the loop's order.
    pub const ALL: [State; 10] = [
        State::Reported,
        State::Accepted,
        State::Rejected,
        State::Merged,
        State::Dispatched,
        State::Signed,
        State::InProgress,
        State::Handled,
        State::Verified,
        State::Closed,
    ];

    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Accepted => "accepted",
            State::Rejected => "rejected",
            State::Merged => "merged",
            State::Dispatched => "dispatched",
            State::Signed => "signed",
            State::InProgress => "in_progress",
            State::Handled => "handled",
            State::Verified => "verified",
            State::Closed => "closed",
        }
    }

    /// The Chinese label.
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Reported => "上报",
            State::Accepted => "受理",
            State::Rejected => "不予受理",
            State::Merged => "合并",
            State::Dispatched => "派遣",
            State::Signed => "签收",
            State::InProgress => "处置中",
            State::Handled => "办结",
            State::Verified => "核查",
            State::Closed => "结案",
        }
    }

    /// Parses the API name.
    #[must_use]
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether nothing more can happen to it.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Rejected | State::Merged | State::Closed)
    }

    /// Whether a staff member or department is working on it.
    #[must_use]
    pub fn holds_assignee(self) -> bool {
        matches!(self, State::Dispatched | State::Signed | State::InProgress)
    }

    /// The step whose clock runs in this state.
    #[must_use]
    pub fn step(self) -> Option<Step> {
        match self {
            State::Reported => Some(Step::Accept),
            State::Accepted => Some(Step::Dispatch),
            State::Dispatched => Some(Step::Sign),
            State::Signed | State::InProgress => Some(Step::Handle),
            State::Handled => Some(Step::Verify),
            State::Verified => Some(Step::Close),
            State::Rejected | State::Merged | State::Closed => None,
        }
    }
}

/// A timed step of the loop; each has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// reported → accepted.
    Accept,
    /// accepted → dispatched.
    Dispatch,
    /// dispatched → signed.
    Sign,
    /// signed → handled.
    Handle,
    /// handled → verified.
    Verify,
    /// verified → closed.
    Close,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [
        Step::Accept,
        Step::Dispatch,
        Step::Sign,
        Step::Handle,
        Step::Verify,
        Step::Close,
    ];

    /// Position in [`Step::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::Dispatch => "dispatch",
            Step::Sign => "sign",
            Step::Handle => "handle",
            Step::Verify => "verify",
            Step::Close => "close",
        }
    }
}

/// Something a user does to an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 上报 — the report itself (first log entry).
    Report,
    /// 事件报备 — a report-only record, closed at once.
    File,
    /// 受理.
    Accept,
    /// 不予受理.
    Reject,
    /// 合并 into another incident.
    Merge,
    /// 派遣 to a staff member or a department.
    Dispatch,
    /// 签收.
    Sign,
    /// 开始处置.
    Start,
    /// 办结.
    Handle,
    /// 核查通过.
    Verify,
    /// 核查不通过 — back to dispatched, counted as rework.
    VerifyFail,
    /// 结案.
    Close,
    /// 回退 — returned to accepted with a reason.
    Return,
    /// 上报上级 — the parent area takes over.
    Escalate,
    /// 延期申请.
    RequestExtension,
    /// 延期批准.
    ApproveExtension,
    /// 延期驳回.
    DenyExtension,
    /// 分转/下派 — another area of the actor's subtree takes over.
    Transfer,
    /// 督办 — a higher level orders it done by a deadline.
    Supervise,
    /// 督办回复 — the owner answers the order.
    AnswerSupervision,
    /// 重复告警 — a camera raised the same alarm again (counted on the
    /// incident it repeats, not a new one).
    Repeat,
    /// 评价 — the reporter rates the handling once it is closed (not an
    /// action staff can take: it comes through the public report page).
    Rate,
}

impl Action {
    /// The actions a user can ask for (the report ones are not among them).
    pub const ACTS: [Action; 18] = [
        Action::Accept,
        Action::Reject,
        Action::Merge,
        Action::Dispatch,
        Action::Sign,
        Action::Start,
        Action::Handle,
        Action::Verify,
        Action::VerifyFail,
        Action::Close,
        Action::Return,
        Action::Escalate,
        Action::RequestExtension,
        Action::ApproveExtension,
        Action::DenyExtension,
        Action::Transfer,
        Action::Supervise,
        Action::AnswerSupervision,
    ];

    /// The API name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Report => "report",
            Action::File => "file",
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Merge => "merge",
            Action::Dispatch => "dispatch",
            Action::Sign => "sign",
            Action::Start => "start",
            Action::Handle => "handle",
            Action::Verify => "verify",
            Action::VerifyFail => "verify_fail",
            Action::Close => "close",
            Action::Return => "return",
            Action::Escalate => "escalate",
            Action::RequestExtension => "request_extension",
            Action::ApproveExtension => "approve_extension",
            Action::DenyExtension => "deny_extension",
            Action::Transfer => "transfer",
            Action::Supervise => "supervise",
            Action::AnswerSupervision => "answer_supervision",
            Action::Repeat => "repeat",
            Action::Rate => "rate",
        }
    }

    /// Parses the API name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Action> {
        Action::ACTS
            .into_iter()
            .chain([Action::Report, Action::File, Action::Repeat, Action::Rate])
            .find(|a| a.as_str() == s)
    }
}

/// Time spent in each step: total milliseconds and how many times it ran
/// (rework runs a step again).
pub type StepTimes = [(i64, u32); 6];

/// An extension asked for and not yet decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingExtension {
    /// Working (or natural, by priority) hours asked for.
    pub hours: f64,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub by: String,
    /// When.
    pub at_ms: EpochMs,
}

/// A department's own time limits (hours for a `normal` incident; a
/// priority scales them as it scales the category's), copied onto an
/// incident when it is dispatched there: the clock that is running keeps
/// the terms it started with when the department's change later.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLimits {
    /// dispatched → signed (签收).
    pub sign: f64,
    /// signed → handled (办结).
    pub handle: f64,
}

impl StepLimits {
    /// Whether both are positive numbers of hours below 100,000.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        [self.sign, self.handle]
            .iter()
            .all(|h| h.is_finite() && *h > 0.0 && *h < 100_000.0)
    }
}

/// 督办: an order from a higher level to finish an incident by a deadline,
/// open until its owner answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supervision {
    /// Who issued it (username).
    pub by: String,
    /// The issuer's area code (the supervising level).
    pub by_area: String,
    /// What the order says.
    pub order: String,
    /// When issued.
    pub at_ms: EpochMs,
    /// Answer due by.
    pub due_ms: EpochMs,
    /// When answered (`None`: open).
    pub answered_ms: Option<EpochMs>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// The answer.
    pub answer: Option<String>,
}

/// 三级联动: what the chain of command centres has done with an incident,
/// for the desk (is an order open?) and the assessment (how often it went
/// up, how often it was supervised).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chain {
    /// Times it moved up a level (上报上级), by anyone or the clock.
    pub escalations: u32,
    /// Of those, by the clock (red too long).
    pub clock_escalations: u32,
    /// When it last moved up.
    pub escalated_ms: Option<EpochMs>,
    /// 督办 orders issued on it.
    pub supervisions: u32,
    /// The newest order.
    pub supervision: Option<Supervision>,
}

impl Chain {
    /// The newest order, if still unanswered.
    #[must_use]
    pub fn open_order(&self) -> Option<&Supervision> {
        self.supervision
            .as_ref()
            .filter(|s| s.answered_ms.is_none())
    }
}

/// An incident as stored: everything but what the clock derives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The serial number, e.g. `SJ20261123000042`.
    pub id: String,
    /// Minor category code.
    pub category: String,
    /// Where the report came from.
    pub source: Source,
    /// How fast.
    pub priority: Priority,
    /// Where (WGS84).
    pub position: LonLat,
    /// Code of the grid the position lies in.
    pub grid: String,
    /// Code of the area responsible now (the grid, or an ancestor).
    pub area: String,
    /// What happened.
    pub description: String,
    /// Photo references (URLs or store keys).
    pub photos: Vec<String>,
    /// Username of the reporter.
    pub reporter: String,
    /// Staff id of the reporter, for field reports.
    pub reporter_staff: Option<String>,
    /// Where it is in the loop.
    pub state: State,
    /// 事件报备: recorded and closed at once.
    pub report_only: bool,
    /// The staff member dispatched to.
    pub assignee_staff: Option<String>,
    /// The department dispatched to.
    pub assignee_department: Option<String>,
    /// That department's own time limits, if it has them (in force while
    /// it holds the incident).
    #[serde(default)]
    pub assignee_limits: Option<StepLimits>,
    /// The incident this one was merged into.
    pub merged_into: Option<String>,
    /// An open incident this one may repeat.
    pub possible_duplicate_of: Option<String>,
    /// How many times verification sent it back.
    pub rework_count: u32,
    /// Approved extensions, hours, on the overall limit.
    pub extension_hours: f64,
    /// Approved extensions on the current step, hours.
    pub step_extension_hours: f64,
    /// An extension waiting for a decision.
    pub pending_extension: Option<PendingExtension>,
    /// Reported at.
    pub created_ms: EpochMs,
    /// Last changed at.
    pub updated_ms: EpochMs,
    /// When the current step's clock started.
    pub step_started_ms: EpochMs,
    /// When it was last handled (办结).
    pub handled_ms: Option<EpochMs>,
    /// When it reached a terminal state.
    pub closed_ms: Option<EpochMs>,
    /// Whether it was handled within its overall limit.
    pub on_time: Option<bool>,
    /// Time spent per step.
    pub step_times: StepTimes,
    /// What the command chain did with it.
    #[serde(default)]
    pub chain: Chain,
    /// Where it came from outside and what it owes back (一网归集/一网反馈);
    /// none for the staff's own reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<Intake>,
    /// Rises with every change.
    pub version: i64,
}

impl Incident {
    /// Whether it still needs work.
    #[must_use]
    pub fn is_open(&self) -> bool {
        !self.state.is_terminal()
    }
}

#[cfg(test)]
impl Incident {
    /// A reported normal incident of category 0101 (a family dispute) at
    /// 120°E 28°N in grid "g", for tests to vary.
    #[must_use]
    pub fn sample(id: &str, created_ms: EpochMs) -> Incident {
        Incident {
            id: id.into(),
            category: "0101".into(),
            source: Source::Patrol,
            priority: Priority::Normal,
            position: LonLat {
                lon: 120.0,
                lat: 28.0,
            },
            grid: "g".into(),
            area: "g".into(),
            description: String::new(),
            photos: vec![],
            reporter: "r".into(),
            reporter_staff: None,
            state: State::Reported,
            report_only: false,
            assignee_staff: None,
            assignee_department: None,
            assignee_limits: None,
            merged_into: None,
            possible_duplicate_of: None,
            rework_count: 0,
            extension_hours: 0.0,
            step_extension_hours: 0.0,
            pending_extension: None,
            created_ms,
            updated_ms: created_ms,
            step_started_ms: created_ms,
            handled_ms: None,
            closed_ms: None,
            on_time: None,
            step_times: [(0, 0); 6],
            chain: Chain::default(),
            intake: None,
            version: 1,
        }
    }
}

/// One immutable entry of the flow log (流转记录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Which incident.
    pub incident: String,
    /// Position in the incident's log, from 1.
    pub seq: i64,
    /// When.
    pub at_ms: EpochMs,
    /// What was done.
    pub action: Action,
    /// State before (`null` for the report).
    pub from: Option<State>,
    /// State after.
    pub to: State,
    /// Username of the actor.
    pub actor: String,
    /// The actor's role.
    pub actor_role: String,
    /// The actor's area code.
    pub actor_area: String,
    /// What they said.
    pub comment: String,
    /// Photo references.
    pub photos: Vec<String>,
    /// Action details (staff dispatched to, merged into, hours…).
    pub detail: Detail,
}

/// What a flow-log entry records beyond who, when and the states; its shape
/// follows the action (written as a JSON object, read back as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Detail {
    /// Nothing more (受理, 签收, 核查, 结案 …): `{}`.
    Plain {},
    /// 上报: the open incident this one may repeat.
    Report {
        /// Its id, if any.
        possible_duplicate_of: Option<String>,
    },
    /// 合并: the incident it went into.
    Merge {
        /// Its id.
        into: String,
    },
    /// 派遣 (who it went to) and 回退 (who it came back from).
    Assignment {
        /// The staff member.
        staff_id: Option<String>,
        /// The department.
        department: Option<String>,
    },
    /// 核查不通过: the reworks counted so far.
    Rework {
        /// How many.
        rework: u32,
    },
    /// 上报上级 and 分转/下派: the responsible area before and after.
    Handover {
        /// Before.
        from_area: String,
        /// After.
        to_area: String,
    },
    /// 延期: the hours asked for, approved or denied.
    Extension {
        /// Hours.
        hours: f64,
    },
    /// 督办: the answer's deadline.
    Order {
        /// Due by.
        due_ms: EpochMs,
    },
    /// 重复告警: the repeat's own ticket.
    Ticket {
        /// The intake source.
        source: String,
        /// Its ticket.
        ticket: String,
    },
    /// 评价: the reporter's score.
    Rating {
        /// 1 to 5.
        score: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action a flow log can hold reads back from its name (a store
    /// reading an entry it cannot name would call the row corrupt).
    #[test]
    fn every_logged_action_parses_back() {
        for a in Action::ACTS.into_iter().chain([
            Action::Report,
            Action::File,
            Action::Repeat,
            Action::Rate,
        ]) {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn details_read_back_as_written() {
        let cases = [
            (Detail::Plain {}, "{}"),
            (
                Detail::Report {
                    possible_duplicate_of: None,
                },
                r#"{"possible_duplicate_of":null}"#,
            ),
            (Detail::Merge { into: "SJ2".into() }, r#"{"into":"SJ2"}"#),
            (
                Detail::Assignment {
                    staff_id: None,
                    department: Some("城管".into()),
                },
                r#"{"staff_id":null,"department":"城管"}"#,
            ),
            (Detail::Rework { rework: 2 }, r#"{"rework":2}"#),
            (
                Detail::Handover {
                    from_area: "1".into(),
                    to_area: "2".into(),
                },
                r#"{"from_area":"1","to_area":"2"}"#,
            ),
            (Detail::Extension { hours: 8.0 }, r#"{"hours":8.0}"#),
            (Detail::Order { due_ms: 5 }, r#"{"due_ms":5}"#),
        ];
        for (detail, text) in cases {
            assert_eq!(serde_json::to_string(&detail).unwrap(), text);
            assert_eq!(serde_json::from_str::<Detail>(text).unwrap(), detail);
        }
        assert!(serde_json::from_str::<Detail>(r#"{"x":1}"#).is_err());
    }
}
