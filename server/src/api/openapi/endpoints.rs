//! The endpoints' `paths`: probes, auth, dispatch, staff, location, `/ws` and OGC API -
//! Features, one function per group.

use serde_json::{Map, Value, json};

use super::build::{
    DUTIES, SKILLS, STAFF_ROLES, answers, content, csv_query, json_body, object, op, param_ref,
    public, query, schema_ref, text_query,
};
use super::paths;

pub(super) fn probe_paths() -> Map<String, Value> {
    let status = json_body("Status", schema_ref("Status"));
    let mut ready = answers("200", status.clone(), &[]);
    ready["503"] = json_body("Degraded", schema_ref("Status"));
    paths(vec![
        (
            "/health",
            json!({ "get": public(op("probes", "health", "Alive", "200 while the process answers.", &[],
            answers("200", status.clone(), &[]))) }),
        ),
        (
            "/ready",
            json!({ "get": public(op("probes", "ready", "Ready",
            "200 once the engine is loaded and the store answers; 503 with the reason otherwise.", &[], ready)) }),
        ),
        (
            "/metrics",
            json!({ "get": public(op("probes", "metrics", "Prometheus metrics",
            "Prometheus text exposition (riskmap_ws_connections, riskmap_fixes_*_total, riskmap_query_seconds, ...).",
            &[], answers("200", json!({ "description": "Metrics",
                "content": content("text/plain", json!({ "type": "string" })) }), &[]))) }),
        ),
        (
            "/api/openapi.json",
            json!({ "get": public(op("probes", "openapi", "This document",
            "The OpenAPI 3.0 document of the HTTP API.", &[],
            answers("200", json_body("OpenAPI document", json!({ "type": "object" })), &[]))) }),
        ),
    ])
}

pub(super) fn auth_paths() -> Map<String, Value> {
    paths(vec![
        (
            "/api/auth/login",
            json!({ "post": public({
            let mut o = op("auth", "login", "Log in",
                "Answers a bearer token for every other request. Failed logins are throttled per username \
                 and per client address (429 with Retry-After).", &[],
                answers("200", json_body("Logged in", schema_ref("LoginResponse")), &[400, 401, 413, 415, 422, 429, 503]));
            o["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("Login")) });
            o
        }) }),
        ),
        (
            "/api/auth/logout",
            json!({ "post": op("auth", "logout", "Log out", "The token stops working at once.", &[],
            answers("200", json_body("Logged out", object(&["ok"], json!({ "ok": { "type": "boolean" } }))), &[401, 503])) }),
        ),
        ("/api/auth/password", json!({ "post": password_change() })),
        (
            "/api/me",
            json!({ "get": op("auth", "me", "Who am I", "The user and the area they are bound to.", &[],
            answers("200", json_body("The user", schema_ref("Me")), &[401, 503])) }),
        ),
        (
            "/api/audit",
            json!({ "get": op("auth", "audit", "The audit log (system administrators)",
            "Logins (login, login_failed, login_throttled) and every write (METHOD /path) with its status, \
             newest first. Location telemetry (fixes, OsmAnd) is recorded in the tracks instead.",
            &[
                text_query("from", "From (epoch ms or ISO 8601; default 24 hours ago)"),
                text_query("to", "To (default now)"),
                text_query("username", "One user's entries"),
                query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 10000, "default": 1000 }), "At most"),
            ],
            answers("200", json_body("Entries", schema_ref("AuditLog")), &[400, 401, 403, 503])) }),
        ),
    ])
}

/// `POST /api/staff/{id}/duty`.
fn duty_change() -> Value {
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    let mut o = op(
        "staff",
        "changeDuty",
        "Check in or out (上岗/离岗)",
        "available: on duty; off: off duty. A field login for its own staff member (with its position, \
         recorded first), a dispatcher, commander or administrator for the staff of their area. A member \
         busy with a task or in an SOS keeps that status (409, state busy or sos).",
        &[id],
        answers(
            "200",
            json_body(
                "Changed",
                object(
                    &["staff_id", "duty"],
                    json!({
                        "staff_id": { "type": "string" },
                        "duty": { "type": "string", "enum": DUTIES },
                    }),
                ),
            ),
            &[400, 401, 403, 404, 409, 413, 415, 422, 503],
        ),
    );
    o["requestBody"] = json!({ "required": true, "content": content("application/json", object(&["duty"], json!({
        "duty": { "type": "string", "enum": ["available", "off"] },
        "position": schema_ref("FixIn"),
    }))) });
    o
}

/// `POST /api/auth/password`.
fn password_change() -> Value {
    let mut o = op(
        "auth",
        "changePassword",
        "Change one's own password",
        "The current password (400 wrong_password; wrong ones are throttled as failed logins are, \
         429) and a new one under the rules (400 weak_password). Every session of the login ends, \
         this one too, and its sockets close; the answer is a new session. The one request, with \
         GET /api/me and logout, that a login which must change its password may make.",
        &[],
        answers(
            "200",
            json_body("Changed: a new session", schema_ref("LoginResponse")),
            &[400, 401, 413, 415, 422, 429, 503],
        ),
    );
    o["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("PasswordChange")) });
    o
}

pub(super) fn account_paths() -> Map<String, Value> {
    let mut create = op(
        "auth",
        "createUser",
        "Create a login (administrators)",
        "Inside the administrator's area (分级授权); a field login names a staff member of its area. The new login must choose its own password at its first login (must_change_password).",
        &[],
        answers(
            "201",
            json_body("The login", schema_ref("Account")),
            &[400, 401, 403, 409, 413, 415, 422, 503],
        ),
    );
    create["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("NewAccount")) });
    let username = json!({ "name": "username", "in": "path", "required": true, "schema": { "type": "string" } });
    let mut change = op(
        "auth",
        "changeUser",
        "Change a login (administrators)",
        "Name, role, area, staff member, disabled; a login outside the administrator's area is not found.",
        std::slice::from_ref(&username),
        answers(
            "200",
            json_body("The login", schema_ref("Account")),
            &[400, 401, 403, 404, 409, 413, 415, 422, 503],
        ),
    );
    change["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("AccountChanges")) });
    let mut reset = op(
        "auth",
        "resetPassword",
        "Give a login a new password (administrators)",
        "Its owner must change it at the next login; its sessions end and its sockets close at once. \
         Not one's own (POST /api/auth/password); a login outside the administrator's area is not found.",
        &[username],
        answers(
            "200",
            json_body("The login", schema_ref("Account")),
            &[400, 401, 403, 404, 413, 415, 422, 503],
        ),
    );
    reset["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("NewPassword")) });
    let mut list = json!({ "get": op("auth", "listUsers", "The logins of the administrator's area",
        "By username.", &[], answers("200", json_body("Logins", schema_ref("Accounts")), &[401, 403, 503])) });
    list["post"] = create;
    paths(vec![
        ("/api/users", list),
        ("/api/users/{username}", json!({ "patch": change })),
        ("/api/users/{username}/password", json!({ "post": reset })),
    ])
}

pub(super) fn dispatch_paths() -> Map<String, Value> {
    let point = [param_ref("Lon"), param_ref("Lat"), param_ref("Coords")];
    let errs = [400, 401, 503];
    let nearest = [
        &point[..],
        &[
            query(
                "k",
                json!({ "type": "integer", "minimum": 1, "maximum": 100, "default": 5 }),
                "How many",
            ),
            csv_query("role", &STAFF_ROLES, "Any of these roles"),
            csv_query("skill", &SKILLS, "Every listed skill is required"),
            query(
                "available",
                json!({ "type": "boolean", "default": true }),
                "Only staff whose duty status is available",
            ),
            query(
                "max_m",
                json!({ "type": "number", "minimum": 0 }),
                "Distance limit, metres",
            ),
            query(
                "same_grid_first",
                json!({ "type": "boolean", "default": false }),
                "Rank the staff whose home grid is the point's grid first",
            ),
            query(
                "include_stale",
                json!({ "type": "boolean", "default": false }),
                "Staff whose last fix is older than --stale-after-s (default 10 minutes) too; they are left out otherwise",
            ),
        ],
    ]
    .concat();
    let nearby = [
        &point[..],
        &[
            query(
                "radius_m",
                json!({ "type": "number", "minimum": 0, "maximum": 50_000, "default": 500 }),
                "Radius, metres",
            ),
            csv_query(
                "layers",
                &["risk_sources", "key_places", "cameras"],
                "Layers (default risk_sources,key_places)",
            ),
        ],
    ]
    .concat();
    let heatmap = [
        json!({ "name": "bbox", "in": "query", "required": true, "style": "form", "explode": false,
                "schema": { "type": "array", "minItems": 4, "maxItems": 4, "items": { "type": "number" } },
                "description": "west,south,east,north" }),
        query(
            "res",
            json!({ "type": "integer", "minimum": 0, "maximum": 15, "default": 8 }),
            "H3 resolution",
        ),
        query(
            "layer",
            json!({ "type": "string", "enum": ["staff", "cameras", "risk_sources", "key_places"], "default": "staff" }),
            "What to count",
        ),
    ];
    paths(vec![
        ("/api/dispatch/batch", json!({ "post": batch_op() })),
        (
            "/api/dispatch/nearest",
            json!({ "get": op("dispatch", "nearest", "Nearest suitable staff",
            "The k nearest staff the user may see, exact great-circle metres, optionally the point's own grid first.",
            &nearest, answers("200", json_body("Candidates", schema_ref("NearestResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/cameras",
            json!({ "get": op("dispatch", "cameras", "Cameras that see a point",
            "Cameras whose range and field of view cover the point, nearest first.", &point,
            answers("200", json_body("Cameras", schema_ref("CamerasResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/nearby",
            json!({ "get": op("dispatch", "nearby", "Features within a radius",
            "Risk sources, key places (and cameras) within the radius, nearest first.", &nearby,
            answers("200", json_body("Features", schema_ref("NearbyResponse")), &errs)) }),
        ),
        (
            "/api/dispatch/locate",
            json!({ "get": op("dispatch", "locate", "The grid at a point",
            "The grid at the point and its ancestors, grid first; null outside every grid or the user's area.", &point,
            answers("200", json_body("Grid and chain", schema_ref("LocateResponse")), &errs)) }),
        ),
        (
            "/api/heatmap",
            json!({ "get": op("dispatch", "heatmap", "Counts per H3 cell",
            "Counts of a layer's features per H3 cell inside a box.", &heatmap,
            answers("200", json_body("Cells", schema_ref("HeatmapResponse")), &errs)) }),
        ),
    ])
}

/// `POST /api/dispatch/batch`.
fn batch_op() -> Value {
    let mut batch = op(
        "dispatch",
        "batch",
        "Many dispatch queries in one request",
        "Up to 1,000 queries (nearest, cameras, nearby, locate, heatmap, with the REST query's parameters as JSON), \
         answered in order, each with its data or its own error.",
        &[],
        answers(
            "200",
            json_body("One result per query", schema_ref("DispatchBatchResponse")),
            &[400, 401, 413, 415, 422, 503],
        ),
    );
    batch["requestBody"] = json!({ "required": true, "content": content("application/json", schema_ref("DispatchBatch")) });
    batch
}

pub(super) fn staff_paths() -> Map<String, Value> {
    let track = [
        param_ref("StaffId"),
        text_query("from", "Epoch ms or ISO 8601; default 24 hours ago"),
        text_query("to", "Epoch ms or ISO 8601; default now"),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX, "default": 10_000 }),
            "At most this many fixes; more than 10,000 is taken as 10,000",
        ),
    ];
    paths(vec![
        (
            "/api/staff/{id}",
            json!({ "get": op("staff", "staff", "One staff member", "404 outside the user's area.",
            &[param_ref("StaffId")], answers("200", json_body("The staff member", schema_ref("StaffView")), &[401, 404, 503])) }),
        ),
        ("/api/staff/{id}/duty", json!({ "post": duty_change() })),
        (
            "/api/staff/{id}/track",
            json!({ "get": op("staff", "track", "A patrol track", "Oldest first.", &track,
            answers("200", json_body("The track", schema_ref("TrackResponse")), &[400, 401, 404, 503])) }),
        ),
    ])
}

pub(super) fn location_paths() -> Map<String, Value> {
    let mut fixes = op(
        "location",
        "postFixes",
        "Post position fixes",
        "Applied live at once, answered once committed (503: nothing saved, retry). One invalid fix refuses the \
         batch with its index.",
        &[],
        answers(
            "200",
            json_body("Committed", schema_ref("FixReport")),
            &[400, 401, 403, 413, 415, 422, 503],
        ),
    );
    fixes["requestBody"] =
        json!({ "required": true, "content": content("application/json", schema_ref("FixBatch")) });
    let osmand_params: Vec<Value> = [
        (
            "id",
            "string",
            "Device id (one of a staff member's devices)",
        ),
        ("deviceid", "string", "Device id (alternative name)"),
        ("lat", "number", "Latitude"),
        ("lon", "number", "Longitude"),
        ("location", "string", "lat,lon instead of lat and lon"),
        (
            "timestamp",
            "string",
            "Epoch s or ms, ISO 8601, or yyyy-MM-dd HH:mm:ss (UTC)",
        ),
        ("speed", "number", "Knots"),
        ("bearing", "number", "Degrees"),
        ("heading", "number", "Degrees (alternative name)"),
        ("altitude", "number", "Metres"),
        ("accuracy", "number", "Metres"),
        ("batt", "number", "Battery, percent"),
        ("coords", "string", "wgs84 (default) or gcj02"),
    ]
    .iter()
    .map(|(n, t, d)| query(n, json!({ "type": t }), d))
    .collect();
    let osmand_answers = || {
        let mut a = answers(
            "200",
            json!({ "description": "Committed (empty body)" }),
            &[413, 503],
        );
        a["400"] = json!({
            "description": "Unreadable parameters or an unknown device (plain text, as Traccar answers), or an \
                            invalid fix (JSON)",
            "content": {
                "text/plain": { "schema": { "type": "string" } },
                "application/json": { "schema": schema_ref("Error") },
            },
        });
        a
    };
    let get = op(
        "location",
        "osmandGet",
        "OsmAnd protocol (query string)",
        "Traccar Client / OsmAnd: the device id must be one of a staff member's devices. No token.",
        &osmand_params,
        osmand_answers(),
    );
    let mut post = op(
        "location",
        "osmandPost",
        "OsmAnd protocol (form or Traccar JSON body)",
        "The same parameters as a form body, or Traccar Client's JSON body. No token.",
        &[],
        osmand_answers(),
    );
    post["requestBody"] = json!({ "required": true, "content": {
        "application/x-www-form-urlencoded": { "schema": schema_ref("OsmAndParams") },
        "application/json": { "schema": schema_ref("TraccarJson") },
    } });
    paths(vec![
        ("/api/fixes", json!({ "post": fixes })),
        (
            "/osmand",
            json!({ "get": public(get), "post": public(post) }),
        ),
    ])
}

pub(super) fn ws_paths() -> Map<String, Value> {
    // 400: not a WebSocket upgrade request (the message says what is
    // missing); 429 and 503: the per-user and the server's socket limits.
    let a = answers(
        "101",
        json!({ "description": "Switching Protocols: the WebSocket session (docs/protocol.md)" }),
        &[400, 401, 429, 503],
    );
    paths(vec![(
        "/ws",
        json!({ "get": op("live", "ws", "Live push (WebSocket)",
            "Upgrade to a WebSocket: hello, subscribe (box, area or both; layers staff, cameras, risk_sources, \
             key_places, incidents, alerts, stats, risk, camera_health, staff_cells), snapshot, staff_moves deltas, \
             staff_cells counts, staff_update, layer_changed, incident, alert, stats, grid_risk, camera_update, queries, fixes. Messages are JSON; see docs/protocol.md. The token may \
             also be given as ?token= (browsers cannot set headers on a WebSocket).",
            &[param_ref("Token")], a) }),
    )])
}

pub(super) fn ogc_paths() -> Map<String, Value> {
    let errs = [401, 503];
    paths(vec![
        (
            "/ogc",
            json!({ "get": op("ogc", "ogcLanding", "OGC API landing page",
            "Links to the conformance declaration, the collections and this document. Every /ogc request needs a \
             token (GDAL: GDAL_HTTP_HEADERS=\"Authorization: Bearer <token>\").", &[],
            answers("200", json_body("Landing page", schema_ref("LandingPage")), &errs)) }),
        ),
        (
            "/ogc/conformance",
            json!({ "get": op("ogc", "ogcConformance", "Conformance classes",
            "OGC API - Features Part 1: core, oas30, geojson.", &[],
            answers("200", json_body("Conformance", schema_ref("Conformance")), &errs)) }),
        ),
        (
            "/ogc/collections",
            json!({ "get": op("ogc", "ogcCollections", "The collections",
            "areas, staff, cameras, risk_sources, key_places, incidents (empty until the incident workflow \
             lands); extents cover what the user may see.", &[],
            answers("200", json_body("Collections", schema_ref("Collections")), &errs)) }),
        ),
        (
            "/ogc/collections/{collectionId}",
            json!({ "get": op("ogc", "ogcCollection", "One collection", "",
            &[param_ref("CollectionId")],
            answers("200", json_body("Collection", schema_ref("Collection")), &[401, 404, 503])) }),
        ),
    ])
}

pub(super) fn ogc_item_paths() -> Map<String, Value> {
    let geojson = |d: &str, s: &str| json!({ "description": d, "content": content("application/geo+json", schema_ref(s)) });
    let items_params = [
        param_ref("CollectionId"),
        param_ref("Bbox"),
        param_ref("Limit"),
        param_ref("Offset"),
        param_ref("Datetime"),
        param_ref("Level"),
    ];
    let mut import = op(
        "ogc",
        "ogcImport",
        "Import a layer (system administrator)",
        "A GeoJSON FeatureCollection into areas, staff, cameras, risk_sources or key_places. mode=merge (default) \
         replaces features with the same id and keeps the others; mode=replace makes the layer exactly the \
         import. Every feature is validated first; one invalid feature refuses the whole import with its index \
         (\"feature 17: ...\") and nothing changes. Committed in one transaction, then applied live; viewers get \
         a fresh snapshot.",
        &[
            param_ref("ImportCollectionId"),
            query(
                "mode",
                json!({ "type": "string", "enum": ["merge", "replace"], "default": "merge" }),
                "How the import meets the layer",
            ),
        ],
        answers(
            "200",
            json_body("Imported", schema_ref("ImportResult")),
            &[400, 401, 403, 404, 409, 413, 503],
        ),
    );
    import["requestBody"] = json!({ "required": true, "content": {
        "application/geo+json": { "schema": schema_ref("ImportCollection") },
        "application/json": { "schema": schema_ref("ImportCollection") },
    } });
    paths(vec![
        (
            "/ogc/collections/{collectionId}/items",
            json!({
                "get": op("ogc", "ogcItems", "Features of a collection",
                    "A page of the features the user may see, ordered by id, with numberMatched, numberReturned and \
                     next/prev links that repeat the parameters. Without a bbox (and for incidents, \
                     which have no index by place) every feature is walked, in a heavy answer's turn.", &items_params,
                    answers("200", geojson("A page of features", "FeatureCollection"), &[400, 401, 404, 503])),
                "post": import,
            }),
        ),
        (
            "/ogc/collections/{collectionId}/items/{featureId}",
            json!({ "get": op("ogc", "ogcItem", "One feature",
            "404 if missing or outside the user's area.", &[param_ref("CollectionId"), param_ref("FeatureId")],
            answers("200", geojson("The feature", "Feature"), &[400, 401, 404, 503])) }),
        ),
    ])
}
