//! The incident closed loop over REST (docs/protocol.md, "Incidents"): thin
//! handlers over [`crate::incident::desk`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::Principal;
use super::blocking::json_off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::queries;
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::Scope;
use crate::identity::User;
use crate::incident::book::{Book, Entry};
use crate::incident::model::{LogEntry, State as IncidentState};
use crate::incident::stats::Stats;
use crate::incident::{ActionRequest, Actor, IncidentView, ReportIn};
use crate::store::LogRange;
use riskmap_engine::AreaTree;
use riskmap_wire::Datum;
use riskmap_wire::query::{NearestParams, PointParams};
use riskmap_wire::time::parse_time;

/// Most incidents in one list page.
const MAX_PAGE: usize = 1_000;
/// Flow-log entries read from the store at a time by an export, which is
/// streamed page by page: however long the period, the server holds one
/// page.
const EXPORT_PAGE: u32 = 1_000;

/// `GET /api/incidents/categories`.
pub async fn categories(State(app): State<Arc<App>>, _p: Principal) -> Json<Value> {
    Json(app.incidents.dictionary().to_json())
}

/// `POST /api/incidents`.
pub async fn report(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(r): Json<ReportIn>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    let v = app.report_incident(&p.user, r).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `GET /api/incidents/{id}`.
pub async fn get_one(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(app.incident_for(&p.user, &id)?))
}

/// `POST /api/incidents/{id}/actions`.
pub async fn act(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Json(req): Json<ActionRequest>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(app.act_on_incident(&p.user, &id, req).await?))
}

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

pub(super) fn time_param(s: Option<&str>) -> ApiResult<Option<i64>> {
    s.map(|s| parse_time(s).map_err(ApiError::from)).transpose()
}

fn names<'a>(s: Option<&'a str>, what: &str, valid: &[&str]) -> ApiResult<Option<Vec<&'a str>>> {
    let Some(s) = s else {
        return Ok(None);
    };
    let list: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect();
    if let Some(bad) = list.iter().find(|x| !valid.contains(x)) {
        return Err(ApiError::BadRequest(format!(
            "unknown {what} {bad:?}; {what}s are {}",
            valid.join(", ")
        )));
    }
    Ok(Some(list))
}

/// The user's scope, narrowed to `area` if given (404 outside it).
fn scope_for(user: &User, tree: &AreaTree, area: Option<&str>) -> ApiResult<Scope> {
    let scope = Scope::of(user, tree);
    match area {
        None => Ok(scope),
        Some(code) => tree
            .idx(code)
            .filter(|&i| scope.contains(Some(i), tree))
            .map(|i| scope.narrow(i, tree))
            .ok_or_else(|| ApiError::NotFound(format!("no area {code} in your area"))),
    }
}

/// `GET /api/incidents`.
pub async fn list(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<ListParams>,
) -> ApiResult<Json<Value>> {
    let states: Vec<&str> = IncidentState::ALL.map(IncidentState::as_str).to_vec();
    let states = names(q.state.as_deref(), "state", &states)?;
    let priorities = names(
        q.priority.as_deref(),
        "priority",
        &["normal", "urgent", "emergency"],
    )?;
    let warnings = names(
        q.warning.as_deref(),
        "warning",
        &["none", "green", "yellow", "red"],
    )?;
    let (from, to) = (time_param(q.from.as_deref())?, time_param(q.to.as_deref())?);
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    let mine = if q.mine == Some(true) {
        Some(p.user.staff_id.clone().ok_or_else(|| {
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
    let now = now_ms();
    let engine = app.engine.read();
    let tree = engine.areas();
    let scope = scope_for(&p.user, tree, q.area.as_deref())?;
    let dict = app.incidents.dictionary();
    let book = app.incidents.book();
    let mut total = 0usize;
    let mut page = Vec::new();
    let mut waiting = Vec::new();
    let open_only = only_open(q.open, states.as_deref(), queue);
    let staff = mine.as_deref().or(q.assignee.as_deref());
    for e in newest_first(&book, staff, open_only, from, to) {
        let i = &e.incident;
        let assigned_to_me = mine.is_some() && i.assignee_staff == mine;
        // Its grid in the (narrowed) area, or the caller's own task or
        // department's.
        let visible = Actor::facing(&p.user, scope, tree, i).is_some();
        let warning = e.timing.warning(now).as_str();
        let keep = visible
            // A field user's tasks are the running ones unless states are asked
            // (已办: handled, verified, closed).
            && (mine.is_none()
                || (assigned_to_me && (states.is_some() || i.state.holds_assignee())))
            && (!queue || app.awaits(&p.user, tree, e))
            && states
                .as_ref()
                .is_none_or(|s| s.contains(&i.state.as_str()))
            && q.open.is_none_or(|o| o == i.is_open())
            && q.category.as_deref().is_none_or(|c| {
                i.category == c || dict.category(&i.category).is_some_and(|k| k.major == c)
            })
            && priorities.as_ref().is_none_or(|ps| {
                ps.iter()
                    .any(|x| serde_json::to_value(i.priority).is_ok_and(|v| v == *x))
            })
            && warnings.as_ref().is_none_or(|w| w.contains(&warning))
            && q.assignee
                .as_deref()
                .is_none_or(|a| i.assignee_staff.as_deref() == Some(a))
            && from.is_none_or(|f| i.created_ms >= f)
            && to.is_none_or(|t| i.created_ms < t);
        if !keep {
            continue;
        }
        if queue {
            waiting.push(e);
            continue;
        }
        if total >= q.offset.unwrap_or(0) && page.len() < limit {
            page.push(app.incidents.view(&engine, e, now));
        }
        total += 1;
    }
    if queue {
        waiting.sort_by_key(|e| (crate::app::incidents::due_by(e), e.incident.id.clone()));
        total = waiting.len();
        page = waiting
            .into_iter()
            .skip(q.offset.unwrap_or(0))
            .take(limit)
            .map(|e| app.incidents.view(&engine, e, now))
            .collect();
    }
    Ok(Json(json!({ "incidents": page, "total": total })))
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

/// `?format=` of the log endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Export: from (epoch ms or ISO 8601; default 30 days ago).
    pub from: Option<String>,
    /// Export: to (default now).
    pub to: Option<String>,
    /// Export: an area's subtree only.
    pub area: Option<String>,
}

pub(super) fn wants_csv(format: Option<&str>) -> ApiResult<bool> {
    match format {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "unknown format {other:?}; formats are json, csv"
        ))),
    }
}

/// `GET /api/incidents/{id}/log`.
pub async fn log(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<LogParams>,
) -> ApiResult<Response> {
    let csv = wants_csv(q.format.as_deref())?;
    if !app.may_see_incident(&p.user, &id) {
        return Err(ApiError::NotFound(format!("no incident {id} in your area")));
    }
    let entries = app.store.incident_log(&id).await?;
    Ok(log_answer(&app, &entries, csv, &format!("{id}-log")).await)
}

/// `GET /api/incidents/log`: every entry in the user's area and a period,
/// streamed. The area is filtered in the store (by the incident's grid), so
/// a district's export is complete however busy the rest of the city is.
pub async fn export(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<LogParams>,
) -> ApiResult<Response> {
    let csv = wants_csv(q.format.as_deref())?;
    let now = now_ms();
    let from = time_param(q.from.as_deref())?.unwrap_or(now - 30 * 86_400_000);
    let to = time_param(q.to.as_deref())?.unwrap_or(now + 1);
    let grids = {
        let engine = app.engine.read();
        let tree = engine.areas();
        scope_for(&p.user, tree, q.area.as_deref())?.area_codes(tree)
    };
    // The first page before the answer starts: a store that fails at once
    // is still an error status, not a cut-off body.
    let range = LogRange {
        from,
        to,
        grids: grids.as_deref(),
        after: None,
    };
    let first = app.store.log_between(&range, EXPORT_PAGE).await?;
    let export = Export {
        offset: csv.then(|| utc_offset(&app)),
        app,
        from,
        to,
        grids,
        page: Some(first),
        started: false,
        wrote_any: false,
        names: HashMap::new(),
    };
    let body = Body::from_stream(futures_util::stream::unfold(export, Export::next));
    let (kind, disposition) = if csv {
        (
            "text/csv; charset=utf-8",
            "attachment; filename=\"incident-log.csv\"",
        )
    } else {
        ("application/json", "inline")
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// An export under way: the page read last, and where the answer stands.
struct Export {
    app: Arc<App>,
    from: i64,
    to: i64,
    /// The grids of the user's scope (none: the whole city).
    grids: Option<Vec<String>>,
    /// The page to write next; none once the answer is complete.
    page: Option<Vec<LogEntry>>,
    /// CSV in this UTC offset (minutes); JSON if none.
    offset: Option<i32>,
    /// Whether the head (CSV header, JSON opening) went out.
    started: bool,
    /// Whether a JSON entry went out (the next needs a comma).
    wrote_any: bool,
    /// The actors' display names met so far.
    names: HashMap<String, String>,
}

impl Export {
    /// The next piece of the answer: the current page, and the next page
    /// read from the store after the last entry of this one.
    async fn next(mut self) -> Option<(Result<Bytes, crate::store::StoreError>, Export)> {
        let page = self.page.take()?;
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str(if self.offset.is_some() {
                CSV_HEADER
            } else {
                "{\"log\":["
            });
        }
        if self.offset.is_none() {
            let unknown: Vec<LogEntry> = page
                .iter()
                .filter(|e| !self.names.contains_key(&e.actor))
                .cloned()
                .collect();
            self.names.extend(actor_names(&self.app, &unknown).await);
        }
        for e in &page {
            if let Some(offset) = self.offset {
                csv_row(e, offset, &mut out);
            } else {
                if self.wrote_any {
                    out.push(',');
                }
                self.wrote_any = true;
                let entry = LogEntryOut {
                    entry: e,
                    actor_name: self.names.get(&e.actor).map(String::as_str),
                };
                out.push_str(&serde_json::to_string(&entry).unwrap_or_default());
            }
        }
        match page.last() {
            Some(last) if page.len() >= EXPORT_PAGE as usize => {
                let range = LogRange {
                    from: self.from,
                    to: self.to,
                    grids: self.grids.as_deref(),
                    after: Some((last.at_ms, &last.incident, last.seq)),
                };
                match self.app.store.log_between(&range, EXPORT_PAGE).await {
                    Ok(next) => self.page = Some(next),
                    // The body breaks off: the client sees an incomplete
                    // answer, never a silently short one.
                    Err(e) => return Some((Err(e), self)),
                }
            }
            _ => {
                if self.offset.is_none() {
                    out.push_str("]}");
                }
            }
        }
        Some((Ok(Bytes::from(out)), self))
    }
}

fn utc_offset(app: &App) -> i32 {
    app.incidents
        .dictionary()
        .calendar()
        .config()
        .utc_offset_minutes
}

/// A flow-log entry as JSON: the entry and its actor's display name, so
/// people read a name where the log keeps the login.
#[derive(Debug, serde::Serialize)]
struct LogEntryOut<'a> {
    #[serde(flatten)]
    entry: &'a LogEntry,
    /// `None` when the account is gone (or the store could not say).
    actor_name: Option<&'a str>,
}

/// The display names of the entries' actors, one look-up per distinct actor.
async fn actor_names(app: &App, entries: &[LogEntry]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for e in entries {
        if names.contains_key(&e.actor) {
            continue;
        }
        // A failed look-up leaves the login to show: the log itself is what matters.
        if let Ok(Some((user, _))) = app.store.user_by_name(&e.actor).await {
            names.insert(e.actor.clone(), user.display_name);
        }
    }
    names
}

async fn log_answer(app: &App, entries: &[LogEntry], csv: bool, name: &str) -> Response {
    if !csv {
        let names = actor_names(app, entries).await;
        let log: Vec<LogEntryOut<'_>> = entries
            .iter()
            .map(|entry| LogEntryOut {
                entry,
                actor_name: names.get(&entry.actor).map(String::as_str),
            })
            .collect();
        return Json(json!({ "log": log })).into_response();
    }
    csv_attachment(name, log_csv(entries, utc_offset(app)))
}

/// A CSV answer saved as `{name}.csv`.
pub(super) fn csv_attachment(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The flow log as CSV (RFC 4180), times in the calendar's offset. Text a
/// spreadsheet would run as a formula is prefixed with `'`.
#[must_use]
pub fn log_csv(entries: &[LogEntry], offset_minutes: i32) -> String {
    let mut out = String::from(CSV_HEADER);
    for e in entries {
        csv_row(e, offset_minutes, &mut out);
    }
    out
}

/// The first line of a flow-log CSV.
const CSV_HEADER: &str =
    "incident,seq,at,action,from,to,actor,actor_role,actor_area,comment,photos,detail\r\n";

/// One entry as a CSV line (see [`log_csv`]).
fn csv_row(e: &LogEntry, offset_minutes: i32, out: &mut String) {
    let tz = chrono::FixedOffset::east_opt(offset_minutes * 60)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
    let at = chrono::DateTime::from_timestamp_millis(e.at_ms)
        .map(|t| t.with_timezone(&tz).to_rfc3339())
        .unwrap_or_default();
    let fields = [
        e.incident.clone(),
        e.seq.to_string(),
        at,
        e.action.as_str().to_owned(),
        e.from.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        e.to.as_str().to_owned(),
        e.actor.clone(),
        e.actor_role.clone(),
        e.actor_area.clone(),
        e.comment.clone(),
        e.photos.join("|"),
        serde_json::to_string(&e.detail).unwrap_or_default(),
    ];
    let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

pub(super) fn csv_field(f: &str) -> String {
    let risky = match f.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        // A negative number is data; anything else after a minus (`-2+3`,
        // `-A1`) a spreadsheet would run as a formula.
        Some('-') => f.parse::<f64>().is_err(),
        _ => false,
    };
    let f = if risky { format!("'{f}") } else { f.to_owned() };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// `GET /api/incidents/{id}/candidates` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateParams {
    /// How many staff (default 5).
    pub k: Option<usize>,
    /// Staff not heard from for `--stale-after-s` too (default false).
    pub include_stale: Option<bool>,
}

/// `GET /api/incidents/{id}/candidates`: suitable staff, same grid first
/// then nearest available with the category's skill, and the cameras that
/// see the place.
pub async fn candidates(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<CandidateParams>,
) -> ApiResult<Json<Value>> {
    let inc = app.incident_for(&p.user, &id)?;
    let (lon, lat) = (inc.lon, inc.lat);
    let skill = app
        .incidents
        .dictionary()
        .category(&inc.category)
        .and_then(|c| c.skill);
    let skill_name = skill.and_then(|s| serde_json::to_value(s).ok());
    let staff = queries::nearest_query(
        &app,
        &p.user,
        &NearestParams {
            lon,
            lat,
            coords: Datum::Wgs84,
            k: Some(q.k.unwrap_or(5)),
            role: None,
            skill: skill_name
                .as_ref()
                .and_then(Value::as_str)
                .map(ToOwned::to_owned),
            available: Some(true),
            max_m: None,
            same_grid_first: Some(true),
            include_stale: q.include_stale,
        },
    )?;
    let cameras = queries::cameras_query(
        &app,
        &p.user,
        &PointParams {
            lon,
            lat,
            coords: Datum::Wgs84,
        },
    )?;
    Ok(Json(json!({
        "incident": id,
        "skill": skill_name,
        "staff": staff["candidates"],
        "cameras": cameras["cameras"],
    })))
}

/// The incidents a list may show, newest first, from the fewest that can
/// match: a staff member's (`mine`, `assignee`), the open set, or the
/// period's reports, rather than a city's whole history.
fn newest_first<'b>(
    book: &'b Book,
    assigned_to: Option<&str>,
    open_only: bool,
    from: Option<i64>,
    to: Option<i64>,
) -> Box<dyn Iterator<Item = &'b Entry> + 'b> {
    if let Some(staff) = assigned_to {
        Box::new(book.assigned_to(staff).rev())
    } else if open_only {
        Box::new(book.open().rev())
    } else if from.is_some() || to.is_some() {
        Box::new(book.reported_in(from, to).rev())
    } else {
        Box::new(book.iter().rev())
    }
}

/// `GET /api/incidents/stats` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsParams {
    /// An area's subtree (default the user's area).
    pub area: Option<String>,
    /// Reported at or after.
    pub from: Option<String>,
    /// Reported before.
    pub to: Option<String>,
}

/// The answer of `GET /api/incidents/stats`.
#[derive(Serialize)]
struct StatsAnswer {
    area: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    #[serde(flatten)]
    stats: Stats,
}

/// `GET /api/incidents/stats`.
pub async fn stats(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<StatsParams>,
) -> ApiResult<Response> {
    let (from, to) = (time_param(q.from.as_deref())?, time_param(q.to.as_deref())?);
    // The engine's read is let go at once (every fix waits for its write).
    let inner = Arc::clone(&app);
    let count = move || {
        let tree = inner.engine.read().areas_shared();
        let tree = &*tree;
        let scope = scope_for(&p.user, tree, q.area.as_deref())?;
        Ok(StatsAnswer {
            area: scope.root_in(tree).map(|r| tree.get(r).code.clone()),
            from_ms: from,
            to_ms: to,
            stats: inner.incidents.stats(scope, tree, from, to),
        })
    };
    // A day's figures (what a big screen asks after every report) are a
    // day's reports and the open set: counted at once. A longer period (a
    // year of a city is tens of milliseconds) waits for a heavy answer's
    // turn, and a day's figures never queue behind one.
    let reaches = to.unwrap_or_else(now_ms) - from.unwrap_or(0);
    if reaches <= STATS_AT_ONCE_MS {
        return Ok(Json(count()?).into_response());
    }
    json_off_worker(&app, "counting incident statistics", count).await
}

/// Statistics over at most this long a period are counted at once.
const STATS_AT_ONCE_MS: i64 = 2 * 86_400_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::Action;

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

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("@SUM"), "'@SUM");
        assert_eq!(csv_field("-12"), "-12");
        assert_eq!(csv_field("-1.5e3"), "-1.5e3");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
        let e = LogEntry {
            incident: "SJ1".into(),
            seq: 1,
            at_ms: 1_795_399_200_000,
            action: Action::Report,
            from: None,
            to: IncidentState::Reported,
            actor: "field".into(),
            actor_role: "field".into(),
            actor_area: "11".into(),
            comment: "多行\n说明".into(),
            photos: vec!["a".into(), "b".into()],
            detail: crate::incident::model::Detail::Plain {},
        };
        let csv = log_csv(&[e], 480);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[1],
            "SJ1,1,2026-11-23T10:00:00+08:00,report,,reported,field,field,11,\"多行\n说明\",a|b,{}"
        );
    }
}
