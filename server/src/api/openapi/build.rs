//! Building blocks of the document: references, answers, operations,
//! parameters, and the value lists the schemas share.

use serde_json::{Map, Value, json};

pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

pub(super) fn param_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/parameters/{name}") })
}

pub(super) fn array_of(items: Value) -> Value {
    let mut v = json!({ "type": "array" });
    v["items"] = items;
    v
}

pub(super) fn content(media: &str, schema: Value) -> Value {
    let mut inner = Map::new();
    inner.insert("schema".to_owned(), schema);
    let mut m = Map::new();
    m.insert(media.to_owned(), Value::Object(inner));
    Value::Object(m)
}

pub(super) fn json_body(description: &str, schema: Value) -> Value {
    let mut v = json!({ "description": description });
    v["content"] = content("application/json", schema);
    v
}

/// A response object: the success answer and the error codes (each a
/// `components/responses` entry).
pub(super) fn answers(ok: &str, body: Value, errors: &[u16]) -> Value {
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
pub(super) fn op(
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
pub(super) fn public(mut operation: Value) -> Value {
    operation["security"] = json!([]);
    operation
}

pub(super) fn query(name: &str, schema: Value, description: &str) -> Value {
    let mut v =
        json!({ "name": name, "in": "query", "required": false, "description": description });
    v["schema"] = schema;
    v
}

/// A free-text query parameter.
pub(super) fn text_query(name: &str, description: &str) -> Value {
    query(name, json!({ "type": "string" }), description)
}

/// A comma-separated list of names from `values`.
pub(super) fn csv_query(name: &str, values: &[&str], description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false, "style": "form", "explode": false,
        "schema": { "type": "array", "items": { "type": "string", "enum": values } },
        "description": description,
    })
}

pub(super) fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" }, "description": description })
}

pub(super) fn object(required: &[&str], properties: Value) -> Value {
    let mut o = json!({ "type": "object" });
    o["properties"] = properties;
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// An object that takes no properties but its own (the server refuses
/// unknown fields).
pub(super) fn closed(mut schema: Value) -> Value {
    schema["additionalProperties"] = json!(false);
    schema
}

pub(super) fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}

pub(super) const STAFF_ROLES: [&str; 5] = [
    "grid_worker",
    "police",
    "urban_management",
    "comprehensive",
    "volunteer",
];
pub(super) const SKILLS: [&str; 10] = [
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
pub(super) const DATETIME_PATTERN: &str = concat!(
    r"^$|^",
    instant!(),
    r"$|^(",
    instant!(),
    r"|\.\.)?/(",
    instant!(),
    r"|\.\.)?$"
);

pub(super) const DUTIES: [&str; 4] = ["off", "available", "busy", "sos"];
pub(super) const USER_ROLES: [&str; 5] = ["admin", "commander", "dispatcher", "viewer", "field"];
pub(super) const LEVELS: [&str; 5] = ["city", "district", "street", "community", "grid"];
pub(super) const COLLECTIONS: [&str; 6] = [
    "areas",
    "staff",
    "cameras",
    "risk_sources",
    "key_places",
    "incidents",
];
pub(super) const ERROR_CODES: [&str; 13] = [
    "bad_request",
    "weak_password",
    "wrong_password",
    "unauthorized",
    "forbidden",
    "password_change_required",
    "not_found",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "too_many_requests",
    "unavailable",
    "internal",
];
