//! The OpenAPI 3.0.3 document of every HTTP endpoint, served at
//! `GET /api/openapi.json` (the OGC landing page's `service-desc`).
//!
//! Built from small pieces: reusable parameters, responses and schemas in
//! `components`, one function per group of paths. docs/protocol.md is the
//! prose; this is the machine-readable contract (schemathesis, GDAL, client
//! generators read it).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use geo::BoundingRect;
use serde_json::{Map, Value, json};

use crate::app::App;
use riskmap_engine::model::AreaLevel;

use super::ogc::DEFAULT_LIMIT;

mod alerts;
mod build;
mod channels;
mod endpoints;
mod fences;
mod incidents;
mod org;
mod patrol;
mod risk;
mod roster;
mod schemas;
mod tiles;
mod venues;

use build::{
    COLLECTIONS, DATETIME_PATTERN, LEVELS, content, json_body, path_param, query, schema_ref,
};
use endpoints::{
    account_paths, auth_paths, dispatch_paths, location_paths, ogc_item_paths, ogc_paths,
    probe_paths, staff_paths, ws_paths,
};
use incidents::{incident_paths, incident_read_paths, incident_schemas};
use schemas::{
    common_schemas, dispatch_schemas, import_schemas, location_schemas, ogc_schemas, staff_schemas,
};

/// `GET /api/openapi.json`: the document, with what this server is
/// configured with filled in (the incident category codes, the city's
/// extent), so clients and API testers can make requests that mean something.
pub async fn document(State(app): State<Arc<App>>) -> Json<Value> {
    let mut doc = spec();
    let codes: Vec<&str> = app
        .incidents
        .dictionary()
        .categories()
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    let report = &mut doc["components"]["schemas"]["ReportIn"]["properties"];
    report["category"]["enum"] = json!(codes);
    let engine = app.engine.read();
    let grids = engine
        .areas()
        .iter()
        .filter(|(_, a)| a.level == AreaLevel::Grid)
        .filter_map(|(_, a)| a.geometry.bounding_rect());
    let extent = grids.reduce(|a, b| {
        geo::Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    });
    if let Some(r) = extent {
        report["lon"] = json!({ "type": "number", "minimum": r.min().x, "maximum": r.max().x,
            "description": "Inside a grid of the city (the extent of its grids is given)" });
        report["lat"] = json!({ "type": "number", "minimum": r.min().y, "maximum": r.max().y });
    }
    Json(doc)
}

/// The whole document.
#[must_use]
pub fn spec() -> Value {
    let mut paths = Map::new();
    for group in [
        probe_paths(),
        auth_paths(),
        account_paths(),
        dispatch_paths(),
        staff_paths(),
        location_paths(),
        ws_paths(),
        ogc_paths(),
        ogc_item_paths(),
        incident_paths(),
        incident_read_paths(),
        alerts::alert_paths(),
        risk::risk_paths(),
        patrol::patrol_paths(),
        venues::venue_paths(),
        fences::fence_paths(),
        tiles::tile_paths(),
        roster::roster_paths(),
        org::org_paths(),
        channels::channel_paths(),
    ] {
        paths.extend(group);
    }
    // Every request with a token counts against its rate (--requests-per-second).
    for item in paths.values_mut() {
        if let Value::Object(ops) = item {
            for op in ops.values_mut() {
                if op.get("security") != Some(&json!([])) {
                    op["responses"]["429"] =
                        json!({ "$ref": "#/components/responses/TooManyRequests" });
                }
            }
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": info(),
        "servers": [{ "url": "/" }],
        "tags": tags(),
        "security": [{ "bearerAuth": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An opaque token from POST /api/auth/login (not a JWT), sent as \
                                    `Authorization: Bearer <token>`. GDAL: GDAL_HTTP_HEADERS=\"Authorization: \
                                    Bearer <token>\". POST /api/auth/logout revokes it. While the \
                                    login's user has must_change_password, every request with it but \
                                    GET /api/me, POST /api/auth/password and POST /api/auth/logout is \
                                    refused: 403 password_change_required.",
                },
            },
            "parameters": parameters(),
            "responses": responses(),
            "schemas": schemas(),
        },
    })
}

fn info() -> Value {
    json!({
        "title": "riskmap",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Real-time situational awareness map server for city grid governance (网格化管理): \
                        dispatch and spatial queries, location sharing (REST, OsmAnd/Traccar), OGC API - \
                        Features, and live push over the /ws WebSocket (see docs/protocol.md). Coordinates \
                        are WGS84 lon/lat unless coords=gcj02; times are epoch milliseconds unless stated. \
                        Every user sees only their area's subtree (分级授权); something outside it answers \
                        404. Errors are JSON {\"error\", \"message\"}.",
        "license": { "name": "MIT" },
    })
}

fn tags() -> Value {
    json!([
        { "name": "probes", "description": "Health, readiness, metrics (no token)" },
        { "name": "auth", "description": "Login, logout, who am I" },
        { "name": "dispatch", "description": "Dispatch and spatial queries" },
        { "name": "staff", "description": "Staff records and patrol tracks" },
        { "name": "location", "description": "Location sharing: fix batches and the OsmAnd protocol" },
        { "name": "live", "description": "The /ws WebSocket" },
        { "name": "ogc", "description": "OGC API - Features (Part 1 core, GeoJSON) and layer import" },
        { "name": "incidents", "description": "The incident closed loop: report, act, flow log, statistics" },
        { "name": "alerts", "description": "Alerts: a worker's SOS, taken and closed by dispatchers" },
        { "name": "risk", "description": "Grid risk (风险研判): each grid's score, level, breakdown and trend" },
        { "name": "patrol", "description": "Patrol coverage (巡查覆盖): each grid's day against its rule, a worker's day, the patrol log" },
        { "name": "venues", "description": "Venue codes (场所码) of key places and the inspections their scans record" },
        { "name": "fences", "description": "Geofences (电子围栏) drawn by administrators, whose crossings raise alerts" },
        { "name": "tiles", "description": "Vector tiles (矢量瓦片) of the static layers, for web maps" },
        { "name": "roster", "description": "The shift roster (排班): who is due on duty in each grid when, and who of them is missing" },
        { "name": "organisation", "description": "Departments (部门, 网格+) incidents are routed to, and the assessment (考核)" },
    ])
}

fn parameters() -> Value {
    json!({
        "Lon": { "name": "lon", "in": "query", "required": true,
                 "schema": { "type": "number", "minimum": -180, "maximum": 180 }, "description": "Longitude, degrees" },
        "Lat": { "name": "lat", "in": "query", "required": true,
                 "schema": { "type": "number", "minimum": -85, "maximum": 85 }, "description": "Latitude, degrees (|lat| ≤ 85)" },
        "Coords": query("coords", json!({ "type": "string", "enum": ["wgs84", "gcj02"], "default": "wgs84" }),
                        "Datum of lon/lat; gcj02 (Chinese phone map SDKs) is converted to WGS84"),
        "StaffId": path_param("id", "Staff id, e.g. S000123"),
        "CollectionId": {
            "name": "collectionId", "in": "path", "required": true,
            "schema": { "type": "string", "enum": COLLECTIONS }, "description": "The collection",
        },
        "ImportCollectionId": {
            "name": "collectionId", "in": "path", "required": true,
            "schema": { "type": "string", "enum": &COLLECTIONS[..5] },
            "description": "The layer (incidents come from the incident workflow, not imports)",
        },
        "FeatureId": path_param("featureId", "Feature id (an area's code)"),
        "Bbox": {
            "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
            "schema": { "oneOf": [
                { "type": "array", "minItems": 4, "maxItems": 4,
                  "items": { "type": "number", "minimum": -180, "maximum": 180 } },
                { "type": "array", "minItems": 6, "maxItems": 6,
                  "items": { "type": "number", "minimum": -180, "maximum": 180 } },
            ] },
            "description": "west,south,east,north in CRS84, or six numbers with heights \
                            (west,south,min_height,east,north,max_height; the heights are ignored); \
                            south ≤ north, latitudes within ±90; west > east crosses the antimeridian",
        },
        "Limit": query("limit", json!({ "type": "integer", "minimum": 1, "default": DEFAULT_LIMIT }),
                       "Items per page; more than the server's maximum page (10,000) is taken as the maximum"),
        "Offset": query("offset", json!({ "type": "integer", "minimum": 0, "default": 0 }),
                        "Items to skip (the next link carries it)"),
        "Datetime": query("datetime", json!({ "type": "string", "pattern": DATETIME_PATTERN }),
                          "An RFC 3339 instant or date, or an interval start/end with .. for an open end. \
                           Filters staff by the time of their last fix; other collections accept and ignore it."),
        "Level": query("level", json!({ "type": "string", "enum": LEVELS }),
                       "Areas: one level of the governance tree (other collections check and ignore it)"),
        "Token": query("token", json!({ "type": "string" }),
                       "The bearer token, on /ws only (browsers cannot set headers on a WebSocket)"),
    })
}

fn responses() -> Value {
    let err = |description: &str| json_body(description, schema_ref("Error"));
    let text = |description: &str| json!({ "description": description, "content": content("text/plain", json!({ "type": "string" })) });
    json!({
        "BadRequest": {
            "description": "Malformed or out-of-range input. Handlers answer JSON; a request the framework \
                            cannot even parse (a query parameter of the wrong type) is refused in plain text.",
            "content": {
                "application/json": { "schema": schema_ref("Error") },
                "text/plain": { "schema": { "type": "string" } },
            },
        },
        "Unauthorized": err("No token, or an invalid, expired or revoked one"),
        "Forbidden": err("The user's role or area does not allow it"),
        "NotFound": err("No such thing, or not in the user's area"),
        "Conflict": err("Conflicts with the current state; `allowed` lists what would be accepted"),
        "TooLarge": err("A body or batch over its limit"),
        "TooManyRequests": err("Over a rate limit (per token, or failed logins); see Retry-After"),
        "Unavailable": err("The store is unreachable; nothing was acknowledged, retry"),
        "UnsupportedMediaType": {
            "description": "The body is not sent as application/json, or an upload is not a JPEG, PNG or \
                            WebP image (checked by content)",
            "content": {
                "application/json": { "schema": schema_ref("Error") },
                "text/plain": { "schema": { "type": "string" } },
            },
        },
        "Unprocessable": text("The JSON body does not have the expected shape"),
    })
}

fn schemas() -> Value {
    let mut all = Map::new();
    for group in [
        common_schemas(),
        dispatch_schemas(),
        staff_schemas(),
        location_schemas(),
        ogc_schemas(),
        import_schemas(),
        incident_schemas(),
        alerts::alert_schemas(),
        risk::risk_schemas(),
        patrol::patrol_schemas(),
        venues::venue_schemas(),
        fences::fence_schemas(),
        roster::roster_schemas(),
        org::org_schemas(),
        channels::channel_schemas(),
    ] {
        if let Value::Object(m) = group {
            all.extend(m);
        }
    }
    Value::Object(all)
}

pub(super) fn paths(entries: Vec<(&str, Value)>) -> Map<String, Value> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every `$ref` in `v`.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap().to_owned());
                    } else {
                        refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = spec();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50);
        for r in all {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "dangling {r}");
        }
    }

    #[test]
    fn path_parameters_are_declared_and_public_paths_need_no_token() {
        let doc = spec();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, o) in item.as_object().unwrap() {
                let declared: Vec<String> = o["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                let p = p.get("$ref").map_or(p.clone(), |r| {
                                    doc.pointer(r.as_str().unwrap().strip_prefix('#').unwrap())
                                        .unwrap()
                                        .clone()
                                });
                                format!(
                                    "{}:{}",
                                    p["in"].as_str().unwrap(),
                                    p["name"].as_str().unwrap()
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                for seg in path.split('/').filter(|s| s.starts_with('{')) {
                    // `{y}.mvt`: the name is what the braces hold.
                    let name = &seg[1..seg.find('}').unwrap()];
                    assert!(
                        declared.contains(&format!("path:{name}")),
                        "{method} {path} lacks {name}"
                    );
                }
                assert!(
                    o["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path}"
                );
                let open = o.get("security") == Some(&json!([]));
                // The probes, the login, the document, OsmAnd devices, the
                // citizen page, and other systems' signed pushes.
                let should = [
                    "/health",
                    "/ready",
                    "/metrics",
                    "/osmand",
                    "/api/auth/login",
                    "/api/openapi.json",
                    "/api/intake/{source}",
                ]
                .contains(&path.as_str())
                    || path.starts_with("/api/public/");
                assert_eq!(open, should, "{method} {path}");
            }
        }
    }

    /// `RISKMAP_OPENAPI_OUT=/tmp/openapi.json cargo test -p riskmap openapi`
    /// writes the document for external validators.
    #[test]
    fn dump_for_validators() {
        if let Ok(path) = std::env::var("RISKMAP_OPENAPI_OUT") {
            std::fs::write(path, serde_json::to_string_pretty(&spec()).unwrap()).unwrap();
        }
    }
}
