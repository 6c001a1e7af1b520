//! Steps the organisation tests share (departments, the command chain,
//! the import): logins made by an administrator and their first password
//! change, a report, what awaits a login.

use serde_json::{Value, json};

use crate::TestServer;

/// Every password these tests set for a new login, then its own.
pub const PASSWORD: &str = "Org-Test-Password-1";
pub const OWN_PASSWORD: &str = "Org-Own-Password-22";

/// In grid 11-2 (street 11001, district 11).
pub const IN_11_2: (f64, f64) = (120.071, 28.051);

/// The first login of an account someone else made, with the password it
/// was given: it chooses its own; the new session's token.
pub async fn first_login(s: &TestServer, user: &str, password: &str) -> String {
    let (status, body) = s.try_login(user, password).await;
    assert_eq!(status, 200, "{user}: {body}");
    let token = body["token"].as_str().unwrap();
    let (status, body) = s
        .post(
            token,
            "/api/auth/password",
            &json!({ "current_password": password, "new_password": OWN_PASSWORD }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// A login made by an administrator through the API, logged in.
pub async fn login_made_by(s: &TestServer, admin: &str, body: Value) -> String {
    let mut body = body;
    body["password"] = json!(PASSWORD);
    let (status, v) = s.post(admin, "/api/users", &body).await;
    assert_eq!(status, 201, "{v}");
    first_login(s, body["username"].as_str().unwrap(), PASSWORD).await
}

/// The ids in the caller's queue (我的待办).
pub async fn queue(s: &TestServer, token: &str) -> Vec<String> {
    let (status, v) = s.get(token, "/api/incidents?queue=mine").await;
    assert_eq!(status, 200, "{v}");
    v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A 占道经营 report in grid 11-2 by `token`: its id.
pub async fn street_vending(s: &TestServer, token: &str) -> String {
    let (status, v) = s
        .post(
            token,
            "/api/incidents",
            &json!({ "category": "0201", "lon": IN_11_2.0, "lat": IN_11_2.1, "description": "x" }),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().unwrap().to_owned()
}
