//! An action on an incident as a client asks for it: a typed command (the
//! action, and what only that action needs) inside an envelope of what any
//! action may carry (a comment, photos, the version the client saw).
//!
//! On the wire it is one flat object, `{"action": "dispatch", "staff_id":
//! "S1", "comment": "…"}`: the command is flattened into the envelope. A
//! field the action does not take is refused, as a misspelt one is.

use serde::Deserialize;

use super::model::Action;

/// `POST /api/incidents/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActionRequest {
    /// What to do, with what it needs.
    #[serde(flatten)]
    pub command: Command,
    /// A note; required for `reject`, `verify_fail`, `return`,
    /// `request_extension`, `deny_extension`, `supervise` (the order) and
    /// `answer_supervision` (the answer).
    #[serde(default)]
    pub comment: String,
    /// Photo references.
    #[serde(default)]
    pub photos: Vec<String>,
    /// Refuse if the incident changed since this version.
    #[serde(default)]
    pub version: Option<i64>,
    /// 答复: the public answer its reporter is told (一网反馈), with
    /// `close`, `reject` or `merge`.
    #[serde(default)]
    pub reply: Option<String>,
}

impl ActionRequest {
    /// A command with a comment and nothing else.
    #[must_use]
    pub fn new(command: Command, comment: &str) -> Self {
        ActionRequest {
            command,
            comment: comment.to_owned(),
            photos: Vec::new(),
            version: None,
            reply: None,
        }
    }
}

/// The actions a user can take on an incident (the report itself is not
/// one: it comes through [`super::intake`]). Empty braces make every action
/// a struct variant, so that a stray field is refused for each of them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// 受理.
    Accept {},
    /// 不予受理 (a comment gives the reason).
    Reject {},
    /// 合并 into another open incident.
    Merge {
        /// The incident it repeats.
        into: String,
    },
    /// 派遣 to a staff member or a department (one of the two at least).
    Dispatch {
        /// The staff member.
        #[serde(default)]
        staff_id: Option<String>,
        /// The department.
        #[serde(default)]
        department: Option<String>,
    },
    /// 签收.
    Sign {},
    /// 开始处置.
    Start {},
    /// 办结.
    Handle {},
    /// 核查通过.
    Verify {},
    /// 核查不通过: back to dispatched, counted as rework.
    VerifyFail {},
    /// 结案.
    Close {},
    /// 回退 to accepted, with a reason.
    Return {},
    /// 上报上级: the parent area takes over.
    Escalate {},
    /// 延期申请.
    RequestExtension {
        /// Hours asked for, within 0..10000.
        hours: f64,
    },
    /// 延期批准.
    ApproveExtension {},
    /// 延期驳回.
    DenyExtension {},
    /// 分转/下派: another area of the actor's subtree takes over.
    Transfer {
        /// Its code.
        area: String,
    },
    /// 督办: orders the owner to finish, answering by a deadline (the
    /// comment is the order).
    Supervise {
        /// Hours until the answer is due, within 0..10000.
        hours: f64,
    },
    /// 督办回复: the owner answers the open order (the comment is the
    /// answer).
    AnswerSupervision {},
}

impl Command {
    /// The action this command takes (as the flow log records it).
    #[must_use]
    pub fn action(&self) -> Action {
        match self {
            Command::Accept {} => Action::Accept,
            Command::Reject {} => Action::Reject,
            Command::Merge { .. } => Action::Merge,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Sign {} => Action::Sign,
            Command::Start {} => Action::Start,
            Command::Handle {} => Action::Handle,
            Command::Verify {} => Action::Verify,
            Command::VerifyFail {} => Action::VerifyFail,
            Command::Close {} => Action::Close,
            Command::Return {} => Action::Return,
            Command::Escalate {} => Action::Escalate,
            Command::RequestExtension { .. } => Action::RequestExtension,
            Command::ApproveExtension {} => Action::ApproveExtension,
            Command::DenyExtension {} => Action::DenyExtension,
            Command::Transfer { .. } => Action::Transfer,
            Command::Supervise { .. } => Action::Supervise,
            Command::AnswerSupervision {} => Action::AnswerSupervision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<ActionRequest, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn one_flat_object_on_the_wire() {
        let r =
            read(r#"{"action":"dispatch","staff_id":"S1","comment":"快","version":3}"#).unwrap();
        assert_eq!(
            r.command,
            Command::Dispatch {
                staff_id: Some("S1".into()),
                department: None
            }
        );
        assert_eq!((r.comment.as_str(), r.version), ("快", Some(3)));
        assert_eq!(r.command.action(), Action::Dispatch);
        assert_eq!(
            read(r#"{"action":"request_extension","hours":8}"#)
                .unwrap()
                .command,
            Command::RequestExtension { hours: 8.0 }
        );
    }

    #[test]
    fn strays_and_unknowns_are_refused_by_name() {
        let e = read(r#"{"action":"accept","coment":"x"}"#).unwrap_err();
        assert!(e.contains("coment"), "{e}");
        let e = read(r#"{"action":"accept","staff_id":"S1"}"#).unwrap_err();
        assert!(e.contains("staff_id"), "{e}");
        let e = read(r#"{"action":"fly"}"#).unwrap_err();
        assert!(e.contains("fly") && e.contains("accept"), "{e}");
        let e = read(r#"{"action":"merge"}"#).unwrap_err();
        assert!(e.contains("into"), "{e}");
        let e = read(r#"{"comment":"x"}"#).unwrap_err();
        assert!(e.contains("action"), "{e}");
    }

    #[test]
    fn every_command_names_an_action_a_user_can_take() {
        let all = [
            r#"{"action":"accept"}"#,
            r#"{"action":"reject"}"#,
            r#"{"action":"merge","into":"SJ1"}"#,
            r#"{"action":"dispatch","department":"城管"}"#,
            r#"{"action":"sign"}"#,
            r#"{"action":"start"}"#,
            r#"{"action":"handle"}"#,
            r#"{"action":"verify"}"#,
            r#"{"action":"verify_fail"}"#,
            r#"{"action":"close"}"#,
            r#"{"action":"return"}"#,
            r#"{"action":"escalate"}"#,
            r#"{"action":"request_extension","hours":1}"#,
            r#"{"action":"approve_extension"}"#,
            r#"{"action":"deny_extension"}"#,
            r#"{"action":"transfer","area":"11001"}"#,
            r#"{"action":"supervise","hours":24}"#,
            r#"{"action":"answer_supervision"}"#,
        ];
        let actions: Vec<Action> = all
            .iter()
            .map(|s| read(s).unwrap().command.action())
            .collect();
        assert_eq!(actions, Action::ACTS);
        for (s, a) in all.iter().zip(Action::ACTS) {
            assert!(s.contains(&format!("\"{}\"", a.as_str())));
        }
    }
}
