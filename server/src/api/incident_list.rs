//! `GET /api/incidents`: a page of the incidents the caller may see, newest
//! first (or, for 我的待办, nearest deadline first), and how many match.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::blocking::json_off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::incidents::{read_at_once, scope_for, time_param};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::{Scope, User};
use crate::incident::Actor;
use crate::incident::book::Entry;
use crate::incident::model::State as IncidentState;
use riskmap_engine::AreaTree;
use riskmap_engine::model::EpochMs;

/// Most incidents in one list page.
const MAX_PAGE: usize = 1_000;

/// `GET /api/incidents` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// States, comma-separated.
    pub state: Option<String>,
    /// Only open (true) or only finished (false) incidents.
    pub open: Option<bool>,
    /// An area code: its subtree only.
    pub area: Option<String>,
    /// A major or minor category code.
    pub category: Option<String>,
    /// Priorities, comma-separated.
    pub priority: Option<String>,
    /// Warning levels, comma-separated.
    pub warning: Option<String>,
    /// Assigned to this staff member.
    pub assignee: Option<String>,
    /// A field user's own tasks.
    pub mine: Option<bool>,
    /// `mine`: what awaits the caller's step (我的待办) — their tasks, their
    /// department's, their own level's — nearest deadline first.
    pub queue: Option<String>,
    /// Reported at or after (epoch ms or ISO 8601).
    pub from: Option<String>,
    /// Reported before.
    pub to: Option<String>,
    /// Page size (default 100, at most 1000).
    pub limit: Option<usize>,
    /// Items to skip.
    pub offset: Option<usize>,
}

/// `GET /api/incidents`.
pub async fn list(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<ListParams>,
) -> ApiResult<Response> {
    let ask = Ask::parse(&p.user, q)?;
    // The engine's read is let go at once: every fix waits for its write,
    // and the walk below needs only the area tree.
    let tree = app.engine.read().areas_shared();
    let scope = scope_for(&p.user, &tree, ask.area.as_deref())?;
    let open_only = only_open(ask.open, ask.states.as_deref(), ask.queue);
    // The open set, a staff member's incidents or a day or two of reports
    // are read at once; a city's whole history (an administrator's search,
    // finished incidents without a period) is tens of milliseconds, made in
    // a heavy answer's turn so that no async worker, and no fix queued on
    // it, waits for it.
    let bounded = open_only || ask.staff().is_some() || read_at_once(ask.from, ask.to);
    let inner = Arc::clone(&app);
    let answer = move || Ok(ask.answer(&inner, &p.user, &tree, scope, open_only));
    if bounded {
        return Ok(Json(answer()?).into_response());
    }
    json_off_worker(&app, "listing incidents", answer).await
}

/// A list question, checked.
struct Ask {
    states: Option<Vec<&'static str>>,
    priorities: Option<Vec<&'static str>>,
    warnings: Option<Vec<&'static str>>,
    open: Option<bool>,
    area: Option<String>,
    category: Option<String>,
    assignee: Option<String>,
    /// `mine=true`: the caller's staff member.
    mine: Option<String>,
    queue: bool,
    from: Option<EpochMs>,
    to: Option<EpochMs>,
    limit: usize,
    offset: usize,
}

impl Ask {
    fn parse(user: &User, q: ListParams) -> ApiResult<Self> {
        let (from, to) = (time_param(q.from.as_deref())?, time_param(q.to.as_deref())?);
        let limit = q.limit.unwrap_or(100);
        if limit == 0 || limit > MAX_PAGE {
            return Err(ApiError::BadRequest(format!(
                "limit must be 1 to {MAX_PAGE}"
            )));
        }
        let mine = if q.mine == Some(true) {
            Some(user.staff_id.clone().ok_or_else(|| {
                ApiError::BadRequest("mine=true is for field users bound to a staff member".into())
            })?)
        } else {
            None
        };
        let queue = match q.queue.as_deref() {
            None => false,
            Some("mine") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "unknown queue {other:?}; the queue is mine"
                )));
            }
        };
        Ok(Self {
            states: names(
                q.state.as_deref(),
                "state",
                &IncidentState::ALL.map(IncidentState::as_str),
            )?,
            priorities: names(
                q.priority.as_deref(),
                "priority",
                &["normal", "urgent", "emergency"],
            )?,
            warnings: names(
                q.warning.as_deref(),
                "warning",
                &["none", "green", "yellow", "red"],
            )?,
            open: q.open,
            area: q.area,
            category: q.category,
            assignee: q.assignee,
            mine,
            queue,
            from,
            to,
            limit,
            offset: q.offset.unwrap_or(0),
        })
    }

    /// The staff member whose incidents alone can answer.
    fn staff(&self) -> Option<&str> {
        self.mine.as_deref().or(self.assignee.as_deref())
    }

    /// The page and the count. The walk holds only the book's read (a
    /// period's or the whole history's a slice at a time); the page's
    /// entries are copied out of it and named under the engine's read
    /// afterwards (the engine is taken before the book elsewhere).
    fn answer(
        &self,
        app: &App,
        user: &User,
        tree: &AreaTree,
        scope: Scope,
        open_only: bool,
    ) -> Value {
        let now = now_ms();
        let keeps = |e: &Entry| self.keeps(app, user, tree, scope, e, now);
        let (total, page) = if self.queue {
            // Every step awaits an open incident: the open set, sorted.
            let book = app.incidents.book();
            let mut waiting: Vec<&Entry> = book.open().filter(|e| keeps(e)).collect();
            waiting.sort_by_key(|e| (crate::app::incidents::due_by(e), e.incident.id.clone()));
            let page = waiting.iter().skip(self.offset).take(self.limit);
            (waiting.len(), page.map(|e| (*e).clone()).collect())
        } else {
            let mut total = 0usize;
            let mut page: Vec<Entry> = Vec::new();
            let count = |e: &Entry| {
                if keeps(e) {
                    if total >= self.offset && page.len() < self.limit {
                        page.push(e.clone());
                    }
                    total += 1;
                }
            };
            // From the fewest that can match: a staff member's, the open
            // set, or the reports of the period (the whole history without
            // one), read a slice at a time.
            if let Some(staff) = self.staff() {
                app.incidents
                    .book()
                    .assigned_to(staff)
                    .rev()
                    .for_each(count);
            } else if open_only {
                app.incidents.book().open().rev().for_each(count);
            } else {
                app.incidents.each_reported(self.from, self.to, count);
            }
            (total, page)
        };
        let engine = app.engine.read();
        let page: Vec<_> = page
            .iter()
            .map(|e| app.incidents.view(&engine, e, now))
            .collect();
        json!({ "incidents": page, "total": total })
    }

    /// Whether entry `e` answers the question for `user`: the incident's own
    /// fields first, then what needs a lookup (the category's major, the
    /// warning now, the caller's view of it) — every incident of a city's
    /// history may be asked this.
    fn keeps(
        &self,
        app: &App,
        user: &User,
        tree: &AreaTree,
        scope: Scope,
        e: &Entry,
        now: EpochMs,
    ) -> bool {
        let i = &e.incident;
        self.states
            .as_ref()
            .is_none_or(|s| s.contains(&i.state.as_str()))
            && self.open.is_none_or(|o| o == i.is_open())
            && self.from.is_none_or(|f| i.created_ms >= f)
            && self.to.is_none_or(|t| i.created_ms < t)
            && self
                .assignee
                .as_deref()
                .is_none_or(|a| i.assignee_staff.as_deref() == Some(a))
            // A field user's tasks are the running ones unless states are asked
            // (已办: handled, verified, closed).
            && self.mine.as_ref().is_none_or(|me| {
                i.assignee_staff.as_ref() == Some(me)
                    && (self.states.is_some() || i.state.holds_assignee())
            })
            && self.priorities.as_ref().is_none_or(|ps| {
                ps.iter()
                    .any(|x| serde_json::to_value(i.priority).is_ok_and(|v| v == *x))
            })
            && self.category.as_deref().is_none_or(|c| {
                i.category == c
                    || app
                        .incidents
                        .dictionary()
                        .category(&i.category)
                        .is_some_and(|k| k.major == c)
            })
            && self
                .warnings
                .as_ref()
                .is_none_or(|w| w.contains(&e.timing.warning(now).as_str()))
            // Its grid in the (narrowed) area, or the caller's own task or
            // department's.
            && Actor::sees(user, scope, tree, i)
            && (!self.queue || app.awaits(user, tree, e))
    }
}

fn names(
    s: Option<&str>,
    what: &str,
    valid: &[&'static str],
) -> ApiResult<Option<Vec<&'static str>>> {
    let Some(s) = s else {
        return Ok(None);
    };
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            valid.iter().find(|v| **v == x).copied().ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown {what} {x:?}; {what}s are {}",
                    valid.join(", ")
                ))
            })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

/// Whether only open incidents can answer a list: when asked for, when every
/// state asked is an open one, or when a step must await the caller (every
/// step is an open incident's). Then the open set is read, not a city's whole
/// history (the big screen's 待受理 list, 我的待办); a field user's tasks
/// (`mine`) are read from their own incidents before that.
fn only_open(open: Option<bool>, states: Option<&[&str]>, queue: bool) -> bool {
    let finished_asked = states.is_none_or(|s| {
        IncidentState::ALL
            .iter()
            .any(|f| f.is_terminal() && s.contains(&f.as_str()))
    });
    open == Some(true) || queue || !finished_asked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_when_no_finished_incident_can_answer() {
        assert!(only_open(Some(true), None, false));
        assert!(only_open(None, Some(&["reported", "accepted"]), false));
        assert!(only_open(None, None, true), "queue=mine");
        assert!(!only_open(None, None, false));
        assert!(!only_open(Some(false), None, false));
        assert!(!only_open(None, Some(&["reported", "closed"]), false));
        assert!(
            !only_open(None, Some(&["handled", "verified", "closed"]), false),
            "已办"
        );
    }
}
