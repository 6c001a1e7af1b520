//! Steps of the incident closed loop the end-to-end tests share: logins
//! made in place, a report, actions, a staff member's duty.

use riskmap::identity::UserRole;
use serde_json::{Value, json};

use crate::{DEMO_PASSWORD, TestServer};

/// Inside grid 11-1, near S1 (120.02, 28.05).
pub const IN_11_1: (f64, f64) = (120.021, 28.051);
/// Inside grid 12-1.
pub const IN_12_1: (f64, f64) = (120.111, 28.051);

pub async fn add_user(s: &TestServer, name: &str, role: UserRole, area: &str, staff: Option<&str>) {
    s.server()
        .app
        .auth
        .create_user(name, name, role, area, (staff, None), DEMO_PASSWORD, false)
        .await
        .unwrap();
}

pub async fn report(s: &TestServer, token: &str, category: &str, at: (f64, f64)) -> (u16, Value) {
    s.post(
        token,
        "/api/incidents",
        &json!({ "category": category, "lon": at.0, "lat": at.1, "priority": "urgent",
                 "description": "楼道堆放杂物", "photos": ["photo://a.jpg"] }),
    )
    .await
}

pub async fn act(s: &TestServer, token: &str, id: &str, body: Value) -> (u16, Value) {
    s.post(token, &format!("/api/incidents/{id}/actions"), &body)
        .await
}

/// Acts and asserts it worked; returns the incident.
pub async fn ok(s: &TestServer, token: &str, id: &str, body: Value) -> Value {
    let (status, v) = act(s, token, id, body.clone()).await;
    assert_eq!(status, 200, "{body} → {v}");
    v
}

/// Takes actions in order, each (token, body); every one must succeed.
pub async fn walk(s: &TestServer, id: &str, steps: &[(&str, Value)]) {
    for (token, body) in steps {
        ok(s, token, id, body.clone()).await;
    }
}

pub fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

pub async fn duty(s: &TestServer, token: &str, staff: &str) -> String {
    let (status, v) = s.get(token, &format!("/api/staff/{staff}")).await;
    assert_eq!(status, 200, "{v}");
    v["duty"].as_str().unwrap().to_owned()
}
