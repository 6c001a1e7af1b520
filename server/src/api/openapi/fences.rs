//! Geofences (电子围栏): schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{answers, array_of, content, json_body, object, op, path_param, schema_ref};
use super::paths;

pub(super) fn fence_schemas() -> Value {
    let ring = json!({ "type": "array", "minItems": 4,
        "items": { "type": "array", "minItems": 2, "maxItems": 3, "items": { "type": "number" } } });
    let polygon = json!({ "type": "array", "minItems": 1, "items": ring });
    let geometry = json!({ "oneOf": [
        object(&["type", "coordinates"], json!({ "type": { "type": "string", "enum": ["Polygon"] }, "coordinates": polygon })),
        object(&["type", "coordinates"], json!({ "type": { "type": "string", "enum": ["MultiPolygon"] },
            "coordinates": { "type": "array", "minItems": 1, "items": polygon } })),
    ] });
    let detect = json!({ "type": "array", "minItems": 1,
        "items": { "type": "string", "enum": ["enter", "exit"] },
        "description": "The crossings reported: enter raises fence_enter alerts, exit fence_exit (default both)" });
    json!({
        "Fence": object(
            &["type", "geometry", "properties"],
            json!({
                "type": { "type": "string", "enum": ["Feature"] },
                "id": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$",
                        "description": "Stable id; generated when a new fence has none" },
                "geometry": geometry,
                "properties": object(&["name"], json!({
                    "name": { "type": "string", "minLength": 1, "maxLength": 100 },
                    "detect": detect,
                    "updated_ms": { "type": "integer", "format": "int64", "readOnly": true },
                    "updated_by": { "type": "string", "readOnly": true },
                })),
            }),
        ),
        "FenceCollection": object(
            &["type", "features"],
            json!({ "type": { "type": "string", "enum": ["FeatureCollection"] }, "features": array_of(schema_ref("Fence")) }),
        ),
        "FencesSaved": object(
            &["saved", "removed"],
            json!({ "saved": { "type": "integer" }, "removed": { "type": "integer" } }),
        ),
    })
}

pub(super) fn fence_paths() -> Map<String, Value> {
    let list = op(
        "fences",
        "listFences",
        "The geofences (电子围栏) placed in the user's area",
        "A GeoJSON FeatureCollection, by id, of the fences whose interior point lies in the \
         user's area. For the command centre (403 for field logins).",
        &[],
        answers(
            "200",
            json_body("The fences", schema_ref("FenceCollection")),
            &[401, 403],
        ),
    );
    let body = json!({ "required": true, "content": content("application/json",
        json!({ "oneOf": [schema_ref("Fence"), schema_ref("FenceCollection")] })) });
    let save = |id: &str, summary: &str, description: &str| {
        let mut o = op(
            "fences",
            id,
            summary,
            description,
            &[],
            answers(
                "200",
                json_body("Saved", schema_ref("FencesSaved")),
                &[400, 401, 403, 413, 503],
            ),
        );
        o["requestBody"] = body.clone();
        o
    };
    let add = save(
        "saveFences",
        "Add or replace geofences",
        "For administrators, inside their area: a Feature or a FeatureCollection of fences, each \
         a Polygon or MultiPolygon with a name; a fence of the same id is replaced. All or \
         none: the first bad fence is named (400); one outside the administrator's area is 403. \
         Committed as one event; each worker on duty crossing a fence then raises the alerts it \
         reports (fence_enter, fence_exit), and every live viewer gets a layer_changed message \
         for the layer fences on /ws (a big screen reads the fences again).",
    );
    let replace = save(
        "replaceFences",
        "Replace every geofence of the administrator's area",
        "As saveFences, and every other fence of the administrator's area is deleted.",
    );
    let delete = op(
        "fences",
        "deleteFence",
        "Delete a geofence",
        "For administrators of the fence's area (404 otherwise). Workers inside it leave it \
         without an alert; live viewers get layer_changed (fences) on /ws.",
        &[path_param("id", "Fence id")],
        answers(
            "204",
            json!({ "description": "Deleted" }),
            &[400, 401, 403, 404, 503],
        ),
    );
    paths(vec![
        (
            "/api/fences",
            json!({ "get": list, "post": add, "put": replace }),
        ),
        ("/api/fences/{id}", json!({ "delete": delete })),
    ])
}
