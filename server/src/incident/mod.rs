//! The incident closed loop (事件闭环): 上报 → 受理 → 派遣 → 签收 → 处置 →
//! 办结 → 核查 → 结案, on the clock, with an append-only flow log.
//!
//! - [`model`]: incidents, states, actions, flow-log entries.
//! - [`dictionary`]: categories (大类/小类), departments, skills, limits,
//!   priorities, duplicates; the shipped default.
//! - [`calendar`]: working hours on a work calendar with holidays.
//! - [`timing`]: deadlines and warning levels (green, yellow, red).
//! - [`machine`]: the state machine — who may do what, and what it does.
//! - [`book`]: every incident in memory, serials, duplicates, busy staff.
//! - [`stats`]: statistics per area subtree and period.
//! - [`desk`]: the running service — check, commit, apply, push.

pub mod book;
pub mod calendar;
pub mod desk;
pub mod dictionary;
pub mod machine;
pub mod model;
pub mod stats;
pub mod timing;

pub use book::Book;
pub use desk::{Desk, ReportIn};
pub use dictionary::Dictionary;
