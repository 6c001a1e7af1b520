//! The views' text pinned against the `json!` builders they replaced.

use super::*;

// The `json!` builders the views replaced, kept here to pin the shape:
// the views must write the same text (members, values, order, omissions).
fn old_staff_json(m: &Member, tree: &AreaTree) -> serde_json::Value {
    let grid = m.home.map(|g| tree.get(g).code.clone());
    let mut v = serde_json::json!({
        "id": m.id.as_str(),
        "name": m.name.as_str(),
        "role": m.role,
        "duty": m.duty,
        "grid": grid,
        "skills": m.skill_list(),
    });
    if let (Some(fix), serde_json::Value::Object(o)) = (m.fix, &mut v) {
        o.insert("lon".into(), fix.position.lon.into());
        o.insert("lat".into(), fix.position.lat.into());
        o.insert("t".into(), fix.fix_time_ms.into());
        for (k, x) in [
            ("heading", fix.heading_deg),
            ("speed", fix.speed_mps),
            ("accuracy", fix.accuracy_m),
            ("battery", fix.battery_pct),
        ] {
            if let Some(x) = x {
                o.insert(k.into(), f64::from(x).into());
            }
        }
    }
    v
}

fn old_camera_json(c: &Camera) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "name": c.name,
        "lon": c.location.lon,
        "lat": c.location.lat,
        "heading": c.heading_deg,
        "fov": c.fov_deg,
        "range_m": c.range_m,
        "online": c.online,
        "owner": c.owner,
        "stream_url": c.stream_url,
    })
}

fn old_place_fields(shape: Shape<'_>, v: &mut serde_json::Value) {
    let p = representative(shape);
    if let serde_json::Value::Object(o) = v {
        o.insert("lon".into(), p.x().into());
        o.insert("lat".into(), p.y().into());
        let g = match shape {
            Shape::Point(_) => None,
            Shape::Line(ml) => Some(geojson::GeometryValue::from(ml)),
            Shape::Area(mp) => Some(geojson::GeometryValue::from(mp)),
        };
        if let Some(Ok(g)) = g.map(|g| serde_json::to_value(geojson::Geometry::new(g))) {
            o.insert("geometry".into(), g);
        }
    }
}

fn old_risk_source_json(r: &RiskSource) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": r.id,
        "name": r.name,
        "category": r.category,
        "level": r.level,
        "colour": r.level.colour(),
    });
    old_place_fields(r.shape(), &mut v);
    v
}

fn old_key_place_json(k: &KeyPlace) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": k.id,
        "name": k.name,
        "category": k.category,
    });
    old_place_fields(k.shape(), &mut v);
    v
}

/// Equal as values, and as text: the old `Value` wrote its members
/// sorted, and so must the view.
fn same(new: &impl Serialize, old: &serde_json::Value) {
    let text = serde_json::to_string(new).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(&parsed, old);
    assert_eq!(text, old.to_string());
}

fn engine_with_staff() -> riskmap_engine::Engine {
    use riskmap_engine::model::Staff;
    let mut e = riskmap_engine::Engine::new(riskmap_engine::EngineConfig::default()).unwrap();
    e.replace_areas(crate::live::test_city::one_grid_city("330302001001001"))
        .unwrap();
    let fix = Fix {
        position: riskmap_engine::sphere::LonLat::new(120.066_123_4, 28.012_345_6).unwrap(),
        accuracy_m: Some(4.7),
        speed_mps: Some(1.3),
        heading_deg: Some(45.1),
        altitude_m: Some(12.0),
        battery_pct: Some(81.0),
        fix_time_ms: 1_767_225_600_123,
        server_time_ms: 1_767_225_600_456,
    };
    let bare = Fix {
        accuracy_m: None,
        speed_mps: None,
        heading_deg: None,
        altitude_m: None,
        battery_pct: None,
        ..fix
    };
    for (id, skills, last_fix) in [
        // Every optional field set.
        ("S1", vec![Skill::Mediation, Skill::FirstAid], Some(fix)),
        // A fix without its optional readings.
        ("S2", vec![], Some(bare)),
        // No fix.
        ("S3", vec![], None),
    ] {
        e.upsert_staff(&Staff {
            id: id.into(),
            name: "王伟 \"W\"".into(),
            role: Role::GridWorker,
            skills,
            home_grid: "330302001001001".into(),
            duty: DutyStatus::Available,
            devices: vec![],
            last_fix,
        })
        .unwrap();
    }
    e
}

#[test]
fn staff_views_write_what_the_json_builder_did() {
    let mut e = engine_with_staff();
    let check = |e: &riskmap_engine::Engine| {
        let (staff, tree) = (e.staff(), e.areas());
        for id in ["S1", "S2", "S3"] {
            let m = staff.get(staff.find(id).unwrap()).unwrap();
            same(&StaffView::new(m, tree), &old_staff_json(m, tree));
            assert_eq!(staff_json(m, tree), old_staff_json(m, tree));
        }
        let json = |id| staff_json(staff.get(staff.find(id).unwrap()).unwrap(), tree);
        (json("S1"), json("S3"))
    };
    // The cases are what they say: all the optional fields, then none.
    let (full, bare) = check(&e);
    for k in ["lon", "lat", "t", "heading", "speed", "accuracy", "battery"] {
        assert!(full.get(k).is_some(), "{k} missing: {full}");
        assert!(bare.get(k).is_none(), "{k} there: {bare}");
    }
    assert_eq!(full["grid"], "330302001001001");
    assert_eq!(
        full["skills"],
        serde_json::json!(["mediation", "first_aid"])
    );
    // A new area tree without their home grid: `grid` is null.
    e.replace_areas(crate::live::test_city::one_grid_city("330302001001002"))
        .unwrap();
    let (full, bare) = check(&e);
    assert!(
        full["grid"].is_null() && bare["grid"].is_null(),
        "{full} {bare}"
    );
}

#[test]
fn camera_and_place_views_write_what_the_json_builders_did() {
    use geo::{LineString, MultiLineString, MultiPolygon, Point, Polygon};
    use riskmap_engine::model::Footprint;
    let full = Camera {
        id: "C000001".into(),
        name: "路口 \"1\"".into(),
        heading_deg: Some(45.5),
        fov_deg: Some(90.0),
        range_m: 80.25,
        stream_url: Some("rtsp://cam/1".into()),
        online: true,
        owner: "公安".into(),
        location: riskmap_engine::sphere::LonLat::new(120.661_234_5, 28.011_111_1).unwrap(),
    };
    let dome = Camera {
        heading_deg: None,
        fov_deg: None,
        stream_url: None,
        online: false,
        owner: String::new(),
        ..full.clone()
    };
    for c in [&full, &dome] {
        same(&CameraView::new(c), &old_camera_json(c));
        assert_eq!(camera_json(c), old_camera_json(c));
    }
    let ring = LineString::from(vec![
        (120.0, 28.0),
        (120.1, 28.0),
        (120.1, 28.1),
        (120.0, 28.0),
    ]);
    let shapes = [
        Footprint::Point(Point::new(120.5, 28.5)),
        Footprint::Line(MultiLineString::new(vec![LineString::from(vec![
            (120.0, 28.0),
            (120.2, 28.1),
        ])])),
        Footprint::Area(MultiPolygon::new(vec![Polygon::new(ring, vec![])])),
    ];
    for footprint in shapes {
        let r = RiskSource {
            id: "R1".into(),
            name: "加油站".into(),
            category: "危化品企业".into(),
            level: RiskLevel::Major,
            footprint: footprint.clone(),
        };
        same(&PlaceView::risk_source(&r), &old_risk_source_json(&r));
        assert_eq!(risk_source_json(&r), old_risk_source_json(&r));
        let k = KeyPlace {
            id: "K1".into(),
            name: "学校".into(),
            category: "学校".into(),
            footprint,
        };
        same(&PlaceView::key_place(&k), &old_key_place_json(&k));
        assert_eq!(key_place_json(&k), old_key_place_json(&k));
    }
}
