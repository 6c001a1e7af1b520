//! Channels (一网归集 / 一网反馈): what an incident that came from outside
//! the staff's own hands remembers of where it came from — a citizen's
//! tracking code and phone, another system's ticket, a camera's alarm —
//! and what it owes back: the public reply and the reporter's rating. Pure.

use serde::{Deserialize, Serialize};

use riskmap_engine::model::EpochMs;

use super::error::IncidentError;
use super::model::{Action, Detail, Incident, LogEntry, State};

/// Longest public reply or rating comment, characters.
const MAX_REPLY: usize = 2_000;

/// Where an incident came from outside, and what it owes back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// 随手拍: the code the citizen follows the report by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
    /// The citizen's phone number (kept for 积分 and call-backs; shown
    /// masked to staff, never in public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Another system's ticket (12345, 数字城管, a camera platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<ExternalRef>,
    /// A camera's alarm, with the repeats merged into it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<Alarm>,
    /// The reporter's satisfaction rating (群众满意度), once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// The public answer (答复) given when it was closed, rejected or
    /// merged: the one thing of the handling the reporter is told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// Another system's ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalRef {
    /// The intake source's name.
    pub source: String,
    /// Its own ticket id.
    pub ticket: String,
}

/// A camera alarm and how often it repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// The camera's id.
    pub camera: String,
    /// What the camera's analysis saw (its own code).
    pub kind: String,
    /// Alarms merged into this incident, the first included.
    pub count: u32,
    /// When the latest arrived.
    pub last_ms: EpochMs,
}

/// A reporter's rating of how their report was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    /// What they said.
    #[serde(default)]
    pub comment: String,
    /// When.
    pub at_ms: EpochMs,
}

impl Rating {
    /// Scores of 4 and 5 count as satisfied (满意).
    #[must_use]
    pub fn satisfied(&self) -> bool {
        self.score >= 4
    }
}

/// Checks a public reply's length.
pub fn check_reply(reply: &str) -> Result<(), IncidentError> {
    if reply.chars().count() > MAX_REPLY {
        return Err(IncidentError::Invalid(format!(
            "the reply is longer than {MAX_REPLY} characters"
        )));
    }
    Ok(())
}

/// The incident after its reporter rated it, and the flow-log entry the
/// rating leaves (the incident stays closed). Refused unless it came from
/// outside, is closed and was not rated before.
pub fn rate(
    incident: &Incident,
    score: u8,
    comment: &str,
    actor: &str,
    seq: i64,
    now: EpochMs,
) -> Result<(Incident, LogEntry), IncidentError> {
    if !(1..=5).contains(&score) {
        return Err(IncidentError::Invalid(format!(
            "score must be 1 to 5, got {score}"
        )));
    }
    check_reply(comment)?;
    let Some(intake) = &incident.intake else {
        return Err(IncidentError::Invalid(
            "only reports from citizens or other systems are rated".into(),
        ));
    };
    let refuse = |message: &str| IncidentError::NotAllowed {
        message: message.to_owned(),
        state: incident.state,
        allowed: Vec::new(),
    };
    if incident.state != State::Closed {
        return Err(refuse("the report can be rated once it is closed"));
    }
    if intake.rating.is_some() {
        return Err(refuse("the report was rated already"));
    }
    let mut next = incident.clone();
    let rating = Rating {
        score,
        comment: comment.trim().to_owned(),
        at_ms: now,
    };
    next.intake = Some(Intake {
        rating: Some(rating.clone()),
        ..intake.clone()
    });
    next.updated_ms = now;
    next.version += 1;
    let entry = LogEntry {
        incident: incident.id.clone(),
        seq,
        at_ms: now,
        action: Action::Rate,
        from: Some(State::Closed),
        to: State::Closed,
        actor: actor.to_owned(),
        actor_role: "citizen".into(),
        actor_area: incident.grid.clone(),
        comment: rating.comment,
        photos: Vec::new(),
        detail: Detail::Rating { score },
    };
    Ok((next, entry))
}

/// A phone number as staff see it: `138****8000`.
#[must_use]
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let (head, rest) = chars.split_at(3);
    let tail = &rest[rest.len() - 4..];
    format!(
        "{}{}{}",
        head.iter().collect::<String>(),
        "*".repeat(chars.len() - 7),
        tail.iter().collect::<String>()
    )
}

/// What the public sees of a step of the flow log, if anything: internal
/// steps (签收, 延期, 督办, 上报上级 …) stay internal.
#[must_use]
pub fn public_step(action: Action) -> Option<&'static str> {
    Some(match action {
        Action::Report | Action::File => "received",
        Action::Accept => "accepted",
        Action::Dispatch => "dispatched",
        Action::Start => "handling",
        Action::Handle => "handled",
        Action::Close => "closed",
        Action::Reject => "rejected",
        Action::Merge => "merged",
        Action::Rate => "rated",
        _ => return None,
    })
}

/// Where a report stands, in public words.
#[must_use]
pub fn public_status(state: State) -> &'static str {
    match state {
        State::Reported => "received",
        State::Accepted => "accepted",
        State::Rejected => "rejected",
        State::Closed => "closed",
        State::Merged
        | State::Dispatched
        | State::Signed
        | State::InProgress
        | State::Handled
        | State::Verified => "handling",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_citizen_report() -> Incident {
        let mut i = Incident::sample("SJ20261203000001", 1_000);
        i.state = State::Closed;
        i.intake = Some(Intake {
            tracking_code: Some("ABCDEFGH23".into()),
            ..Intake::default()
        });
        i
    }

    #[test]
    fn a_closed_report_is_rated_once() {
        let i = closed_citizen_report();
        let (rated, entry) = rate(&i, 5, " 很快 ", "citizen", 9, 2_000).expect("rated");
        assert_eq!(rated.version, i.version + 1);
        let r = rated.intake.as_ref().and_then(|x| x.rating.clone());
        assert_eq!(
            r,
            Some(Rating {
                score: 5,
                comment: "很快".into(),
                at_ms: 2_000
            })
        );
        assert_eq!(
            (entry.action, entry.to, entry.seq),
            (Action::Rate, State::Closed, 9)
        );
        assert!(matches!(
            rate(&rated, 4, "", "citizen", 10, 3_000),
            Err(IncidentError::NotAllowed { .. })
        ));
    }

    #[test]
    fn rating_is_refused_out_of_range_open_or_internal() {
        let i = closed_citizen_report();
        for bad in [0, 6] {
            assert!(matches!(
                rate(&i, bad, "", "c", 2, 1),
                Err(IncidentError::Invalid(_))
            ));
        }
        let mut open = i.clone();
        open.state = State::Dispatched;
        assert!(matches!(
            rate(&open, 3, "", "c", 2, 1),
            Err(IncidentError::NotAllowed { .. })
        ));
        let mut internal = i;
        internal.intake = None;
        assert!(matches!(
            rate(&internal, 3, "", "c", 2, 1),
            Err(IncidentError::Invalid(_))
        ));
    }

    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn internal_steps_stay_internal() {
        assert_eq!(public_step(Action::Close), Some("closed"));
        assert_eq!(public_step(Action::Sign), None);
        assert_eq!(public_step(Action::Supervise), None);
        assert_eq!(public_status(State::Signed), "handling");
    }
}
