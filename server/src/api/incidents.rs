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
use crate::incident::model::LogEntry;
use crate::incident::stats::Stats;
use crate::incident::{ActionRequest, IncidentView, ReportIn};
use crate::store::LogRange;
use riskmap_engine::AreaTree;
use riskmap_wire::Datum;
use riskmap_wire::query::{NearestParams, PointParams};
use riskmap_wire::time::parse_time;

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

pub(super) fn time_param(s: Option<&str>) -> ApiResult<Option<i64>> {
    s.map(|s| parse_time(s).map_err(ApiError::from)).transpose()
}

/// The user's scope, narrowed to `area` if given (404 outside it).
pub(super) fn scope_for(user: &User, tree: &AreaTree, area: Option<&str>) -> ApiResult<Scope> {
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
    if read_at_once(from, to) {
        return Ok(Json(count()?).into_response());
    }
    json_off_worker(&app, "counting incident statistics", count).await
}

/// Whether the reports of the period `from`..`to` are few enough to be read
/// on the async worker: at most two days of them (a day's figures, a
/// recent list). A city's year is tens of milliseconds of reading.
pub(super) fn read_at_once(from: Option<i64>, to: Option<i64>) -> bool {
    const AT_ONCE_MS: i64 = 2 * 86_400_000;
    from.is_some_and(|f| to.unwrap_or_else(now_ms) - f <= AT_ONCE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::model::Action;

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
            to: crate::incident::model::State::Reported,
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
