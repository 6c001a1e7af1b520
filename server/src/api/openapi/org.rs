//! The organisation (网格+, 考核): departments and the assessment, schemas
//! and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, content, json_body, nullable, object, op, query, schema_ref, text_query,
};
use super::paths;

const LEVELS: [&str; 5] = ["city", "district", "street", "community", "grid"];

pub(super) fn org_schemas() -> Value {
    let str_ = json!({ "type": "string" });
    let int = json!({ "type": "integer" });
    let rate = nullable(json!({ "type": "number", "minimum": 0, "maximum": 1 }));
    let department = json!({
        "code": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,100}$" },
        "name": { "type": "string", "minLength": 1, "maxLength": 100 },
        "kind": { "type": "string", "minLength": 1, "maxLength": 100,
            "description": "The department type the incident dictionary names for a category (综治中心, 派出所, 综合行政执法队 …): what routing (一网分流) matches" },
        "area": { "type": "string", "description": "The code of the area it serves" },
        "staff": array_of(json!({ "type": "string", "minLength": 1 })),
        "limits": object(&["sign", "handle"], json!({
            "sign": { "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 100_000 },
            "handle": { "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 100_000 },
        })),
    });
    let mut view = department.clone();
    if let Value::Object(v) = &mut view {
        v.extend([
            (
                "area_name".to_owned(),
                nullable(json!({ "type": "string" })),
            ),
            (
                "level".to_owned(),
                nullable(json!({ "type": "string", "enum": LEVELS })),
            ),
            (
                "members".to_owned(),
                array_of(json!({ "type": "string", "description": "A bound login's username" })),
            ),
        ]);
    }
    json!({
        "Department": object(&["code", "name", "kind", "area"], department),
        "DepartmentView": object(&["code", "name", "kind", "area", "staff", "members"], view),
        "Departments": object(&["departments"], json!({ "departments": array_of(schema_ref("DepartmentView")) })),
        "DepartmentsIn": {
            "description": "{\"departments\": [...]}, or a GeoJSON FeatureCollection whose features' properties are departments",
            "oneOf": [
                object(&["departments"], json!({
                    "departments": { "type": "array", "minItems": 1, "maxItems": 10000, "items": schema_ref("Department") },
                })),
                object(&["type", "features"], json!({
                    "type": { "type": "string", "enum": ["FeatureCollection"] },
                    "features": { "type": "array", "minItems": 1, "maxItems": 10000,
                        "items": object(&["properties"], json!({ "properties": schema_ref("Department") })) },
                })),
            ],
        },
        "AssessmentRow": object(
            &["rank", "key", "found", "accepted", "closed", "escalations", "supervisions"],
            json!({
                "rank": int, "key": { "type": "string", "description": "Staff id, department code or area code" },
                "name": nullable(str_.clone()),
                "found": int, "accepted": int, "closed": int,
                "on_time_rate": rate, "rework_rate": rate,
                "avg_handling_hours": nullable(json!({ "type": "number", "description": "Working hours, report → 办结" })),
                "escalations": int, "supervisions": int,
                "satisfaction": nullable(json!({ "type": "number", "description": "群众满意率: the share of its rated incidents rated 4 or 5; null without ratings" })),
            }),
        ),
        "Assessment": object(&["level", "from_ms", "to_ms", "rows"], json!({
            "level": { "type": "string", "enum": ["worker", "department", "grid", "street", "district"] },
            "area": nullable(str_),
            "from_ms": int, "to_ms": int,
            "rows": array_of(schema_ref("AssessmentRow")),
        })),
    })
}

pub(super) fn org_paths() -> Map<String, Value> {
    let list = op(
        "organisation",
        "listDepartments",
        "Departments (部门, 网格+)",
        "Those serving an area of the caller's subtree and those above it (an incident can be routed \
         to them), by area then code.",
        &[
            text_query(
                "area",
                "Only those serving this place (the area's own and those above it)",
            ),
            text_query("kind", "Only this department type"),
        ],
        answers(
            "200",
            json_body("Departments", schema_ref("Departments")),
            &[400, 401, 404, 503],
        ),
    );
    let mut save = op(
        "organisation",
        "saveDepartments",
        "Add or replace departments (administrators)",
        "All or none, each in the administrator's subtree, by code (a code serving an area outside \
         it cannot be taken over: 403); listed staff must exist.",
        &[],
        answers(
            "200",
            json_body(
                "Saved",
                object(&["saved"], json!({ "saved": { "type": "integer" } })),
            ),
            &[400, 401, 403, 413, 415, 422, 503],
        ),
    );
    save["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("DepartmentsIn")) });
    let mut assessment = op(
        "organisation",
        "assessment",
        "考核: a level's units ranked over a period",
        "Incidents reported in [from, to) in the caller's area (or `area` inside it), report-only \
         ones left out; each counts for whoever found it (found, accepted) and whoever handled it \
         (the rest). Ranked by on-time rate (units without a verdict last), then closed, then key. \
         format=csv gives the same rows as CSV (UTF-8 with a byte-order mark).",
        &[
            query(
                "level",
                json!({ "type": "string", "enum": ["worker", "department", "grid", "street", "district"], "default": "street" }),
                "Which units",
            ),
            text_query("area", "An area code inside the caller's area"),
            text_query(
                "from",
                "Reported at or after (epoch ms or ISO 8601; default 30 days before `to`)",
            ),
            text_query("to", "Reported before (default now)"),
            query(
                "format",
                json!({ "type": "string", "enum": ["json", "csv"], "default": "json" }),
                "json or csv",
            ),
        ],
        answers(
            "200",
            json_body("The ranking", schema_ref("Assessment")),
            &[400, 401, 404, 503],
        ),
    );
    assessment["responses"]["200"]["content"]["text/csv"] =
        json!({ "schema": { "type": "string" } });
    paths(vec![
        ("/api/departments", json!({ "get": list, "post": save })),
        ("/api/assessment", json!({ "get": assessment })),
    ])
}
