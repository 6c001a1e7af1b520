//! The incident closed loop's schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, closed, content, csv_query, json_body, nullable, object, op, path_param,
    query, schema_ref, text_query,
};
use super::paths;

pub(super) const INCIDENT_STATES: [&str; 10] = [
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
pub(super) const INCIDENT_ACTIONS: [&str; 18] = [
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
    "transfer",
    "supervise",
    "answer_supervision",
];
pub(super) const SOURCES: [&str; 5] = ["patrol", "citizen", "hotline", "camera", "system"];
pub(super) const PRIORITIES: [&str; 3] = ["normal", "urgent", "emergency"];
pub(super) const WARNINGS: [&str; 4] = ["none", "green", "yellow", "red"];

pub(super) fn incident_schemas() -> Value {
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
            "staff_id": opt_str,
            "department": nullable(json!({ "type": "string", "description": "dispatch: a department's code (GET /api/departments) serving the incident's place" })),
            "into": opt_str,
            "area": { "type": "string", "description": "transfer (分转/下派): an area code of the actor's subtree" },
            "hours": nullable(json!({ "type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 10000,
                "description": "request_extension: hours asked for; supervise (督办): hours until the answer is due" })),
            "version": opt_int,
            "reply": nullable(json!({ "type": "string", "maxLength": 2000,
                "description": "答复: the public answer its reporter is told (一网反馈), with close, reject or merge" })),
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
            "satisfaction": object(&["rated"], json!({
                "rated": int,
                "average": nullable(json!({ "type": "number", "minimum": 1, "maximum": 5 })),
                "satisfied_rate": nullable(json!({ "type": "number", "minimum": 0, "maximum": 1,
                    "description": "Share rated 4 or 5 (群众满意率)" })),
            })),
            "citizen_today": { "type": "integer", "description": "随手拍 reports since the start of today" },
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
pub(super) fn incident_schema() -> Value {
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
            "lon": num, "lat": num, "grid": str_, "grid_name": opt_str, "area": str_,
            "area_name": opt_str, "description": str_, "photos": strings, "reporter": str_, "reporter_staff": opt_str,
            "state": { "type": "string", "enum": INCIDENT_STATES }, "state_label": str_,
            "report_only": { "type": "boolean" },
            "assignee_staff": opt_str, "assignee_name": opt_str, "assignee_department": opt_str,
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
    let chain = json!({
            "assignee_department_name": opt_str,
            "owner_centre": nullable(json!({ "type": "string", "description": "三级联动: the command centre that owns it (the responsible area, or for a grid or community its street)" })),
            "owner_centre_name": opt_str,
            "owner_level": nullable(json!({ "type": "string", "enum": ["city", "district", "street", "community", "grid"] })),
            "proposed_department": nullable(object(&["code", "name"], json!({ "code": str_, "name": str_ }))),
            "supervision": nullable(object(&["by", "by_area", "order", "at_ms", "due_ms"], json!({
                "by": str_, "by_area": str_, "order": str_, "at_ms": int, "due_ms": int,
                "by_area_name": opt_str,
                "answered_ms": opt_int, "answered_by": opt_str, "answer": opt_str,
            }))),
            "escalations": int, "clock_escalations": int,
            "intake": super::channels::intake_schema(),
    });
    for extra in [more, chain] {
        if let (Value::Object(p), Value::Object(m)) = (&mut props, extra) {
            p.extend(m);
        }
    }
    object(
        &[
            "id", "category", "state", "lon", "lat", "grid", "area", "warning", "version",
        ],
        props,
    )
}

pub(super) fn incident_id() -> Value {
    path_param("id", "The incident's serial number, e.g. SJ20261123000042")
}

/// The filters of `GET /api/incidents`.
pub(super) fn incident_list_params() -> Vec<Value> {
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
            "A field user's own tasks: the running ones (dispatched, signed, in progress), or with \
             `state` those states (已办: handled,verified,closed)",
        ),
        query(
            "queue",
            json!({ "type": "string", "enum": ["mine"] }),
            "mine: what awaits the caller's step (我的待办: their tasks, their department's, their own \
             command level's, open 督办 orders to answer), nearest deadline first",
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

pub(super) fn incident_paths() -> Map<String, Value> {
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
                    "Newest first, filtered. The open set, a staff member's incidents and a period of up to two days are read at once; a walk of the whole history waits for a heavy answer's turn.", &list,
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

pub(super) fn incident_read_paths() -> Map<String, Value> {
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
            &[incident_id(), query("k", json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 5 }), "How many staff"),
              query("include_stale", json!({ "type": "boolean", "default": false }), "Staff not heard from for --stale-after-s too")],
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
