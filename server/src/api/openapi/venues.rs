//! Venue codes (场所码) and inspections: schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, content, json_body, nullable, object, op, path_param, query, schema_ref,
    text_query,
};
use super::paths;

pub(super) fn venue_schemas() -> Value {
    let text = json!({ "type": "string" });
    let num = json!({ "type": "number" });
    let kind = json!({ "type": "string", "enum": ["inspection", "check_in"] });
    let item = object(
        &["item", "ok"],
        json!({ "item": { "type": "string", "minLength": 1, "maxLength": 500 }, "ok": { "type": "boolean" },
                "note": { "type": "string", "maxLength": 500 } }),
    );
    let mut scan_in = object(
        &["code", "position"],
        json!({
            "code": { "type": "string", "description": "The code, or the link that carries it (…/field?venue=CODE)" },
            "position": object(&["lon", "lat"], json!({
                "lon": { "type": "number", "minimum": -180, "maximum": 180 },
                "lat": { "type": "number", "minimum": -85, "maximum": 85 },
                "accuracy_m": { "type": "number", "minimum": 0 },
            })),
            "kind": { "type": "string", "enum": ["inspection", "check_in"], "default": "inspection" },
            "checklist": { "type": "array", "items": item.clone(), "maxItems": 50 },
            "note": nullable(json!({ "type": "string", "maxLength": 500 })),
            "photos": { "type": "array", "items": { "type": "string" }, "maxItems": 9 },
        }),
    );
    scan_in["additionalProperties"] = json!(false);
    scan_in["properties"]["position"]["additionalProperties"] = json!(false);
    json!({
        "VenueCode": object(
            &["place_id", "name", "category", "grid", "code", "path", "link"],
            json!({
                "place_id": text, "name": text, "category": text,
                "grid": nullable(text.clone()),
                "code": { "type": "string", "description": "PLACE.SIGNATURE: HMAC-SHA256 of the place id under the city's key, 16 bytes, base64url" },
                "path": { "type": "string", "description": "/field?venue=CODE: the field page's path with the code" },
                "link": { "type": "string", "format": "uri", "description": "The absolute link the printed QR code carries: the field page at the server's public address (--public-url; else the request's Host or HTTP/2 authority, https under --tls-cert, and a --trusted-proxy's X-Forwarded-Proto/-Host/-Prefix)" },
            }),
        ),
        "ScanIn": scan_in,
        "PlaceDue": object(
            &["place_id", "name", "category", "grid", "every_days", "last_ms", "due_ms", "overdue"],
            json!({
                "place_id": text, "name": text, "category": text, "grid": nullable(text.clone()),
                "every_days": { "type": "integer", "minimum": 1 },
                "last_ms": { "type": ["integer", "null"], "format": "int64" },
                "due_ms": { "type": ["integer", "null"], "format": "int64" },
                "overdue": { "type": "boolean" },
            }),
        ),
        "CheckItem": item,
        "Inspection": object(
            &["id", "place_id", "place_name", "place_category", "grid", "kind", "staff_id",
              "staff_name", "at_ms", "position", "distance_m", "checklist", "problems", "note", "photos"],
            json!({
                "id": text, "place_id": text, "place_name": text, "place_category": text,
                "grid": nullable(text.clone()), "kind": kind,
                "staff_id": text, "staff_name": text,
                "at_ms": { "type": "integer", "format": "int64" },
                "position": object(&["lon", "lat"], json!({ "lon": num, "lat": num })),
                "distance_m": { "type": "number", "description": "From the phone to the place (its edge; 0 inside)" },
                "checklist": array_of(schema_ref("CheckItem")),
                "problems": { "type": "integer", "description": "Checklist items not in order" },
                "note": nullable(text.clone()),
                "photos": array_of(text),
            }),
        ),
    })
}

pub(super) fn venue_paths() -> Map<String, Value> {
    let place = path_param("id", "Key place id");
    let code = op(
        "venues",
        "venueCode",
        "A key place's venue code (场所码)",
        "For an administrator of the place's area (403 for other roles, 404 outside the area).",
        std::slice::from_ref(&place),
        answers(
            "200",
            json_body("The code", schema_ref("VenueCode")),
            &[400, 401, 403, 404],
        ),
    );
    let image = |media: &str, id: &str, what: &str| {
        let mut ok = json!({ "description": what });
        ok["content"] = content(media, json!({ "type": "string", "format": "binary" }));
        op(
            "venues",
            id,
            what,
            "The QR code of the code's link (venueCode's `link`), to print at the place; as \
             venueCode for who may (400 when the request names no host and no --public-url is set).",
            std::slice::from_ref(&place),
            answers("200", ok, &[400, 401, 403, 404]),
        )
    };
    let mut scan = op(
        "venues",
        "scanVenue",
        "Scan a venue code: record an inspection (检查) or check-in (打卡)",
        "For a field worker's login, within their area. Refused: a code not issued by this server \
         (forged, altered, moved to another place: 403), not a code (400), the phone farther than \
         --venue-scan-radius-m from the place's edge (409, state too_far, the distance in the \
         message), a fix rougher than that radius (400), a bad checklist (400). Committed as one \
         event, pushed on /ws as `inspection` (layer key_places).",
        &[],
        answers(
            "201",
            json_body(
                "Recorded",
                object(
                    &["inspection"],
                    json!({ "inspection": schema_ref("Inspection") }),
                ),
            ),
            &[400, 401, 403, 404, 409, 503],
        ),
    );
    scan["requestBody"] =
        json!({ "required": true, "content": content("application/json", schema_ref("ScanIn")) });
    let list = list_op();
    let due = due_op();
    paths(vec![
        ("/api/venues/due", json!({ "get": due })),
        ("/api/venues/scan", json!({ "post": scan })),
        ("/api/venues/inspections", json!({ "get": list })),
        ("/api/venues/{id}/code", json!({ "get": code })),
        (
            "/api/venues/{id}/code.png",
            json!({ "get": image("image/png", "venueCodePng", "The venue code as a PNG QR code") }),
        ),
        (
            "/api/venues/{id}/code.svg",
            json!({ "get": image("image/svg+xml", "venueCodeSvg", "The venue code as an SVG QR code, named beneath") }),
        ),
    ])
}

fn list_op() -> Value {
    op(
        "venues",
        "listInspections",
        "Inspections in the user's area",
        "Newest first, of the period (default the last 30 days), of one place or worker if given.",
        &[
            text_query("place", "One key place"),
            text_query("staff", "One worker"),
            text_query("from", "From (epoch ms or ISO 8601)"),
            text_query("to", "To (epoch ms or ISO 8601)"),
            query(
                "limit",
                json!({ "type": "integer", "minimum": 1, "maximum": 1000 }),
                "At most this many",
            ),
        ],
        answers(
            "200",
            json_body(
                "The inspections",
                object(
                    &["inspections"],
                    json!({ "inspections": array_of(schema_ref("Inspection")) }),
                ),
            ),
            &[400, 401, 503],
        ),
    )
}

fn due_op() -> Value {
    op(
        "venues",
        "placesDue",
        "Key places by inspection rhythm (逾期未检 first)",
        "The key places of the area (default the user's) whose category has a rule (--patrol-config \
         `places`: days between inspections), with their last inspection, when the next is due \
         (null: never inspected) and whether it is overdue; overdue first, then by due time.",
        &[
            text_query("area", "Only under this area code (in the user's area)"),
            query(
                "overdue",
                json!({ "type": "boolean" }),
                "Only the overdue ones (total and overdue still count all)",
            ),
        ],
        answers(
            "200",
            json_body(
                "The places",
                object(
                    &["total", "overdue", "places"],
                    json!({
                        "total": { "type": "integer" }, "overdue": { "type": "integer" },
                        "places": array_of(schema_ref("PlaceDue")),
                    }),
                ),
            ),
            &[400, 401, 404],
        ),
    )
}
