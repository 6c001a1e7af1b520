//! OGC API - Features (Part 1: Core, GeoJSON) at `/ogc`, and layer import.
//!
//! Read-only clients (GDAL's OAPIF driver, QGIS, web maps) read every
//! layer as GeoJSON:
//!
//! - `GET /ogc` — the landing page; `GET /ogc/conformance`.
//! - `GET /ogc/collections`, `GET /ogc/collections/{collectionId}` — `areas`,
//!   `staff`, `cameras`, `risk_sources`, `key_places`, `incidents`
//!   (read-only: they come from the incident API).
//! - `GET /ogc/collections/{collectionId}/items?bbox=&limit=&offset=&datetime=`
//!   — a page of features in a stable order (by id; an area's id is its
//!   code), with `numberMatched`, `numberReturned` and `next`/`prev` links.
//!   `limit` defaults to 100; larger than `max_page` (10,000) is clamped.
//!   `bbox` is `west,south,east,north` in CRS84 (six numbers with heights are
//!   accepted, the heights ignored; west > east crosses the antimeridian).
//!   `datetime` (an RFC 3339 instant or date, or an interval `a/b` with `..`
//!   for an open end) filters staff by the time of their last fix; the other
//!   collections have no time and accept and ignore it (an empty `datetime`
//!   is no filter). The areas collection also takes
//!   `level=city|district|street|community|grid` (other collections check
//!   and ignore it).
//! - `GET /ogc/collections/{collectionId}/items/{featureId}` — one feature.
//!
//! Every answer is limited to the user's area (分级授权): areas in their
//! subtree, staff whose home grid is in it, other features whose grid is in
//! it; anything else is 404. Every route needs a token: GDAL sends one with
//! `GDAL_HTTP_HEADERS="Authorization: Bearer <token>"` (QGIS: an
//! authentication configuration with an `Authorization` header); a token
//! given as `?token=` is carried into the paging links.
//!
//! Administrators import layers:
//! `POST /ogc/collections/{collectionId}/items?mode=merge|replace` with a
//! GeoJSON FeatureCollection. Every feature is validated before anything is
//! written; one bad feature refuses the whole import with its index and the
//! reason. The store commits the layer in one transaction, then the engine
//! takes it, then every live viewer gets a fresh snapshot.

use std::fmt::{Display, Write as _};
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, SecondsFormat};
use geo::BoundingRect;
use geojson::{Feature, JsonObject, feature::Id};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{Value, json};

use super::auth::Principal;
use super::error::{ApiError, ApiResult};
use crate::app::App;
use crate::identity::Scope;
use crate::identity::UserRole;
use crate::incident::Book;
use crate::live::{Event, Layers, Reach};
use crate::store::{LayerData, WriteMode};
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, parse_area, parse_camera, parse_key_place,
    parse_risk_source, parse_staff, risk_source_feature, staff_feature,
};
use riskmap_engine::layer::{Shape, split_bbox};
use riskmap_engine::model::{Area, AreaLevel, Camera, KeyPlace, RiskSource, Staff};
use riskmap_engine::sphere;
use riskmap_engine::{AreaTree, Engine, EngineError, Layer, LayerItem, check_bbox};

/// The one CRS every collection is served in.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The conformance classes implemented.
pub const CONFORMS_TO: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
];

/// Items per page when the request names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;

const GEOJSON: &str = "application/geo+json";
const TRS_GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
/// Longest feature id an import accepts.
const MAX_ID_LEN: usize = 256;

/// Imports run one at a time, so the store and the engine see them in the
/// same order.
static IMPORT_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The `/ogc` routes (nested under `/ogc`).
pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/collections", get(collections))
        .route("/collections/{collectionId}", get(collection))
        .route("/collections/{collectionId}/items", get(items).post(import))
        .route("/collections/{collectionId}/items/{featureId}", get(item))
}

// ---------------------------------------------------------------------------
// Collections

/// The collections riskmap serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    /// 区域: the governance tree.
    Areas,
    /// 工作人员: field staff at their last fix.
    Staff,
    /// 视频监控.
    Cameras,
    /// 风险源.
    RiskSources,
    /// 重点场所.
    KeyPlaces,
    /// 事件, read-only.
    Incidents,
}

impl Coll {
    /// Every collection, in listing order.
    pub const ALL: [Coll; 6] = [
        Coll::Areas,
        Coll::Staff,
        Coll::Cameras,
        Coll::RiskSources,
        Coll::KeyPlaces,
        Coll::Incidents,
    ];

    /// The collection id.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Coll::Areas => "areas",
            Coll::Staff => "staff",
            Coll::Cameras => "cameras",
            Coll::RiskSources => "risk_sources",
            Coll::KeyPlaces => "key_places",
            Coll::Incidents => "incidents",
        }
    }

    /// A collection by id; 404 naming the valid ids otherwise.
    pub fn parse(id: &str) -> ApiResult<Coll> {
        Coll::ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no collection {id:?}; collections are {}",
                Coll::ALL.map(Coll::id).join(", ")
            ))
        })
    }

    fn title(self) -> &'static str {
        match self {
            Coll::Areas => "网格区域 Governance areas",
            Coll::Staff => "工作人员 Field staff",
            Coll::Cameras => "视频监控 Cameras",
            Coll::RiskSources => "风险源 Risk sources",
            Coll::KeyPlaces => "重点场所 Key places",
            Coll::Incidents => "事件 Incidents",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Coll::Areas => {
                "The governance tree (城市 → 区县 → 街镇 → 社区/村 → 网格) as MultiPolygons; the feature id is \
                 the area code. Filter by level with level=city|district|street|community|grid. datetime is \
                 accepted and ignored."
            }
            Coll::Staff => {
                "Field staff at their last position fix (no geometry before the first fix). datetime filters by \
                 the time of the last fix (properties.last_fix.fix_time_ms)."
            }
            Coll::Cameras => {
                "Cameras as points with heading, field of view and range. datetime is accepted and ignored."
            }
            Coll::RiskSources => {
                "Risk sources (level 1 major/red to 4 low/blue) as points or polygons. datetime is accepted and \
                 ignored."
            }
            Coll::KeyPlaces => {
                "Key places (schools, hospitals, markets...) as points or polygons. datetime is accepted and ignored."
            }
            Coll::Incidents => {
                "Incidents of the closed loop (事件) as points, with their state, clock and warning level (see \
                 docs/protocol.md). datetime filters by the time reported. Read-only: incidents come from the \
                 incident API, never from an import."
            }
        }
    }

    /// The id key inside a feature's `properties`.
    fn id_key(self) -> &'static str {
        if self == Coll::Areas { "code" } else { "id" }
    }
}

// ---------------------------------------------------------------------------
// Handlers

/// `GET /ogc`: the landing page.
async fn landing(_p: Principal, headers: HeaderMap) -> Json<Value> {
    let root = server_root(&headers);
    let ogc = format!("{root}/ogc");
    Json(json!({
        "title": "riskmap 网格化社会治理一张图",
        "description": "OGC API - Features over riskmap's live layers: governance areas, field staff, cameras, \
                        risk sources, key places and incidents. Every request needs a bearer token \
                        (POST /api/auth/login); GDAL: GDAL_HTTP_HEADERS=\"Authorization: Bearer <token>\".",
        "links": [
            link(&ogc, "self", "application/json", "This document"),
            link(&format!("{ogc}/conformance"), "conformance", "application/json", "Conformance classes"),
            link(&format!("{ogc}/collections"), "data", "application/json", "The collections"),
            link(
                &format!("{root}/api/openapi.json"),
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "The API definition (OpenAPI 3.0)"
            ),
        ],
    }))
}

/// `GET /ogc/conformance`.
async fn conformance(_p: Principal) -> Json<Value> {
    Json(json!({ "conformsTo": CONFORMS_TO }))
}

/// `GET /ogc/collections`.
async fn collections(State(app): State<Arc<App>>, p: Principal, headers: HeaderMap) -> Json<Value> {
    let root = server_root(&headers);
    let engine = app.engine.read();
    let scope = Scope::of(&p.user, engine.areas());
    let list: Vec<Value> = Coll::ALL
        .into_iter()
        .map(|c| collection_json(&root, &engine, scope, c))
        .collect();
    Json(json!({
        "links": [link(&format!("{root}/ogc/collections"), "self", "application/json", "The collections")],
        "collections": list,
    }))
}

/// `GET /ogc/collections/{collectionId}`.
async fn collection(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let coll = Coll::parse(&id)?;
    let engine = app.engine.read();
    let scope = Scope::of(&p.user, engine.areas());
    Ok(Json(collection_json(
        &server_root(&headers),
        &engine,
        scope,
        coll,
    )))
}

/// `GET /ogc/collections/{collectionId}/items`: a page of features.
async fn items(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let coll = Coll::parse(&id)?;
    let q = parse_items_query(&query_pairs(raw.as_deref())?, app.limits.max_page, coll)?;
    let (matched, features) = {
        let engine = app.engine.read();
        let book = app.incidents.book();
        let scope = Scope::of(&p.user, engine.areas());
        let found = matches(&engine, &book, scope, coll, &q);
        let matched = found.len();
        let features: Vec<Feature> = page(found, q.offset, q.limit)
            .into_iter()
            .filter_map(|(_, i)| feature_at(&app, &engine, &book, coll, i))
            .collect();
        (matched, features)
    };
    let url = format!(
        "{}/ogc/collections/{}/items",
        server_root(&headers),
        coll.id()
    );
    let returned = features.len();
    let body = json!({
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": now_rfc3339(),
        "links": paging_links(&url, &q, matched, returned),
    });
    Ok(geojson_response(&body))
}

/// `GET /ogc/collections/{collectionId}/items/{featureId}`: one feature.
async fn item(
    State(app): State<Arc<App>>,
    p: Principal,
    Path((id, fid)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let coll = Coll::parse(&id)?;
    let token = only_params(&query_pairs(raw.as_deref())?, &["f", "token"])?;
    let feature = {
        let engine = app.engine.read();
        let book = app.incidents.book();
        let scope = Scope::of(&p.user, engine.areas());
        find_visible(&app, &engine, &book, scope, coll, &fid)
    }
    .ok_or_else(|| ApiError::NotFound(format!("no feature {fid:?} in {}", coll.id())))?;
    let coll_url = format!("{}/ogc/collections/{}", server_root(&headers), coll.id());
    let mut body = serde_json::to_value(&feature).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["links"] = json!([
        link(
            &with_query(
                &format!("{coll_url}/items/{}", encode_segment(&fid)),
                &token
            ),
            "self",
            GEOJSON,
            "This feature"
        ),
        link(&coll_url, "collection", "application/json", coll.title()),
    ]);
    Ok(geojson_response(&body))
}

/// `POST /ogc/collections/{collectionId}/items?mode=merge|replace`: imports
/// a FeatureCollection into a layer (system administrators only).
async fn import(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    p.require(&[UserRole::Admin])?;
    if Scope::of(&p.user, app.engine.read().areas()) != Scope::All {
        return Err(ApiError::Forbidden(
            "imports change whole layers: they need the system administrator (bound to no area)"
                .into(),
        ));
    }
    let coll = Coll::parse(&id)?;
    let mode = parse_mode(&query_pairs(raw.as_deref())?)?;
    let body = body.map_err(|r| body_error(&r))?;
    if coll == Coll::Incidents {
        return Err(ApiError::BadRequest(
            "incidents cannot be imported; they come from the incident workflow".into(),
        ));
    }
    let _one_at_a_time = IMPORT_LOCK.lock().await;
    let prepared = {
        let app = app.clone();
        tokio::task::spawn_blocking(move || prepare(&app, coll, mode, &body))
            .await
            .map_err(|e| ApiError::Internal(format!("the import task failed: {e}")))??
    };
    app.store.write_layer(&prepared.store, mode).await?;
    let Prepared {
        change,
        imported,
        total,
        ..
    } = prepared;
    {
        let app = app.clone();
        tokio::task::spawn_blocking(move || apply(&mut app.engine.write(), change))
            .await
            .map_err(|e| ApiError::Internal(format!("the import task failed: {e}")))?
            .map_err(|e| {
                ApiError::Internal(format!(
                    "the store took the import but the engine refused it: {e}"
                ))
            })?;
    }
    announce(&app, coll);
    tracing::info!(
        layer = coll.id(),
        mode = mode_name(mode),
        imported,
        total,
        "layer imported"
    );
    Ok(Json(json!({
        "layer": coll.id(),
        "mode": mode_name(mode),
        "imported": imported,
        "total": total,
    })))
}

/// Tells every live viewer: a fresh snapshot, and which layer changed (a
/// client reloads what snapshots do not carry, e.g. the area outlines).
fn announce(app: &App, coll: Coll) {
    app.hub.resync_all();
    let every_layer = Layers::parse(&Layers::NAMES.map(|(n, _)| n.to_owned())).unwrap_or_default();
    app.hub.publish(Event {
        text: json!({ "type": "layer_changed", "layer": coll.id() })
            .to_string()
            .into(),
        layer: every_layer,
        reach: Reach::Everyone,
        at: None,
    });
}

fn body_error(r: &BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!(
            "the import is larger than the body limit (--max-body-bytes): {}",
            r.body_text()
        ))
    } else {
        ApiError::BadRequest(format!("cannot read the body: {}", r.body_text()))
    }
}

fn geojson_response(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON))],
        body.to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// Metadata

fn link(href: &str, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

fn collection_json(root: &str, engine: &Engine, scope: Scope, coll: Coll) -> Value {
    let url = format!("{root}/ogc/collections/{}", coll.id());
    let mut v = json!({
        "id": coll.id(),
        "title": coll.title(),
        "description": coll.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            link(&url, "self", "application/json", coll.title()),
            link(&format!("{url}/items"), "items", GEOJSON, coll.title()),
        ],
    });
    let mut extent = serde_json::Map::new();
    if let Some(b) = spatial_extent(engine, scope, coll) {
        extent.insert("spatial".into(), json!({ "bbox": [b], "crs": CRS84 }));
    }
    if let Some((from, to)) = temporal_extent(engine, scope, coll) {
        extent.insert(
            "temporal".into(),
            json!({ "interval": [[rfc3339_ms(from), rfc3339_ms(to)]], "trs": TRS_GREGORIAN }),
        );
    }
    if !extent.is_empty() {
        v["extent"] = Value::Object(extent);
    }
    v
}

/// A growing `[west, south, east, north]`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Bounds(Option<[f64; 4]>);

impl Bounds {
    fn add(&mut self, w: f64, s: f64, e: f64, n: f64) {
        self.0 = Some(match self.0 {
            None => [w, s, e, n],
            Some([a, b, c, d]) => [a.min(w), b.min(s), c.max(e), d.max(n)],
        });
    }

    fn add_shape(&mut self, shape: Shape<'_>) {
        match shape {
            Shape::Point(p) => self.add(p.x(), p.y(), p.x(), p.y()),
            Shape::Area(mp) => {
                if let Some(r) = mp.bounding_rect() {
                    self.add(r.min().x, r.min().y, r.max().x, r.max().y);
                }
            }
        }
    }
}

/// The box around what the user may see of a collection.
fn spatial_extent(engine: &Engine, scope: Scope, coll: Coll) -> Option<[f64; 4]> {
    let tree = engine.areas();
    let mut b = Bounds::default();
    match coll {
        Coll::Areas => {
            let roots: Vec<u32> = match scope {
                Scope::All => tree
                    .iter()
                    .filter(|(_, a)| a.parent.is_none())
                    .map(|(i, _)| i)
                    .collect(),
                Scope::Subtree(root) => vec![root],
                Scope::Nothing => Vec::new(),
            };
            for r in roots {
                b.add_shape(Shape::Area(&tree.get(r).geometry));
            }
        }
        Coll::Staff => {
            for (_, m) in engine.staff().iter() {
                if let Some(f) = m.fix
                    && scope.contains(m.home, tree)
                {
                    b.add(
                        f.position.lon,
                        f.position.lat,
                        f.position.lon,
                        f.position.lat,
                    );
                }
            }
        }
        Coll::Cameras => layer_bounds(engine.cameras(), tree, scope, &mut b),
        Coll::RiskSources => layer_bounds(engine.risk_sources(), tree, scope, &mut b),
        Coll::KeyPlaces => layer_bounds(engine.key_places(), tree, scope, &mut b),
        Coll::Incidents => {}
    }
    b.0
}

fn layer_bounds<T: LayerItem>(layer: &Layer<T>, tree: &AreaTree, scope: Scope, b: &mut Bounds) {
    for (i, t) in layer.iter() {
        if scope.contains(layer.grid(i), tree) {
            b.add_shape(t.shape());
        }
    }
}

/// The first and last fix times of the staff the user may see.
fn temporal_extent(engine: &Engine, scope: Scope, coll: Coll) -> Option<(i64, i64)> {
    if coll != Coll::Staff {
        return None;
    }
    let tree = engine.areas();
    engine
        .staff()
        .iter()
        .filter(|(_, m)| scope.contains(m.home, tree))
        .filter_map(|(_, m)| m.fix.map(|f| f.fix_time_ms))
        .fold(None, |acc, t| match acc {
            None => Some((t, t)),
            Some((a, b)) => Some((a.min(t), b.max(t))),
        })
}

fn rfc3339_ms(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where the server is as the client sees it: `http://host:port`, honouring
/// `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Prefix` from a
/// reverse proxy. Without a usable host, links are absolute paths.
fn server_root(headers: &HeaderMap) -> String {
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let prefix = first("x-forwarded-prefix")
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| {
            p.starts_with('/')
                && p.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"/-._~".contains(&c))
        })
        .unwrap_or("");
    let host = first("x-forwarded-host")
        .or_else(|| first("host"))
        .filter(|h| {
            h.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-:[]".contains(&c))
        });
    match host {
        Some(host) => {
            let scheme = match first("x-forwarded-proto") {
                Some("https") => "https",
                _ => "http",
            };
            format!("{scheme}://{host}{prefix}")
        }
        None => prefix.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Query parameters

/// The decoded query string, as key/value pairs.
fn query_pairs(raw: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("cannot read the query string: {e}")))
}

/// Refuses parameters outside `allowed` and repeated ones; returns `token`
/// if one was given (to carry into links).
fn only_params(pairs: &[(String, String)], allowed: &[&str]) -> ApiResult<Vec<(String, String)>> {
    let mut seen = FxHashSet::default();
    for (k, _) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?}; this request takes {}",
                allowed.join(", ")
            )));
        }
        if !seen.insert(k.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "parameter {k:?} is given twice"
            )));
        }
    }
    Ok(pairs
        .iter()
        .filter(|(k, _)| k == "token")
        .cloned()
        .collect())
}

/// What an items request asks for.
#[derive(Debug, Clone, PartialEq)]
struct ItemsQuery {
    bbox: Option<[f64; 4]>,
    limit: usize,
    offset: usize,
    datetime: Option<TimeFilter>,
    level: Option<AreaLevel>,
    /// The parameters every paging link repeats (all but limit and offset),
    /// as given.
    carried: Vec<(String, String)>,
}

const ITEMS_PARAMS: [&str; 8] = [
    "bbox", "bbox-crs", "limit", "offset", "datetime", "level", "f", "token",
];

fn parse_items_query(
    pairs: &[(String, String)],
    max_page: usize,
    coll: Coll,
) -> ApiResult<ItemsQuery> {
    let pairs = &join_repeated(pairs, "bbox");
    only_params(pairs, &ITEMS_PARAMS)?;
    let mut q = ItemsQuery {
        bbox: None,
        limit: DEFAULT_LIMIT.min(max_page),
        offset: 0,
        datetime: None,
        level: None,
        carried: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "bbox" => q.bbox = Some(parse_bbox(v)?),
            "bbox-crs" if v != CRS84 => {
                return Err(ApiError::BadRequest(format!(
                    "bbox-crs must be {CRS84}, got {v:?}"
                )));
            }
            "limit" => q.limit = parse_limit(v, max_page)?,
            "offset" => {
                let n = whole(v).ok_or_else(|| {
                    ApiError::BadRequest(format!("offset must be a whole number from 0, got {v:?}"))
                })?;
                q.offset = usize::try_from(n).unwrap_or(usize::MAX);
            }
            // An empty datetime is no filter.
            "datetime" if !v.trim().is_empty() => {
                q.datetime = Some(parse_datetime(v).map_err(ApiError::BadRequest)?);
            }
            // Checked everywhere, applied to areas only (like datetime, which
            // applies to staff only).
            "level" => {
                let level = parse_level(v)?;
                q.level = (coll == Coll::Areas).then_some(level);
            }
            "f" if !matches!(v.as_str(), "json" | "geojson") => {
                return Err(ApiError::BadRequest(format!(
                    "f must be json or geojson, got {v:?}"
                )));
            }
            _ => {}
        }
        if !matches!(k.as_str(), "limit" | "offset") {
            q.carried.push((k.clone(), v.clone()));
        }
    }
    Ok(q)
}

/// The values of a repeated parameter joined with commas, in place of the
/// first (OpenAPI's exploded form: `bbox=1&bbox=2&bbox=3&bbox=4`).
fn join_repeated(pairs: &[(String, String)], key: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out
            .iter_mut()
            .find(|(ok, _)| ok == key)
            .filter(|_| k == key)
        {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(v);
            }
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// `west,south,east,north`, or six numbers with heights
/// (`west,south,min_height,east,north,max_height`; the heights are ignored).
fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::BadRequest(format!("bbox must be comma-separated numbers, got {s:?}"))
        })?;
    let b = match v.as_slice() {
        [w, s, e, n] | [w, s, _, e, n, _] => [*w, *s, *e, *n],
        _ => {
            return Err(ApiError::BadRequest(format!(
                "bbox needs 4 numbers (west,south,east,north) or 6 (with heights), got {}",
                v.len()
            )));
        }
    };
    check_bbox(b)?;
    Ok(b)
}

/// A whole number; one too large for 64 bits is taken as the largest.
fn whole(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.parse::<u64>().unwrap_or(u64::MAX))
}

fn parse_limit(s: &str, max_page: usize) -> ApiResult<usize> {
    match whole(s) {
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max_page)),
        _ => Err(ApiError::BadRequest(format!(
            "limit must be a whole number from 1 (larger than {max_page} is taken as {max_page}), got {s:?}"
        ))),
    }
}

fn parse_level(s: &str) -> ApiResult<AreaLevel> {
    AreaLevel::ALL
        .into_iter()
        .find(|l| {
            serde_json::to_value(l)
                .ok()
                .as_ref()
                .and_then(Value::as_str)
                == Some(s)
        })
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "level must be city, district, street, community or grid, got {s:?}"
            ))
        })
}

fn parse_mode(pairs: &[(String, String)]) -> ApiResult<WriteMode> {
    only_params(pairs, &["mode", "token", "f"])?;
    match pairs
        .iter()
        .find(|(k, _)| k == "mode")
        .map(|(_, v)| v.as_str())
    {
        None | Some("merge") => Ok(WriteMode::Merge),
        Some("replace") => Ok(WriteMode::Replace),
        Some(other) => Err(ApiError::BadRequest(format!(
            "mode must be merge or replace, got {other:?}"
        ))),
    }
}

fn mode_name(mode: WriteMode) -> &'static str {
    match mode {
        WriteMode::Merge => "merge",
        WriteMode::Replace => "replace",
    }
}

/// A time filter: both ends inclusive, epoch milliseconds; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimeFilter {
    from: Option<i64>,
    to: Option<i64>,
}

impl TimeFilter {
    fn contains(self, t: i64) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// An OGC `datetime`: an instant (`2026-01-01T00:00:00Z`, or a date, which
/// is the whole day), or an interval `start/end` where either end may be
/// `..` or empty (open).
fn parse_datetime(s: &str) -> Result<TimeFilter, String> {
    let open = |p: &str| p.is_empty() || p == "..";
    if let Some((a, b)) = s.split_once('/') {
        let from = if open(a) {
            None
        } else {
            Some(instant_bounds(a)?.0)
        };
        let to = if open(b) {
            None
        } else {
            Some(instant_bounds(b)?.1)
        };
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(format!("datetime {s:?} ends before it starts"));
        }
        return Ok(TimeFilter { from, to });
    }
    if open(s) {
        return Err(
            "datetime needs an instant, or an interval start/end with .. for an open end".into(),
        );
    }
    let (from, to) = instant_bounds(s)?;
    Ok(TimeFilter {
        from: Some(from),
        to: Some(to),
    })
}

/// The first and last millisecond an RFC 3339 date-time or full date names.
fn instant_bounds(s: &str) -> Result<(i64, i64), String> {
    let s = s.trim();
    // An unescaped '+' of a time zone arrives as a space.
    let plus = s
        .rfind(' ')
        .filter(|&i| i > 10)
        .map(|i| format!("{}+{}", &s[..i], &s[i + 1..]));
    for text in std::iter::once(s).chain(plus.as_deref()) {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
            let ms = t.timestamp_millis();
            return Ok((ms, ms));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(start) = d.and_hms_opt(0, 0, 0)
    {
        let ms = start.and_utc().timestamp_millis();
        return Ok((ms, ms + 86_400_000 - 1));
    }
    Err(format!(
        "cannot read the time {s:?}: use RFC 3339 (2026-01-01T08:00:00Z) or a date (2026-01-01)"
    ))
}

/// `self`, `next` (only while more remain), `prev` and `collection` links
/// of a page; each repeats the request's parameters.
fn paging_links(items_url: &str, q: &ItemsQuery, matched: usize, returned: usize) -> Vec<Value> {
    let page_url = |offset: usize| {
        let mut params = q.carried.clone();
        params.push(("limit".into(), q.limit.to_string()));
        if offset > 0 {
            params.push(("offset".into(), offset.to_string()));
        }
        with_query(items_url, &params)
    };
    let mut links = vec![link(&page_url(q.offset), "self", GEOJSON, "This page")];
    if q.offset.saturating_add(returned) < matched && returned > 0 {
        links.push(link(
            &page_url(q.offset + returned),
            "next",
            GEOJSON,
            "The next page",
        ));
    }
    if q.offset > 0 {
        let prev = q
            .offset
            .saturating_sub(q.limit)
            .min(matched.saturating_sub(1));
        links.push(link(&page_url(prev), "prev", GEOJSON, "The previous page"));
    }
    let coll_url = items_url.strip_suffix("/items").unwrap_or(items_url);
    links.push(link(
        coll_url,
        "collection",
        "application/json",
        "The collection",
    ));
    links
}

fn with_query(url: &str, params: &[(String, String)]) -> String {
    if params.is_empty() {
        return url.to_owned();
    }
    format!(
        "{url}?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

/// Percent-encodes a path segment (a feature id).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Selecting features

/// Every visible feature matching the query, as (id, index), unordered.
fn matches<'e>(
    engine: &'e Engine,
    book: &'e Book,
    scope: Scope,
    coll: Coll,
    q: &ItemsQuery,
) -> Vec<(&'e str, u32)> {
    let tree = engine.areas();
    let crosses = q.bbox.is_some_and(|[w, _, e, _]| w > e);
    let mut out: Vec<(&str, u32)> = match coll {
        Coll::Areas => {
            let idxs: Vec<u32> = match q.bbox {
                Some(b) => split_bbox(b)
                    .into_iter()
                    .flat_map(|r| tree.in_bbox(r, q.level).collect::<Vec<_>>())
                    .collect(),
                None => tree
                    .iter()
                    .filter(|(_, a)| q.level.is_none_or(|l| a.level == l))
                    .map(|(i, _)| i)
                    .collect(),
            };
            idxs.into_iter()
                .filter(|&i| scope.contains(Some(i), tree))
                .map(|i| (tree.get(i).code.as_str(), i))
                .collect()
        }
        Coll::Staff => {
            let staff = engine.staff();
            let idxs: Vec<u32> = match q.bbox {
                Some(b) => staff.in_bbox(b),
                None => staff.iter().map(|(i, _)| i).collect(),
            };
            idxs.into_iter()
                .filter_map(|i| {
                    let m = staff.get(i)?;
                    let when = q
                        .datetime
                        .is_none_or(|t| m.fix.is_some_and(|f| t.contains(f.fix_time_ms)));
                    (when && scope.contains(m.home, tree)).then_some((m.id.as_str(), i))
                })
                .collect()
        }
        Coll::Cameras => layer_matches(engine.cameras(), tree, scope, q.bbox),
        Coll::RiskSources => layer_matches(engine.risk_sources(), tree, scope, q.bbox),
        Coll::KeyPlaces => layer_matches(engine.key_places(), tree, scope, q.bbox),
        Coll::Incidents => book
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                let i = &e.incident;
                scope.contains(tree.idx(&i.grid), tree)
                    && q.bbox.is_none_or(|b| sphere::in_bbox(b, i.position))
                    && q.datetime.is_none_or(|t| t.contains(i.created_ms))
            })
            .map(|(n, e)| (e.incident.id.as_str(), n as u32))
            .collect(),
    };
    if crosses {
        out.sort_unstable();
        out.dedup();
    }
    out
}

fn layer_matches<'e, T: LayerItem>(
    layer: &'e Layer<T>,
    tree: &AreaTree,
    scope: Scope,
    bbox: Option<[f64; 4]>,
) -> Vec<(&'e str, u32)> {
    let visible = |i: u32| scope.contains(layer.grid(i), tree);
    match bbox {
        Some(b) => layer
            .in_bbox(b)
            .into_iter()
            .filter(|&i| visible(i))
            .filter_map(|i| Some((layer.get(i)?.id(), i)))
            .collect(),
        None => layer
            .iter()
            .filter(|&(i, _)| visible(i))
            .map(|(i, t)| (t.id(), i))
            .collect(),
    }
}

/// Items `offset..offset + limit` of `v` in sorted order, without sorting
/// all of it: two selections and a sort of the page.
fn page<K: Ord>(mut v: Vec<K>, offset: usize, limit: usize) -> Vec<K> {
    if offset >= v.len() || limit == 0 {
        return Vec::new();
    }
    if offset > 0 {
        v.select_nth_unstable(offset);
    }
    let mut rest = v.split_off(offset);
    if limit < rest.len() {
        rest.select_nth_unstable(limit);
        rest.truncate(limit);
    }
    rest.sort_unstable();
    rest
}

fn feature_at(app: &App, engine: &Engine, book: &Book, coll: Coll, i: u32) -> Option<Feature> {
    match coll {
        Coll::Areas => Some(area_feature(engine.areas().get(i))),
        Coll::Staff => Some(staff_feature(&engine.staff().get(i)?.to_staff())),
        Coll::Cameras => Some(camera_feature(engine.cameras().get(i)?)),
        Coll::RiskSources => Some(risk_source_feature(engine.risk_sources().get(i)?)),
        Coll::KeyPlaces => Some(key_place_feature(engine.key_places().get(i)?)),
        Coll::Incidents => {
            let e = book.at(i as usize)?;
            let Ok(Value::Object(props)) =
                serde_json::to_value(app.incidents.view(engine, e, crate::clock::now_ms()))
            else {
                return None;
            };
            let p = e.incident.position;
            Some(Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::new_point([
                    p.lon, p.lat,
                ]))),
                id: Some(Id::String(e.incident.id.clone())),
                properties: Some(props),
                foreign_members: None,
            })
        }
    }
}

/// A feature by id, if the user may see it.
fn find_visible(
    app: &App,
    engine: &Engine,
    book: &Book,
    scope: Scope,
    coll: Coll,
    fid: &str,
) -> Option<Feature> {
    let tree = engine.areas();
    let idx = match coll {
        Coll::Areas => tree.idx(fid).filter(|&i| scope.contains(Some(i), tree)),
        Coll::Staff => engine.staff().find(fid).filter(|&i| {
            engine
                .staff()
                .get(i)
                .is_some_and(|m| scope.contains(m.home, tree))
        }),
        Coll::Cameras => visible_in(engine.cameras(), tree, scope, fid),
        Coll::RiskSources => visible_in(engine.risk_sources(), tree, scope, fid),
        Coll::KeyPlaces => visible_in(engine.key_places(), tree, scope, fid),
        Coll::Incidents => book
            .index_of(fid)
            .filter(|&n| {
                book.at(n)
                    .is_some_and(|e| scope.contains(tree.idx(&e.incident.grid), tree))
            })
            .map(|n| n as u32),
    }?;
    feature_at(app, engine, book, coll, idx)
}

fn visible_in<T: LayerItem>(
    layer: &Layer<T>,
    tree: &AreaTree,
    scope: Scope,
    fid: &str,
) -> Option<u32> {
    layer
        .find(fid)
        .filter(|&i| scope.contains(layer.grid(i), tree))
}

// ---------------------------------------------------------------------------
// Import

/// A validated import: what the store writes and what the engine then does.
struct Prepared {
    store: LayerData,
    change: Change,
    imported: usize,
    total: usize,
}

/// What the engine does once the store has committed.
enum Change {
    /// The whole new tree, built and checked.
    Areas(Box<AreaTree>),
    /// Staff to upsert (with live positions kept); with `replace`, everyone
    /// else goes.
    Staff { staff: Vec<Staff>, replace: bool },
    /// The whole new cameras layer.
    Cameras(Vec<Camera>),
    /// Cameras to upsert.
    CameraUpserts(Vec<Camera>),
    /// The whole new risk sources layer.
    RiskSources(Vec<RiskSource>),
    /// The whole new key places layer.
    KeyPlaces(Vec<KeyPlace>),
}

fn bad(index: usize, reason: impl Display) -> ApiError {
    ApiError::BadRequest(format!("feature {index}: {reason}"))
}

/// The features of a FeatureCollection document, each checked to be a
/// GeoJSON feature; 413 when there are more than `max`.
fn read_features(body: &[u8], max: usize, max_vertices: usize) -> ApiResult<Vec<Feature>> {
    let doc: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(ApiError::BadRequest(
            "the body must be a GeoJSON FeatureCollection".into(),
        ));
    }
    let Some(Value::Array(features)) = doc.get("features") else {
        return Err(ApiError::BadRequest(
            "the FeatureCollection has no features array".into(),
        ));
    };
    if features.len() > max {
        return Err(ApiError::TooLarge(format!(
            "{} features is more than the limit of {max} per import",
            features.len()
        )));
    }
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = serde_json::from_value::<Feature>(f.clone())
                .map_err(|e| bad(i, format!("not a GeoJSON feature: {e}")))?;
            let n = f.geometry.as_ref().map_or(0, |g| vertex_count(&g.value));
            if n > max_vertices {
                return Err(bad(
                    i,
                    format!("{n} vertices is more than the limit of {max_vertices} per feature"),
                ));
            }
            Ok(f)
        })
        .collect()
}

/// Positions in a geometry.
fn vertex_count(g: &geojson::GeometryValue) -> usize {
    use geojson::GeometryValue as G;
    match g {
        G::Point { .. } => 1,
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.len(),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => {
            coordinates.iter().map(Vec::len).sum()
        }
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        G::GeometryCollection { geometries } => {
            geometries.iter().map(|g| vertex_count(&g.value)).sum()
        }
    }
}

/// Takes the feature id as the id property when the properties lack one;
/// refuses a feature whose two ids differ.
fn adopt_feature_id(f: &mut Feature, key: &str) -> Result<(), String> {
    let fid = match &f.id {
        Some(Id::String(s)) => Some(s.clone()),
        Some(Id::Number(n)) => Some(n.to_string()),
        None => None,
    };
    let props = f.properties.get_or_insert_with(JsonObject::new);
    match (fid, props.get(key)) {
        (Some(fid), None | Some(Value::Null)) => {
            props.insert(key.to_owned(), Value::String(fid));
        }
        (Some(fid), Some(Value::String(p))) if *p != fid => {
            return Err(format!(
                "the feature id {fid:?} differs from properties.{key} {p:?}"
            ));
        }
        _ => {}
    }
    Ok(())
}

/// Parses every feature, refusing the first bad one with its index; ids
/// must be present, short and unique within the import.
fn parse_each<T>(
    features: Vec<Feature>,
    key: &str,
    parse: impl Fn(&Feature) -> Result<T, EngineError>,
    id_of: impl Fn(&T) -> &str,
) -> ApiResult<Vec<T>> {
    let mut out = Vec::with_capacity(features.len());
    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
    for (i, mut f) in features.into_iter().enumerate() {
        adopt_feature_id(&mut f, key).map_err(|m| bad(i, m))?;
        let item = parse(&f).map_err(|e| bad(i, e))?;
        let id = id_of(&item);
        if id.trim().is_empty() || id.len() > MAX_ID_LEN {
            return Err(bad(
                i,
                format!("{key} must be 1 to {MAX_ID_LEN} characters"),
            ));
        }
        if let Some(j) = seen.insert(id.to_owned(), i) {
            return Err(bad(
                i,
                format!("duplicate {key} {id} (feature {j} has it too)"),
            ));
        }
        out.push(item);
    }
    Ok(out)
}

fn prepare(app: &App, coll: Coll, mode: WriteMode, body: &[u8]) -> ApiResult<Prepared> {
    let features = read_features(
        body,
        app.limits.max_import_features,
        app.limits.max_polygon_vertices,
    )?;
    let key = coll.id_key();
    match coll {
        Coll::Areas => prepare_areas(
            app,
            mode,
            parse_each(features, key, parse_area, |a| &a.code)?,
        ),
        Coll::Staff => prepare_staff(
            app,
            mode,
            parse_each(features, key, parse_staff, |s| &s.id)?,
        ),
        Coll::Cameras => {
            let cams = parse_each(features, key, parse_camera, |c| &c.id)?;
            let engine = app.engine.read();
            let imported = cams.len();
            let (change, total) = match mode {
                WriteMode::Replace => (Change::Cameras(cams.clone()), imported),
                WriteMode::Merge => {
                    let new = cams
                        .iter()
                        .filter(|c| engine.cameras().find(&c.id).is_none())
                        .count();
                    (
                        Change::CameraUpserts(cams.clone()),
                        engine.cameras().len() + new,
                    )
                }
            };
            Ok(Prepared {
                store: LayerData::Cameras(cams),
                change,
                imported,
                total,
            })
        }
        Coll::RiskSources => {
            let items = parse_each(features, key, parse_risk_source, |r| &r.id)?;
            let merged = merged_layer(app.engine.read().risk_sources(), &items, mode);
            Ok(Prepared {
                imported: items.len(),
                total: merged.len(),
                store: LayerData::RiskSources(items),
                change: Change::RiskSources(merged),
            })
        }
        Coll::KeyPlaces => {
            let items = parse_each(features, key, parse_key_place, |k| &k.id)?;
            let merged = merged_layer(app.engine.read().key_places(), &items, mode);
            Ok(Prepared {
                imported: items.len(),
                total: merged.len(),
                store: LayerData::KeyPlaces(items),
                change: Change::KeyPlaces(merged),
            })
        }
        Coll::Incidents => Err(ApiError::BadRequest(
            "incidents cannot be imported; they come from the incident workflow".into(),
        )),
    }
}

/// The layer after an import: the import alone (replace), or the current
/// features with imported ones replacing those of the same id in place and
/// new ones appended (merge).
fn merged_layer<T: LayerItem + Clone>(
    current: &Layer<T>,
    imported: &[T],
    mode: WriteMode,
) -> Vec<T> {
    if mode == WriteMode::Replace {
        return imported.to_vec();
    }
    merge_by_id(current.iter().map(|(_, t)| t), imported, T::id)
}

fn merge_by_id<'a, T: Clone + 'a>(
    current: impl Iterator<Item = &'a T>,
    imported: &[T],
    id: impl Fn(&T) -> &str,
) -> Vec<T> {
    let by_id: FxHashMap<&str, &T> = imported.iter().map(|t| (id(t), t)).collect();
    let mut used: FxHashSet<&str> = FxHashSet::default();
    let mut out: Vec<T> = current
        .map(|t| match by_id.get(id(t)) {
            Some(&new) => {
                used.insert(id(new));
                new.clone()
            }
            None => t.clone(),
        })
        .collect();
    out.extend(imported.iter().filter(|t| !used.contains(id(t))).cloned());
    out
}

fn prepare_areas(app: &App, mode: WriteMode, areas: Vec<Area>) -> ApiResult<Prepared> {
    let engine = app.engine.read();
    let tree = engine.areas();
    // Areas that stay keep their place (and so their index in the new tree,
    // as long as none before them goes): subscriptions hold area indexes.
    let merged = match mode {
        WriteMode::Replace => {
            let imported: FxHashMap<&str, &Area> =
                areas.iter().map(|a| (a.code.as_str(), a)).collect();
            let mut out: Vec<Area> = tree
                .iter()
                .filter_map(|(_, a)| imported.get(a.code.as_str()).map(|&n| n.clone()))
                .collect();
            out.extend(
                areas
                    .iter()
                    .filter(|a| tree.idx(&a.code).is_none())
                    .cloned(),
            );
            out
        }
        WriteMode::Merge => merge_by_id(tree.iter().map(|(_, a)| a), &areas, |a| &a.code),
    };
    check_tree(&areas, &merged)?;
    // Staff must keep their home grids.
    let codes: FxHashSet<&str> = merged.iter().map(|a| a.code.as_str()).collect();
    let orphans: Vec<String> = engine
        .staff()
        .iter()
        .filter(|(_, m)| m.home.is_some() && !codes.contains(m.home_grid.as_str()))
        .map(|(_, m)| format!("{} (home grid {})", m.id, m.home_grid))
        .collect();
    if let Some(first) = orphans.first() {
        return Err(ApiError::BadRequest(format!(
            "the new area tree drops the home grid of {} staff member(s), e.g. {first}; import their new home \
             grids first, or keep the grids",
            orphans.len()
        )));
    }
    let resolution = tree.locator().resolution();
    drop(engine);
    let total = merged.len();
    // Built here, outside the engine's lock, both to validate the tree and to
    // hand it to the engine as it is: the write lock is then held only to
    // swap it in.
    let built = AreaTree::build(merged, resolution)
        .map_err(|e| ApiError::BadRequest(format!("the area tree does not build: {e}")))?;
    Ok(Prepared {
        imported: areas.len(),
        total,
        store: LayerData::Areas(areas),
        change: Change::Areas(Box::new(built)),
    })
}

/// Checks each imported area against the tree it will be part of, naming
/// the feature: a parent that exists, one level up.
fn check_tree(imported: &[Area], all: &[Area]) -> ApiResult<()> {
    let levels: FxHashMap<&str, AreaLevel> =
        all.iter().map(|a| (a.code.as_str(), a.level)).collect();
    for (i, a) in imported.iter().enumerate() {
        match (&a.parent, a.level) {
            (None, AreaLevel::City) => {}
            (None, level) => return Err(bad(i, format!("a {level:?} area needs a parent"))),
            (Some(p), level) => match levels.get(p.as_str()) {
                None => return Err(bad(i, format!("unknown parent {p}"))),
                Some(pl) if pl.child() != Some(level) => {
                    return Err(bad(i, format!("a {level:?} cannot lie in {p}, a {pl:?}")));
                }
                Some(_) => {}
            },
        }
    }
    Ok(())
}

fn prepare_staff(app: &App, mode: WriteMode, mut staff: Vec<Staff>) -> ApiResult<Prepared> {
    let engine = app.engine.read();
    let roster = engine.staff();
    let mut devices: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, s) in staff.iter().enumerate() {
        if engine.areas().idx(&s.home_grid).is_none() {
            return Err(bad(i, format!("unknown home_grid {}", s.home_grid)));
        }
        if s.devices.len() > usize::from(u8::MAX) {
            return Err(bad(i, "a staff member may have at most 255 devices"));
        }
        for d in &s.devices {
            if d.is_empty() || d.len() > 128 {
                return Err(bad(i, "a device id must be 1 to 128 characters"));
            }
            if let Some(j) = devices.insert(d, i) {
                return Err(bad(i, format!("device {d} is listed by feature {j} too")));
            }
        }
    }
    if mode == WriteMode::Merge {
        let ids: FxHashSet<&str> = staff.iter().map(|s| s.id.as_str()).collect();
        for (d, &i) in &devices {
            if let Some(owner) = roster.find_device(d).and_then(|o| roster.get(o))
                && !ids.contains(owner.id.as_str())
            {
                return Err(bad(
                    i,
                    format!("device {d} already belongs to staff {}", owner.id),
                ));
            }
        }
    }
    // A live position newer than the imported one stays.
    for s in &mut staff {
        keep_newer_fix(s, roster);
    }
    let total = match mode {
        WriteMode::Replace => staff.len(),
        WriteMode::Merge => {
            roster.len()
                + staff
                    .iter()
                    .filter(|s| roster.find(&s.id).is_none())
                    .count()
        }
    };
    drop(engine);
    Ok(Prepared {
        imported: staff.len(),
        total,
        store: LayerData::Staff(staff.clone()),
        change: Change::Staff {
            staff,
            replace: mode == WriteMode::Replace,
        },
    })
}

fn keep_newer_fix(s: &mut Staff, roster: &riskmap_engine::StaffIndex) {
    if let Some(live) = roster
        .find(&s.id)
        .and_then(|i| roster.get(i))
        .and_then(|m| m.fix)
        && s.last_fix.is_none_or(|f| f.fix_time_ms < live.fix_time_ms)
    {
        s.last_fix = Some(live);
    }
}

/// Applies a committed import to the engine (under its write lock).
fn apply(engine: &mut Engine, change: Change) -> Result<(), EngineError> {
    match change {
        Change::Areas(tree) => {
            engine.replace_area_tree(*tree);
            Ok(())
        }
        Change::Staff { staff, replace } => apply_staff(engine, staff, replace),
        Change::Cameras(c) => engine.replace_cameras(c),
        Change::CameraUpserts(c) => c
            .into_iter()
            .try_for_each(|c| engine.upsert_camera(c).map(|_| ())),
        Change::RiskSources(r) => engine.replace_risk_sources(r),
        Change::KeyPlaces(k) => engine.replace_key_places(k),
    }
}

fn apply_staff(
    engine: &mut Engine,
    mut staff: Vec<Staff>,
    replace: bool,
) -> Result<(), EngineError> {
    if replace {
        let keep: FxHashSet<&str> = staff.iter().map(|s| s.id.as_str()).collect();
        let gone: Vec<String> = engine
            .staff()
            .iter()
            .filter(|(_, m)| !keep.contains(m.id.as_str()))
            .map(|(_, m)| m.id.to_string())
            .collect();
        for id in gone {
            engine.remove_staff(&id);
        }
    }
    for s in &mut staff {
        keep_newer_fix(s, engine.staff());
    }
    // Free the devices of everyone re-imported first, so a device may move
    // from one imported member to another.
    for s in &staff {
        if engine.staff().find(&s.id).is_some() {
            let bare = Staff {
                devices: Vec::new(),
                ..s.clone()
            };
            engine.upsert_staff(&bare)?;
        }
    }
    for s in &staff {
        engine.upsert_staff(s)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        query_pairs(Some(q)).unwrap()
    }

    #[test]
    fn bboxes_with_and_without_heights() {
        assert_eq!(
            parse_bbox("120,28,120.1,28.1").unwrap(),
            [120.0, 28.0, 120.1, 28.1]
        );
        assert_eq!(
            parse_bbox(" 120, 28, 0, 120.1, 28.1, 100").unwrap(),
            [120.0, 28.0, 120.1, 28.1]
        );
        assert_eq!(
            parse_bbox("170,-10,-170,10").unwrap(),
            [170.0, -10.0, -170.0, 10.0]
        );
        for bad in [
            "120,28,120.1",
            "120,28,120.1,28.1,5",
            "a,b,c,d",
            "120,28,120.1,NaN",
            "120,29,121,28",
            "",
            "200,0,201,1",
        ] {
            let e = parse_bbox(bad).unwrap_err();
            assert_eq!(e.code(), "bad_request", "{bad}");
        }
    }

    #[test]
    fn datetimes_instants_and_intervals() {
        let t = parse_datetime("2026-01-01T00:00:01Z").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: Some(1_767_225_601_000),
                to: Some(1_767_225_601_000)
            }
        );
        let t = parse_datetime("2026-01-01T08:00:00+08:00/..").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: Some(1_767_225_600_000),
                to: None
            }
        );
        // '+' decoded as a space by the query string.
        assert_eq!(parse_datetime("2026-01-01T08:00:00 08:00/..").unwrap(), t);
        let t = parse_datetime("../2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            t,
            TimeFilter {
                from: None,
                to: Some(1_767_225_600_000)
            }
        );
        let t = parse_datetime("2026-01-01").unwrap();
        assert!(
            t.contains(1_767_225_600_000)
                && t.contains(1_767_311_999_999)
                && !t.contains(1_767_312_000_000)
        );
        assert_eq!(
            parse_datetime("/").unwrap(),
            TimeFilter {
                from: None,
                to: None
            }
        );
        assert!(parse_datetime("../..").unwrap().contains(0));
        for bad in [
            "",
            "..",
            "yesterday",
            "2026-01-02T00:00:00Z/2026-01-01T00:00:00Z",
            "2026-13-01",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn items_query_defaults_limits_and_unknown_parameters() {
        let q = parse_items_query(&[], 10_000, Coll::Staff).unwrap();
        assert_eq!(
            (q.limit, q.offset, q.bbox, q.datetime),
            (100, 0, None, None)
        );
        let q = parse_items_query(
            &pairs("limit=50000&offset=7&bbox=1,2,3,4&token=t"),
            10_000,
            Coll::Cameras,
        )
        .unwrap();
        assert_eq!(
            (q.limit, q.offset),
            (10_000, 7),
            "a larger limit is clamped"
        );
        let huge = parse_items_query(
            &pairs("limit=99999999999999999999999&offset=99999999999999999999999"),
            10_000,
            Coll::Cameras,
        )
        .unwrap();
        assert_eq!((huge.limit, huge.offset), (10_000, usize::MAX));
        assert_eq!(
            q.carried,
            vec![
                ("bbox".into(), "1,2,3,4".into()),
                ("token".into(), "t".into())
            ]
        );
        let q = parse_items_query(
            &pairs("bbox=1&limit=5&bbox=2,3&bbox=4"),
            10_000,
            Coll::Areas,
        )
        .unwrap();
        assert_eq!(q.bbox, Some([1.0, 2.0, 3.0, 4.0]), "the exploded form");
        assert_eq!(q.carried, vec![("bbox".into(), "1,2,3,4".into())]);
        let q = parse_items_query(&pairs("level=grid"), 10_000, Coll::Areas).unwrap();
        assert_eq!(q.level, Some(AreaLevel::Grid));
        let q = parse_items_query(&pairs("level=grid&datetime="), 10_000, Coll::Staff).unwrap();
        assert_eq!((q.level, q.datetime), (None, None), "checked, not applied");
        for bad in [
            "limit=0",
            "limit=-1",
            "limit=x",
            "offset=-3",
            "nope=1",
            "limit=1&limit=2",
            "level=village",
            "f=xml",
            "bbox-crs=EPSG:4326",
            "datetime=soon",
        ] {
            let e = parse_items_query(&pairs(bad), 10_000, Coll::Staff).unwrap_err();
            assert_eq!(e.code(), "bad_request", "{bad}");
        }
        assert!(parse_items_query(&pairs("level=village"), 10_000, Coll::Areas).is_err());
    }

    #[test]
    fn pages_match_a_full_sort() {
        let v: Vec<u32> = (0..97).map(|i| (i * 37) % 97).collect();
        let mut sorted = v.clone();
        sorted.sort_unstable();
        for offset in [0, 1, 10, 96, 97, 200] {
            for limit in [1, 2, 10, 100] {
                let want: Vec<u32> = sorted.iter().copied().skip(offset).take(limit).collect();
                assert_eq!(
                    page(v.clone(), offset, limit),
                    want,
                    "offset {offset} limit {limit}"
                );
            }
        }
        assert!(page(v, 0, 0).is_empty());
    }

    fn hrefs(links: &[Value]) -> Vec<(String, String)> {
        links
            .iter()
            .map(|l| {
                (
                    l["rel"].as_str().unwrap().to_owned(),
                    l["href"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn paging_links_carry_the_request() {
        let url = "http://h/ogc/collections/areas/items";
        let mut q = parse_items_query(
            &pairs("bbox=1,2,3,4&limit=2&datetime=2026-01-01"),
            10_000,
            Coll::Areas,
        )
        .unwrap();
        let links = hrefs(&paging_links(url, &q, 5, 2));
        assert_eq!(
            links[0],
            (
                "self".into(),
                format!("{url}?bbox=1%2C2%2C3%2C4&datetime=2026-01-01&limit=2")
            )
        );
        assert_eq!(
            links[1],
            (
                "next".into(),
                format!("{url}?bbox=1%2C2%2C3%2C4&datetime=2026-01-01&limit=2&offset=2")
            )
        );
        assert_eq!(
            links[2],
            ("collection".into(), "http://h/ogc/collections/areas".into())
        );
        q.offset = 4;
        let links = hrefs(&paging_links(url, &q, 5, 1));
        assert!(
            !links.iter().any(|(r, _)| r == "next"),
            "the last page has no next"
        );
        let prev = links.iter().find(|(r, _)| r == "prev").unwrap();
        assert!(prev.1.ends_with("limit=2&offset=2"), "{}", prev.1);
        q.offset = 2;
        let prev = hrefs(&paging_links(url, &q, 5, 2))
            .into_iter()
            .find(|(r, _)| r == "prev")
            .unwrap();
        assert!(
            prev.1.ends_with("limit=2"),
            "the first page has no offset: {}",
            prev.1
        );
        // Past the end: no next, prev points back into range.
        q.offset = 50;
        let links = hrefs(&paging_links(url, &q, 5, 0));
        assert!(!links.iter().any(|(r, _)| r == "next"));
        assert!(
            links
                .iter()
                .find(|(r, _)| r == "prev")
                .unwrap()
                .1
                .ends_with("offset=4")
        );
    }

    #[test]
    fn server_root_from_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(server_root(&h), "");
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(server_root(&h), "http://127.0.0.1:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("map.example.cn, proxy"),
        );
        h.insert("x-forwarded-prefix", HeaderValue::from_static("/riskmap/"));
        assert_eq!(server_root(&h), "https://map.example.cn/riskmap");
        h.insert("x-forwarded-host", HeaderValue::from_static("evil/\"x"));
        h.remove("host");
        assert_eq!(server_root(&h), "/riskmap");
    }

    #[test]
    fn import_documents_are_checked_feature_by_feature() {
        let doc = json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "id": "C9", "geometry": { "type": "Point", "coordinates": [120.0, 28.0] },
              "properties": { "name": "x", "range_m": 50 } },
            { "type": "Feature", "geometry": { "type": "Point", "coordinates": [120.0, 99.0] },
              "properties": { "id": "C10", "name": "y", "range_m": 50 } },
        ]});
        let features = read_features(doc.to_string().as_bytes(), 10, 1_000).unwrap();
        let e = parse_each(features.clone(), "id", parse_camera, |c| &c.id).unwrap_err();
        assert!(
            e.message().starts_with("feature 1: invalid coordinate"),
            "{}",
            e.message()
        );
        assert_eq!(
            parse_each(features[..1].to_vec(), "id", parse_camera, |c| &c.id).unwrap()[0].id,
            "C9"
        );
        let dup = vec![features[0].clone(), features[0].clone()];
        let e = parse_each(dup, "id", parse_camera, |c| &c.id).unwrap_err();
        assert!(
            e.message().contains("feature 1: duplicate id C9"),
            "{}",
            e.message()
        );
        assert_eq!(
            read_features(doc.to_string().as_bytes(), 1, 1_000)
                .unwrap_err()
                .code(),
            "too_large"
        );
        assert_eq!(
            read_features(b"{", 10, 1_000).unwrap_err().code(),
            "bad_request"
        );
        assert!(read_features(br#"{"type":"Feature"}"#, 10, 1_000).is_err());
        let e = read_features(
            br#"{"type":"FeatureCollection","features":[{"type":"Point"}]}"#,
            10,
            1_000,
        )
        .unwrap_err();
        assert!(
            e.message().starts_with("feature 0: not a GeoJSON feature"),
            "{}",
            e.message()
        );
        let mut f = features[0].clone();
        f.set_property("id", "other");
        assert!(
            adopt_feature_id(&mut f, "id")
                .unwrap_err()
                .contains("differs")
        );
    }

    #[test]
    fn merging_keeps_order_and_replaces_in_place() {
        let cur = [("a", 1), ("b", 1), ("c", 1)];
        let new = [("b", 2), ("d", 2)];
        let out = merge_by_id(cur.iter(), &new, |t| t.0);
        assert_eq!(out, vec![("a", 1), ("b", 2), ("c", 1), ("d", 2)]);
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("S 1/é"), "S%201%2F%C3%A9");
        assert_eq!(encode_segment("330302001"), "330302001");
    }
}
