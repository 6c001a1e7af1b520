//! Alerts (a worker's SOS): schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    DUTIES, answers, array_of, closed, content, json_body, nullable, object, op, path_param, query,
    schema_ref, text_query,
};
use super::paths;

const ALERT_STATES: [&str; 3] = ["open", "acknowledged", "closed"];

pub(super) fn alert_schemas() -> Value {
    let num = json!({ "type": "number" });
    let int = json!({ "type": "integer", "format": "int64" });
    let text = json!({ "type": "string" });
    json!({
        "Alert": object(
            &["id", "kind", "state", "staff_id", "staff_name", "duty_before", "helpers", "raised_ms", "updated_ms", "steps", "version"],
            json!({
                "id": { "type": "string", "description": "sos-{staff_id}-{raised_ms}" },
                "kind": { "type": "string", "enum": ["sos", "left_grid", "motionless", "not_visited", "place_overdue", "fence_enter", "fence_exit", "risk_zone"], "description": "sos: the \
                    worker asked for help; left_grid (脱岗) and motionless (静止) are raised by the server's track rules; \
                    not_visited (未按时入格) and place_overdue (逾期未检) by the patrol rules, to the grid's worker; \
                    fence_enter (进入围栏) and fence_exit (离开围栏) by an administrator's geofence, risk_zone \
                    (进入风险源缓冲区) on coming within --risk-buffer-m of a risk source of --risk-buffer-level or higher" },
                "since_ms": { "type": "integer", "format": "int64", "description": "A rule's alert: when the rule began to be broken" },
                "state": { "type": "string", "enum": ALERT_STATES, "description": "open: nobody has taken it \
                    (it repeats on /ws every 5 s); acknowledged: a dispatcher took it; closed: over" },
                "staff_id": text,
                "staff_name": text,
                "grid": nullable(json!({ "type": "string", "description": "The member's home grid: whose dispatchers it reaches" })),
                "position": nullable(object(&["lon", "lat"], json!({ "lon": num, "lat": num }))),
                "duty_before": { "type": "string", "enum": DUTIES },
                "helpers": array_of(object(&["staff_id", "name", "distance_m"], json!({
                    "staff_id": text, "name": text, "distance_m": num,
                }))),
                "raised_ms": int,
                "updated_ms": int,
                "steps": array_of(object(&["action", "at_ms", "by"], json!({
                    "action": { "type": "string", "enum": ["raised", "acknowledged", "cancelled", "closed"] },
                    "at_ms": int,
                    "by": { "type": "string", "description": "Username (riskmap for the rules)" },
                    "by_name": { "type": "string", "description": "The login's display name" },
                    "note": text,
                }))),
                "version": int,
            }),
        ),
        "AlertAnswer": object(&["alert"], json!({ "alert": schema_ref("Alert") })),
        "SosIn": closed(object(&[], json!({
            "position": schema_ref("FixIn"),
            "note": { "type": "string", "maxLength": 500 },
        }))),
        "AlertStepIn": closed(object(&[], json!({
            "note": { "type": "string", "maxLength": 500 },
        }))),
    })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": content("application/json", schema_ref(schema)) })
}

fn step(id: &str, summary: &str, description: &str, param: &Value) -> Value {
    let mut o = op(
        "alerts",
        id,
        summary,
        description,
        std::slice::from_ref(param),
        answers(
            "200",
            json_body("The alert now", schema_ref("AlertAnswer")),
            &[400, 401, 403, 404, 409, 413, 415, 422, 503],
        ),
    );
    o["requestBody"] = body("AlertStepIn");
    o
}

/// `POST /api/staff/{id}/sos`.
fn raise_op(staff: &Value) -> Value {
    let raised = json_body(
        "Raised",
        object(
            &["alert", "share_every_s"],
            json!({
                "alert": schema_ref("Alert"),
                "share_every_s": { "type": "integer", "description": "Share the position this often while it is active" },
            }),
        ),
    );
    let mut raise = op(
        "alerts",
        "raiseSos",
        "Raise an SOS (一键求助)",
        "The worker's own login (with its position, recorded first) or a dispatcher, commander or \
         administrator of their area (the worker phoned in). The member's duty becomes sos (out of \
         dispatch; check-in and out refused), the alert is pushed on /ws (`alert`, layer alerts) to \
         every viewer whose area holds the member's grid and again every 5 s until acknowledged, and \
         the nearest available staff are proposed as helpers. 201 with the new alert; 200 with the \
         active one if the member already has one.",
        std::slice::from_ref(staff),
        answers(
            "201",
            raised.clone(),
            &[400, 401, 403, 404, 413, 415, 422, 503],
        ),
    );
    raise["responses"]["200"] = raised;
    raise["requestBody"] = body("SosIn");
    raise
}

pub(super) fn alert_paths() -> Map<String, Value> {
    let staff = path_param("id", "Staff member id");
    let alert = path_param("id", "Alert id");
    let raise = raise_op(&staff);
    let mut cancel = op(
        "alerts",
        "cancelSos",
        "Cancel one's SOS (撤销)",
        "The member's active SOS is closed as cancelled; their duty goes back (busy while they hold a \
         task, off if they were off, else available). 404 if none is active.",
        std::slice::from_ref(&staff),
        answers(
            "200",
            json_body("Cancelled", schema_ref("AlertAnswer")),
            &[400, 401, 403, 404, 409, 413, 415, 422, 503],
        ),
    );
    cancel["requestBody"] = body("AlertStepIn");
    let list = op(
        "alerts",
        "listAlerts",
        "Alerts of my area",
        "Without from: the active alerts and those closed in the last day. With from (and to): the \
         history from the store, alerts raised in [from, to). Newest first; a field login sees its own.",
        &[
            query(
                "state",
                json!({ "type": "string", "enum": ["open", "acknowledged", "closed", "active"] }),
                "Only in this state (active: open or acknowledged)",
            ),
            text_query("from", "Raised at or after: ISO 8601 or epoch milliseconds"),
            text_query("to", "Raised before (default now); needs from"),
            query(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 1000, "default": 1000 }),
                "At most this many",
            ),
        ],
        answers(
            "200",
            json_body(
                "Alerts",
                object(
                    &["alerts"],
                    json!({ "alerts": array_of(schema_ref("Alert")) }),
                ),
            ),
            &[400, 401, 403, 503],
        ),
    );
    let one = op(
        "alerts",
        "getAlert",
        "One alert, with every step",
        "In the user's area (or the field login's own).",
        std::slice::from_ref(&alert),
        answers(
            "200",
            json_body("The alert", schema_ref("AlertAnswer")),
            &[401, 403, 404, 503],
        ),
    );
    paths(vec![
        ("/api/staff/{id}/sos", json!({ "post": raise })),
        ("/api/staff/{id}/sos/cancel", json!({ "post": cancel })),
        ("/api/alerts", json!({ "get": list })),
        ("/api/alerts/{id}", json!({ "get": one })),
        (
            "/api/alerts/{id}/ack",
            json!({ "post": step("acknowledgeAlert", "Take an alert (认领)",
                "A dispatcher, commander or administrator of the area: it stops repeating; the worker \
                 is told. 409 unless open.", &alert) }),
        ),
        (
            "/api/alerts/{id}/close",
            json!({ "post": step("closeAlert", "Close an alert (处置完毕)",
                "A dispatcher, commander or administrator of the area, with a note; the worker's duty \
                 goes back as on cancel. 409 if closed.", &alert) }),
        ),
    ])
}
