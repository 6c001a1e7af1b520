//! The roster (排班): schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{answers, array_of, content, json_body, object, op, schema_ref, text_query};
use super::paths;

pub(super) fn roster_schemas() -> Value {
    let clock = json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$" });
    let text = json!({ "type": "string" });
    let mut shift = object(
        &["grid", "staff", "days", "start", "end"],
        json!({
            "grid": { "type": "string", "description": "A grid's area code in the administrator's area" },
            "staff": { "type": "array", "minItems": 1, "maxItems": 50, "items": text },
            "days": { "type": "array", "minItems": 1, "items": { "type": "string",
                      "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] },
                      "description": "The weekdays the shift starts on" },
            "start": clock,
            "end": { "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                     "description": "Local time; at or before start: past midnight into the next day" },
            "name": { "type": "string", "maxLength": 50 },
        }),
    );
    shift["additionalProperties"] = json!(false);
    json!({
        "Shift": shift,
        "DueMember": object(
            &["staff_id", "name", "grid", "grid_name", "shift", "start", "end", "presence", "duty", "fix_age_s"],
            json!({
                "staff_id": text, "name": text, "grid": text, "grid_name": text, "shift": text,
                "start": text, "end": text,
                "presence": { "type": "string", "enum": ["present", "unreachable", "absent"],
                              "description": "present 在岗 (checked in, heard from lately); unreachable 失联 \
                              (checked in, phone silent past --stale-after-s); absent 未到岗 (not checked in)" },
                "duty": { "type": "string", "enum": ["available", "busy", "off", "sos"] },
                "fix_age_s": { "type": "integer", "nullable": true },
            }),
        ),
    })
}

pub(super) fn roster_paths() -> Map<String, Value> {
    let area = text_query("area", "Only under this area code (in the user's area)");
    let list = op(
        "roster",
        "listRoster",
        "The shifts (排班) of the grids in the user's area",
        "For the command centre (403 for field logins).",
        std::slice::from_ref(&area),
        answers(
            "200",
            json_body(
                "The shifts",
                object(
                    &["shifts"],
                    json!({ "shifts": array_of(schema_ref("Shift")) }),
                ),
            ),
            &[400, 401, 403],
        ),
    );
    let mut replace = op(
        "roster",
        "replaceRoster",
        "Replace the shifts of the administrator's area",
        "Every shift of the grids in the administrator's area is replaced by those sent (each of a \
         grid there, naming staff the city holds, at most 20,000); all or none, the first bad \
         shift named (400). Committed as one event.",
        &[],
        answers(
            "200",
            json_body(
                "Saved",
                object(
                    &["saved", "replaced"],
                    json!({ "saved": { "type": "integer" }, "replaced": { "type": "integer" } }),
                ),
            ),
            &[400, 401, 403, 503],
        ),
    );
    let mut body = object(
        &["shifts"],
        json!({ "shifts": array_of(schema_ref("Shift")) }),
    );
    body["additionalProperties"] = json!(false);
    replace["requestBody"] =
        json!({ "required": true, "content": content("application/json", body) });
    let due = op(
        "roster",
        "rosterDue",
        "Who is due on duty now, and who of them is missing (应到未到)",
        "The staff of the shifts running now in the user's area (each once), with where each \
         stands: absent first, then unreachable, then present.",
        &[area],
        answers(
            "200",
            json_body(
                "Due now",
                object(
                    &["at_ms", "due", "present", "unreachable", "absent", "staff"],
                    json!({
                        "at_ms": { "type": "integer", "format": "int64" },
                        "due": { "type": "integer" }, "present": { "type": "integer" },
                        "unreachable": { "type": "integer" }, "absent": { "type": "integer" },
                        "staff": array_of(schema_ref("DueMember")),
                    }),
                ),
            ),
            &[400, 401, 403],
        ),
    );
    paths(vec![
        ("/api/roster", json!({ "get": list, "put": replace })),
        ("/api/roster/due", json!({ "get": due })),
    ])
}
