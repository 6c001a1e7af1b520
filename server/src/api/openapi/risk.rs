//! Grid risk (风险研判): schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, json_body, object, op, path_param, query, schema_ref, text_query,
};
use super::paths;

const COLOURS: [&str; 4] = ["red", "orange", "yellow", "blue"];

pub(super) fn risk_schemas() -> Value {
    let num = json!({ "type": "number" });
    let text = json!({ "type": "string" });
    let level = json!({ "type": "integer", "minimum": 1, "maximum": 4, "description": "1 重大 (red) … 4 低 (blue)" });
    let counts = object(
        &COLOURS,
        json!({ "red": { "type": "integer" }, "orange": { "type": "integer" }, "yellow": { "type": "integer" }, "blue": { "type": "integer" } }),
    );
    json!({
        "RiskParts": object(
            &["risk_sources", "key_places", "incidents", "camera_alarms"],
            json!({ "risk_sources": num, "key_places": num, "incidents": num, "camera_alarms": num }),
        ),
        "GridRisk": object(
            &["code", "name", "score", "level", "colour", "parts"],
            json!({
                "code": text,
                "name": text,
                "parent": { "type": ["string", "null"] },
                "score": num,
                "level": level,
                "colour": { "type": "string", "enum": COLOURS },
                "parts": schema_ref("RiskParts"),
            }),
        ),
        "RiskFactor": object(
            &["kind", "id", "base", "share", "points", "name", "category"],
            json!({
                "kind": { "type": "string", "enum": ["risk_source", "key_place", "incident", "camera_alarm"] },
                "id": text,
                "base": { "type": "number", "description": "Full points by level and category (sources), kind (places), priority and category (incidents)" },
                "share": { "type": "number", "description": "How much counts here: a line's or area's share of the grid, 1 for a point, what an incident's age leaves" },
                "repeats": { "type": "integer", "description": "Incidents: reports merged into it" },
                "points": num,
                "name": text,
                "category": text,
                "level": level,
            }),
        ),
        "GridRiskDetail": {
            "allOf": [schema_ref("GridRisk"), object(&["factors", "trend", "computed_ms"], json!({
                "factors": array_of(schema_ref("RiskFactor")),
                "trend": array_of(object(&["day", "score", "level"], json!({
                    "day": { "type": "string", "format": "date" }, "score": num, "level": level,
                }))),
                "computed_ms": { "type": "integer", "format": "int64" },
            }))],
        },
        "AreaRisk": object(
            &["code", "name", "area_level", "grids", "score", "max_score", "counts", "worst"],
            json!({
                "code": text,
                "name": text,
                "area_level": { "type": "string", "enum": ["city", "district", "street", "community", "grid"] },
                "grids": { "type": "integer" },
                "score": { "type": "number", "description": "The sum of the grids' scores" },
                "max_score": num,
                "counts": { "type": "array", "items": { "type": "integer" }, "minItems": 4, "maxItems": 4,
                    "description": "Grids per level: red, orange, yellow, blue" },
                "worst": { "type": "string", "enum": COLOURS },
            }),
        ),
        "RiskCounts": counts,
    })
}

pub(super) fn risk_paths() -> Map<String, Value> {
    let code = path_param("code", "Area code");
    let list = op(
        "risk",
        "listGridRisk",
        "Grids by risk (风险等级)",
        "Every grid under the area (default: the user's whole area) with its score, level and parts, \
         riskiest first; the count per level and the thresholds. Scores are computed by the server's \
         model (docs/protocol.md, \"Grid risk\") and kept current as incidents and layers change.",
        &[
            text_query(
                "area",
                "Only grids under this area code (in the user's area)",
            ),
            query(
                "level",
                json!({ "type": "string", "enum": ["red", "orange", "yellow", "blue", "1", "2", "3", "4"] }),
                "Only grids at this level or worse",
            ),
            query(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 100_000 }),
                "At most this many (total still counts all)",
            ),
        ],
        answers(
            "200",
            json_body(
                "Grids",
                object(
                    &["grids", "total", "counts", "thresholds"],
                    json!({
                        "grids": array_of(schema_ref("GridRisk")),
                        "total": { "type": "integer" },
                        "counts": schema_ref("RiskCounts"),
                        "thresholds": object(&["yellow", "orange", "red"], json!({
                            "yellow": { "type": "number" }, "orange": { "type": "number" }, "red": { "type": "number" },
                        })),
                    }),
                ),
            ),
            &[400, 401, 403, 404, 503],
        ),
    );
    let grid = op(
        "risk",
        "getGridRisk",
        "One grid's risk: why, and its trend",
        "The score, level and parts; every factor (risk sources of any geometry by their share of \
         the grid, key places, incidents decaying with age), largest first; and one point per day for \
         the last 30 days from the daily snapshots (today: now). 400 if the code is not a grid.",
        std::slice::from_ref(&code),
        answers(
            "200",
            json_body("The grid", schema_ref("GridRiskDetail")),
            &[400, 401, 403, 404, 503],
        ),
    );
    let area = op(
        "risk",
        "getAreaRisk",
        "An area's risk, rolled up, and its children's",
        "The grids under the area summed: how many per level, the worst, the total and highest score; \
         the same for each child area (street → communities …), for the drill-down.",
        std::slice::from_ref(&code),
        answers(
            "200",
            json_body(
                "The area",
                object(
                    &["area", "children"],
                    json!({
                        "area": schema_ref("AreaRisk"),
                        "children": array_of(schema_ref("AreaRisk")),
                    }),
                ),
            ),
            &[401, 403, 404, 503],
        ),
    );
    paths(vec![
        ("/api/risk/analysis", json!({ "get": analysis_op() })),
        ("/api/risk/grids", json!({ "get": list })),
        ("/api/risk/grids/{code}", json!({ "get": grid })),
        ("/api/risk/areas/{code}", json!({ "get": area })),
    ])
}

fn analysis_op() -> Value {
    let count = object(
        &["key", "count"],
        json!({
            "key": { "type": "string" }, "count": { "type": "integer" }, "name": { "type": "string" },
        }),
    );
    let cell = json!({
        "cell": { "type": "string", "description": "H3 cell, hexadecimal" },
        "lon": { "type": "number" }, "lat": { "type": "number" }, "count": { "type": "integer" },
    });
    let mut hot = cell.clone();
    hot["days"] = json!({ "type": "integer", "description": "Days with incidents there" });
    hot["category"] =
        json!({ "type": "string", "description": "The most frequent category there" });
    op(
        "risk",
        "analyseIncidents",
        "Incident analysis (研判): heat map, trends, top grids and categories, repeat hot spots",
        "The incidents reported in [from, to) under the area (default: the user's whole area), of \
         one category if given; merged reports count once. heat: per H3 cell; by_day: every day of \
         the period in the city's calendar; by_week: per ISO week; top_grids and top_categories: the \
         ten with most; hot_spots: cells with incidents on repeat_days different days or more; by_area: \
         per child area of the area (its streets, districts …), most first, for comparison.",
        &[
            text_query("area", "Only under this area code (in the user's area)"),
            text_query(
                "from",
                "From: ISO 8601 or epoch milliseconds (default: 30 days before to)",
            ),
            text_query("to", "Before (default now); at most 366 days after from"),
            text_query("category", "Only this minor category code"),
            query(
                "resolution",
                json!({ "type": "integer", "minimum": 5, "maximum": 11, "default": 9 }),
                "H3 resolution",
            ),
            query(
                "repeat_days",
                json!({ "type": "integer", "minimum": 1, "maximum": 366, "default": 3 }),
                "Days that make a hot spot",
            ),
        ],
        answers(
            "200",
            json_body(
                "The analysis",
                object(
                    &[
                        "total",
                        "heat",
                        "by_day",
                        "by_week",
                        "top_grids",
                        "top_categories",
                        "hot_spots",
                    ],
                    json!({
                        "total": { "type": "integer" },
                        "heat": array_of(object(&["cell", "lon", "lat", "count"], cell)),
                        "by_day": array_of(count.clone()),
                        "by_week": array_of(count.clone()),
                        "top_grids": array_of(count.clone()),
                        "top_categories": array_of(count.clone()),
                        "by_area": array_of(count),
                        "hot_spots": array_of(object(&["cell", "lon", "lat", "count", "days", "category"], hot)),
                    }),
                ),
            ),
            &[400, 401, 403, 404, 503],
        ),
    )
}
