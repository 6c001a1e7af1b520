//! `components/schemas`: the shapes of requests and answers, one function
//! per area (common, dispatch, staff, location, OGC, imports).

use serde_json::{Value, json};

use super::build::{
    COLLECTIONS, DUTIES, ERROR_CODES, LEVELS, SKILLS, STAFF_ROLES, USER_ROLES, array_of, nullable,
    object, schema_ref,
};
use crate::api::ogc::CONFORMS_TO;

/// The password rules (`identity::password::check_password`), as the
/// document states them.
const PASSWORD_RULES: &str = "At least 10 characters, mixing at least 3 of: lowercase letters, \
    uppercase letters, digits, other characters (symbols, Chinese …); not containing the username. \
    A rule broken: 400 weak_password, saying which.";

pub(super) fn common_schemas() -> Value {
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
            "department": nullable(json!({ "type": "string", "description": "The department (部门) the login belongs to" })),
            "must_change_password": { "type": "boolean", "description": "Someone else chose the password: \
                until the owner chooses a new one (POST /api/auth/password), every other request with its \
                token is refused (403 password_change_required)" },
        })),
        "Account": { "allOf": [schema_ref("User"), object(&["disabled"], json!({
            "disabled": { "type": "boolean", "description": "A disabled login cannot log in" },
        }))] },
        "Accounts": object(&["users"], json!({ "users": array_of(schema_ref("Account")) })),
        "NewAccount": object(&["username", "role", "area", "password"], json!({
            "username": { "type": "string", "pattern": "^[A-Za-z0-9._-]{3,64}$" },
            "display_name": { "type": "string", "description": "Default: the username" },
            "role": { "type": "string", "enum": USER_ROLES },
            "area": { "type": "string", "description": "Inside the administrator's area; '' only for a city-wide administrator's login" },
            "staff_id": nullable(json!({ "type": "string", "description": "Required for a field login: a staff member of the area" })),
            "department": nullable(json!({ "type": "string", "description": "A department's code, serving the login's area, one inside it or one above it" })),
            "password": { "type": "string", "minLength": 10, "maxLength": 1024, "description": PASSWORD_RULES },
        })),
        "NewPassword": object(&["password"], json!({
            "password": { "type": "string", "minLength": 10, "maxLength": 1024, "description": PASSWORD_RULES },
        })),
        "PasswordChange": object(&["current_password", "new_password"], json!({
            "current_password": { "type": "string", "maxLength": 1024 },
            "new_password": { "type": "string", "minLength": 10, "maxLength": 1024,
                "description": "The rules of every password, and different from the current one" },
        })),
        "AccountChanges": object(&[], json!({
            "display_name": { "type": "string" },
            "role": { "type": "string", "enum": USER_ROLES },
            "area": { "type": "string" },
            "staff_id": nullable(json!({ "type": "string" })),
            "department": nullable(json!({ "type": "string", "description": "null: none" })),
            "disabled": { "type": "boolean", "description": "A disabled login cannot log in; its sessions end and its sockets close at once" },
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

pub(super) fn dispatch_schemas() -> Value {
    let num = json!({ "type": "number" });
    let opt_num = nullable(json!({ "type": "number" }));
    let str_ = json!({ "type": "string" });
    json!({
        "Candidate": object(&["id", "name", "role", "duty", "distance_m", "same_grid", "lon", "lat", "fix_age_s", "stale"], json!({
            "id": str_, "name": str_,
            "role": { "type": "string", "enum": STAFF_ROLES },
            "duty": { "type": "string", "enum": DUTIES },
            "distance_m": { "type": "number", "description": "Great-circle metres" },
            "grid": nullable(json!({ "type": "string", "description": "Home grid code" })),
            "grid_name": nullable(json!({ "type": "string", "description": "Home grid name" })),
            "current_grid": schema_ref("GridRef"),
            "same_grid": { "type": "boolean" },
            "lon": num, "lat": num,
            "fix_age_s": { "type": "integer", "description": "Seconds since the position was taken" },
            "stale": { "type": "boolean", "description": "Older than --stale-after-s (only with include_stale=true)" },
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

pub(super) fn staff_schemas() -> Value {
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
        "TrackResponse": object(&["staff_id", "from", "to", "fixes", "truncated"], json!({
            "staff_id": str_,
            "truncated": { "type": "boolean",
                           "description": "Whether the window holds more fixes than the limit (ask again from the last fix's time)" },
            "from": { "type": "integer" },
            "to": { "type": "integer" },
            "fixes": array_of(object(&["lon", "lat", "t"], json!({
                "lon": num, "lat": num, "t": { "type": "integer" },
                "speed": opt_num, "heading": opt_num, "accuracy": opt_num,
            }))),
        })),
    })
}

pub(super) fn location_schemas() -> Value {
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
        "DispatchBatch": object(&["queries"], json!({
            "queries": { "type": "array", "maxItems": 1_000, "items": object(&["query"], json!({
                "query": { "type": "string", "description": "nearest, cameras, nearby, locate or heatmap" },
                "params": { "type": "object", "description": "The REST query's parameters, as JSON values" },
            })) },
        })),
        "DispatchBatchResponse": object(&["results"], json!({
            "results": { "type": "array", "description": "One per query, in order", "items": object(&["query"], json!({
                "query": { "type": "string" },
                "data": { "description": "The answer, as the REST query's" },
                "error": { "type": "string", "description": "This query's error code (the others are answered)" },
                "message": { "type": "string" },
            })) },
        })),
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

pub(super) fn ogc_schemas() -> Value {
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
pub(super) fn import_schemas() -> Value {
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
