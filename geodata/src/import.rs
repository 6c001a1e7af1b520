//! A city's own district boundaries, read from a GeoJSON FeatureCollection
//! as the common public sources publish them (`DataV`/阿里云 areas, Natural
//! Earth, `ogr2ogr` from a shapefile): one Polygon or MultiPolygon feature a
//! district, with a name and, where known, its GB/T 2260 code (adcode).
//!
//! Input is whatever a city has at hand, so everything is checked and every
//! refusal says what and where in one line; rings are then made what the
//! rest of geodata expects (closed, exteriors counter-clockwise and holes
//! clockwise, valid, the districts mutually disjoint, on the [`SNAP`]
//! lattice), as the embedded Wenzhou boundaries are.

use std::path::Path;

use geo::orient::{Direction, Orient};
use geo::{
    Area, Centroid, Contains, Coord, CoordsIter, InteriorPoint, LineString, MultiPolygon, Polygon,
};
use riskmap_engine::geojson::MAX_VERTICES;
use riskmap_engine::sphere::MAX_ABS_LAT;
use rustc_hash::FxHashMap;
use serde_json::Value;

#[cfg(doc)]
use crate::boundaries::SNAP;
use crate::boundaries::{self, CityBounds, District, label_point};

/// Properties a district's name is looked for in, Chinese names first
/// (Natural Earth's `name` is English, its `name_zh` Chinese).
pub const NAME_PROPERTIES: [&str; 10] = [
    "name_zh",
    "NAME_ZH",
    "NAME_CHN",
    "name",
    "NAME",
    "Name",
    "名称",
    "区划名称",
    "XZQMC",
    "NL_NAME",
];

/// Properties a district's code is looked for in (`DataV`'s `adcode`; the
/// Chinese national datasets' 区划代码, `PAC`, `XZQDM`); the feature id is
/// tried last.
pub const CODE_PROPERTIES: [&str; 9] = [
    "adcode",
    "ADCODE",
    "code",
    "CODE",
    "区划代码",
    "区划码",
    "PAC",
    "XZQDM",
    "gb",
];

/// Properties a district's seat of government is looked for in: `DataV`'s
/// `center` is the seat, echarts' `cp` a label point near it, `DataV`'s
/// `centroid` the middle of the shape.
const SEAT_PROPERTIES: [&str; 3] = ["center", "cp", "centroid"];

/// The city code used when neither a flag nor the districts' codes give
/// one: 99 is no province of GB/T 2260, so it never passes for a real city.
pub const TRIAL_CITY_CODE: &str = "990100";

/// What the command line can add to the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The city's code (6 digits); derived from the districts' if absent.
    pub city_code: Option<String>,
    /// The city's name; the file's name without extension if absent.
    pub city_name: Option<String>,
    /// The property holding the districts' names, instead of
    /// [`NAME_PROPERTIES`].
    pub name_property: Option<String>,
    /// The property holding the districts' codes, instead of
    /// [`CODE_PROPERTIES`].
    pub code_property: Option<String>,
}

/// Districts read from a file, and what was guessed or generated on the
/// way (to tell the user; nothing there is wrong).
#[derive(Debug, Clone)]
pub struct Imported {
    /// The city.
    pub city: CityBounds,
    /// One line each, e.g. that a district got a generated code.
    pub notes: Vec<String>,
}

/// Why a districts file was refused: where (the file, and the feature as
/// `features[i]` with its name when known) and what, on one line.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {what}")]
pub struct ImportError {
    file: String,
    what: String,
}

/// The hint for anything not in longitude/latitude degrees.
const REPROJECT: &str =
    "reproject it to WGS84 longitude/latitude with `ogr2ogr -t_srs EPSG:4326 out.geojson in`";

/// Reads the districts in `path`.
pub fn read(path: &Path, options: &Options) -> Result<Imported, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError {
        file: path.display().to_string(),
        what: format!("cannot read: {e}"),
    })?;
    parse(&text, path, options)
}

/// Reads the districts in `text`, the contents of `path` (named in errors
/// and, without `--city-name`, naming the city).
pub fn parse(text: &str, path: &Path, options: &Options) -> Result<Imported, ImportError> {
    let fail = |what: String| ImportError {
        file: path.display().to_string(),
        what,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or("no type");
    let ("FeatureCollection", Some(features)) =
        (kind, doc.get("features").and_then(Value::as_array))
    else {
        return Err(fail(format!(
            "not a FeatureCollection (a {kind}): a districts file is a FeatureCollection \
             of Polygon or MultiPolygon features, one a district"
        )));
    };
    check_crs(doc.get("crs")).map_err(fail)?;
    if features.is_empty() {
        return Err(fail("the FeatureCollection has no features".into()));
    }
    let mut read = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        read.push(read_feature(f, options).map_err(|(name, what)| match name {
            Some(n) => fail(format!("features[{i}] ({n}): {what}")),
            None => fail(format!("features[{i}]: {what}")),
        })?);
    }
    let mut notes = Vec::new();
    let codes = assign_codes(&read, options, &mut notes).map_err(fail)?;
    let name = match &options.city_name {
        Some(n) => n.trim().to_owned(),
        None => path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
    };
    if name.is_empty() {
        return Err(fail("the city has no name: pass --city-name".into()));
    }
    let mut districts: Vec<(usize, District)> = read
        .into_iter()
        .zip(codes.district)
        .enumerate()
        .map(|(i, (r, code))| {
            let district = District {
                code,
                name: r.name,
                seat: r.seat,
                geometry: r.geometry,
            };
            (i, district)
        })
        .collect();
    districts.sort_by(|a, b| a.1.code.cmp(&b.1.code));
    let (order, mut districts): (Vec<usize>, Vec<District>) = districts.into_iter().unzip();
    boundaries::make_disjoint(&mut districts);
    for (i, d) in order.iter().zip(&districts) {
        if d.geometry.unsigned_area() <= 0.0 {
            return Err(fail(format!(
                "features[{i}] ({}): lies entirely under other districts (a duplicate?)",
                d.name
            )));
        }
    }
    check_vertices(&districts).map_err(fail)?;
    Ok(Imported {
        city: CityBounds {
            code: codes.city,
            name,
            districts,
        },
        notes,
    })
}

/// Old GeoJSON (2008) may name its coordinate system; RFC 7946 has none and
/// means WGS84. CGCS2000 (EPSG:4490) is within a metre of WGS84, far below
/// what a grid map shows, so it passes too.
fn check_crs(crs: Option<&Value>) -> Result<(), String> {
    let Some(crs) = crs else { return Ok(()) };
    let name = crs
        .pointer("/properties/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let degrees = [
        "CRS84",
        "EPSG::4326",
        "EPSG:4326",
        "EPSG::4490",
        "EPSG:4490",
    ];
    if crs.is_null() || degrees.iter().any(|d| name.ends_with(d)) {
        Ok(())
    } else {
        Err(format!(
            "coordinates are in {}, not WGS84 longitude/latitude: {REPROJECT}",
            if name.is_empty() {
                "an unnamed crs"
            } else {
                name
            }
        ))
    }
}

/// One feature, read and cleaned; its code not yet checked against the
/// others.
struct Read {
    name: String,
    /// The code as given: valid or not.
    code: Option<String>,
    seat: Coord<f64>,
    geometry: MultiPolygon<f64>,
}

/// Reads one feature; a refusal carries the name, when it is known.
fn read_feature(f: &Value, options: &Options) -> Result<Read, (Option<String>, String)> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err((None, "not a Feature".into()));
    }
    let props = f.get("properties").and_then(Value::as_object);
    let prop = |key: &str| props.and_then(|p| p.get(key)).filter(|v| !v.is_null());
    let name = match &options.name_property {
        Some(key) => prop(key).and_then(Value::as_str),
        None => NAME_PROPERTIES.iter().find_map(|k| {
            prop(k)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        }),
    }
    .map(str::trim)
    .filter(|s| !s.is_empty())
    .ok_or_else(|| {
        let looked = options
            .name_property
            .as_ref()
            .map_or_else(|| NAME_PROPERTIES.join(", "), Clone::clone);
        (
            None,
            format!("no name (looked for property {looked}; choose one with --name-property)"),
        )
    })?
    .to_owned();
    let code = match &options.code_property {
        Some(key) => prop(key),
        None => CODE_PROPERTIES.iter().find_map(|k| prop(k)),
    }
    .or_else(|| f.get("id"))
    .and_then(code_text);
    let geometry = polygons(f.get("geometry")).map_err(|e| (Some(name.clone()), e))?;
    // Without a seat given, the middle of the shape where it is inside (a
    // convex-ish district), else a point surely inside (slower on big
    // boundaries).
    let seat = SEAT_PROPERTIES
        .iter()
        .find_map(|k| label_point(prop(k)))
        .filter(|c| geometry.contains(c))
        .or_else(|| {
            geometry
                .centroid()
                .map(|p| p.0)
                .filter(|c| geometry.contains(c))
        })
        .or_else(|| geometry.interior_point().map(|p| p.0))
        .unwrap_or_default();
    Ok(Read {
        name,
        code,
        seat,
        geometry,
    })
}

/// A code as text: a string, or an integer as `DataV` writes its adcodes (or
/// a whole float, as a shapefile's numeric field may come out).
fn code_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => n.as_u64().map(|u| u.to_string()).or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                .map(|f| format!("{f:.0}"))
        }),
        _ => None,
    }
}

/// Whether `code` is a GB/T 2260 code: six digits, the first not zero.
fn is_gb_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && !code.starts_with('0')
}

/// The codes of the city and of each district, in the features' order.
struct Codes {
    city: String,
    district: Vec<String>,
}

/// Keeps each valid code, refusing duplicates; derives the city's code
/// unless given (the districts' common province/city prefix, or
/// [`TRIAL_CITY_CODE`]); gives the others codes of their own under it.
fn assign_codes(
    read: &[Read],
    options: &Options,
    notes: &mut Vec<String>,
) -> Result<Codes, String> {
    let mut first: FxHashMap<&str, usize> = FxHashMap::default();
    let mut names: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, r) in read.iter().enumerate() {
        if let Some(j) = names.insert(&r.name, i) {
            return Err(format!(
                "features[{j}] and features[{i}] are both named {}: make them one \
                 MultiPolygon feature, or rename one",
                r.name
            ));
        }
        match r.code.as_deref() {
            Some(c) if is_gb_code(c) => {
                if let Some(j) = first.insert(c, i) {
                    return Err(format!(
                        "features[{j}] ({}) and features[{i}] ({}) have the same code {c}",
                        read[j].name, r.name
                    ));
                }
            }
            Some(c) => notes.push(format!(
                "features[{i}] ({}): code {c:?} is not a 6-digit GB/T 2260 code; a code is made up",
                r.name
            )),
            None => {}
        }
    }
    let valid: Vec<&str> = first.keys().copied().collect();
    let city = match &options.city_code {
        Some(c) if is_gb_code(c.trim()) => c.trim().to_owned(),
        Some(c) => return Err(format!("--city-code {c:?} is not 6 digits (e.g. 330300)")),
        None => {
            let derived = derived_city_code(&valid);
            notes.push(format!("city code {derived} (pass --city-code to choose)"));
            derived
        }
    };
    if let Some(&i) = first.get(city.as_str()) {
        return Err(format!(
            "the city code {city} is also the code of features[{i}] ({}): pass another \
             --city-code",
            read[i].name
        ));
    }
    // Made-up codes take the city's first four digits and the free numbers
    // from 01 up, so they look like the district codes of that city.
    let mut free = (1..=99)
        .map(|n| format!("{}{n:02}", &city[..4]))
        .filter(|c| !first.contains_key(c.as_str()) && *c != city);
    let mut district = Vec::with_capacity(read.len());
    for (i, r) in read.iter().enumerate() {
        match r.code.as_deref() {
            Some(c) if is_gb_code(c) => district.push(c.to_owned()),
            _ => {
                let code = free.next().ok_or_else(|| {
                    format!(
                        "features[{i}] ({}): no free code left under {city}: give the \
                         districts adcodes",
                        r.name
                    )
                })?;
                notes.push(format!("features[{i}] ({}): code {code}", r.name));
                district.push(code);
            }
        }
    }
    Ok(Codes { city, district })
}

/// The city of districts `codes`: the prefecture they share (first four
/// digits), else the province (first two), padded with zeros.
fn derived_city_code(codes: &[&str]) -> String {
    for digits in [4, 2] {
        if let Some(first) = codes.first() {
            let prefix = &first[..digits];
            if codes.iter().all(|c| c.starts_with(prefix)) {
                return format!("{prefix:0<6}");
            }
        }
    }
    TRIAL_CITY_CODE.into()
}

/// riskmap reads at most [`MAX_VERTICES`] vertices an area.
const SIMPLIFY: &str = "simplify it, e.g. `ogr2ogr -simplify 0.0001 out.geojson in`";

/// The biggest areas are a district (checked as it is read) and the city's
/// outline (every district's outer edge); the streets and grids below take
/// only parts of their vertices.
fn check_vertices(districts: &[District]) -> Result<(), String> {
    // The outline has no more vertices than the districts together.
    let total: usize = districts.iter().map(|d| d.geometry.coords_count()).sum();
    if total <= MAX_VERTICES {
        return Ok(());
    }
    let city = boundaries::city_geometry(districts).coords_count();
    if city > MAX_VERTICES {
        return Err(format!(
            "the city's outline has {city} vertices, more than the {MAX_VERTICES} riskmap \
             reads an area: {SIMPLIFY}"
        ));
    }
    Ok(())
}

/// A feature's geometry as a clean MultiPolygon.
fn polygons(geometry: Option<&Value>) -> Result<MultiPolygon<f64>, String> {
    let Some(g) = geometry.filter(|g| !g.is_null()) else {
        return Err("no geometry (a district needs a Polygon or MultiPolygon)".into());
    };
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("no type");
    let coordinates = g.get("coordinates").and_then(Value::as_array);
    let polys: Vec<&Value> = match (kind, coordinates) {
        ("Polygon", Some(_)) => vec![&g["coordinates"]],
        ("MultiPolygon", Some(c)) => c.iter().collect(),
        ("Polygon" | "MultiPolygon", None) => return Err(format!("a {kind} without coordinates")),
        _ => {
            return Err(format!(
                "a {kind}, not a Polygon or MultiPolygon: a district is an area"
            ));
        }
    };
    let mut out = Vec::with_capacity(polys.len());
    for p in polys {
        let rings = p
            .as_array()
            .ok_or("a polygon is not an array of rings")?
            .iter()
            .map(ring)
            .collect::<Result<Vec<_>, _>>()?;
        let mut rings = rings.into_iter().flatten();
        // A polygon whose outer ring encloses nothing is nothing; its holes
        // go with it.
        if let Some(exterior) = rings.next() {
            out.push(Polygon::new(exterior, rings.collect()));
        }
    }
    // Rings turned either way (a shapefile's outer rings run clockwise) are
    // turned the RFC 7946 way first: the cleaning's non-zero fill then
    // reads every hole as a hole and every overlap as land.
    let geometry = boundaries::clean(&MultiPolygon::new(out).orient(Direction::Default));
    if geometry.unsigned_area() <= 0.0 {
        return Err("its polygons enclose no area".into());
    }
    let n = geometry.coords_count();
    if n > MAX_VERTICES {
        return Err(format!(
            "{n} vertices, more than the {MAX_VERTICES} riskmap reads an area: {SIMPLIFY}"
        ));
    }
    Ok(geometry)
}

/// A ring, checked position by position, closed if it is not; `None` for
/// one too short to enclose anything.
fn ring(value: &Value) -> Result<Option<LineString<f64>>, String> {
    let positions = value
        .as_array()
        .ok_or("a ring is not an array of positions")?;
    let mut coords = Vec::with_capacity(positions.len() + 1);
    for p in positions {
        coords.push(position(p)?);
    }
    if let (Some(&first), Some(&last)) = (coords.first(), coords.last())
        && first != last
    {
        coords.push(first);
    }
    let ring = LineString::new(coords);
    Ok((ring.0.len() >= 4).then_some(ring))
}

/// A position in degrees, or why not. Coordinates in metres (a projected
/// system: UTM, Web Mercator, Gauss–Krüger) run to the hundreds of
/// thousands; plain mistakes (swapped axes, a typo) stay small.
fn position(p: &Value) -> Result<Coord<f64>, String> {
    let xy: Option<Vec<f64>> = p
        .as_array()
        .and_then(|a| a.iter().take(2).map(Value::as_f64).collect());
    let Some(&[x, y]) = xy.as_deref() else {
        return Err(format!("{p} is not a [longitude, latitude] position"));
    };
    if x.abs() > 360.0 || y.abs() > 180.0 {
        return Err(format!(
            "position [{x}, {y}] is not in degrees: the file looks projected (metres); \
             {REPROJECT}"
        ));
    }
    if y.abs() > 90.0 || x.abs() > 180.0 {
        let swapped = if x.abs() <= 90.0 && y.abs() <= 180.0 {
            " (are longitude and latitude swapped?)"
        } else {
            ""
        };
        return Err(format!(
            "position [{x}, {y}] is outside WGS84's longitude −180..180 and latitude \
             −90..90{swapped}"
        ));
    }
    if y.abs() > MAX_ABS_LAT {
        return Err(format!(
            "position [{x}, {y}] is beyond latitude ±{MAX_ABS_LAT}, the most riskmap maps"
        ));
    }
    Ok(Coord { x, y })
}
