//! The test city: two districts of two grids each, their staff, and the
//! city written as the GeoJSON files a server imports.

use std::path::Path;

use geo::{LineString, MultiPolygon, Polygon};
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, risk_source_feature, staff_feature,
    write_collection,
};
use riskmap_engine::model::{
    Area, AreaLevel, Camera, DutyStatus, Fix, Footprint, KeyPlace, RiskLevel, RiskSource, Role,
    Skill, Staff,
};
use riskmap_engine::sphere::LonLat;

use crate::TestServer;

/// The test city: 城市 T (code 1) with districts 11 (west, lon 120.00–120.10)
/// and 12 (east, 120.10–120.20), each one street, one community and two
/// grids side by side; lat 28.00–28.10.
pub fn city_areas() -> Vec<Area> {
    let mut out = vec![area(
        "1",
        "测试市",
        AreaLevel::City,
        None,
        rect(120.0, 28.0, 120.2, 28.1),
    )];
    for (d, x0) in [("11", 120.0), ("12", 120.1)] {
        let whole = rect(x0, 28.0, x0 + 0.1, 28.1);
        let s = format!("{d}001");
        let c = format!("{s}001");
        out.push(area(
            d,
            &format!("{d}区"),
            AreaLevel::District,
            Some("1"),
            whole.clone(),
        ));
        out.push(area(
            &s,
            &format!("{d}街道"),
            AreaLevel::Street,
            Some(d),
            whole.clone(),
        ));
        out.push(area(
            &c,
            &format!("{d}社区"),
            AreaLevel::Community,
            Some(&s),
            whole,
        ));
        out.push(area(
            &format!("{c}001"),
            "第1网格",
            AreaLevel::Grid,
            Some(&c),
            rect(x0, 28.0, x0 + 0.05, 28.1),
        ));
        out.push(area(
            &format!("{c}002"),
            "第2网格",
            AreaLevel::Grid,
            Some(&c),
            rect(x0 + 0.05, 28.0, x0 + 0.1, 28.1),
        ));
    }
    out
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn area(
    code: &str,
    name: &str,
    level: AreaLevel,
    parent: Option<&str>,
    geometry: MultiPolygon<f64>,
) -> Area {
    Area {
        code: code.into(),
        name: name.into(),
        level,
        parent: parent.map(Into::into),
        geometry,
    }
}

/// The test city's two districts trade places in the server's area tree,
/// each area of one taking the index of its twin in the other (11001001001
/// that of 12001001001, …), as an areas import may renumber them — without
/// the rest of the import (the risk rebuild, the tile versions, the
/// resync), as the engine holds it in the moment between.
pub fn swap_districts(s: &TestServer) {
    let mut engine = s.server().app.engine.write();
    let mut areas: Vec<Area> = engine.areas().iter().map(|(_, a)| a.clone()).collect();
    let at = |areas: &[Area], code: &str| areas.iter().position(|a| a.code == code).unwrap();
    let west: Vec<String> = areas
        .iter()
        .filter(|a| a.code.starts_with("11"))
        .map(|a| a.code.clone())
        .collect();
    for code in &west {
        let (i, j) = (at(&areas, code), at(&areas, &code.replacen("11", "12", 1)));
        areas.swap(i, j);
    }
    let before = engine.areas().idx(&grid(11, 1));
    engine.replace_areas(areas).unwrap();
    assert_eq!(
        engine.areas().idx(&grid(12, 1)),
        before,
        "the twins traded indexes"
    );
}

/// The grid of district `d` (11 or 12), number `n` (1 or 2).
pub fn grid(d: u8, n: u8) -> String {
    format!("{d}001001{n:03}")
}

/// A staff member of district `d`, grid `n`, at `p`, available, fix at t=1 s
/// after 2026-01-01.
pub fn staff(id: &str, d: u8, n: u8, role: Role, skills: &[Skill], p: (f64, f64)) -> Staff {
    Staff {
        id: id.into(),
        name: format!("员工{id}"),
        role,
        skills: skills.to_vec(),
        home_grid: grid(d, n),
        duty: DutyStatus::Available,
        devices: vec![format!("dev-{id}")],
        last_fix: Some(Fix::at(LonLat::new(p.0, p.1).unwrap(), 1_767_225_601_000)),
    }
}

/// The staff of the test city: S1 is the first (the demo field login).
pub fn city_staff() -> Vec<Staff> {
    vec![
        staff(
            "S1",
            11,
            1,
            Role::GridWorker,
            &[Skill::Mediation],
            (120.02, 28.05),
        ),
        staff(
            "S2",
            11,
            1,
            Role::Police,
            &[Skill::FirstAid, Skill::Traffic],
            (120.03, 28.05),
        ),
        staff(
            "S3",
            11,
            2,
            Role::UrbanManagement,
            &[Skill::Sanitation],
            (120.07, 28.05),
        ),
        staff(
            "S4",
            12,
            1,
            Role::GridWorker,
            &[Skill::Mediation],
            (120.11, 28.05),
        ),
        staff("S5", 12, 2, Role::Volunteer, &[], (120.17, 28.05)),
    ]
}

/// Writes the test city as a city directory.
pub fn write_city(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    write_collection(
        &dir.join("areas.geojson"),
        city_areas().iter().map(area_feature),
    )
    .unwrap();
    write_collection(
        &dir.join("staff.geojson"),
        city_staff().iter().map(staff_feature),
    )
    .unwrap();
    let cams = [
        Camera {
            id: "C1".into(),
            name: "北向摄像头".into(),
            heading_deg: Some(0.0),
            fov_deg: Some(90.0),
            range_m: 200.0,
            stream_url: None,
            online: true,
            owner: "公安".into(),
            location: LonLat::new(120.02, 28.049).unwrap(),
        },
        Camera {
            id: "C2".into(),
            name: "东区球机".into(),
            heading_deg: None,
            fov_deg: None,
            range_m: 100.0,
            stream_url: None,
            online: true,
            owner: "社区".into(),
            location: LonLat::new(120.11, 28.05).unwrap(),
        },
    ];
    write_collection(
        &dir.join("cameras.geojson"),
        cams.iter().map(camera_feature),
    )
    .unwrap();
    let risks = [RiskSource {
        id: "R1".into(),
        name: "加油站".into(),
        category: "加油站".into(),
        level: RiskLevel::Significant,
        footprint: Footprint::Point(geo::Point::new(120.021, 28.05)),
    }];
    write_collection(
        &dir.join("risk_sources.geojson"),
        risks.iter().map(risk_source_feature),
    )
    .unwrap();
    let places = [KeyPlace {
        id: "K1".into(),
        name: "实验小学".into(),
        category: "学校".into(),
        footprint: Footprint::Area(rect(120.018, 28.048, 120.019, 28.049)),
    }];
    write_collection(
        &dir.join("key_places.geojson"),
        places.iter().map(key_place_feature),
    )
    .unwrap();
}
