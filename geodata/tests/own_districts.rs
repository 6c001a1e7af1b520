//! A trial city on a city's own districts (`geodata city --districts FILE`):
//! a hand-written districts file, in the shapes public sources publish,
//! comes out as a city whose districts keep their names and codes and whose
//! every area nests in its parent; each kind of bad file is refused with one
//! line saying what and where.
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::check_tiling;
use geo::{Area, BooleanOps, Contains, Coord, InteriorPoint, MultiPolygon, Validation};
use geodata::city::{self, City, CitySpec};
use geodata::import::{self, Imported, Options};
use riskmap_engine::model::AreaLevel;
use serde_json::{Value, json};

/// A ring from corners, as given (not closed: closing is the import's job
/// where a file forgot it).
fn ring(corners: &[(f64, f64)]) -> Value {
    json!(corners.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>())
}

/// A rectangle's ring, closed, counter-clockwise or clockwise.
fn rect(w: f64, s: f64, e: f64, n: f64, ccw: bool) -> Value {
    let mut c = vec![(w, s), (e, s), (e, n), (w, n), (w, s)];
    if !ccw {
        c.reverse();
    }
    ring(&c)
}

fn feature(properties: Value, geometry: Value) -> Value {
    let mut f = json!({"type": "Feature"});
    f["properties"] = properties;
    f["geometry"] = geometry;
    f
}

fn collection(features: Vec<Value>) -> String {
    let mut c = json!({"type": "FeatureCollection"});
    c["features"] = Value::Array(features);
    c.to_string()
}

/// Three districts on the coast near 绍兴, each in another source's style:
/// 越城区 as a shapefile gives it (outer ring clockwise, numeric adcode, the
/// seat in `DataV`'s `center`); 柯桥区 with upper-case keys, a string adcode,
/// an unclosed ring, a hole turned the wrong way and a strip overlapping its
/// neighbour; 滨海新区 as a MultiPolygon with an island and no code.
fn districts() -> String {
    collection(vec![
        feature(
            json!({"adcode": 330_602, "name": "越城区", "center": [120.58, 30.0]}),
            json!({"type": "Polygon", "coordinates": [ring(&[
                (120.50, 29.95), (120.50, 30.05), (120.56, 30.06), (120.62, 30.05),
                (120.62, 29.95), (120.50, 29.95),
            ])]}),
        ),
        feature(
            json!({"NAME": "柯桥区", "ADCODE": "330603"}),
            json!({"type": "Polygon", "coordinates": [
                ring(&[(120.615, 29.95), (120.75, 29.95), (120.75, 30.05), (120.615, 30.05)]),
                rect(120.66, 29.99, 120.69, 30.01, true),
            ]}),
        ),
        feature(
            json!({"名称": "滨海新区"}),
            json!({"type": "MultiPolygon", "coordinates": [
                [rect(120.50, 29.85, 120.75, 29.95, true)],
                [rect(120.80, 29.88, 120.84, 29.92, false)],
            ]}),
        ),
    ])
}

fn import(text: &str, options: &Options) -> Result<Imported, String> {
    import::parse(text, Path::new("districts.geojson"), options).map_err(|e| e.to_string())
}

fn small() -> CitySpec {
    CitySpec {
        grids: 150,
        staff: 300,
        cameras: 200,
        risk_sources: 30,
        key_places: 30,
        ..CitySpec::TRIAL
    }
}

fn point(x: f64, y: f64) -> Coord<f64> {
    Coord { x, y }
}

#[test]
fn districts_keep_their_names_and_codes() {
    let imported = import(&districts(), &Options::default()).unwrap();
    let c = &imported.city;
    assert_eq!(c.code, "330600", "the prefecture of 330602 and 330603");
    assert_eq!(c.name, "districts", "named after the file");
    let found: Vec<(&str, &str)> = c
        .districts
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    // The district without a code gets the first free one of the city.
    assert_eq!(
        found,
        [
            ("330601", "滨海新区"),
            ("330602", "越城区"),
            ("330603", "柯桥区")
        ]
    );
    assert!(imported.notes.iter().any(|n| n.contains("330601")));
    let by_name: HashMap<&str, &MultiPolygon<f64>> = c
        .districts
        .iter()
        .map(|d| (d.name.as_str(), &d.geometry))
        .collect();
    for d in &c.districts {
        assert!(d.geometry.is_valid(), "{} is not valid", d.name);
    }
    assert_eq!(by_name["滨海新区"].0.len(), 2, "the island is kept");
    let kq = by_name["柯桥区"];
    assert_eq!(kq.0[0].interiors().len(), 1, "the hole is kept");
    assert!(!kq.contains(&point(120.675, 30.0)));
    // The strip both claim goes to the lower code; none is lost.
    let overlap = kq.intersection(by_name["越城区"]).unsigned_area();
    assert!(overlap < 1e-12, "{overlap}");
    let total: f64 = by_name.values().map(|g| g.unsigned_area()).sum();
    let expected =
        0.12 * 0.1 + 0.12 * 0.01 / 2.0 + 0.13 * 0.1 - 0.03 * 0.02 + 0.25 * 0.1 + 0.04 * 0.04;
    assert!((total - expected).abs() < 1e-7, "{total} vs {expected}");
    // `DataV`'s seat is used where it lies inside.
    let yc = c.districts.iter().find(|d| d.name == "越城区").unwrap();
    assert_eq!(yc.seat, point(120.58, 30.0));
}

/// The district an area lies in: its ancestor one below the city.
fn district_of<'a>(city: &'a City, code: &str) -> &'a riskmap_engine::model::Area {
    let by_code: HashMap<&str, _> = city.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    let mut a = by_code[code];
    while a.level != AreaLevel::District {
        a = by_code[a.parent.as_deref().unwrap()];
    }
    a
}

#[test]
fn every_grid_lies_inside_its_district() {
    let options = Options {
        city_name: Some("绍兴市".into()),
        ..Options::default()
    };
    let imported = import(&districts(), &options).unwrap();
    let c = city::build_on(&small(), &imported.city).unwrap();
    assert_eq!(c.areas[0].name, "绍兴市");
    assert_eq!(c.areas[0].code, "330600");
    check_tiling(&c);
    let grids: Vec<_> = c
        .areas
        .iter()
        .filter(|a| a.level == AreaLevel::Grid)
        .collect();
    assert!((135..=165).contains(&grids.len()), "{}", grids.len());
    let mut per_district: HashMap<&str, usize> = HashMap::new();
    for g in &grids {
        let d = district_of(&c, &g.code);
        assert!(g.code.starts_with(&d.code), "{} under {}", g.code, d.code);
        let outside = g.geometry.difference(&d.geometry).unsigned_area();
        assert!(
            outside < 1e-6 * g.geometry.unsigned_area(),
            "{} sticks out of {} by {outside:e}",
            g.code,
            d.name
        );
        assert!(d.geometry.contains(&g.geometry.interior_point().unwrap()));
        assert!(!g.geometry.contains(&point(120.675, 30.0)), "in the hole");
        *per_district.entry(d.name.as_str()).or_default() += 1;
    }
    assert_eq!(per_district.len(), 3, "{per_district:?}");
    let island = geo::Rect::new(point(120.80, 29.88), point(120.84, 29.92)).to_polygon();
    assert!(
        grids
            .iter()
            .any(|g| g.geometry.intersection(&island).unsigned_area() > 0.0),
        "no grid on the island"
    );
    for s in &c.staff {
        assert!(
            grids.iter().any(|g| g.code == s.home_grid
                && g.geometry.contains(&s.last_fix.unwrap().position.point())),
            "{} is not at home",
            s.id
        );
    }
}

/// The message `text` is refused with; one line, naming the file.
fn refusal(text: &str, options: &Options) -> String {
    let e = import(text, options).unwrap_err();
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.starts_with("districts.geojson: "), "{e}");
    e
}

fn one(properties: Value, geometry: Value) -> String {
    collection(vec![feature(properties, geometry)])
}

/// A rectangular Polygon geometry.
fn boxed(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [rect(w, s, e, n, true)]})
}

fn square() -> Value {
    boxed(120.5, 29.9, 120.6, 30.0)
}

/// A file of one district, 甲区, on `geometry`.
fn jia(geometry: Value) -> String {
    one(json!({"name": "甲区"}), geometry)
}

fn expect(e: &str, parts: &[&str]) {
    for p in parts {
        assert!(e.contains(p), "{e:?} does not say {p:?}");
    }
}

/// `text` is refused with a message saying each of `parts`.
fn refused(text: &str, options: &Options, parts: &[&str]) {
    expect(&refusal(text, options), parts);
}

#[test]
fn an_unreadable_file_is_refused() {
    let e = import::read(Path::new("/no/such/districts.geojson"), &Options::default())
        .unwrap_err()
        .to_string();
    expect(&e, &["/no/such/districts.geojson: cannot read"]);
}

#[test]
fn what_is_not_a_feature_collection_is_refused() {
    let o = Options::default();
    refused("{\"type\":", &o, &["not JSON", "line 1"]);
    let f = feature(json!({"name": "a"}), square()).to_string();
    refused(&f, &o, &["not a FeatureCollection (a Feature)"]);
    refused(&collection(vec![]), &o, &["no features"]);
}

#[test]
fn a_feature_without_polygons_is_refused() {
    let o = Options::default();
    let pt = json!({"type": "Point", "coordinates": [120.5, 29.9]});
    refused(
        &jia(pt),
        &o,
        &[
            "features[0] (甲区)",
            "a Point, not a Polygon or MultiPolygon",
        ],
    );
    refused(&jia(Value::Null), &o, &["features[0] (甲区): no geometry"]);
    let flat = json!({"type": "Polygon", "coordinates": [ring(&[(120.5, 29.9), (120.6, 29.9), (120.7, 29.9)])]});
    refused(
        &jia(flat),
        &o,
        &["features[0] (甲区): its polygons enclose no area"],
    );
}

#[test]
fn a_feature_without_a_name_is_refused() {
    let text = collection(vec![
        feature(json!({"name": "甲区"}), square()),
        feature(json!({"adcode": 330_602, "name": " "}), square()),
    ]);
    let e = refusal(&text, &Options::default());
    expect(&e, &["features[1]: no name", "--name-property"]);
    // Told where the names are, it finds them.
    let text = one(json!({"DISTRICT": "甲区"}), square());
    let o = Options {
        name_property: Some("DISTRICT".into()),
        ..Options::default()
    };
    assert_eq!(import(&text, &o).unwrap().city.districts[0].name, "甲区");
}

#[test]
fn duplicate_codes_and_names_are_refused() {
    let o = Options::default();
    let east = boxed(120.6, 29.9, 120.7, 30.0);
    let text = collection(vec![
        feature(json!({"name": "甲区", "adcode": 330_602}), square()),
        feature(json!({"name": "乙区", "adcode": "330602"}), east.clone()),
    ]);
    refused(
        &text,
        &o,
        &["features[0] (甲区) and features[1] (乙区) have the same code 330602"],
    );
    let text = collection(vec![
        feature(json!({"name": "甲区"}), square()),
        feature(json!({"name": "甲区"}), east),
    ]);
    refused(
        &text,
        &o,
        &["features[0] and features[1] are both named 甲区"],
    );
    let text = one(json!({"name": "甲区", "adcode": 330_602}), square());
    let taken = Options {
        city_code: Some("330602".into()),
        ..Options::default()
    };
    refused(
        &text,
        &taken,
        &["city code 330602 is also the code of features[0]"],
    );
    let bad = Options {
        city_code: Some("3306".into()),
        ..Options::default()
    };
    refused(&text, &bad, &["--city-code \"3306\" is not 6 digits"]);
}

/// 甲区 on the box from (`w`, `s`) to (`e`, `n`) is refused, saying `parts`.
fn refused_on(w: f64, s: f64, e: f64, n: f64, parts: &[&str]) {
    refused(&jia(boxed(w, s, e, n)), &Options::default(), parts);
}

#[test]
fn coordinates_outside_wgs84_are_refused() {
    let beyond = ["features[0] (甲区): position [120.6, 95]", "outside WGS84"];
    refused_on(120.5, 80.0, 120.6, 95.0, &beyond);
    refused_on(29.9, 120.5, 30.0, 120.6, &["swapped"]);
    refused_on(120.5, 86.0, 120.6, 87.0, &["beyond latitude ±85"]);
}

#[test]
fn projected_coordinates_are_refused_with_the_way_out() {
    // 绍兴 in Web Mercator metres.
    let (w, s, e, n) = (13_413_000.0, 3_490_000.0, 13_420_000.0, 3_500_000.0);
    let parts = [
        "features[0] (甲区)",
        "not in degrees",
        "ogr2ogr -t_srs EPSG:4326",
    ];
    refused_on(w, s, e, n, &parts);
    let o = Options::default();
    // An old-style crs naming a projection is refused before any position.
    let mut doc: Value = serde_json::from_str(&jia(square())).unwrap();
    doc["crs"] = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32651"}});
    refused(
        &doc.to_string(),
        &o,
        &["EPSG::32651", "ogr2ogr -t_srs EPSG:4326"],
    );
    // CGCS2000 longitude/latitude is as good as WGS84 here.
    doc["crs"]["properties"]["name"] = json!("urn:ogc:def:crs:EPSG::4490");
    assert!(import(&doc.to_string(), &o).is_ok());
}

/// The command line: a file in, a city directory out that riskmap reads;
/// a bad file, one line on stderr and a failing exit code.
#[test]
fn the_command_builds_a_city_the_server_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("绍兴市.geojson");
    std::fs::write(&file, districts()).unwrap();
    let out = dir.path().join("city");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_geodata"))
            .arg("city")
            .args(args)
            .output()
            .unwrap()
    };
    let ok = run(&[
        "--districts",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--grids",
        "120",
        "--staff",
        "200",
        "--cameras",
        "100",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let back = riskmap_engine::city::read(&out).unwrap();
    assert_eq!(back.areas[0].name, "绍兴市");
    assert_eq!(back.staff.len(), 200);
    assert_eq!(back.key_places.len(), CitySpec::TRIAL.key_places);

    std::fs::write(&file, jia(json!(null))).unwrap();
    let bad = run(&[
        "--districts",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    expect(
        &stderr,
        &["绍兴市.geojson: features[0] (甲区): no geometry"],
    );
}

#[test]
fn a_district_too_detailed_for_riskmap_is_refused() {
    // A star with one point more than riskmap reads in an area (a star,
    // not a circle: cleaning drops vertices that fall in line).
    let n = riskmap_engine::geojson::MAX_VERTICES + 1;
    let circle: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            let r = if i % 2 == 0 { 0.2 } else { 0.199 };
            (120.5 + r * a.cos(), 30.0 + r * a.sin())
        })
        .collect();
    let geometry = json!({"type": "Polygon", "coordinates": [ring(&circle)]});
    refused(
        &jia(geometry),
        &Options::default(),
        &["features[0] (甲区): 200002 vertices", "ogr2ogr -simplify"],
    );
}
