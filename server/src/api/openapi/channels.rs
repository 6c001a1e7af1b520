//! The channels (一网归集, 一网反馈): the citizen page's public routes,
//! photos, other systems' signed pushes and the administrator's sources and
//! call-backs, schemas and paths.

use serde_json::{Map, Value, json};

use super::build::{
    answers, array_of, closed, content, json_body, nullable, object, op, path_param, public, query,
    schema_ref,
};
use super::paths;

const STEPS: [&str; 9] = [
    "received",
    "accepted",
    "dispatched",
    "handling",
    "handled",
    "closed",
    "rejected",
    "merged",
    "rated",
];
const STATUSES: [&str; 5] = ["received", "accepted", "handling", "closed", "rejected"];
const KINDS: [&str; 4] = ["hotline", "camera", "platform", "alerts"];
const CALLBACK_STATES: [&str; 4] = ["pending", "delivered", "failed", "skipped"];
const IMAGE_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The incident's `intake` object (also in the Incident schema).
pub(super) fn intake_schema() -> Value {
    let str_ = json!({ "type": "string" });
    nullable(object(
        &[],
        json!({
            "tracking_code": { "type": "string", "description": "随手拍: the code the citizen follows the report by" },
            "phone": { "type": "string", "description": "The citizen's phone, masked (138****8000)" },
            "external": object(&["source", "ticket"], json!({ "source": str_, "ticket": str_ })),
            "alarm": object(&["camera", "kind", "count", "last_ms"], json!({
                "camera": str_, "kind": str_, "count": { "type": "integer" }, "last_ms": { "type": "integer" },
            })),
            "rating": rating(),
            "reply": { "type": "string", "description": "答复: the public answer given with close, reject or merge" },
        }),
    ))
}

/// A reporter's rating.
fn rating() -> Value {
    object(
        &["score", "at_ms"],
        json!({
            "score": { "type": "integer", "minimum": 1, "maximum": 5 },
            "comment": { "type": "string" },
            "at_ms": { "type": "integer" },
        }),
    )
}

pub(super) fn channel_schemas() -> Value {
    let int = json!({ "type": "integer" });
    let str_ = json!({ "type": "string" });
    let opt_str = nullable(str_.clone());
    let source = json!({
        "name": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "Its name in /api/intake/{name} (not sources or deliveries)" },
        "title": { "type": "string", "minLength": 1, "maxLength": 200 },
        "kind": { "type": "string", "enum": KINDS },
        "categories": { "type": "object", "additionalProperties": { "type": "string" },
            "description": "The system's category codes → minor category codes" },
        "default_category": opt_str,
        "callback_url": nullable(json!({ "type": "string", "pattern": "^http://", "description": "Where state changes are POSTed back, signed" })),
    });
    let mut source_in = source.clone();
    source_in["secret"] = json!({ "type": "string", "minLength": 16, "maxLength": 200,
        "description": "The shared secret (left out: a new source gets one, shown once; a known one keeps its own)" });
    let mut saved = source.clone();
    saved["updated_ms"] = int.clone();
    let mut listed = saved.clone();
    saved["secret"] =
        json!({ "type": "string", "description": "Only when the server made it: shown this once" });
    json!({
        "Attachment": object(&["id", "mime", "width", "height", "size"], json!({
            "id": { "type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the cleaned image: the reference incidents carry" },
            "mime": { "type": "string", "enum": IMAGE_TYPES },
            "width": int, "height": int, "size": int,
        })),
        "Challenge": object(&["challenge", "difficulty", "expires_ms"], json!({
            "challenge": str_,
            "difficulty": { "type": "integer", "description": "Leading zero bits SHA-256(challenge + \":\" + nonce) must have" },
            "expires_ms": int,
        })),
        "PublicCategories": object(&["categories"], json!({ "categories": array_of(object(&["code", "name", "name_en"], json!({
            "code": str_, "name": str_, "name_en": str_,
        }))) })),
        "CitizenReportIn": closed(object(&["category", "lon", "lat", "challenge", "nonce"], json!({
            "category": { "type": "string", "description": "A code of GET /api/public/categories" },
            "lon": { "type": "number" }, "lat": { "type": "number" },
            "description": { "type": "string", "maxLength": 4000 },
            "photos": { "type": "array", "maxItems": 3, "items": { "type": "string", "pattern": "^[0-9a-f]{64}$" } },
            "phone": nullable(json!({ "type": "string", "pattern": "^1[0-9]{10}$" })),
            "challenge": str_, "nonce": { "type": "string", "maxLength": 40 },
        }))),
        "PublicCalendar": object(&["utc_offset_minutes"], json!({
            "utc_offset_minutes": { "type": "integer", "minimum": -840, "maximum": 840,
                "description": "Minutes east of UTC" },
        })),
        "Receipt": object(&["code", "status_url"], json!({ "code": str_, "status_url": str_ })),
        "PublicReport": object(
            &["code", "category", "description", "created_ms", "lon", "lat", "photos", "status", "timeline", "can_rate", "points"],
            json!({
                "code": str_, "category": str_,
                "category_name": opt_str, "category_name_en": opt_str,
                "description": str_, "created_ms": int,
                "lon": { "type": "number" }, "lat": { "type": "number" },
                "photos": array_of(str_.clone()),
                "status": { "type": "string", "enum": STATUSES },
                "timeline": array_of(object(&["at_ms", "step"], json!({
                    "at_ms": int, "step": { "type": "string", "enum": STEPS },
                }))),
                "reply": opt_str,
                "rating": nullable(rating()),
                "can_rate": { "type": "boolean" },
                "points": { "type": "integer", "description": "积分 of the report's phone number (or of this report, without one)" },
            }),
        ),
        "RatingIn": closed(object(&["score"], json!({
            "score": { "type": "integer", "minimum": 1, "maximum": 5 },
            "comment": { "type": "string", "maxLength": 2000 },
        }))),
        "IntakeSourceIn": closed(object(&["name", "title", "kind"], source_in)),
        "IntakeSource": object(&["name", "title", "kind", "categories", "updated_ms"], saved),
        "IntakeSources": object(&["sources"], json!({ "sources": array_of(object(&["name", "title", "kind", "categories", "updated_ms"], listed.take())) })),
        "Pushed": closed(object(&["ticket", "category"], json!({
            "ticket": { "type": "string", "minLength": 1, "maxLength": 200 },
            "category": { "type": "string", "description": "The system's code, mapped by the source" },
            "lon": nullable(json!({ "type": "number" })), "lat": nullable(json!({ "type": "number" })),
            "coords": { "type": "string", "enum": ["wgs84", "gcj02"] },
            "description": { "type": "string", "maxLength": 4000 },
            "priority": { "type": "string", "enum": ["normal", "urgent", "emergency"] },
            "camera": nullable(json!({ "type": "string", "description": "A camera alarm's camera (its place, if lon/lat are left out)" })),
            "snapshot": nullable(json!({ "type": "string", "description": "A JPEG, PNG or WebP image, base64" })),
        }))),
        "PushAccepted": object(&["incident", "ticket", "duplicate", "repeat"], json!({
            "incident": str_, "ticket": str_,
            "duplicate": { "type": "boolean", "description": "The ticket was known: nothing new" },
            "repeat": { "type": "boolean", "description": "A camera's repeated alarm, counted on its open incident" },
        })),
        "Delivery": object(&["id", "source", "ticket", "incident", "seq", "state", "attempts", "next_ms", "created_ms"], json!({
            "id": int, "source": str_, "ticket": str_, "incident": str_, "seq": int,
            "state": { "type": "string", "enum": CALLBACK_STATES },
            "attempts": int, "next_ms": int, "last_error": opt_str,
            "created_ms": int, "delivered_ms": nullable(int),
        })),
        "Deliveries": object(&["deliveries"], json!({ "deliveries": array_of(schema_ref("Delivery")) })),
    })
}

fn image_answer(description: &str) -> Value {
    let mut ok = json!({ "description": description, "content": {} });
    for t in IMAGE_TYPES {
        ok["content"][t] = json!({ "schema": { "type": "string", "format": "binary" } });
    }
    ok
}

fn image_body() -> Value {
    let mut c = Map::new();
    for t in IMAGE_TYPES {
        c.insert(
            t.to_owned(),
            json!({ "schema": { "type": "string", "format": "binary" } }),
        );
    }
    json!({ "required": true, "content": c })
}

fn with_body(mut operation: Value, body: Value) -> Value {
    operation["requestBody"] = body;
    operation
}

fn json_request(schema: &str) -> Value {
    json!({ "required": true, "content": content("application/json", schema_ref(schema)) })
}

pub(super) fn channel_paths() -> Map<String, Value> {
    let mut all = citizen_paths();
    all.extend(photo_paths());
    all.extend(intake_paths());
    all
}

/// The citizen page's routes for a new report (no login).
fn citizen_paths() -> Map<String, Value> {
    let categories = public(op(
        "citizen",
        "publicCategories",
        "随手拍: the categories a citizen picks from",
        "The short citizen list of the incident configuration (`citizen.categories`).",
        &[],
        answers(
            "200",
            json_body("Categories", schema_ref("PublicCategories")),
            &[],
        ),
    ));
    let calendar = public(op(
        "citizen",
        "publicCalendar",
        "The city's time: its offset from UTC",
        "The work calendar's offset (China: 480). Every page shows times in the city's time with it \
         (a shift's start, a deadline, where today begins), whatever zone the browser is in.",
        &[],
        answers(
            "200",
            json_body("The offset", schema_ref("PublicCalendar")),
            &[],
        ),
    ));
    let challenge = public(op(
        "citizen",
        "publicChallenge",
        "The proof that a person is there (人机验证)",
        "A signed challenge: find a decimal nonce such that SHA-256(challenge + \":\" + nonce) has \
         `difficulty` leading zero bits. One solved challenge covers one report and three photos, \
         for ten minutes.",
        &[],
        answers(
            "200",
            json_body("A challenge", schema_ref("Challenge")),
            &[],
        ),
    ));
    let public_upload = with_body(
        public(op(
            "citizen",
            "publicUpload",
            "A citizen's photo",
            "The raw image (JPEG, PNG or WebP by content; 8 MiB at most), under a solved challenge. \
         Cleaned of its metadata (orientation applied) and thumbnailed.",
            &[
                query(
                    "challenge",
                    json!({ "type": "string" }),
                    "The solved challenge",
                ),
                query("nonce", json!({ "type": "string" }), "Its nonce"),
            ],
            answers(
                "201",
                json_body("Stored", schema_ref("Attachment")),
                &UPLOAD_ERRORS,
            ),
        )),
        image_body(),
    );
    let report = with_body(
        public(op(
            "citizen",
            "citizenReport",
            "随手拍: a citizen's report",
            "No login: a solved challenge, limits per address and per phone number (429 with \
         Retry-After). Answers the tracking code.",
            &[],
            answers(
                "201",
                json_body("Received", schema_ref("Receipt")),
                &[400, 413, 415, 429, 503],
            ),
        )),
        json_request("CitizenReportIn"),
    );
    let mut all = paths(vec![
        ("/api/public/categories", json!({ "get": categories })),
        ("/api/public/calendar", json!({ "get": calendar })),
        ("/api/public/challenge", json!({ "get": challenge })),
        ("/api/public/attachments", json!({ "post": public_upload })),
        ("/api/public/reports", json!({ "post": report })),
    ]);
    all.extend(report_paths());
    all
}

/// A citizen's own report, by its tracking code (no login).
fn report_paths() -> Map<String, Value> {
    let code = path_param("code", "The report's tracking code");
    let id = attachment_id();
    let status = public(op(
        "citizen",
        "publicReport",
        "A citizen's report as they see it",
        "Its public timeline, the reply (一网反馈), the rating and 积分; nothing of staff or internal notes.",
        std::slice::from_ref(&code),
        answers(
            "200",
            json_body("The report", schema_ref("PublicReport")),
            &[404],
        ),
    ));
    let rate = with_body(
        public(op(
            "citizen",
            "rateReport",
            "群众满意度: rate a closed report, once",
            "1–5 and a comment; 409 before it is closed or once rated.",
            std::slice::from_ref(&code),
            answers(
                "200",
                json_body("The report", schema_ref("PublicReport")),
                &[400, 404, 409, 503],
            ),
        )),
        json_request("RatingIn"),
    );
    let public_photo = public(op(
        "citizen",
        "publicPhoto",
        "A photo of the citizen's own report",
        "Only the photos the report itself carries.",
        &[code.clone(), id.clone()],
        answers("200", image_answer("The image"), &[404]),
    ));
    let public_thumb = public(op(
        "citizen",
        "publicThumb",
        "Its thumbnail (JPEG, 320 px at most)",
        "",
        &[code, id.clone()],
        answers("200", image_answer("The thumbnail"), &[404]),
    ));
    paths(vec![
        ("/api/public/reports/{code}", json!({ "get": status })),
        ("/api/public/reports/{code}/rating", json!({ "post": rate })),
        (
            "/api/public/reports/{code}/photos/{id}",
            json!({ "get": public_photo }),
        ),
        (
            "/api/public/reports/{code}/photos/{id}/thumb",
            json!({ "get": public_thumb }),
        ),
    ])
}

/// Staff photos.
fn photo_paths() -> Map<String, Value> {
    let id = attachment_id();
    let upload = with_body(
        op(
            "photos",
            "uploadAttachment",
            "A staff photo (处置前/处置后, a field report)",
            "The raw image (JPEG, PNG or WebP by content; 8 MiB at most); put its id in `photos` of a \
         report or an action. Not for big screens.",
            &[],
            answers(
                "201",
                json_body("Stored", schema_ref("Attachment")),
                &UPLOAD_ERRORS,
            ),
        ),
        image_body(),
    );
    let photo = op(
        "photos",
        "attachment",
        "A photo",
        "For the login that uploaded it, or one that may see an incident carrying it (分级授权); \
         others: 404.",
        std::slice::from_ref(&id),
        answers("200", image_answer("The image"), &[401, 404]),
    );
    let thumb = op(
        "photos",
        "attachmentThumb",
        "A photo's thumbnail (JPEG, 320 px at most)",
        "As the photo.",
        &[id],
        answers("200", image_answer("The thumbnail"), &[401, 404]),
    );
    paths(vec![
        ("/api/attachments", json!({ "post": upload })),
        ("/api/attachments/{id}", json!({ "get": photo })),
        ("/api/attachments/{id}/thumb", json!({ "get": thumb })),
    ])
}

/// Other systems' pushes, sources and call-backs.
fn intake_paths() -> Map<String, Value> {
    let sources = op(
        "intake",
        "intakeSources",
        "The systems that push reports (the system administrator)",
        "Without their secrets.",
        &[],
        answers(
            "200",
            json_body("Sources", schema_ref("IntakeSources")),
            &[401, 403],
        ),
    );
    let save_source = with_body(
        op(
            "intake",
            "saveIntakeSource",
            "Add or change a source (the system administrator)",
            "By name. The answer carries the secret only when the server made it.",
            &[],
            answers(
                "201",
                json_body("Saved", schema_ref("IntakeSource")),
                &[400, 401, 403, 503],
            ),
        ),
        json_request("IntakeSourceIn"),
    );
    let deliveries = op(
        "intake",
        "deliveries",
        "一网反馈: the call-backs owed and sent (the system administrator)",
        "Newest first, at most 500.",
        &[query(
            "state",
            json!({ "type": "string", "enum": CALLBACK_STATES }),
            "Only this state",
        )],
        answers(
            "200",
            json_body("Call-backs", schema_ref("Deliveries")),
            &[400, 401, 403],
        ),
    );
    let retry = op(
        "intake",
        "retryDelivery",
        "Send a call-back again (the system administrator)",
        "A pending, failed or skipped one, from its first attempt.",
        &[path_param("id", "The call-back's id")],
        answers(
            "200",
            json_body("The call-back", schema_ref("Delivery")),
            &[400, 401, 403, 404],
        ),
    );
    let push = with_body(
        public(op(
            "intake",
            "pushIntake",
            "一网归集: another system's report, signed",
            "Headers X-Riskmap-Timestamp (Unix seconds, within 300 s) and X-Riskmap-Signature \
         (sha256=<hex HMAC-SHA256 of timestamp + \".\" + body under the source's secret). The same \
         ticket again answers its incident (200, duplicate); a camera's repeated alarm of the same \
         kind within the merge window is counted on its open incident (200, repeat).",
            &[path_param("source", "The source's name")],
            answers(
                "201",
                json_body("A new incident", schema_ref("PushAccepted")),
                &[400, 401, 404, 413, 415, 503],
            ),
        )),
        json_request("Pushed"),
    );
    paths(vec![
        (
            "/api/intake/sources",
            json!({ "get": sources, "post": save_source }),
        ),
        ("/api/intake/deliveries", json!({ "get": deliveries })),
        (
            "/api/intake/deliveries/{id}/retry",
            json!({ "post": retry }),
        ),
        ("/api/intake/{source}", json!({ "post": push })),
    ])
}

fn attachment_id() -> Value {
    path_param("id", "An attachment id (64 hex digits)")
}

/// Answers of an upload.
const UPLOAD_ERRORS: [u16; 7] = [400, 401, 403, 413, 415, 429, 503];
