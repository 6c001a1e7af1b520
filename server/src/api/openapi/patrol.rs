//! Patrol coverage (巡查覆盖): schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, json_body, nullable, object, op, query, schema_ref, text_query,
};
use super::paths;

const STATUSES: [&str; 4] = ["covered", "partly", "none", "overdue"];

pub(super) fn patrol_schemas() -> Value {
    let int = json!({ "type": "integer" });
    let num = json!({ "type": "number" });
    let text = json!({ "type": "string" });
    let ms = json!({ "type": "integer", "format": "int64" });
    let share = json!({
        "code": text, "name": nullable(text.clone()), "visits": int, "time_s": int,
        "distance_m": num, "cells": int, "first_ms": ms, "last_ms": ms,
    });
    let share_keys = [
        "code",
        "name",
        "visits",
        "time_s",
        "distance_m",
        "cells",
        "first_ms",
        "last_ms",
    ];
    let mut row = share.clone();
    row["staff_id"] = text.clone();
    row["staff_name"] = text.clone();
    let mut row_keys = share_keys.to_vec();
    row_keys.extend(["staff_id", "staff_name"]);
    json!({
        "PatrolRule": object(
            &["visits_per_day", "coverage", "visit_by"],
            json!({
                "visits_per_day": int,
                "coverage": { "type": "number", "minimum": 0, "maximum": 1 },
                "visit_by": { "type": ["string", "null"], "description": "HH:MM, local time; null: no time" },
            }),
        ),
        "GridPatrol": object(
            &["code", "name", "status", "visits", "cells_walked", "cells", "coverage", "time_s",
              "distance_m", "workers", "first_visit_ms", "rule"],
            json!({
                "code": text, "name": text,
                "status": { "type": "string", "enum": STATUSES,
                    "description": "covered: visits and coverage met; partly: visited; none: not yet, not due; overdue: not visited by visit_by (or a past day)" },
                "visits": { "type": "integer", "description": "Visits (入格) begun" },
                "cells_walked": { "type": "integer", "description": "Its H3 cells a fix fell in" },
                "cells": { "type": "integer", "description": "Its H3 cells: those whose centres lie in it" },
                "coverage": { "type": "number", "minimum": 0, "maximum": 1 },
                "time_s": { "type": "integer", "description": "Time spent in it, summed over workers" },
                "distance_m": num, "workers": int,
                "first_visit_ms": { "type": ["integer", "null"], "format": "int64" },
                "rule": schema_ref("PatrolRule"),
            }),
        ),
        "PatrolShare": object(&share_keys, share),
        "PatrolLogRow": object(&row_keys, row),
        "WorkerDay": object(
            &["staff_id", "name", "home_grid", "day", "fixes", "first_ms", "last_ms", "time_s",
              "distance_m", "cells", "home_coverage", "grids", "incidents_found", "track"],
            json!({
                "staff_id": text, "name": text, "home_grid": text,
                "day": { "type": "string", "format": "date" },
                "fixes": int,
                "first_ms": { "type": ["integer", "null"], "format": "int64" },
                "last_ms": { "type": ["integer", "null"], "format": "int64" },
                "time_s": { "type": "integer", "description": "Time on patrol: fixes at most 10 minutes apart joined" },
                "distance_m": num, "cells": int,
                "home_coverage": { "type": ["number", "null"] },
                "grids": array_of(schema_ref("PatrolShare")),
                "incidents_found": { "type": "integer", "description": "Incidents they reported that day" },
                "track": array_of(json!({ "type": "array", "items": num, "minItems": 3, "maxItems": 3,
                    "description": "[lon, lat, epoch ms]" })),
            }),
        ),
    })
}

pub(super) fn patrol_paths() -> Map<String, Value> {
    let day = text_query("day", "The local date, YYYY-MM-DD (default today)");
    let area = text_query("area", "Only under this area code (in the user's area)");
    let coverage = op(
        "patrol",
        "patrolCoverage",
        "Each grid's patrol coverage today (or a day)",
        "Every grid under the area with its visits, the share of its H3 cells walked, time and \
         distance, judged against its rule (--patrol-config). Today and yesterday come from memory, \
         kept as fixes arrive; older days are read from the stored tracks of the area's staff (at \
         most 5,000: 400 beyond, ask for a smaller area). complete is false while today is read \
         back after a restart.",
        &[day.clone(), area.clone()],
        answers(
            "200",
            json_body(
                "The grids",
                object(
                    &["day", "resolution", "complete", "counts", "grids"],
                    json!({
                        "day": { "type": "string", "format": "date" },
                        "resolution": { "type": "integer", "minimum": 8, "maximum": 12 },
                        "complete": { "type": "boolean" },
                        "counts": object(&STATUSES, json!({
                            "covered": { "type": "integer" }, "partly": { "type": "integer" },
                            "none": { "type": "integer" }, "overdue": { "type": "integer" },
                        })),
                        "grids": array_of(schema_ref("GridPatrol")),
                    }),
                ),
            ),
            &[400, 401, 404, 503],
        ),
    );
    let worker = op(
        "patrol",
        "patrolWorkerDay",
        "A worker's day card",
        "Fixes, time on patrol, distance, cells walked, each grid they were in (longest first), \
         their home grid's coverage, the incidents they reported, and the day's track (thinned to \
         2,000 points). 404 for a member outside the user's area.",
        &[
            json!({ "$ref": "#/components/parameters/StaffId" }),
            day.clone(),
        ],
        answers(
            "200",
            json_body("The day", schema_ref("WorkerDay")),
            &[400, 401, 404, 503],
        ),
    );
    let mut ok = json_body(
        "The log",
        object(
            &["day", "rows"],
            json!({
                "day": { "type": "string", "format": "date" },
                "area": { "type": ["string", "null"] },
                "rows": array_of(schema_ref("PatrolLogRow")),
            }),
        ),
    );
    ok["content"]["text/csv"] = json!({ "schema": { "type": "string" } });
    let log = op(
        "patrol",
        "patrolLog",
        "The patrol log (巡查台账)",
        "One row per worker and grid they were in that day: the area's workers anywhere, and \
         anyone in the area's grids. CSV with format=csv (UTF-8 with a byte-order mark).",
        &[
            day,
            area,
            query(
                "format",
                json!({ "type": "string", "enum": ["json", "csv"], "default": "json" }),
                "json or csv",
            ),
        ],
        answers("200", ok, &[400, 401, 404, 503]),
    );
    paths(vec![
        ("/api/patrol/coverage", json!({ "get": coverage })),
        ("/api/patrol/log", json!({ "get": log })),
        ("/api/patrol/staff/{id}", json!({ "get": worker })),
    ])
}
