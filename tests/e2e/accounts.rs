//! Logins under 分级授权 (`/api/users`, `riskmap users`): an administrator
//! bound to a district lists, creates and changes the logins of that
//! district only; a field login is bound to a staff member of its area;
//! disabling a login ends its sessions and closes its sockets at once.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use riskmap_tests as common;

use common::{TestServer, grid};
use reqwest::Method;
use serde_json::{Value, json};

/// The password an administrator gives a new login.
const PASSWORD: &str = "A-good-long-password1";
/// The one its owner then chooses.
const OWN_PASSWORD: &str = "Lime-Tree-Walk-2026";

async fn login(s: &TestServer, user: &str, password: &str) -> (u16, Value) {
    s.try_login(user, password).await
}

/// Changes the password of the login behind `token`: the status and the
/// body.
async fn change_password(s: &TestServer, token: &str, current: &str, new: &str) -> (u16, Value) {
    s.post(
        token,
        "/api/auth/password",
        &json!({ "current_password": current, "new_password": new }),
    )
    .await
}

/// The first login of an account someone else made: told to change its
/// password, it does; the token of its new session.
async fn first_login(s: &TestServer, user: &str) -> String {
    let (status, body) = login(s, user, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["must_change_password"], true, "{body}");
    let token = body["token"].as_str().unwrap();
    let (status, body) = change_password(s, token, PASSWORD, OWN_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["must_change_password"], false, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn patch(s: &TestServer, token: &str, user: &str, body: &Value) -> (u16, Value) {
    let r = s
        .http
        .request(Method::PATCH, format!("{}/api/users/{user}", s.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn new_login(username: &str, role: &str, area: &str, staff: Option<&str>) -> Value {
    json!({ "username": username, "role": role, "area": area, "staff_id": staff, "password": PASSWORD })
}

/// A district's administrator manages the district's logins and no others.
#[tokio::test]
async fn a_district_administrator_manages_the_district_only() {
    let s = TestServer::start().await;
    let root = s.login("admin").await;
    let (status, all) = s.get(&root, "/api/users").await;
    assert_eq!(status, 200, "{all}");
    let names: Vec<&str> = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    for demo in ["admin", "commander", "dispatcher", "district", "field"] {
        assert!(names.contains(&demo), "{names:?}");
    }
    let (status, made) = s
        .post(
            &root,
            "/api/users",
            &new_login("admin11", "admin", "11", None),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["area"], "11");
    assert_eq!(made["disabled"], false);
    assert_eq!(made["must_change_password"], true);

    let a11 = first_login(&s, "admin11").await;
    let (_, mine) = s.get(&a11, "/api/users").await;
    let areas: Vec<&str> = mine["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["area"].as_str().unwrap())
        .collect();
    assert!(
        !areas.is_empty() && areas.iter().all(|a| a.starts_with("11")),
        "{mine}"
    );
    let mine_names: Vec<&str> = mine["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert!(
        mine_names.contains(&"district") && !mine_names.contains(&"commander"),
        "the district's logins, not the city's: {mine_names:?}"
    );

    // Inside the district: created. Outside, or city-wide: refused.
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("disp11", "dispatcher", "11001", None),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("disp12", "dispatcher", "12", None),
        )
        .await;
    assert_eq!(status, 403, "{b}");
    let (status, b) = s
        .post(&a11, "/api/users", &new_login("root2", "admin", "", None))
        .await;
    assert_eq!(status, 403, "{b}");
    // A field login is a staff member of its area.
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("walker", "field", &grid(11, 1), None),
        )
        .await;
    assert_eq!(status, 400, "{b}");
    assert!(b["message"].as_str().unwrap().contains("staff_id"), "{b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("walker", "field", "11", Some("S4")),
        )
        .await;
    assert_eq!(status, 400, "S4 works in district 12: {b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("walker", "field", "11", Some("S2")),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["staff_id"], "S2");
    // Bad input, each with its reason.
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &json!({ "username": "x y", "role": "viewer", "area": "11", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 400, "{b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &json!({ "username": "shorty", "role": "viewer", "area": "11", "password": "short" }),
        )
        .await;
    assert_eq!(status, 400, "{b}");
    assert_eq!(b["error"], "weak_password", "{b}");
    assert!(b["message"].as_str().unwrap().contains("10"), "{b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("disp11", "viewer", "11", None),
        )
        .await;
    assert_eq!(status, 409, "a taken name: {b}");
    let (status, b) = s
        .post(
            &a11,
            "/api/users",
            &new_login("nowhere", "viewer", "99", None),
        )
        .await;
    assert_eq!(status, 400, "{b}");

    // Changing: inside yes, outside is not found, not oneself disabled,
    // and only administrators manage logins.
    let (status, b) = patch(&s, &a11, "disp11", &json!({ "area": "12" })).await;
    assert_eq!(status, 403, "moving a login out of the district: {b}");
    let (status, b) = patch(&s, &a11, "dispatcher", &json!({ "disabled": true })).await;
    assert_eq!(status, 404, "{b}");
    let (status, b) = patch(&s, &a11, "admin11", &json!({ "disabled": true })).await;
    assert_eq!(status, 400, "{b}");
    let (status, b) = patch(&s, &a11, "admin11", &json!({ "role": "viewer" })).await;
    assert_eq!(status, 400, "{b}");
    let (status, b) = patch(
        &s,
        &a11,
        "disp11",
        &json!({ "display_name": "十一区派遣", "role": "commander" }),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(
        (b["display_name"].as_str(), b["role"].as_str()),
        (Some("十一区派遣"), Some("commander"))
    );
    let d = s.login("dispatcher").await;
    let (status, _) = s.get(&d, "/api/users").await;
    assert_eq!(status, 403);
    let (status, _) = s
        .post(&d, "/api/users", &new_login("sneaky", "admin", "", None))
        .await;
    assert_eq!(status, 403);
}

/// Disabling a login: its token stops working at once, its socket is closed
/// with a reason, it cannot log in; enabled again, it can.
#[tokio::test]
async fn a_disabled_login_is_locked_out_at_once() {
    let s = TestServer::start().await;
    let root = s.login("admin").await;
    let (status, b) = s
        .post(
            &root,
            "/api/users",
            &new_login("temp", "dispatcher", "11", None),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let token = first_login(&s, "temp").await;
    let (status, _) = s.get(&token, "/api/me").await;
    assert_eq!(status, 200);
    let mut ws = s.ws(&token).await;

    let (status, b) = patch(&s, &root, "temp", &json!({ "disabled": true })).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["disabled"], true);
    let (status, _) = s.get(&token, "/api/me").await;
    assert_eq!(status, 401, "the token stopped working at once");
    let close = ws.next_close().await;
    assert_eq!(close.reason.as_str(), "the login was disabled");
    let (status, _) = login(&s, "temp", OWN_PASSWORD).await;
    assert_eq!(status, 401);
    let (_, list) = s.get(&root, "/api/users").await;
    let temp = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "temp")
        .unwrap()
        .clone();
    assert_eq!(temp["disabled"], true);

    let (status, _) = patch(&s, &root, "temp", &json!({ "disabled": false })).await;
    assert_eq!(status, 200);
    let (status, _) = login(&s, "temp", OWN_PASSWORD).await;
    assert_eq!(status, 200);
    let (status, b) = patch(&s, &root, "temp", &json!({ "colour": "red" })).await;
    assert_eq!(status, 400, "unknown fields are refused: {b}");
}

/// `riskmap users add | disable | enable | bind` on the store, without a
/// running server.
#[tokio::test]
async fn logins_are_managed_on_the_store_from_the_command_line() {
    let mut s = TestServer::start().await;
    s.server.take().unwrap().shutdown().await;
    let (ok, _, err) = s.users_cli(
        &["add", "grid7", "--role", "field", "--area", "11"],
        PASSWORD,
    );
    assert!(!ok && err.contains("--staff"), "{err}");
    let (ok, _, err) = s.users_cli(
        &[
            "add", "grid7", "--role", "field", "--area", "11", "--staff", "S99",
        ],
        PASSWORD,
    );
    assert!(!ok && err.contains("S99"), "{err}");
    let (ok, _, err) = s.users_cli(
        &[
            "add", "grid7", "--role", "field", "--area", "77", "--staff", "S1",
        ],
        PASSWORD,
    );
    assert!(!ok && err.contains("77"), "{err}");
    let (ok, _, err) = s.users_cli(
        &["add", "grid7", "--role", "boss", "--area", "11"],
        PASSWORD,
    );
    assert!(!ok && err.contains("roles are"), "{err}");
    let (ok, out, err) = s.users_cli(
        &[
            "add",
            "grid7",
            "--role",
            "field",
            "--area",
            "11",
            "--staff",
            "S1",
            "--name",
            "网格员七",
        ],
        PASSWORD,
    );
    assert!(ok, "{err}");
    assert!(out.contains("grid7"), "{out}");
    let (ok, _, err) = s.users_cli(&["disable", "grid7"], "");
    assert!(ok, "{err}");
    let (_, list, _) = s.users_cli(&["list"], "");
    assert!(
        list.lines()
            .any(|l| l.starts_with("grid7 ") && l.contains("(disabled)")),
        "{list}"
    );
    let (ok, out, err) = s.users_cli(&["bind", "grid7", "--area", &grid(11, 1)], "");
    assert!(ok, "{err}");
    assert!(out.contains(&grid(11, 1)), "{out}");
    s.restart_stopped().await;
    let (status, _) = login(&s, "grid7", PASSWORD).await;
    assert_eq!(status, 401, "disabled");
    s.server.take().unwrap().shutdown().await;
    let (ok, _, err) = s.users_cli(&["enable", "grid7"], "");
    assert!(ok, "{err}");
    s.restart_stopped().await;
    let (status, body) = login(&s, "grid7", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap();
    let (_, me) = s.get(token, "/api/me").await;
    assert_eq!(me["user"]["area"], grid(11, 1));
    assert_eq!(me["user"]["staff_id"], "S1");
    assert_eq!(me["user"]["display_name"], "网格员七");
    assert_eq!(
        me["user"]["must_change_password"], true,
        "the operator chose the password: its owner chooses another"
    );

    // A new password from the command line: the rules hold there too, and
    // its owner must change it again.
    s.server.take().unwrap().shutdown().await;
    let (ok, _, err) = s.users_cli(&["passwd", "grid7"], "grid7-Password-1");
    assert!(!ok && err.contains("username"), "{err}");
    let (ok, out, err) = s.users_cli(&["passwd", "grid7"], "Another-Password-9");
    assert!(ok, "{err}");
    assert!(out.contains("must choose"), "{out}");
    s.restart_stopped().await;
    let (status, body) = login(&s, "grid7", "Another-Password-9").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["must_change_password"], true, "{body}");
}

/// A login whose password someone else chose may do nothing but choose its
/// own: every other request and its socket are refused with the reason;
/// the change checks the current password (throttled), the rules, and
/// ends every session but the one it opens. An administrator's reset puts
/// the login back to the start and closes its sockets.
#[tokio::test]
async fn a_login_set_by_someone_else_must_choose_its_own_password() {
    let s = TestServer::start().await;
    let root = s.login("admin").await;
    let (status, b) = s
        .post(
            &root,
            "/api/users",
            &new_login("newbie", "dispatcher", "11", None),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    let (status, body) = login(&s, "newbie", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["must_change_password"], true);
    let first = body["token"].as_str().unwrap().to_owned();

    // Who am I answers; nothing else does, the socket included.
    let (status, me) = s.get(&first, "/api/me").await;
    assert_eq!(
        (status, &me["user"]["must_change_password"]),
        (200, &json!(true))
    );
    let (status, b) = s.get(&first, "/api/incidents").await;
    assert_eq!(status, 403, "{b}");
    assert_eq!(b["error"], "password_change_required", "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("/api/auth/password"),
        "{b}"
    );
    let refused = tokio_tungstenite::connect_async(format!("{}/ws?token={first}", s.ws_base)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("the socket should be refused: {:?}", other.map(|_| ())),
    }

    // Each refusal with its reason.
    let (status, b) = change_password(&s, &first, "not-the-password", OWN_PASSWORD).await;
    assert_eq!(
        (status, b["error"].as_str()),
        (400, Some("wrong_password")),
        "{b}"
    );
    for (new, rule) in [
        ("Short-1", "10 characters"),
        ("only-lowercase-here", "at least 3 of"),
        ("Newbie-Password-1", "username"),
        (PASSWORD, "differ"),
    ] {
        let (status, b) = change_password(&s, &first, PASSWORD, new).await;
        assert_eq!(
            (status, b["error"].as_str()),
            (400, Some("weak_password")),
            "{new}: {b}"
        );
        assert!(b["message"].as_str().unwrap().contains(rule), "{new}: {b}");
    }
    let (status, b) = s
        .post(
            &first,
            "/api/auth/password",
            &json!({ "new_password": OWN_PASSWORD }),
        )
        .await;
    assert_eq!(status, 400, "the current password is required: {b}");

    // Changed: a new session; the old token is over; everything answers.
    let (status, body) = change_password(&s, &first, PASSWORD, OWN_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["must_change_password"], false);
    let own = body["token"].as_str().unwrap().to_owned();
    assert_ne!(own, first);
    let (status, _) = s.get(&first, "/api/me").await;
    assert_eq!(status, 401, "the session it was changed in ended");
    let (status, b) = s.get(&own, "/api/incidents").await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(login(&s, "newbie", PASSWORD).await.0, 401);
    assert_eq!(login(&s, "newbie", OWN_PASSWORD).await.0, 200);

    // An administrator resets it: sockets closed, sessions over, and the
    // owner starts again.
    let mut ws = s.ws(&own).await;
    let (status, b) = s
        .post(
            &root,
            "/api/users/newbie/password",
            &json!({ "password": "Handed-Over-77" }),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["must_change_password"], true);
    assert_eq!(
        ws.next_close().await.reason.as_str(),
        "the password was reset: log in again"
    );
    assert_eq!(s.get(&own, "/api/me").await.0, 401);
    let (status, body) = login(&s, "newbie", "Handed-Over-77").await;
    assert_eq!(
        (status, &body["user"]["must_change_password"]),
        (200, &json!(true))
    );
    // Not one's own (that is the change above), not outside one's area, not
    // weak, and only by administrators.
    let (status, b) = s
        .post(
            &root,
            "/api/users/admin/password",
            &json!({ "password": "Handed-Over-77" }),
        )
        .await;
    assert_eq!(status, 400, "{b}");
    let d = s.login("district").await;
    let (status, _) = s
        .post(
            &d,
            "/api/users/newbie/password",
            &json!({ "password": "Handed-Over-77" }),
        )
        .await;
    assert_eq!(status, 403, "a commander manages no logins");
    let (status, b) = s
        .post(
            &root,
            "/api/users/newbie/password",
            &json!({ "password": "weak" }),
        )
        .await;
    assert_eq!(
        (status, b["error"].as_str()),
        (400, Some("weak_password")),
        "{b}"
    );
    let (status, _) = s
        .post(
            &root,
            "/api/users/nobody/password",
            &json!({ "password": "Handed-Over-77" }),
        )
        .await;
    assert_eq!(status, 404);

    // Guessing the current password behind a token left open is throttled
    // as logins are.
    let (_, body) = login(&s, "newbie", "Handed-Over-77").await;
    let token = body["token"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for k in 0..12 {
        let (status, _) =
            change_password(&s, &token, &format!("Guess-number-{k}"), OWN_PASSWORD).await;
        statuses.push(status);
    }
    assert_eq!(statuses[0], 400, "{statuses:?}");
    assert!(
        statuses.contains(&429),
        "wrong guesses are throttled: {statuses:?}"
    );
}

/// A session ended behind the server's back — the operator disabling a
/// login with `riskmap users disable` beside a running server on
/// PostgreSQL, a session row deleted — closes its sockets within seconds,
/// and only those.
#[tokio::test]
async fn sessions_ended_in_the_store_close_their_sockets() {
    use riskmap::identity::AccountChanges;
    use riskmap::identity::sessions::token_hash;
    let s = TestServer::start().await;
    let disp = s.login("dispatcher").await;
    let screen = s.login("screen").await;
    let kept = s.login("commander").await;
    let (mut ws_disp, mut ws_screen, mut ws_kept) =
        (s.ws(&disp).await, s.ws(&screen).await, s.ws(&kept).await);
    let store = &s.server().app.store;
    store.revoke_session(&token_hash(&disp)).await.unwrap();
    let changes = AccountChanges {
        disabled: Some(true),
        ..AccountChanges::default()
    };
    store
        .change_account("screen", &changes, None)
        .await
        .unwrap()
        .unwrap();
    let started = std::time::Instant::now();
    for ws in [&mut ws_disp, &mut ws_screen] {
        let close = ws.next_close().await;
        assert_eq!(close.reason.as_str(), "the session ended: log in again");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(6));
    // The others' sockets stay open and answer.
    ws_kept
        .send(&json!({ "type": "query", "id": 1, "query": "locate", "params": { "lon": 120.02, "lat": 28.05 } }))
        .await;
    let answer = ws_kept.next_of("result").await;
    assert_eq!(answer["id"], 1, "{answer}");
}
