//! `riskmap import DIR` end to end: a city's own data onto an empty store,
//! checked first — areas that do not tile and references to nothing are
//! refused with what and where, and nothing is written — then served, its
//! logins logging in with the printed passwords.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use riskmap_tests as common;
use serde_json::{Value, json};

use common::org::first_login;
use common::{TestServer, binary, test_args};

/// `riskmap import DIR` on a store, with the server stopped.
fn import(data: &Path, dir: &Path, more: &[&str]) -> (bool, String) {
    let mut cmd = std::process::Command::new(binary("riskmap"));
    cmd.arg("import")
        .arg(dir)
        .args(more)
        .arg("--data-dir")
        .arg(data);
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A city's own data onto an empty store, checked first: areas that do not
/// tile and references to nothing are refused with what and where, and
/// nothing is written; the good directory then serves, its logins log in
/// with the printed passwords and must choose their own.
#[tokio::test]
#[allow(clippy::too_many_lines)] // one directory, broken four ways, then good
async fn a_city_imports_its_own_data_checked_first() {
    let (mut args, tmp) = test_args().await;
    let dir = tmp.path().join("own");
    common::write_city(&dir);
    std::fs::write(
        dir.join("departments.json"),
        json!({ "departments": [
            { "code": "11001-zf", "name": "一街道执法队", "kind": "综合行政执法队", "area": "11001" }
        ]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("accounts.json"),
        json!({ "accounts": [
            { "username": "street-desk", "role": "dispatcher", "area": "11001",
              "display_name": "一街道值班长" },
            { "username": "zf-1", "role": "field", "area": "11001001001",
              "staff_id": "S2", "department": "11001-zf" }
        ]})
        .to_string(),
    )
    .unwrap();
    let data = tmp.path().join("imported");
    let store: Vec<String> = args
        .database_url
        .iter()
        .flat_map(|u| ["--database-url".to_owned(), u.clone()])
        .collect();
    let store: Vec<&str> = store.iter().map(String::as_str).collect();

    // Broken copies are refused, naming the trouble; the store stays empty.
    let areas: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("areas.geojson")).unwrap()).unwrap();
    let broken = |name: &str, change: &dyn Fn(&mut Value)| {
        let d = tmp.path().join(name);
        common::write_city(&d);
        let mut a = areas.clone();
        change(&mut a);
        std::fs::write(d.join("areas.geojson"), a.to_string()).unwrap();
        d
    };
    let feature = |a: &mut Value, code: &str| -> usize {
        a["features"]
            .as_array()
            .unwrap()
            .iter()
            .position(|f| f["properties"]["code"] == code)
            .unwrap()
    };
    // Grid 11-2 widened over grid 11-1: they overlap.
    let overlap = broken("overlap", &|a| {
        let i = feature(a, "11001001002");
        a["features"][i]["geometry"] = json!({ "type": "Polygon", "coordinates": [[
            [120.04, 28.0], [120.1, 28.0], [120.1, 28.1], [120.04, 28.1], [120.04, 28.0]
        ]] });
    });
    // Grid 11-2 gone: its community has a hole.
    let gap = broken("gap", &|a| {
        let i = feature(a, "11001001002");
        a["features"].as_array_mut().unwrap().remove(i);
    });
    let orphan = broken("orphan", &|a| {
        let i = feature(a, "11001001002");
        a["features"][i]["properties"]["parent"] = json!("99");
    });
    for (d, want) in [
        (&overlap, "11001001001"),
        (&gap, "11001001"),
        (&orphan, "unknown parent 99"),
    ] {
        let (done, out) = import(&data, d, &store);
        assert!(!done, "{} imported: {out}", d.display());
        assert!(out.contains(want), "{}: {out}", d.display());
    }
    let bad_login = tmp.path().join("bad-login");
    common::write_city(&bad_login);
    std::fs::write(
        bad_login.join("accounts.json"),
        json!({ "accounts": [{ "username": "x1x", "role": "field", "area": "11001001001", "staff_id": "S99" }] })
            .to_string(),
    )
    .unwrap();
    let (done, out) = import(&data, &bad_login, &store);
    assert!(!done && out.contains("no staff member \"S99\""), "{out}");

    // The good one.
    let (done, out) = import(&data, &dir, &store);
    assert!(done, "{out}");
    assert!(
        out.contains("areas: 11 features") && out.contains("departments: 1"),
        "{out}"
    );
    let password = |user: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{user},")))
            .unwrap()
            .to_owned()
    };
    let (desk, field) = (password("street-desk"), password("zf-1"));
    // Again: the logins are left alone.
    let (done, again) = import(&data, &dir, &store);
    assert!(done && again.contains("login zf-1 exists"), "{again}");

    args.data_dir = data;
    args.demo = false;
    let s = TestServer::start_in(args, tmp).await;
    let (status, v) = s.try_login("street-desk", &desk).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["user"]["must_change_password"], true);
    let (status, v) = s.try_login("zf-1", &field).await;
    assert_eq!(
        (status, &v["user"]["department"]),
        (200, &json!("11001-zf")),
        "{v}"
    );
    let token = first_login(&s, "street-desk", &desk).await;
    let (_, v) = s.get(&token, "/api/departments?area=11001").await;
    let d = &v["departments"][0];
    assert_eq!(
        (&d["code"], &d["members"]),
        (&json!("11001-zf"), &json!(["zf-1"])),
        "{v}"
    );
}
