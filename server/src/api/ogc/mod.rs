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
//! authentication configuration with an `Authorization` header); a
//! `?token=` parameter is refused (tokens in URLs end up in logs).
//!
//! Administrators import layers:
//! `POST /ogc/collections/{collectionId}/items?mode=merge|replace` with a
//! GeoJSON FeatureCollection. Every feature is validated before anything is
//! written; one bad feature refuses the whole import with its index and the
//! reason. The store commits the layer in one transaction, then the engine
//! takes it, then every live viewer gets a fresh snapshot.

//!
//! The rooms: [`collections`] (what each collection is, its description and
//! extents), [`params`] (query strings), [`features`] (which features a
//! request selects, as GeoJSON), [`paging`] (a page and its links). An
//! import is parsed and its rights checked here; the work is
//! [`App::import_layer`]'s.

mod collections;
mod features;
mod paging;
mod params;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::auth::Principal;
use super::blocking::off_worker;
use super::error::{ApiError, ApiResult};
use super::origin::ServerRoot;
use crate::app::App;
use crate::app::layers::mode_name;
use crate::identity::Scope;
use crate::identity::UserRole;
pub use collections::Coll;
use collections::collection_json;
use features::{ShowDevices, find_visible, page_of};
use paging::{encode_segment, paging_links};
use params::{only_params, parse_items_query, parse_mode, query_pairs};

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
// Handlers

/// `GET /ogc`: the landing page.
async fn landing(_p: Principal, ServerRoot(root): ServerRoot) -> Json<Value> {
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
async fn collections(
    State(app): State<Arc<App>>,
    p: Principal,
    ServerRoot(root): ServerRoot,
) -> Json<Value> {
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
    ServerRoot(root): ServerRoot,
) -> ApiResult<Json<Value>> {
    let coll = Coll::parse(&id)?;
    let engine = app.engine.read();
    let scope = Scope::of(&p.user, engine.areas());
    Ok(Json(collection_json(&root, &engine, scope, coll)))
}

/// `GET /ogc/collections/{collectionId}/items`: a page of features.
async fn items(
    State(app): State<Arc<App>>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    ServerRoot(root): ServerRoot,
) -> ApiResult<Response> {
    let coll = Coll::parse(&id)?;
    let q = parse_items_query(&query_pairs(raw.as_deref())?, app.limits.max_page, coll)?;
    // A page with a box reads the features in it from the collection's
    // index; without one every feature is walked (a million staff:
    // milliseconds to tens of them), as are the incidents, box or not (a
    // city's history, with no index by place), in a heavy answer's turn so
    // that no async worker, and no fix queued on it, waits.
    let indexed = q.bbox.is_some() && coll != Coll::Incidents;
    let (matched, features, q) = if indexed {
        let (matched, features) = page_of(&app, &p.user, coll, &q);
        (matched, features, q)
    } else {
        let inner = Arc::clone(&app);
        off_worker(&app, "paging a collection", move || {
            let (matched, features) = page_of(&inner, &p.user, coll, &q);
            Ok((matched, features, q))
        })
        .await?
    };
    let url = format!("{root}/ogc/collections/{}/items", coll.id());
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
    ServerRoot(root): ServerRoot,
) -> ApiResult<Response> {
    let coll = Coll::parse(&id)?;
    only_params(&query_pairs(raw.as_deref())?, &["f"])?;
    let feature = {
        let engine = app.engine.read();
        let book = app.incidents.book();
        let scope = Scope::of(&p.user, engine.areas());
        find_visible(
            &app,
            &engine,
            &book,
            scope,
            coll,
            &fid,
            ShowDevices::to(&p.user),
        )
    }
    .ok_or_else(|| ApiError::NotFound(format!("no feature {fid:?} in {}", coll.id())))?;
    let coll_url = format!("{root}/ogc/collections/{}", coll.id());
    let mut body = serde_json::to_value(&feature).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["links"] = json!([
        link(
            &format!("{coll_url}/items/{}", encode_segment(&fid)),
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
    app.check_import_rights(&p.user)?;
    let coll = Coll::parse(&id)?;
    let mode = parse_mode(&query_pairs(raw.as_deref())?)?;
    let body = body.map_err(|r| body_error(&r))?;
    let layer = coll.layer().ok_or_else(|| {
        ApiError::BadRequest(
            "incidents cannot be imported; they come from the incident workflow".into(),
        )
    })?;
    let report = app.import_layer(layer, mode, body).await?;
    Ok(Json(json!({
        "layer": report.layer.name(),
        "mode": mode_name(report.mode),
        "imported": report.imported,
        "total": report.total,
    })))
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

fn link(href: &str, rel: &str, media: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": media, "title": title })
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}
