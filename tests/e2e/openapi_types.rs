//! The OpenAPI document and the types the handlers really answer with
//! cannot drift apart: each answer of a walk through the API (login, the
//! dispatch queries, a staff member and their track, an incident reported,
//! acted on, read, listed, logged, exported and counted, the audit log) is
//! checked against the schema the document gives for that path, method and
//! status. A field a type gains without the document, a field the document
//! requires that a type lost, a wrong type or an unlisted enum value fails
//! here (an object described field by field is read as closed).
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::TestServer;
use serde_json::{Value, json};

/// Where `value` breaks `schema` (resolving `$ref`s in `doc`), if it does.
fn violations(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |v, key| &v[key]);
        assert!(!target.is_null(), "{at}: dangling $ref {r}");
        return violations(doc, target, value, at, out);
    }
    if value.is_null() && schema["nullable"] == json!(true) {
        return;
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            let fits = options.iter().any(|o| {
                let mut errs = Vec::new();
                violations(doc, o, value, at, &mut errs);
                errs.is_empty()
            });
            if !fits {
                out.push(format!("{at}: fits none of {key}: {value}"));
            }
            return;
        }
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            violations(doc, s, value, at, out);
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let fits_type = match schema["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(other) => panic!("{at}: unknown type {other}"),
    };
    if !fits_type {
        out.push(format!("{at}: {value} is not a {}", schema["type"]));
        return;
    }
    if let Value::Object(fields) = value {
        let props = schema["properties"].as_object();
        for name in schema["required"].as_array().into_iter().flatten() {
            if !fields.contains_key(name.as_str().unwrap()) {
                out.push(format!("{at}: required {name} is missing"));
            }
        }
        for (name, v) in fields {
            let here = format!("{at}.{name}");
            match (
                props.and_then(|p| p.get(name)),
                &schema["additionalProperties"],
            ) {
                (Some(s), _) => violations(doc, s, v, &here, out),
                (None, Value::Bool(false)) => {
                    out.push(format!("{here}: not in the document"));
                }
                (None, extra) if extra.is_object() => violations(doc, extra, v, &here, out),
                // An object the document describes field by field is read
                // as closed: an answer's field the document does not name
                // is drift (clients generated from it would drop it).
                (None, _) if props.is_some() => {
                    out.push(format!("{here}: not in the document"));
                }
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            violations(doc, s, v, &format!("{at}[{i}]"), out);
        }
    }
}

/// The document's schema for one answer.
fn schema_for<'d>(doc: &'d Value, method: &str, path: &str, status: u16) -> &'d Value {
    let answer = &doc["paths"][path][method]["responses"][status.to_string()];
    let answer = match answer.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap()],
        None => answer,
    };
    assert!(
        !answer.is_null(),
        "{method} {path}: the document has no {status} answer"
    );
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(
        !schema.is_null(),
        "{method} {path} {status}: no JSON schema"
    );
    schema
}

/// Checks one answer against the document's schema for it.
fn check(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = schema_for(doc, method, path, status);
    let mut out = Vec::new();
    violations(doc, schema, body, "$", &mut out);
    assert!(
        out.is_empty(),
        "{method} {path} {status} disagrees with the document:\n{}\n{body}",
        out.join("\n")
    );
}

#[tokio::test]
async fn every_answer_matches_the_document() {
    let s = TestServer::start().await;
    let (_, doc) = s.get("", "/api/openapi.json").await;
    let admin = s.login("admin").await;
    let disp = s.login("dispatcher").await;

    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(&json!({ "username": "dispatcher", "password": common::DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    check(
        &doc,
        "post",
        "/api/auth/login",
        status,
        &r.json().await.unwrap(),
    );

    let get = |path: &'static str, template: &'static str, token: &str| {
        let (s, doc, token) = (&s, &doc, token.to_owned());
        async move {
            let (status, body) = s.get(&token, path).await;
            check(doc, "get", template, status, &body);
            body
        }
    };
    get("/api/me", "/api/me", &disp).await;
    get(
        "/api/dispatch/nearest?lon=120.02&lat=28.05&k=3",
        "/api/dispatch/nearest",
        &disp,
    )
    .await;
    get(
        "/api/dispatch/cameras?lon=120.02&lat=28.05",
        "/api/dispatch/cameras",
        &disp,
    )
    .await;
    get(
        "/api/dispatch/nearby?lon=120.02&lat=28.05&radius_m=2000",
        "/api/dispatch/nearby",
        &disp,
    )
    .await;
    get(
        "/api/dispatch/locate?lon=120.02&lat=28.05",
        "/api/dispatch/locate",
        &disp,
    )
    .await;
    get("/api/staff/S1", "/api/staff/{id}", &disp).await;
    get("/api/staff/S1/track", "/api/staff/{id}/track", &disp).await;
    get(
        "/api/incidents/categories",
        "/api/incidents/categories",
        &disp,
    )
    .await;

    let (status, reported) = s
        .post(
            &disp,
            "/api/incidents",
            &json!({ "category": "0201", "lon": 120.02, "lat": 28.05, "description": "占道经营" }),
        )
        .await;
    check(&doc, "post", "/api/incidents", status, &reported);
    let id = reported["id"].as_str().unwrap().to_owned();
    let (status, acted) = s
        .post(
            &disp,
            &format!("/api/incidents/{id}/actions"),
            &json!({ "action": "accept" }),
        )
        .await;
    check(&doc, "post", "/api/incidents/{id}/actions", status, &acted);
    let (status, refused) = s
        .post(
            &disp,
            &format!("/api/incidents/{id}/actions"),
            &json!({ "action": "accept" }),
        )
        .await;
    check(
        &doc,
        "post",
        "/api/incidents/{id}/actions",
        status,
        &refused,
    );
    for (path, template) in [
        (format!("/api/incidents/{id}"), "/api/incidents/{id}"),
        (
            format!("/api/incidents/{id}/log"),
            "/api/incidents/{id}/log",
        ),
        (
            format!("/api/incidents/{id}/candidates"),
            "/api/incidents/{id}/candidates",
        ),
        ("/api/incidents".to_owned(), "/api/incidents"),
        ("/api/incidents?queue=mine".to_owned(), "/api/incidents"),
        ("/api/incidents/stats".to_owned(), "/api/incidents/stats"),
        ("/api/departments".to_owned(), "/api/departments"),
        (
            "/api/assessment?level=department".to_owned(),
            "/api/assessment",
        ),
        ("/api/assessment?level=worker".to_owned(), "/api/assessment"),
        (
            "/api/incidents/log?format=json".to_owned(),
            "/api/incidents/log",
        ),
    ] {
        let (status, body) = s.get(&disp, &path).await;
        check(&doc, "get", template, status, &body);
    }
    get("/api/audit", "/api/audit", &admin).await;
    let (status, body) = s
        .post(
            &admin,
            "/api/departments",
            &json!({ "departments": [{ "code": "11001-t", "name": "测试", "kind": "派出所", "area": "11001" }] }),
        )
        .await;
    check(&doc, "post", "/api/departments", status, &body);
    get("/api/staff/NOBODY", "/api/staff/{id}", &disp).await;

    // The channels: the citizen page, a source and its push, call-backs.
    let (status, body) = s.public_get("/api/public/categories").await;
    check(&doc, "get", "/api/public/categories", status, &body);
    let (status, body) = s.public_get("/api/public/calendar").await;
    check(&doc, "get", "/api/public/calendar", status, &body);
    let (status, body) = s.public_get("/api/public/challenge").await;
    check(&doc, "get", "/api/public/challenge", status, &body);
    let (status, receipt) = common::channels::citizen_report(
        &s,
        json!({ "category": "0201", "lon": 120.021, "lat": 28.051, "description": "占道", "phone": "13800138000" }),
    )
    .await;
    check(&doc, "post", "/api/public/reports", status, &receipt);
    let code = receipt["code"].as_str().unwrap();
    let (status, body) = s.public_get(&format!("/api/public/reports/{code}")).await;
    check(&doc, "get", "/api/public/reports/{code}", status, &body);
    let (status, body) = s
        .public_post(
            &format!("/api/public/reports/{code}/rating"),
            &json!({ "score": 5 }),
        )
        .await;
    check(
        &doc,
        "post",
        "/api/public/reports/{code}/rating",
        status,
        &body,
    );
    let (status, body) = s
        .post(
            &admin,
            "/api/intake/sources",
            &json!({ "name": "h", "title": "12345", "kind": "hotline", "categories": { "A": "0201" },
                     "callback_url": "http://127.0.0.1:9/cb" }),
        )
        .await;
    check(&doc, "post", "/api/intake/sources", status, &body);
    let key = body["secret"].as_str().unwrap().to_owned();
    get("/api/intake/sources", "/api/intake/sources", &admin).await;
    let (status, body) = common::channels::push(
        &s,
        "h",
        &key,
        &json!({ "ticket": "T1", "category": "A", "lon": 120.11, "lat": 28.05 }),
    )
    .await;
    check(&doc, "post", "/api/intake/{source}", status, &body);
    let (status, body) = common::channels::push(&s, "h", "wrong-secret-wrong", &json!({})).await;
    check(&doc, "post", "/api/intake/{source}", status, &body);
    get("/api/intake/deliveries", "/api/intake/deliveries", &admin).await;
    for (path, template) in [
        ("/api/incidents?limit=500".to_owned(), "/api/incidents"),
        ("/api/incidents/stats".to_owned(), "/api/incidents/stats"),
    ] {
        let (status, body) = s.get(&disp, &path).await;
        check(&doc, "get", template, status, &body);
    }
    let (status, body) = common::channels::upload_to(
        &s,
        Some(&disp),
        "/api/attachments",
        common::channels::png(8, 8),
    )
    .await;
    check(&doc, "post", "/api/attachments", status, &body);
    let (status, body) = common::channels::upload_to(
        &s,
        Some(&disp),
        "/api/attachments",
        b"not an image".to_vec(),
    )
    .await;
    check(&doc, "post", "/api/attachments", status, &body);

    // The check bites: a field the document does not name, a required one
    // missing, a value outside an enum.
    let schema = schema_for(&doc, "post", "/api/incidents", 201);
    let mut drifted = [reported.clone(), reported.clone(), reported];
    drifted[0]["surprise"] = json!(1);
    drifted[1].as_object_mut().unwrap().remove("id");
    drifted[2]["state"] = json!("lost");
    for body in &drifted {
        let mut out = Vec::new();
        violations(&doc, schema, body, "$", &mut out);
        assert!(!out.is_empty(), "not caught: {body}");
    }
}
