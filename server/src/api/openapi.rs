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

use super::ogc::{CONFORMS_TO, DEFAULT_LIMIT};

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
        dispatch_paths(),
        staff_paths(),
        location_paths(),
        ws_paths(),
        ogc_paths(),
        ogc_item_paths(),
        incident_paths(),
        incident_read_paths(),
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
                                    Bearer <token>\". POST /api/auth/logout revokes it.",
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
    ])
}

// ---------------------------------------------------------------------------
// Building blocks

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

fn array_of(items: Value) -> Value {
    let mut v = json!({ "type": "array" });
    v["items"] = items;
    v
}

fn content(media: &str, schema: Value) -> Value {
    let mut inner = Map::new();
    inner.insert("schema".to_owned(), schema);
    let mut m = Map::new();
    m.insert(media.to_owned(), Value::Object(inner));
    Value::Object(m)
}

fn json_body(description: &str, schema: Value) -> Value {
    let mut v = json!({ "description": description });
    v["content"] = content("application/json", schema);
    v
}

/// A response object: the success answer and the error codes (each a
/// `components/responses` entry).
fn answers(ok: &str, body: Value, errors: &[u16]) -> Value {
    let mut m = Map::new();
    m.insert(ok.to_owned(), body);
    for code in errors {
        let name = match code {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            413 => "TooLarge",
            415 => "UnsupportedMediaType",
            422 => "Unprocessable",
            429 => "TooManyRequests",
            _ => "Unavailable",
        };
        m.insert(
            code.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        );
    }
    Value::Object(m)
}

/// An operation.
fn op(
    tag: &str,
    id: &str,
    summary: &str,
    description: &str,
    parameters: &[Value],
    responses: Value,
) -> Value {
    let mut o = json!({
        "tags": [tag],
        "operationId": id,
        "summary": summary,
        "description": description,
    });
    o["responses"] = responses;
    if !parameters.is_empty() {
        o["parameters"] = Value::Array(parameters.to_vec());
    }
    o
}

/// An operation anyone may call (no token).
fn public(mut operation: Value) -> Value {
    operation["security"] = json!([]);
    operation
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    let mut v =
        json!({ "name": name, "in": "query", "required": false, "description": description });
    v["schema"] = schema;
    v
}

/// A free-text query parameter.
fn text_query(name: &str, description: &str) -> Value {
    query(name, json!({ "type": "string" }), description)
}

/// A comma-separated list of names from `values`.
fn csv_query(name: &str, values: &[&str], description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "style": "form", "explode": false,
        "schema": { "type": "array", "items": { "type": "string", "enum": values } },
        "description": description,
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" }, "description": description })
}

fn object(required: &[&str], properties: Value) -> Value {
    let mut o = json!({ "type": "object" });
    o["properties"] = properties;
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// An object that takes no properties but its own (the server refuses
/// unknown fields).
fn closed(mut schema: Value) -> Value {
    schema["additionalProperties"] = json!(false);
    schema
}

fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}

const STAFF_ROLES: [&str; 5] = [
    "grid_worker",
    "police",
    "urban_management",
    "comprehensive",
    "volunteer",
];
const SKILLS: [&str; 10] = [
    "mediation",
    "first_aid",
    "fire_safety",
    "legal",
    "traffic",
    "counselling",
    "electrician",
    "hazmat",
    "sanitation",
    "flood_control",
];
/// An RFC 3339 date, optionally with a time (days 1–28 only, so that every
/// string the pattern admits is a real date).
macro_rules! instant {
    () => {
        concat!(
            r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])",
            r"(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))?"
        )
    };
}

/// An OGC `datetime`: an RFC 3339 instant or date, or an interval with `..`
/// (or nothing) for an open end; empty is no filter.
const DATETIME_PATTERN: &str = concat!(
    r"^$|^",
    instant!(),
    r"$|^(",
    instant!(),
    r"|\.\.)?/(",
    instant!(),
    r"|\.\.)?$"
);

const DUTIES: [&str; 4] = ["off", "available", "busy", "sos"];
const USER_ROLES: [&str; 5] = ["admin", "commander", "dispatcher", "viewer", "field"];
const LEVELS: [&str; 5] = ["city", "district", "street", "community", "grid"];
const COLLECTIONS: [&str; 6] = [
    "areas",
    "staff",
    "cameras",
    "risk_sources",
    "key_places",
    "incidents",
];
const ERROR_CODES: [&str; 9] = [
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "too_large",
    "too_many_requests",
    "unavailable",
    "internal",
];

// ---------------------------------------------------------------------------
// Components

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
        "UnsupportedMediaType": text("The body is not sent as application/json"),
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
    ] {
        if let Value::Object(m) = group {
            all.extend(m);
        }
    }
    Value::Object(all)
}

fn common_schemas() -> Value {
    let num = json!({ "type": "number" });
    json!({
        "Error": object(&["error", "message"], json!({
            "error": { "type": "string", "enum": ERROR_CODES },
            "message": { "type": "string" },
            "allowed": array_of(json!({ "type": "string" })),
            "state": { "type": "string", "description": "On a refused incident action: the incident's state" },
        })),
        "Point": object(&["lon", "lat"], json!({ "lon": num, "lat": num })),
        "GridRef": nullable(object(&["code", "name"], json!({
            "code": { "type": "string" }, "name": { "type": "string" },
        }))),
        "AreaSummary": object(&["code", "name", "level"], json!({
            "code": { "type": "string" }, "name": { "type": "string" },
            "level": { "type": "string", "enum": LEVELS },
        })),
        "User": object(&["id", "username", "role", "area"], json!({
            "id": { "type": "integer" },
            "username": { "type": "string" },
            "display_name": { "type": "string" },
            "role": { "type": "string", "enum": USER_ROLES },
            "area": { "type": "string", "description": "Code of the area the user is bound to ('' = everything)" },
            "staff_id": nullable(json!({ "type": "string" })),
        })),
        "Login": object(&["username", "password"], json!({
            "username": { "type": "string", "maxLength": 128 },
            "password": { "type": "string", "maxLength": 1024 },
        })),
        "LoginResponse": object(&["token", "expires_ms", "user"], json!({
            "token": { "type": "string" },
            "expires_ms": { "type": "integer" },
            "user": schema_ref("User"),
        })),
        "Me": object(&["user"], json!({
            "user": schema_ref("User"),
            "area": nullable(object(&["code", "name", "level"], json!({
                "code": { "type": "string" }, "name": { "type": "string" },
                "level": { "type": "string", "enum": LEVELS },
            }))),
        })),
        "Status": object(&["status"], json!({
            "status": { "type": "string", "enum": ["ok", "ready", "degraded"] },
            "store": { "type": "string", "enum": ["sqlite", "postgis"] },
            "reason": { "type": "string" },
        })),
    })
}

fn dispatch_schemas() -> Value {
    let num = json!({ "type": "number" });
    let opt_num = nullable(json!({ "type": "number" }));
    let str_ = json!({ "type": "string" });
    json!({
        "Candidate": object(&["id", "name", "role", "duty", "distance_m", "same_grid", "lon", "lat"], json!({
            "id": str_, "name": str_,
            "role": { "type": "string", "enum": STAFF_ROLES },
            "duty": { "type": "string", "enum": DUTIES },
            "distance_m": { "type": "number", "description": "Great-circle metres" },
            "grid": nullable(json!({ "type": "string", "description": "Home grid code" })),
            "grid_name": nullable(json!({ "type": "string", "description": "Home grid name" })),
            "current_grid": schema_ref("GridRef"),
            "same_grid": { "type": "boolean" },
            "lon": num, "lat": num,
        })),
        "NearestResponse": object(&["point", "candidates"], json!({
            "point": schema_ref("Point"),
            "grid": schema_ref("GridRef"),
            "candidates": array_of(schema_ref("Candidate")),
        })),
        "CameraHit": object(&["id", "name", "lon", "lat", "range_m", "online"], json!({
            "id": str_, "name": str_, "lon": num, "lat": num,
            "heading": opt_num, "fov": opt_num, "range_m": num,
            "online": { "type": "boolean" }, "owner": str_,
            "stream_url": nullable(json!({ "type": "string" })),
            "distance_m": num,
        })),
        "CamerasResponse": object(&["point", "cameras"], json!({
            "point": schema_ref("Point"),
            "cameras": array_of(schema_ref("CameraHit")),
        })),
        "PlaceHit": object(&["id", "name", "category", "lon", "lat"], json!({
            "id": str_, "name": str_, "category": str_,
            "level": { "type": "integer", "minimum": 1, "maximum": 4, "description": "Risk sources: 1 major … 4 low" },
            "colour": { "type": "string", "enum": ["red", "orange", "yellow", "blue"] },
            "lon": num, "lat": num,
            "geometry": schema_ref("Geometry"),
            "distance_m": num,
        })),
        "NearbyResponse": object(&["point", "radius_m"], json!({
            "point": schema_ref("Point"),
            "radius_m": num,
            "risk_sources": array_of(schema_ref("PlaceHit")),
            "key_places": array_of(schema_ref("PlaceHit")),
            "cameras": array_of(schema_ref("CameraHit")),
        })),
        "LocateResponse": object(&["point", "chain"], json!({
            "point": schema_ref("Point"),
            "grid": nullable(object(&["code", "name", "level"], json!({
                "code": str_, "name": str_, "level": { "type": "string", "enum": LEVELS },
            }))),
            "chain": array_of(schema_ref("AreaSummary")),
        })),
        "HeatmapResponse": object(&["bbox", "res", "layer", "cells"], json!({
            "bbox": { "type": "array", "items": num, "minItems": 4, "maxItems": 4 },
            "res": { "type": "integer" },
            "layer": str_,
            "cells": array_of(object(&["cell", "count"], json!({
                "cell": { "type": "string", "description": "H3 cell index" },
                "count": { "type": "integer" },
            }))),
        })),
    })
}

fn staff_schemas() -> Value {
    let num = json!({ "type": "number" });
    let opt_num = nullable(json!({ "type": "number" }));
    let str_ = json!({ "type": "string" });
    json!({
        "StaffView": object(&["id", "name", "role", "duty", "skills"], json!({
            "id": str_, "name": str_,
            "role": { "type": "string", "enum": STAFF_ROLES },
            "duty": { "type": "string", "enum": DUTIES },
            "grid": nullable(json!({ "type": "string" })),
            "skills": array_of(json!({ "type": "string", "enum": SKILLS })),
            "lon": num, "lat": num, "t": { "type": "integer" },
            "heading": num, "speed": num, "accuracy": num, "battery": num,
        })),
        "TrackResponse": object(&["staff_id", "from", "to", "fixes"], json!({
            "staff_id": str_,
            "from": { "type": "integer" },
            "to": { "type": "integer" },
            "fixes": array_of(object(&["lon", "lat", "t"], json!({
                "lon": num, "lat": num, "t": { "type": "integer" },
                "speed": opt_num, "heading": opt_num, "accuracy": opt_num,
            }))),
        })),
    })
}

fn location_schemas() -> Value {
    let num = json!({ "type": "number" });
    let str_ = json!({ "type": "string" });
    json!({
        "FixIn": object(&["lon", "lat"], json!({
            "staff_id": { "type": "string", "description": "Whose fix; a field user may omit it (theirs)" },
            "lon": num, "lat": num,
            "t": { "oneOf": [{ "type": "number" }, { "type": "string" }],
                   "description": "Epoch milliseconds, epoch seconds or ISO 8601; default now" },
            "accuracy": num,
            "speed": { "type": "number", "description": "m/s" },
            "heading": num, "altitude": num,
            "battery": { "type": "number", "description": "Percent" },
            "coords": { "type": "string", "enum": ["wgs84", "gcj02"], "default": "wgs84" },
        })),
        "FixBatch": {
            "oneOf": [
                object(&["fixes"], json!({ "fixes": { "type": "array", "items": schema_ref("FixIn"), "maxItems": 10_000 } })),
                { "type": "array", "items": schema_ref("FixIn"), "maxItems": 10_000 },
            ],
        },
        "FixReport": object(&["applied", "stale"], json!({
            "applied": { "type": "integer", "description": "Fixes that moved a live position" },
            "stale": { "type": "integer", "description": "Older fixes, kept in the track only" },
        })),
        "OsmAndParams": object(&[], json!({
            "id": { "type": "string", "description": "Device id (or deviceid)" },
            "deviceid": str_,
            "lat": num, "lon": num,
            "location": { "type": "string", "description": "lat,lon instead of lat and lon" },
            "timestamp": { "type": "string", "description": "Epoch s or ms, ISO 8601, or yyyy-MM-dd HH:mm:ss (UTC)" },
            "speed": { "type": "number", "description": "Knots" },
            "bearing": num, "heading": num, "altitude": num, "accuracy": num,
            "batt": { "type": "number", "description": "Battery, percent" },
            "coords": { "type": "string", "enum": ["wgs84", "gcj02"] },
        })),
        "TraccarJson": object(&["device_id", "location"], json!({
            "device_id": str_,
            "location": object(&["coords"], json!({
                "timestamp": str_,
                "coords": object(&["latitude", "longitude"], json!({
                    "latitude": num, "longitude": num, "accuracy": num,
                    "speed": { "type": "number", "description": "m/s" },
                    "heading": num, "altitude": num,
                })),
                "battery": object(&[], json!({ "level": { "type": "number", "description": "0 to 1" } })),
            })),
        })),
    })
}

fn ogc_schemas() -> Value {
    let str_ = json!({ "type": "string" });
    json!({
        "Link": object(&["href", "rel"], json!({ "href": str_, "rel": str_, "type": str_, "title": str_ })),
        "LandingPage": object(&["links"], json!({
            "title": str_, "description": str_, "links": array_of(schema_ref("Link")),
        })),
        "Conformance": object(&["conformsTo"], json!({
            "conformsTo": { "type": "array", "items": { "type": "string" }, "example": CONFORMS_TO },
        })),
        "Extent": object(&[], json!({
            "spatial": object(&[], json!({
                "bbox": array_of(json!({ "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } })),
                "crs": str_,
            })),
            "temporal": object(&[], json!({
                "interval": array_of(json!({ "type": "array", "minItems": 2, "maxItems": 2,
                                             "items": nullable(json!({ "type": "string", "format": "date-time" })) })),
                "trs": str_,
            })),
        })),
        "Collection": object(&["id", "links"], json!({
            "id": { "type": "string", "enum": COLLECTIONS },
            "title": str_, "description": str_,
            "links": array_of(schema_ref("Link")),
            "extent": schema_ref("Extent"),
            "itemType": str_,
            "crs": array_of(str_.clone()),
            "storageCrs": str_,
        })),
        "Collections": object(&["links", "collections"], json!({
            "links": array_of(schema_ref("Link")),
            "collections": array_of(schema_ref("Collection")),
        })),
        "Geometry": nullable(object(&["type"], json!({
            "type": { "type": "string", "enum": ["Point", "MultiPoint", "LineString", "MultiLineString",
                                                  "Polygon", "MultiPolygon", "GeometryCollection"] },
            "coordinates": { "type": "array", "items": {} },
        }))),
        "Feature": object(&["type", "geometry", "properties"], json!({
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "oneOf": [{ "type": "string" }, { "type": "integer" }] },
            "geometry": schema_ref("Geometry"),
            "properties": nullable(json!({ "type": "object" })),
            "links": array_of(schema_ref("Link")),
        })),
        "FeatureCollection": object(&["type", "features"], json!({
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": array_of(schema_ref("Feature")),
            "numberMatched": { "type": "integer", "minimum": 0 },
            "numberReturned": { "type": "integer", "minimum": 0 },
            "timeStamp": { "type": "string", "format": "date-time" },
            "links": array_of(schema_ref("Link")),
        })),
        "ImportResult": object(&["layer", "mode", "imported", "total"], json!({
            "layer": { "type": "string", "enum": COLLECTIONS },
            "mode": { "type": "string", "enum": ["merge", "replace"] },
            "imported": { "type": "integer" },
            "total": { "type": "integer", "description": "Features in the layer now" },
        })),
    })
}

/// What an import takes: a FeatureCollection of features with a Point,
/// Polygon or MultiPolygon (or, for staff, no geometry) and the layer's
/// properties (docs/protocol.md; the model's fields).
fn import_schemas() -> Value {
    let position = json!({ "type": "array", "minItems": 2, "maxItems": 3,
                           "items": { "type": "number", "minimum": -180, "maximum": 180 } });
    let ring = json!({ "type": "array", "minItems": 4, "items": position });
    let polygon = json!({ "type": "array", "minItems": 1, "items": ring });
    let geometry = |kind: &str, coordinates: &Value| {
        let mut g = object(
            &["type", "coordinates"],
            json!({ "type": { "type": "string", "enum": [kind] } }),
        );
        g["properties"]["coordinates"] = coordinates.clone();
        g
    };
    json!({
        "ImportGeometry": nullable(json!({ "oneOf": [
            geometry("Point", &position),
            geometry("Polygon", &polygon),
            geometry("MultiPolygon", &json!({ "type": "array", "minItems": 1, "items": polygon })),
        ] })),
        "ImportFeature": object(&["type", "geometry", "properties"], json!({
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "oneOf": [{ "type": "string" }, { "type": "integer" }],
                    "description": "Taken as properties.id (areas: properties.code) when that is missing" },
            "geometry": schema_ref("ImportGeometry"),
            "properties": { "type": "object", "description": "The layer's fields, e.g. a camera's id, name, \
                            range_m, heading_deg, fov_deg, owner, online, stream_url" },
        })),
        "ImportCollection": object(&["type", "features"], json!({
            "type": { "type": "string", "enum": ["FeatureCollection"] },
            "features": array_of(schema_ref("ImportFeature")),
        })),
    })
}

// ---------------------------------------------------------------------------
// Paths

fn paths(entries: Vec<(&str, Value)>) -> Map<String, Value> {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn probe_paths() -> Map<String, Value> {
    let status = json_body("Status", schema_ref("Status"));
    let mut ready = answers("200", status.clone(), &[]);
    ready["503"] = json_body("Degraded", schema_ref("Status"));
    paths(vec![
        (
            "/health",
            json!({ "get": public(op("probes", "health", "Alive", "200 while the process answers.", &[],
            answers("200", status.clone(), &[]))) }),
        ),
        (
            "/ready",
            json!({ "get": public(op("probes", "ready", "Ready",
            "200 once the engine is loaded and the store answers; 503 with the reason otherwise.", &[], ready)) }),
        ),
        (
            "/metrics",
            json!({ "get": public(op("probes", "metrics", "Prometheus metrics",
            "Prometheus text exposition (riskmap_ws_connections, riskmap_fixes_*_total, riskmap_query_seconds, ...).",
            &[], answers("200", json!({ "description": "Metrics",
                "content": content("text/plain", json!({ "type": "string" })) }), &[]))) }),
        ),
        (
            "/api/openapi.json",
            json!({ "get": public(op("probes", "openapi", "This document",
            "The OpenAPI 3.0 document of the HTTP API.", &[],
            answers("200", json_body("OpenAPI document", json!({ "type": "object" })), &[]))) }),
        ),
    ])
}

fn auth_paths() -> Map<String, Value> {
    paths(vec![
        (
            "/api/auth/login",
            json!({ "post": public({
            let mut o = op("auth", "login", "Log in",
                "Answers a bearer token for every other request. Failed logins are throttled per username \
                 and per client address (429 with Retry-After).", &[],
                answers("200", json_body("Logged in", schema_ref("LoginResponse")), &[400, 401, 413, 415, 422, 429, 503]));
            o["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("Login")) });
            o
        }) }),
        ),
        (
            "/api/auth/logout",
            json!({ "post": op("auth", "logout", "Log out", "The token stops working at once.", &[],
            answers("200", json_body("Logged out", object(&["ok"], json!({ "ok": { "type": "boolean" } }))), &[401, 503])) }),
        ),
        (
            "/api/me",
            json!({ "get": op("auth", "me", "Who am I", "The user and the area they are bound to.", &[],
            answers("200", json_body("The user", schema_ref("Me")), &[401, 503])) }),
        ),
        (
            "/api/audit",
            json!({ "get": op("auth", "audit", "The audit log (system administrators)",
            "Logins (login, login_failed, login_throttled) and every write (METHOD /path) with its status, \
             newest first. Location telemetry (fixes, OsmAnd) is recorded in the tracks instead.",
            &[
                text_query("from", "From (epoch ms or ISO 8601; default 24 hours ago)"),
                text_query("to", "To (default now)"),
                text_query("username", "One user's entries"),
                query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 10000, "default": 1000 }), "At most"),
            ],
            answers("200", json_body("Entries", schema_ref("AuditLog")), &[400, 401, 403, 503])) }),
        ),
    ])
}

fn dispatch_paths() -> Map<String, Value> {
    let point = [param_ref("Lon"), param_ref("Lat"), param_ref("Coords")];
    let errs = [400, 401, 503];
    let nearest = [
        &point[..],
        &[
            query(
                "k",
                json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 5 }),
                "How many",
            ),
            csv_query("role", &STAFF_ROLES, "Any of these roles"),
            csv_query("skill", &SKILLS, "Every listed skill is required"),
            query(
                "available",
                json!({ "type": "boolean", "default": true }),
                "Only staff whose duty status is available",
            ),
            query(
                "max_m",
                json!({ "type": "number", "minimum": 0 }),
                "Distance limit, metres",
            ),
            query(
                "same_grid_first",
                json!({ "type": "boolean", "default": false }),
                "Rank the staff whose home grid is the point's grid first",
            ),
        ],
    ]
    .concat();
    let nearby = [
        &point[..],
        &[
            query(
                "radius_m",
                json!({ "type": "number", "minimum": 0, "maximum": 50_000, "default": 500 }),
                "Radius, metres",
            ),
            csv_query(
                "layers",
                &["risk_sources", "key_places", "cameras"],
                "Layers (default risk_sources,key_places)",
            ),
        ],
    ]
    .concat();
    let heatmap = [
        json!({ "name": "bbox", "in": "query", "required": true, "style": "form", "explode": false,
                "schema": { "type": "array", "minItems": 4, "maxItems": 4, "items": { "type": "number" } },
                "description": "west,south,east,north" }),
        query(
            "res",
            json!({ "type": "integer", "minimum": 0, "maximum": 15, "default": 8 }),
            "H3 resolution",
        ),
        query(
            "layer",
            json!({ "type": "string", "enum": ["staff", "cameras", "risk_sources", "key_places"], "default": "staff" }),
            "What to count",
        ),
    ];
    paths(vec![
        (
            "/api/dispatch/nearest",
            json!({ "get": op("dispatch", "nearest", "Nearest suitable staff",
            "The k nearest staff the user may see, exact great-circle metres, optionally the point's own grid first.",
            &nearest, answers("200", json_body("Candidates", schema_ref("NearestResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/cameras",
            json!({ "get": op("dispatch", "cameras", "Cameras that see a point",
            "Cameras whose range and field of view cover the point, nearest first.", &point,
            answers("200", json_body("Cameras", schema_ref("CamerasResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/nearby",
            json!({ "get": op("dispatch", "nearby", "Features within a radius",
            "Risk sources, key places (and cameras) within the radius, nearest first.", &nearby,
            answers("200", json_body("Features", schema_ref("NearbyResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/locate",
            json!({ "get": op("dispatch", "locate", "The grid at a point",
            "The grid at the point and its ancestors, grid first; null outside every grid or the user's area.", &point,
            answers("200", json_body("Grid and chain", schema_ref("LocateResponse")), &errs)) }),
        ),
        (
            "/api/heatmap",
            json!({ "get": op("dispatch", "heatmap", "Counts per H3 cell",
            "Counts of a layer's features per H3 cell inside a box.", &heatmap,
            answers("200", json_body("Cells", schema_ref("HeatmapResponse")), &errs)) }),
        ),
    ])
}

fn staff_paths() -> Map<String, Value> {
    let track = [
        param_ref("StaffId"),
        text_query("from", "Epoch ms or ISO 8601; default 24 hours ago"),
        text_query("to", "Epoch ms or ISO 8601; default now"),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX, "default": 10_000 }),
            "At most this many fixes; more than 10,000 is taken as 10,000",
        ),
    ];
    paths(vec![
        (
            "/api/staff/{id}",
            json!({ "get": op("staff", "staff", "One staff member", "404 outside the user's area.",
            &[param_ref("StaffId")], answers("200", json_body("The staff member", schema_ref("StaffView")), &[401, 404, 503])) }),
        ),
        (
            "/api/staff/{id}/track",
            json!({ "get": op("staff", "track", "A patrol track", "Oldest first.", &track,
            answers("200", json_body("The track", schema_ref("TrackResponse")), &[400, 401, 404, 503])) }),
        ),
    ])
}

fn location_paths() -> Map<String, Value> {
    let mut fixes = op(
        "location",
        "postFixes",
        "Post position fixes",
        "Applied live at once, answered once committed (503: nothing saved, retry). One invalid fix refuses the \
         batch with its index.",
        &[],
        answers(
            "200",
            json_body("Committed", schema_ref("FixReport")),
            &[400, 401, 403, 413, 415, 422, 503],
        ),
    );
    fixes["requestBody"] =
        json!({ "required": true, "content": content("application/json", schema_ref("FixBatch")) });
    let osmand_params: Vec<Value> = [
        (
            "id",
            "string",
            "Device id (one of a staff member's devices)",
        ),
        ("deviceid", "string", "Device id (alternative name)"),
        ("lat", "number", "Latitude"),
        ("lon", "number", "Longitude"),
        ("location", "string", "lat,lon instead of lat and lon"),
        (
            "timestamp",
            "string",
            "Epoch s or ms, ISO 8601, or yyyy-MM-dd HH:mm:ss (UTC)",
        ),
        ("speed", "number", "Knots"),
        ("bearing", "number", "Degrees"),
        ("heading", "number", "Degrees (alternative name)"),
        ("altitude", "number", "Metres"),
        ("accuracy", "number", "Metres"),
        ("batt", "number", "Battery, percent"),
        ("coords", "string", "wgs84 (default) or gcj02"),
    ]
    .iter()
    .map(|(n, t, d)| query(n, json!({ "type": t }), d))
    .collect();
    let osmand_answers = || {
        let mut a = answers(
            "200",
            json!({ "description": "Committed (empty body)" }),
            &[413, 503],
        );
        a["400"] = json!({
            "description": "Unreadable parameters or an unknown device (plain text, as Traccar answers), or an \
                            invalid fix (JSON)",
            "content": {
                "text/plain": { "schema": { "type": "string" } },
                "application/json": { "schema": schema_ref("Error") },
            },
        });
        a
    };
    let get = op(
        "location",
        "osmandGet",
        "OsmAnd protocol (query string)",
        "Traccar Client / OsmAnd: the device id must be one of a staff member's devices. No token.",
        &osmand_params,
        osmand_answers(),
    );
    let mut post = op(
        "location",
        "osmandPost",
        "OsmAnd protocol (form or Traccar JSON body)",
        "The same parameters as a form body, or Traccar Client's JSON body. No token.",
        &[],
        osmand_answers(),
    );
    post["requestBody"] = json!({ "required": true, "content": {
        "application/x-www-form-urlencoded": { "schema": schema_ref("OsmAndParams") },
        "application/json": { "schema": schema_ref("TraccarJson") },
    } });
    paths(vec![
        ("/api/fixes", json!({ "post": fixes })),
        (
            "/osmand",
            json!({ "get": public(get), "post": public(post) }),
        ),
    ])
}

fn ws_paths() -> Map<String, Value> {
    let mut a = answers(
        "101",
        json!({ "description": "Switching Protocols: the WebSocket session (docs/protocol.md)" }),
        &[401],
    );
    for (code, why) in [
        ("400", "Not a WebSocket upgrade request"),
        ("426", "The connection cannot be upgraded"),
    ] {
        a[code] = json!({ "description": why, "content": content("text/plain", json!({ "type": "string" })) });
    }
    paths(vec![(
        "/ws",
        json!({ "get": op("live", "ws", "Live push (WebSocket)",
            "Upgrade to a WebSocket: hello, subscribe (box or area, layers), snapshot, staff_moves deltas, \
             staff_update, layer_changed, queries, fixes. Messages are JSON; see docs/protocol.md. The token may \
             also be given as ?token= (browsers cannot set headers on a WebSocket).",
            &[param_ref("Token")], a) }),
    )])
}

fn ogc_paths() -> Map<String, Value> {
    let errs = [401, 503];
    paths(vec![
        (
            "/ogc",
            json!({ "get": op("ogc", "ogcLanding", "OGC API landing page",
            "Links to the conformance declaration, the collections and this document. Every /ogc request needs a \
             token (GDAL: GDAL_HTTP_HEADERS=\"Authorization: Bearer <token>\").", &[],
            answers("200", json_body("Landing page", schema_ref("LandingPage")), &errs)) }),
        ),
        (
            "/ogc/conformance",
            json!({ "get": op("ogc", "ogcConformance", "Conformance classes",
            "OGC API - Features Part 1: core, oas30, geojson.", &[],
            answers("200", json_body("Conformance", schema_ref("Conformance")), &errs)) }),
        ),
        (
            "/ogc/collections",
            json!({ "get": op("ogc", "ogcCollections", "The collections",
            "areas, staff, cameras, risk_sources, key_places, incidents (empty until the incident workflow \
             lands); extents cover what the user may see.", &[],
            answers("200", json_body("Collections", schema_ref("Collections")), &errs)) }),
        ),
        (
            "/ogc/collections/{collectionId}",
            json!({ "get": op("ogc", "ogcCollection", "One collection", "",
            &[param_ref("CollectionId")],
            answers("200", json_body("Collection", schema_ref("Collection")), &[401, 404, 503])) }),
        ),
    ])
}

fn ogc_item_paths() -> Map<String, Value> {
    let geojson = |d: &str, s: &str| json!({ "description": d, "content": content("application/geo+json", schema_ref(s)) });
    let items_params = [
        param_ref("CollectionId"),
        param_ref("Bbox"),
        param_ref("Limit"),
        param_ref("Offset"),
        param_ref("Datetime"),
        param_ref("Level"),
    ];
    let mut import = op(
        "ogc",
        "ogcImport",
        "Import a layer (system administrator)",
        "A GeoJSON FeatureCollection into areas, staff, cameras, risk_sources or key_places. mode=merge (default) \
         replaces features with the same id and keeps the others; mode=replace makes the layer exactly the \
         import. Every feature is validated first; one invalid feature refuses the whole import with its index \
         (\"feature 17: ...\") and nothing changes. Committed in one transaction, then applied live; viewers get \
         a fresh snapshot.",
        &[
            param_ref("ImportCollectionId"),
            query(
                "mode",
                json!({ "type": "string", "enum": ["merge", "replace"], "default": "merge" }),
                "How the import meets the layer",
            ),
        ],
        answers(
            "200",
            json_body("Imported", schema_ref("ImportResult")),
            &[400, 401, 403, 404, 409, 413, 503],
        ),
    );
    import["requestBody"] = json!({ "required": true, "content": {
        "application/geo+json": { "schema": schema_ref("ImportCollection") },
        "application/json": { "schema": schema_ref("ImportCollection") },
    } });
    paths(vec![
        (
            "/ogc/collections/{collectionId}/items",
            json!({
                "get": op("ogc", "ogcItems", "Features of a collection",
                    "A page of the features the user may see, ordered by id, with numberMatched, numberReturned and \
                     next/prev links that repeat the parameters.", &items_params,
                    answers("200", geojson("A page of features", "FeatureCollection"), &[400, 401, 404, 503])),
                "post": import,
            }),
        ),
        (
            "/ogc/collections/{collectionId}/items/{featureId}",
            json!({ "get": op("ogc", "ogcItem", "One feature",
            "404 if missing or outside the user's area.", &[param_ref("CollectionId"), param_ref("FeatureId")],
            answers("200", geojson("The feature", "Feature"), &[400, 401, 404, 503])) }),
        ),
    ])
}

// ---------------------------------------------------------------------------
// Incidents

const INCIDENT_STATES: [&str; 10] = [
    "reported",
    "accepted",
    "rejected",
    "merged",
    "dispatched",
    "signed",
    "in_progress",
    "handled",
    "verified",
    "closed",
];
const INCIDENT_ACTIONS: [&str; 15] = [
    "accept",
    "reject",
    "merge",
    "dispatch",
    "sign",
    "start",
    "handle",
    "verify",
    "verify_fail",
    "close",
    "return",
    "escalate",
    "request_extension",
    "approve_extension",
    "deny_extension",
];
const SOURCES: [&str; 5] = ["patrol", "citizen", "hotline", "camera", "system"];
const PRIORITIES: [&str; 3] = ["normal", "urgent", "emergency"];
const WARNINGS: [&str; 4] = ["none", "green", "yellow", "red"];

fn incident_schemas() -> Value {
    let num = json!({ "type": "number" });
    let int = json!({ "type": "integer" });
    let str_ = json!({ "type": "string" });
    let opt_str = nullable(json!({ "type": "string" }));
    let opt_int = nullable(json!({ "type": "integer" }));
    let strings = array_of(json!({ "type": "string" }));
    let counts = json!({ "type": "object", "additionalProperties": { "type": "integer" } });
    json!({
        "ReportIn": closed(object(&["category", "lon", "lat"], json!({
            "category": { "type": "string", "description": "A minor category code (GET /api/incidents/categories)" },
            "source": { "type": "string", "enum": SOURCES },
            "priority": { "type": "string", "enum": PRIORITIES },
            "lon": num, "lat": num,
            "description": { "type": "string", "maxLength": 4000 },
            "photos": { "type": "array", "maxItems": 20, "items": { "type": "string", "minLength": 1, "maxLength": 1000 } },
            "report_only": { "type": "boolean", "description": "事件报备: recorded and closed at once" },
            "coords": { "type": "string", "enum": ["wgs84", "gcj02"] },
        }))),
        "ActionIn": closed(object(&["action"], json!({
            "action": { "type": "string", "enum": INCIDENT_ACTIONS },
            "comment": { "type": "string", "maxLength": 4000 },
            "photos": { "type": "array", "maxItems": 20, "items": { "type": "string", "minLength": 1, "maxLength": 1000 } },
            "staff_id": opt_str, "department": opt_str, "into": opt_str,
            "hours": nullable(json!({ "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 10000 })),
            "version": opt_int,
        }))),
        "Incident": incident_schema(),
        "AuditLog": object(&["entries"], json!({ "entries": array_of(object(
            &["seq", "at_ms", "username", "action", "status"],
            json!({
                "seq": int, "at_ms": int, "username": str_, "role": str_, "area": str_,
                "action": str_, "status": int, "ip": str_,
            }),
        )) })),
        "IncidentList": object(&["incidents", "total"], json!({
            "incidents": array_of(schema_ref("Incident")), "total": int,
        })),
        "LogEntry": object(&["incident", "seq", "at_ms", "action", "to", "actor"], json!({
            "incident": str_, "seq": int, "at_ms": int,
            "action": str_, "from": nullable(json!({ "type": "string", "enum": INCIDENT_STATES })),
            "to": { "type": "string", "enum": INCIDENT_STATES },
            "actor": str_,
            "actor_name": nullable(json!({ "type": "string", "description": "The actor's display name (null if the account is gone)" })),
            "actor_role": str_, "actor_area": str_, "comment": str_,
            "photos": strings, "detail": { "type": "object" },
        })),
        "IncidentLog": object(&["log"], json!({ "log": array_of(schema_ref("LogEntry")) })),
        "Candidates": object(&["incident", "staff", "cameras"], json!({
            "incident": str_, "skill": opt_str,
            "staff": array_of(schema_ref("Candidate")),
            "cameras": array_of(json!({ "type": "object" })),
        })),
        "IncidentStats": object(&["total", "by_state"], json!({
            "area": opt_str, "from_ms": opt_int, "to_ms": opt_int,
            "total": int, "by_state": counts, "report_only": int,
            "handled": int, "handled_on_time": int, "on_time_rate": nullable(json!({ "type": "number" })),
            "rework": int, "rework_rate": nullable(json!({ "type": "number" })),
            "overdue": int, "warnings": counts,
            "mean_step_hours": { "type": "object", "additionalProperties": nullable(json!({ "type": "number" })) },
            "by_grid": counts, "by_category": counts, "by_source": counts,
        })),
        "Dictionary": object(&["categories", "priorities", "calendar", "duplicates"], json!({
            "categories": array_of(json!({ "type": "object" })),
            "priorities": { "type": "object" },
            "calendar": { "type": "object" },
            "duplicates": { "type": "object" },
        })),
    })
}

/// The incident view (two halves: one `json!` of it all is too deep).
fn incident_schema() -> Value {
    let num = json!({ "type": "number" });
    let int = json!({ "type": "integer" });
    let str_ = json!({ "type": "string" });
    let opt_str = nullable(json!({ "type": "string" }));
    let opt_int = nullable(json!({ "type": "integer" }));
    let strings = array_of(json!({ "type": "string" }));
    let mut props = json!({
            "id": str_, "category": str_, "category_name": opt_str, "category_name_en": opt_str,
            "category_major": opt_str, "department": opt_str,
            "source": { "type": "string", "enum": SOURCES },
            "priority": { "type": "string", "enum": PRIORITIES },
            "lon": num, "lat": num, "grid": str_, "area": str_,
            "description": str_, "photos": strings, "reporter": str_, "reporter_staff": opt_str,
            "state": { "type": "string", "enum": INCIDENT_STATES }, "state_label": str_,
            "report_only": { "type": "boolean" },
            "assignee_staff": opt_str, "assignee_department": opt_str,
            "merged_into": opt_str, "possible_duplicate_of": opt_str,
            "rework_count": int, "extension_hours": num,
            "pending_extension": nullable(object(&["hours", "reason", "by", "at_ms"], json!({
                "hours": num, "reason": str_, "by": str_, "at_ms": int,
            }))),
    });
    let more = json!({
            "created_ms": int, "updated_ms": int, "step_started_ms": int,
            "handled_ms": opt_int, "closed_ms": opt_int,
            "on_time": nullable(json!({ "type": "boolean" })),
            "step": nullable(json!({ "type": "string", "enum": ["accept", "dispatch", "sign", "handle", "verify", "close"] })),
            "step_limit_hours": nullable(json!({ "type": "number" })),
            "step_deadline_ms": opt_int,
            "limit_hours": num, "deadline_ms": int,
            "warning": { "type": "string", "enum": WARNINGS },
            "version": int,
            "allowed": array_of(json!({ "type": "string", "enum": INCIDENT_ACTIONS })),

    });
    if let (Value::Object(p), Value::Object(m)) = (&mut props, more) {
        p.extend(m);
    }
    object(
        &[
            "id", "category", "state", "lon", "lat", "grid", "area", "warning", "version",
        ],
        props,
    )
}

fn incident_id() -> Value {
    path_param("id", "The incident's serial number, e.g. SJ20261123000042")
}

/// The filters of `GET /api/incidents`.
fn incident_list_params() -> Vec<Value> {
    vec![
        csv_query("state", &INCIDENT_STATES, "Only these states"),
        query(
            "open",
            json!({ "type": "boolean" }),
            "Only open (true) or finished (false)",
        ),
        text_query("area", "An area code: its subtree only"),
        text_query("category", "A major or minor category code"),
        csv_query("priority", &PRIORITIES, "Only these priorities"),
        csv_query("warning", &WARNINGS, "Only these warning levels"),
        text_query("assignee", "Assigned to this staff member"),
        query(
            "mine",
            json!({ "type": "boolean" }),
            "A field user's own open tasks",
        ),
        text_query("from", "Reported at or after (epoch ms or ISO 8601)"),
        text_query("to", "Reported before (epoch ms or ISO 8601)"),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 100 }),
            "Page size",
        ),
        query(
            "offset",
            json!({ "type": "integer", "minimum": 0, "default": 0 }),
            "Items to skip",
        ),
    ]
}

fn incident_paths() -> Map<String, Value> {
    let list = incident_list_params();
    let mut report = op(
        "incidents",
        "reportIncident",
        "Report an incident (上报)",
        "The grid is found from the position; a report near an open incident of the same category \
         gets possible_duplicate_of. 201 once committed. Viewers may not report; nobody outside their area.",
        &[],
        answers(
            "201",
            json_body("The incident", schema_ref("Incident")),
            &[400, 401, 403, 503],
        ),
    );
    report["requestBody"] =
        json!({ "required": true, "content": content("application/json", schema_ref("ReportIn")) });
    // The new incident's id leads to everything about it (for clients and
    // for stateful API tests).
    let by_id = json!({ "id": "$response.body#/id" });
    report["responses"]["201"]["links"] = json!({
        "GetIncident": { "operationId": "incident", "parameters": by_id },
        "ActOnIncident": { "operationId": "actOnIncident", "parameters": by_id },
        "IncidentLog": { "operationId": "incidentLog", "parameters": by_id },
        "IncidentCandidates": { "operationId": "incidentCandidates", "parameters": by_id },
    });
    let mut act = op(
        "incidents",
        "actOnIncident",
        "Take an action (受理, 派遣, 签收, 办结, 核查, 结案…)",
        "Checked against the state, the user's role and area; 409 lists the actions allowed. 200 once the \
         change and its flow-log entry are committed.",
        &[incident_id()],
        answers(
            "200",
            json_body("The incident", schema_ref("Incident")),
            &[400, 401, 403, 404, 409, 503],
        ),
    );
    act["requestBody"] =
        json!({ "required": true, "content": content("application/json", schema_ref("ActionIn")) });
    paths(vec![
        (
            "/api/incidents",
            json!({
                "get": op("incidents", "listIncidents", "Incidents in the user's area",
                    "Newest first, filtered.", &list,
                    answers("200", json_body("A page", schema_ref("IncidentList")), &[400, 401, 404])),
                "post": report,
            }),
        ),
        (
            "/api/incidents/categories",
            json!({ "get": op("incidents", "incidentCategories",
            "The dictionary in force", "Categories (大类/小类) with departments, skills and limits; priorities; the work calendar; the duplicate rule.",
            &[], answers("200", json_body("The dictionary", schema_ref("Dictionary")), &[401])) }),
        ),
        (
            "/api/incidents/{id}",
            json!({ "get": op("incidents", "incident", "One incident",
            "With `allowed`, the actions this user may take now. 404 outside the user's area.",
            &[incident_id()], answers("200", json_body("The incident", schema_ref("Incident")), &[401, 404])) }),
        ),
        ("/api/incidents/{id}/actions", json!({ "post": act })),
    ])
}

fn incident_read_paths() -> Map<String, Value> {
    let format = query(
        "format",
        json!({ "type": "string", "enum": ["json", "csv"], "default": "json" }),
        "json or csv",
    );
    let log_answer = |what: &str| {
        let mut ok = json_body(what, schema_ref("IncidentLog"));
        ok["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
        answers("200", ok, &[400, 401, 404, 503])
    };
    let period = [
        text_query("from", "From (epoch ms or ISO 8601)"),
        text_query("to", "To (epoch ms or ISO 8601)"),
        text_query("area", "An area code: its subtree only"),
    ];
    let mut export = period.to_vec();
    export.push(format.clone());
    paths(vec![
        (
            "/api/incidents/{id}/log",
            json!({ "get": op("incidents", "incidentLog", "An incident's flow log",
            "Every action, in order; append-only.", &[incident_id(), format], log_answer("The log")) }),
        ),
        (
            "/api/incidents/log",
            json!({ "get": op("incidents", "exportIncidentLog", "Export the flow log",
            "Every entry in the user's area and the period (default the last 30 days).", &export,
            log_answer("The entries")) }),
        ),
        (
            "/api/incidents/{id}/candidates",
            json!({ "get": op("incidents", "incidentCandidates",
            "Suitable staff and cameras", "Same grid first, then the nearest available with the category's skill; the cameras that see the place.",
            &[incident_id(), query("k", json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 5 }), "How many staff")],
            answers("200", json_body("Candidates", schema_ref("Candidates")), &[400, 401, 404])) }),
        ),
        (
            "/api/incidents/stats",
            json!({ "get": op("incidents", "incidentStats", "Statistics",
            "Counts and rates over incidents reported in the period; overdue and warnings over what is open now.",
            &period, answers("200", json_body("Statistics", schema_ref("IncidentStats")), &[400, 401, 404])) }),
        ),
    ])
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
                    let name = seg.trim_matches(|c| c == '{' || c == '}');
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
                let should = [
                    "/health",
                    "/ready",
                    "/metrics",
                    "/osmand",
                    "/api/auth/login",
                    "/api/openapi.json",
                ]
                .contains(&path.as_str());
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
