//! Dispatch and spatial queries. Each is a plain function over the engine
//! (used by REST and by `/ws` alike) plus a thin REST handler. Every answer is
//! limited to what the asking user may see.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::auth::Principal;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use crate::app::App;
use crate::clock::now_ms;
use crate::identity::Scope;
use crate::identity::User;
use crate::live::protocol::{camera_json, key_place_json, risk_source_json};
use crate::metrics::Query as Q;
use riskmap_engine::model::{DutyStatus, Role, Skill};
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{
    AreaIdx, AreaTree, Engine, HeatLayer, Layer, LayerItem, NearestQuery, StaffFilter,
};
use riskmap_wire::Datum;
use riskmap_wire::query::{HeatmapParams, NearbyParams, NearestParams, PointParams};

/// A validated WGS84 point from a client's coordinates.
fn point(lon: f64, lat: f64, coords: Datum) -> ApiResult<LonLat> {
    Ok(coords.to_wgs84(LonLat::new(lon, lat)?)?)
}

fn parse_enum<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(s.trim().to_owned()))
        .map_err(|_| ApiError::BadRequest(format!("unknown {what} {s:?}")))
}

/// The answer to a nearest query, borrowing its names from the engine and
/// serialised while the engine is read: a dispatch desk asks this all day,
/// and a `serde_json::Value` tree (a map and a string per field) cost more
/// than the k-NN search itself, and copying each candidate's six strings
/// out a tenth of a batch's time (docs/PERFORMANCE.md, "Dispatch against
/// peers").
#[derive(Debug, Serialize)]
struct NearestAnswer<'a> {
    point: PointOut,
    grid: Option<GridOut<'a>>,
    candidates: Vec<CandidateOut<'a>>,
}

#[derive(Debug, Serialize)]
struct PointOut {
    lon: f64,
    lat: f64,
}

#[derive(Debug, Serialize)]
struct GridOut<'a> {
    code: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct CandidateOut<'a> {
    id: &'a str,
    name: &'a str,
    role: Role,
    duty: DutyStatus,
    distance_m: f64,
    /// Home grid code.
    grid: Option<&'a str>,
    /// Home grid name, for people (the code is for machines).
    grid_name: Option<&'a str>,
    current_grid: Option<GridOut<'a>>,
    same_grid: bool,
    lon: f64,
    lat: f64,
    /// Seconds since the position was taken.
    fix_age_s: i64,
    /// Older than `--stale-after-s` (only with `include_stale=true`).
    stale: bool,
}

fn grid_out(engine: &Engine, g: Option<AreaIdx>) -> Option<GridOut<'_>> {
    g.map(|g| {
        let a = engine.areas().get(g);
        GridOut {
            code: &a.code,
            name: &a.name,
        }
    })
}

fn serialising(e: &serde_json::Error) -> ApiError {
    ApiError::Internal(format!("serialising the answer: {e}"))
}

/// The nearest suitable staff the user may see, as JSON.
pub fn nearest_query(app: &App, user: &User, p: &NearestParams) -> ApiResult<Value> {
    nearest_with(app, user, p, |a| serde_json::to_value(a))?.map_err(|e| serialising(&e))
}

/// The nearest suitable staff the user may see, as JSON text.
pub fn nearest_text(app: &App, user: &User, p: &NearestParams) -> ApiResult<Box<RawValue>> {
    nearest_with(app, user, p, |a| serde_json::value::to_raw_value(a))?.map_err(|e| serialising(&e))
}

/// The nearest suitable staff the user may see, handed to `answer` while
/// the engine is read.
fn nearest_with<R>(
    app: &App,
    user: &User,
    p: &NearestParams,
    answer: impl FnOnce(&NearestAnswer<'_>) -> R,
) -> ApiResult<R> {
    let point = point(p.lon, p.lat, p.coords)?;
    let k = p.k.unwrap_or(5);
    if k == 0 || k > app.limits.max_k {
        return Err(ApiError::BadRequest(format!(
            "k must be 1 to {}",
            app.limits.max_k
        )));
    }
    let mut filter = StaffFilter {
        available_only: p.available.unwrap_or(true),
        ..StaffFilter::default()
    };
    if let Some(roles) = &p.role {
        for r in roles.split(',').filter(|s| !s.is_empty()) {
            filter.roles |= parse_enum::<Role>("role", r)?.bit();
        }
    }
    if let Some(skills) = &p.skill {
        for s in skills.split(',').filter(|s| !s.is_empty()) {
            filter.skills |= parse_enum::<Skill>("skill", s)?.bit();
        }
    }
    if let Some(m) = p.max_m
        && !(m.is_finite() && m >= 0.0)
    {
        return Err(ApiError::BadRequest(
            "max_m must be a non-negative number of metres".into(),
        ));
    }
    let now = now_ms();
    let fresh_since = now.saturating_sub(app.limits.stale_after_ms);
    let engine = app.engine.read();
    let scope = Scope::of(user, engine.areas());
    let query = NearestQuery {
        point,
        k,
        filter,
        max_m: p.max_m,
        same_grid_first: p.same_grid_first.unwrap_or(false),
        fixed_since: (!p.include_stale.unwrap_or(false)).then_some(fresh_since),
    };
    let t = Instant::now();
    let tree = engine.areas();
    let found = engine.nearest_staff_where(&query, |home| scope.contains(home, tree))?;
    app.metrics.observe(Q::Nearest, t.elapsed());
    let candidates: Vec<CandidateOut> = found
        .iter()
        .filter_map(|c| {
            let m = engine.staff().get(c.idx)?;
            let fix = m.fix?;
            let pos = fix.position;
            Some(CandidateOut {
                id: &m.id,
                name: &m.name,
                role: m.role,
                duty: m.duty,
                distance_m: (c.distance_m * 10.0).round() / 10.0,
                grid: m.home.map(|g| engine.areas().get(g).code.as_str()),
                grid_name: m.home.map(|g| engine.areas().get(g).name.as_str()),
                current_grid: grid_out(&engine, m.grid(|p| engine.areas().grid_at(p))),
                same_grid: c.same_grid,
                lon: pos.lon,
                lat: pos.lat,
                fix_age_s: now.saturating_sub(fix.fix_time_ms).max(0) / 1000,
                stale: fix.fix_time_ms < fresh_since,
            })
        })
        .collect();
    Ok(answer(&NearestAnswer {
        point: PointOut {
            lon: point.lon,
            lat: point.lat,
        },
        grid: grid_out(
            &engine,
            engine
                .areas()
                .grid_at(point)
                .filter(|&g| scope.contains(Some(g), tree)),
        ),
        candidates,
    }))
}

/// Cameras the user may see that can see a point, nearest first.
pub fn cameras_query(app: &App, user: &User, p: &PointParams) -> ApiResult<Value> {
    let point = point(p.lon, p.lat, p.coords)?;
    let engine = app.engine.read();
    let scope = Scope::of(user, engine.areas());
    let t = Instant::now();
    let seen = engine.cameras_seeing(point)?;
    app.metrics.observe(Q::Cameras, t.elapsed());
    let cams: Vec<Value> = seen
        .into_iter()
        .filter(|(i, _)| scope.contains(engine.cameras().grid(*i), engine.areas()))
        .filter_map(|(i, d)| {
            let mut v = camera_json(engine.cameras().get(i)?);
            v["distance_m"] = json!((d * 10.0).round() / 10.0);
            Some(v)
        })
        .collect();
    Ok(json!({ "point": { "lon": point.lon, "lat": point.lat }, "cameras": cams }))
}

/// Risk sources, key places (and cameras) within a radius, nearest first.
pub fn nearby_query(app: &App, user: &User, p: &NearbyParams) -> ApiResult<Value> {
    let point = point(p.lon, p.lat, p.coords)?;
    let r = p.radius_m.unwrap_or(500.0);
    if !(r.is_finite() && r >= 0.0 && r <= app.limits.max_radius_m) {
        return Err(ApiError::BadRequest(format!(
            "radius_m must be 0 to {} metres",
            app.limits.max_radius_m
        )));
    }
    let layers = p.layers.as_deref().unwrap_or("risk_sources,key_places");
    let engine = app.engine.read();
    let scope = Scope::of(user, engine.areas());
    let tree = engine.areas();
    let t = Instant::now();
    let mut out = json!({ "point": { "lon": point.lon, "lat": point.lat }, "radius_m": r });
    for layer in layers.split(',').filter(|s| !s.is_empty()) {
        let items: Vec<Value> = match layer {
            "risk_sources" => within_visible(
                engine.risk_sources(),
                point,
                r,
                scope,
                tree,
                risk_source_json,
            )?,
            "key_places" => {
                within_visible(engine.key_places(), point, r, scope, tree, key_place_json)?
            }
            "cameras" => within_visible(engine.cameras(), point, r, scope, tree, camera_json)?,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown layer {other:?}; use risk_sources, key_places, cameras"
                )));
            }
        };
        out[layer] = Value::Array(items);
    }
    app.metrics.observe(Q::Nearby, t.elapsed());
    Ok(out)
}

/// A layer's features within `r` metres that the scope allows, nearest
/// first, each with its `distance_m`.
fn within_visible<T: LayerItem>(
    layer: &Layer<T>,
    point: LonLat,
    r: f64,
    scope: Scope,
    tree: &AreaTree,
    to_json: fn(&T) -> Value,
) -> ApiResult<Vec<Value>> {
    Ok(layer
        .within(point, r)?
        .into_iter()
        .filter(|(i, _)| scope.contains(layer.grid(*i), tree))
        .filter_map(|(i, d)| {
            let mut v = to_json(layer.get(i)?);
            v["distance_m"] = json!((d * 10.0).round() / 10.0);
            Some(v)
        })
        .collect())
}

/// The grid at a point and its ancestors, if the user may see them.
pub fn locate_query(app: &App, user: &User, p: &PointParams) -> ApiResult<Value> {
    let point = point(p.lon, p.lat, p.coords)?;
    let engine = app.engine.read();
    let scope = Scope::of(user, engine.areas());
    let t = Instant::now();
    let chain = engine.locate(point)?.unwrap_or_default();
    app.metrics.observe(Q::Locate, t.elapsed());
    let visible = chain
        .first()
        .is_some_and(|&g| scope.contains(Some(g), engine.areas()));
    let chain: Vec<Value> = if visible {
        chain
            .iter()
            .map(|&i| {
                let a = engine.areas().get(i);
                json!({ "code": a.code, "name": a.name, "level": a.level })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "point": { "lon": point.lon, "lat": point.lat },
        "grid": chain.first().cloned().unwrap_or(Value::Null),
        "chain": chain,
    }))
}

/// Parses `west,south,east,north`.
pub fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "bbox must be west,south,east,north numbers, got {s:?}"
            ))
        })?;
    let b: [f64; 4] = v.try_into().map_err(|_| {
        ApiError::BadRequest("bbox needs exactly four numbers: west,south,east,north".into())
    })?;
    riskmap_engine::check_bbox(b)?;
    Ok(b)
}

/// Counts per H3 cell of a layer in a box, limited to what the user sees.
pub fn heatmap_query(app: &App, user: &User, p: &HeatmapParams) -> ApiResult<Value> {
    let bbox = parse_bbox(&p.bbox)?;
    let res = p.res.unwrap_or(8);
    let layer = match p.layer.as_deref().unwrap_or("staff") {
        "staff" => HeatLayer::Staff,
        "cameras" => HeatLayer::Cameras,
        "risk_sources" => HeatLayer::RiskSources,
        "key_places" => HeatLayer::KeyPlaces,
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown layer {other:?}; use staff, cameras, risk_sources, key_places"
            )));
        }
    };
    let t = Instant::now();
    // The points copied under the engine's lock, their cells found after it
    // (a third of a second at a million staff, which every fix batch, and
    // every reader behind one, would have waited for).
    let points = {
        let engine = app.engine.read();
        let tree = engine.areas();
        let scope = Scope::of(user, tree);
        engine.heat_points(layer, bbox, |g| scope.contains(g, tree))?
    };
    let cells = riskmap_engine::heatmap::count(points, res)?;
    app.metrics.observe(Q::Heatmap, t.elapsed());
    let cells: Vec<Value> = cells
        .into_iter()
        .map(|(c, n)| json!({ "cell": c.to_string(), "count": n }))
        .collect();
    Ok(
        json!({ "bbox": bbox, "res": res, "layer": p.layer.as_deref().unwrap_or("staff"), "cells": cells }),
    )
}

/// The queries a `/ws` `query` message and a batch may ask, by name.
pub const QUERY_NAMES: &str = "nearest, cameras, nearby, locate, heatmap";

/// A query's parameters as JSON: a `/ws` message's (already a map) or a
/// batch entry's (its text, read straight into the query's type).
pub enum Params<'a> {
    /// Parsed with the message.
    Map(serde_json::Map<String, Value>),
    /// The text of a batch entry's `params`.
    Raw(Option<&'a RawValue>),
}

impl Params<'_> {
    fn read<T: serde::de::DeserializeOwned>(self) -> ApiResult<T> {
        let bad = |e: serde_json::Error| ApiError::BadRequest(format!("bad params: {e}"));
        match self {
            Params::Map(m) => serde_json::from_value(Value::Object(m)).map_err(bad),
            Params::Raw(Some(raw)) => serde_json::from_str(raw.get()).map_err(bad),
            Params::Raw(None) => serde_json::from_str("{}").map_err(bad),
        }
    }
}

/// A query's answer, serialised as it is written (the nearest answer, the
/// one asked thousands of times a second, never becomes a JSON tree).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    /// `nearest`, already written.
    Nearest(Box<RawValue>),
    /// The others.
    Json(Value),
}

/// Runs a query named `query` with its parameters (the REST query's names
/// and values): what `/ws` `query` messages and `POST /api/dispatch/batch`
/// share.
pub fn run_query(app: &App, user: &User, query: &str, params: Params<'_>) -> ApiResult<Answer> {
    Ok(match query {
        "nearest" => Answer::Nearest(nearest_text(app, user, &params.read()?)?),
        "cameras" => Answer::Json(cameras_query(app, user, &params.read()?)?),
        "nearby" => Answer::Json(nearby_query(app, user, &params.read()?)?),
        "locate" => Answer::Json(locate_query(app, user, &params.read()?)?),
        "heatmap" => Answer::Json(heatmap_query(app, user, &params.read()?)?),
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown query {other:?}; queries are {QUERY_NAMES}"
            )));
        }
    })
}

/// Whether a query is answered on a blocking thread: a heat map finds a
/// cell per point (a third of a second for a city of a million staff), and
/// on one of the two async workers of a two-core server it would hold up
/// every fix, query and push queued behind it meanwhile.
fn heavy(query: &str) -> bool {
    query == "heatmap"
}

/// [`run_query`] on a blocking thread when the query is [`heavy`].
///
/// # Errors
/// As [`run_query`].
pub async fn answer_query(
    app: &Arc<App>,
    user: &Arc<User>,
    query: &str,
    params: serde_json::Map<String, Value>,
) -> ApiResult<Answer> {
    if !heavy(query) {
        return run_query(app, user, query, Params::Map(params));
    }
    let (a, user, query) = (app.clone(), user.clone(), query.to_owned());
    off_worker(app, "answering a query", move || {
        run_query(&a, &user, &query, Params::Map(params))
    })
    .await
}

/// Most queries in one batch.
pub const MAX_BATCH_QUERIES: usize = 1_000;

/// `POST /api/dispatch/batch`: many queries in one request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The queries, answered in order.
    pub queries: Vec<BatchQuery>,
}

/// One query of a batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// Its name (`nearest`, `cameras`, `nearby`, `locate`, `heatmap`).
    pub query: String,
    /// Its parameters, as the REST query's, as JSON values (kept as text
    /// until the query's own type reads them).
    #[serde(default)]
    pub params: Option<Box<RawValue>>,
}

/// A batch's answer.
#[derive(Debug, Serialize)]
pub struct BatchAnswer {
    results: Vec<BatchResult>,
}

/// One query's result in a batch: its answer or its own error.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum BatchResult {
    Answered {
        query: String,
        data: Answer,
    },
    Failed {
        query: String,
        error: &'static str,
        message: String,
    },
}

/// `POST /api/dispatch/batch`: up to [`MAX_BATCH_QUERIES`] queries answered
/// in order in one round trip, each with its answer (`data`) or its own
/// error (`error`, `message`): one bad query does not spoil the others. A
/// dispatcher's console or a gateway asking for many incidents at once
/// pays one request, one authentication and one JSON parse for all.
pub async fn batch(
    State(app): State<Arc<App>>,
    p: Principal,
    Json(b): Json<Batch>,
) -> ApiResult<Json<BatchAnswer>> {
    if b.queries.len() > MAX_BATCH_QUERIES {
        return Err(ApiError::TooLarge(format!(
            "{} queries in one batch; the limit is {MAX_BATCH_QUERIES}",
            b.queries.len()
        )));
    }
    let results = if b.queries.iter().any(|q| heavy(&q.query)) {
        let a = app.clone();
        off_worker(&app, "answering a query", move || {
            Ok(answer_batch(&a, &p.user, b.queries))
        })
        .await?
    } else {
        answer_batch(&app, &p.user, b.queries)
    };
    Ok(Json(BatchAnswer { results }))
}

/// Each query of a batch answered, in order.
fn answer_batch(app: &App, user: &User, queries: Vec<BatchQuery>) -> Vec<BatchResult> {
    queries
        .into_iter()
        .map(
            |q| match run_query(app, user, &q.query, Params::Raw(q.params.as_deref())) {
                Ok(data) => BatchResult::Answered {
                    query: q.query,
                    data,
                },
                Err(e) => BatchResult::Failed {
                    query: q.query,
                    error: e.code(),
                    message: e.message().to_owned(),
                },
            },
        )
        .collect()
}

/// `GET /api/dispatch/nearest`.
pub async fn nearest(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<NearestParams>,
) -> ApiResult<Json<Box<RawValue>>> {
    nearest_text(&app, &p.user, &q).map(Json)
}

/// `GET /api/dispatch/cameras`.
pub async fn cameras(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<PointParams>,
) -> ApiResult<Json<Value>> {
    cameras_query(&app, &p.user, &q).map(Json)
}

/// `GET /api/dispatch/nearby`.
pub async fn nearby(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<NearbyParams>,
) -> ApiResult<Json<Value>> {
    nearby_query(&app, &p.user, &q).map(Json)
}

/// `GET /api/dispatch/locate`.
pub async fn locate(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<PointParams>,
) -> ApiResult<Json<Value>> {
    locate_query(&app, &p.user, &q).map(Json)
}

/// `GET /api/heatmap`.
pub async fn heatmap(
    State(app): State<Arc<App>>,
    p: Principal,
    Query(q): Query<HeatmapParams>,
) -> ApiResult<Json<Value>> {
    let a = app.clone();
    off_worker(&app, "answering a query", move || {
        heatmap_query(&a, &p.user, &q)
    })
    .await
    .map(Json)
}
