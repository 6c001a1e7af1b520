//! The incident closed loop (事件闭环): 上报 → 受理 → 派遣 → 签收 → 处置 →
//! 办结 → 核查 → 结案, on the clock, with an append-only flow log. Pure: no
//! store, no hub, no async; the app layer commits what this decides.
//!
//! - [`model`]: incidents, states, actions, flow-log entries and details.
//! - [`intake`]: a report as sent, its checks, the incident it opens.
//! - [`channel`]: what a report from outside remembers (tracking code,
//!   ticket, alarm) and owes back (the public reply, the rating).
//! - [`command`]: an action as sent, as a typed command.
//! - [`actor`]: who acts, and whether they manage the incident's area.
//! - [`machine`]: the state machine — who may do what, and what it does.
//! - [`dictionary`]: categories (大类/小类), departments, skills, limits,
//!   priorities, duplicates; the shipped default.
//! - [`calendar`]: working hours on a work calendar with holidays.
//! - [`timing`]: deadlines and warning levels (green, yellow, red).
//! - [`book`]: every incident in memory, serials, duplicates, busy staff.
//! - [`view`]: an incident as clients see it.
//! - [`stats`]: statistics per area subtree and period.
//! - [`assessment`]: 考核, each worker's, department's or area's figures
//!   over a period, ranked.
//! - [`error`]: why a report or an action was refused.

pub mod actor;
pub mod analysis;
pub mod assessment;
pub mod book;
pub mod calendar;
pub mod channel;
pub mod command;
pub mod dictionary;
pub mod error;
pub mod intake;
pub mod machine;
pub mod model;
pub mod stats;
pub mod timing;
pub mod view;

pub use actor::Actor;
pub use book::Book;
pub use command::{ActionRequest, Command};
pub use dictionary::Dictionary;
pub use error::IncidentError;
pub use riskmap_wire::ReportIn;
pub use view::{IncidentView, Names};
