//! The layers (areas, staff, cameras, risk sources, key places) written and
//! read the same way on both backends: one column list per table, one
//! binder and one reader per model type. The backend only says how it
//! stores geometry and JSON ([`Backend`]'s constants).

use riskmap_engine::City;
use riskmap_engine::model::{Area, Camera, KeyPlace, RiskSource, Staff};
use riskmap_engine::sphere::LonLat;

use super::backend::{Backend, Cell, Conn, GeometryOut, json_strings, layer_error};
use super::codec::{
    FixColumns, StoredGeometry, area_rows, camera_location, corrupt, fix_from, footprint_from,
    key_place_rows, multi_polygon_from, parse_json_list, parse_name, risk_level_from,
    risk_source_rows, staff_rows,
};
use super::driver::{Columns, Driver, Param, Stmt, rows};
use super::rows::insert_rows;
use super::{LayerData, Result, WriteMode};

/// A layer table: its name, its key, and its columns in bind order, with
/// `:json` after a JSON column and `@geometry` for the geometry (named by
/// the backend's [`GEOMETRY_COLUMN`](Backend::GEOMETRY_COLUMN)).
struct Table {
    name: &'static str,
    key: &'static str,
    columns: &'static str,
}

const AREAS: Table = Table {
    name: "areas",
    key: "code",
    columns: "code, name, level, parent, @geometry",
};

const STAFF: Table = Table {
    name: "staff",
    key: "id",
    columns: "id, name, role, skills:json, home_grid, duty, devices:json, lon, lat, accuracy_m, \
              speed_mps, heading_deg, altitude_m, battery_pct, fix_time_ms, server_time_ms",
};

const CAMERAS: Table = Table {
    name: "cameras",
    key: "id",
    columns: "id, name, heading_deg, fov_deg, range_m, stream_url, online, owner, lon, lat",
};

const RISK_SOURCES: Table = Table {
    name: "risk_sources",
    key: "id",
    columns: "id, name, category, level, @geometry",
};

const KEY_PLACES: Table = Table {
    name: "key_places",
    key: "id",
    columns: "id, name, category, @geometry",
};

impl Table {
    /// Each column's name (as written) and how it is stored.
    fn columns(&self) -> impl Iterator<Item = (&'static str, Cell)> {
        self.columns.split(", ").map(|c| {
            if let Some(name) = c.strip_suffix(":json") {
                (name, Cell::Json)
            } else if c == "@geometry" {
                (c, Cell::Geometry)
            } else {
                (c, Cell::Plain)
            }
        })
    }

    fn cells(&self) -> Vec<Cell> {
        self.columns().map(|(_, c)| c).collect()
    }

    /// `INSERT INTO table (columns)`.
    fn insert_head<B: Backend>(&self) -> String {
        let columns: Vec<&str> = self
            .columns()
            .map(|(name, cell)| match cell {
                Cell::Geometry => B::GEOMETRY_COLUMN,
                _ => name,
            })
            .collect();
        format!("INSERT INTO {} ({})", self.name, columns.join(", "))
    }

    /// `SELECT columns FROM table`, geometry as the backend hands it back
    /// and JSON as text, in column order (so that a row can be read by position).
    fn select<B: Backend>(&self) -> String {
        let columns: Vec<String> = self
            .columns()
            .map(|(name, cell)| match cell {
                Cell::Plain => name.to_owned(),
                Cell::Json => format!("{name}{} AS {name}", B::JSON_TEXT),
                Cell::Geometry => match B::GEOMETRY_OUT {
                    GeometryOut::GeoJson(e) | GeometryOut::Wkb(e) => format!("{e} AS geometry"),
                },
            })
            .collect();
        format!("SELECT {} FROM {}", columns.join(", "), self.name)
    }

    /// Writes `items` after making room for them: the whole table for a
    /// replace, the batch's ids for a merge (so that a merge, too, fails on
    /// a duplicate inside the batch instead of keeping one of the two).
    async fn write<'a, B: Backend, T: Sync>(
        &self,
        conn: &mut Conn<B>,
        mode: WriteMode,
        items: &'a [T],
        ids: impl Fn() -> Vec<&'a str>,
        bind: impl Fn(&'a T, &mut Vec<Param<'a>>),
    ) -> Result<()> {
        if let Some(lock) = B::LOCK_FOR_LAYER {
            let sql = lock.replace("{}", self.name);
            B::Db::run(conn, Stmt::new(&sql)).await?;
        }
        match mode {
            WriteMode::Replace => {
                let sql = format!("DELETE FROM {}", self.name);
                B::Db::run(conn, Stmt::new(&sql)).await?;
            }
            WriteMode::Merge => {
                let list =
                    serde_json::to_string(&ids()).map_err(|e| corrupt(self.name, "*", &e))?;
                let sql = format!(
                    "DELETE FROM {} WHERE {} IN ({})",
                    self.name,
                    self.key,
                    json_strings::<B>("$1")
                );
                B::Db::run(conn, Stmt::new(&sql).bind(list.as_str())).await?;
            }
        }
        let head = self.insert_head::<B>();
        insert_rows::<B, T>(conn, (&head, ""), &self.cells(), items, bind)
            .await
            .map_err(|e| layer_error(e, self.name, ids().into_iter()))
    }
}

/// Writes one layer, in the caller's transaction.
pub async fn write_layer<B: Backend>(
    conn: &mut Conn<B>,
    data: &LayerData,
    mode: WriteMode,
) -> Result<()> {
    match data {
        LayerData::Areas(v) => write_areas::<B>(conn, v, mode).await,
        LayerData::Staff(v) => write_staff::<B>(conn, v, mode).await,
        LayerData::Cameras(v) => write_cameras::<B>(conn, v, mode).await,
        LayerData::RiskSources(v) => write_risk_sources::<B>(conn, v, mode).await,
        LayerData::KeyPlaces(v) => write_key_places::<B>(conn, v, mode).await,
    }
}

/// Writes every layer of a city (replacing each), in the caller's
/// transaction.
pub async fn write_city<B: Backend>(conn: &mut Conn<B>, city: &City) -> Result<()> {
    let mode = WriteMode::Replace;
    write_areas::<B>(conn, &city.areas, mode).await?;
    write_staff::<B>(conn, &city.staff, mode).await?;
    write_cameras::<B>(conn, &city.cameras, mode).await?;
    write_risk_sources::<B>(conn, &city.risk_sources, mode).await?;
    write_key_places::<B>(conn, &city.key_places, mode).await
}

async fn write_areas<B: Backend>(
    conn: &mut Conn<B>,
    areas: &[Area],
    mode: WriteMode,
) -> Result<()> {
    let rows = area_rows(areas)?;
    let ids = || areas.iter().map(|a| a.code.as_str()).collect();
    AREAS
        .write::<B, _>(conn, mode, &rows, ids, |r, p| {
            p.extend([
                Param::Text(&r.area.code),
                Param::Text(&r.area.name),
                Param::Text(&r.level),
                Param::OptText(r.area.parent.as_deref()),
                Param::Text(&r.geometry),
            ]);
        })
        .await
}

async fn write_staff<B: Backend>(
    conn: &mut Conn<B>,
    staff: &[Staff],
    mode: WriteMode,
) -> Result<()> {
    let rows = staff_rows(staff)?;
    let ids = || staff.iter().map(|s| s.id.as_str()).collect();
    STAFF
        .write::<B, _>(conn, mode, &rows, ids, |r, p| {
            let s = r.staff;
            let f = s.last_fix;
            p.extend([
                Param::Text(&s.id),
                Param::Text(&s.name),
                Param::Text(&r.role),
                Param::Text(&r.skills),
                Param::Text(&s.home_grid),
                Param::Text(&r.duty),
                Param::Text(&r.devices),
                Param::OptReal(f.map(|f| f.position.lon)),
                Param::OptReal(f.map(|f| f.position.lat)),
                Param::OptReal32(f.and_then(|f| f.accuracy_m)),
                Param::OptReal32(f.and_then(|f| f.speed_mps)),
                Param::OptReal32(f.and_then(|f| f.heading_deg)),
                Param::OptReal32(f.and_then(|f| f.altitude_m)),
                Param::OptReal32(f.and_then(|f| f.battery_pct)),
                Param::OptInt(f.map(|f| f.fix_time_ms)),
                Param::OptInt(f.map(|f| f.server_time_ms)),
            ]);
        })
        .await
}

async fn write_cameras<B: Backend>(
    conn: &mut Conn<B>,
    cameras: &[Camera],
    mode: WriteMode,
) -> Result<()> {
    for c in cameras {
        camera_location(c)?;
    }
    let ids = || cameras.iter().map(|c| c.id.as_str()).collect();
    CAMERAS
        .write::<B, _>(conn, mode, cameras, ids, |c, p| {
            p.extend([
                Param::Text(&c.id),
                Param::Text(&c.name),
                Param::OptReal(c.heading_deg),
                Param::OptReal(c.fov_deg),
                Param::Real(c.range_m),
                Param::OptText(c.stream_url.as_deref()),
                Param::Flag(c.online),
                Param::Text(&c.owner),
                Param::Real(c.location.lon),
                Param::Real(c.location.lat),
            ]);
        })
        .await
}

async fn write_risk_sources<B: Backend>(
    conn: &mut Conn<B>,
    risks: &[RiskSource],
    mode: WriteMode,
) -> Result<()> {
    let rows = risk_source_rows(risks)?;
    let ids = || risks.iter().map(|r| r.id.as_str()).collect();
    RISK_SOURCES
        .write::<B, _>(conn, mode, &rows, ids, |r, p| {
            p.extend([
                Param::Text(r.id),
                Param::Text(r.name),
                Param::Text(r.category),
                Param::Int(i64::from(r.level)),
                Param::Text(&r.geometry),
            ]);
        })
        .await
}

async fn write_key_places<B: Backend>(
    conn: &mut Conn<B>,
    places: &[KeyPlace],
    mode: WriteMode,
) -> Result<()> {
    let rows = key_place_rows(places)?;
    let ids = || places.iter().map(|p| p.id.as_str()).collect();
    KEY_PLACES
        .write::<B, _>(conn, mode, &rows, ids, |r, p| {
            p.extend([
                Param::Text(r.id),
                Param::Text(r.name),
                Param::Text(r.category),
                Param::Text(&r.geometry),
            ]);
        })
        .await
}

/// One layer's read at start-up: its statement, and how a row of it
/// becomes the model. Both the drivers' reads below and the embedded store's
/// bulk read at start (`sqlite::bulk`) run these.
pub struct LayerRead<T> {
    /// The `SELECT`, its columns in the order `from` reads them.
    pub sql: String,
    /// A row into the model, validated like an import.
    pub from: fn(&dyn Columns) -> Result<T>,
}

/// The areas (sorted afterwards by [`sort_areas`]).
#[must_use]
pub fn areas_read<B: Backend>() -> LayerRead<Area> {
    LayerRead {
        sql: AREAS.select::<B>(),
        from: area_from::<B>,
    }
}

/// Parents before children: by level from the city down, then code.
pub fn sort_areas(areas: &mut [Area]) {
    areas.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.code.cmp(&b.code)));
}

/// The staff, by id. (Ids are `COLLATE "C"` in PostgreSQL, so both sort
/// byte-wise, as Rust does.)
#[must_use]
pub fn staff_read<B: Backend>() -> LayerRead<Staff> {
    LayerRead {
        sql: format!("{} ORDER BY id", STAFF.select::<B>()),
        from: staff_from,
    }
}

/// The cameras, risk sources and key places, each by id.
#[must_use]
pub fn static_reads<B: Backend>() -> (
    LayerRead<Camera>,
    LayerRead<RiskSource>,
    LayerRead<KeyPlace>,
) {
    let cameras = LayerRead {
        sql: format!("{} ORDER BY id", CAMERAS.select::<B>()),
        from: camera_from,
    };
    // The level as BIGINT: PostgreSQL stores a SMALLINT.
    let risks = LayerRead {
        sql: format!("{} ORDER BY id", RISK_SOURCES.select::<B>()).replacen(
            "level,",
            "CAST(level AS BIGINT) AS level,",
            1,
        ),
        from: risk_source_from::<B>,
    };
    let places = LayerRead {
        sql: format!("{} ORDER BY id", KEY_PLACES.select::<B>()),
        from: key_place_from::<B>,
    };
    (cameras, risks, places)
}

/// Every row of one layer read, through the backend's driver.
async fn read<B: Backend, T: Send>(conn: &mut Conn<B>, read: &LayerRead<T>) -> Result<Vec<T>> {
    rows::<B::Db, _>(conn, Stmt::new(&read.sql), |r| (read.from)(r)).await
}

/// Every area, parents before children.
pub async fn read_areas<B: Backend>(conn: &mut Conn<B>) -> Result<Vec<Area>> {
    let mut areas = read::<B, _>(conn, &areas_read::<B>()).await?;
    sort_areas(&mut areas);
    Ok(areas)
}

/// Every staff member, by id.
pub async fn read_staff<B: Backend>(conn: &mut Conn<B>) -> Result<Vec<Staff>> {
    read::<B, _>(conn, &staff_read::<B>()).await
}

/// Cameras, risk sources and key places, each by id.
pub async fn read_static<B: Backend>(
    conn: &mut Conn<B>,
) -> Result<(Vec<Camera>, Vec<RiskSource>, Vec<KeyPlace>)> {
    let (cameras, risks, places) = static_reads::<B>();
    Ok((
        read::<B, _>(conn, &cameras).await?,
        read::<B, _>(conn, &risks).await?,
        read::<B, _>(conn, &places).await?,
    ))
}

/// The row's geometry, as the backend hands it back.
fn geometry<B: Backend>(r: &dyn Columns) -> Result<StoredGeometry> {
    Ok(match B::GEOMETRY_OUT {
        GeometryOut::GeoJson(_) => StoredGeometry::GeoJson(r.get("geometry")?),
        GeometryOut::Wkb(_) => StoredGeometry::Wkb(r.get("geometry")?),
    })
}

fn area_from<B: Backend>(r: &dyn Columns) -> Result<Area> {
    let code: String = r.get("code")?;
    let level: String = r.get("level")?;
    let geometry = geometry::<B>(r)?;
    Ok(Area {
        level: parse_name("areas", &code, "level", &level)?,
        geometry: multi_polygon_from("areas", &code, &geometry)?,
        name: r.get("name")?,
        parent: r.get("parent")?,
        code,
    })
}

/// A staff row, by position in [`STAFF`]'s column order: a city load reads
/// hundreds of thousands, and a lookup by name per column costs more than
/// the decoding.
fn staff_from(r: &dyn Columns) -> Result<Staff> {
    let id: String = r.get(0)?;
    let role = r.get_str(2)?;
    let skills = r.get_str(3)?;
    let duty = r.get_str(5)?;
    let devices = r.get_str(6)?;
    let fix = FixColumns {
        lon: r.get(7)?,
        lat: r.get(8)?,
        accuracy_m: r.get(9)?,
        speed_mps: r.get(10)?,
        heading_deg: r.get(11)?,
        altitude_m: r.get(12)?,
        battery_pct: r.get(13)?,
        fix_time_ms: r.get(14)?,
        server_time_ms: r.get(15)?,
    };
    Ok(Staff {
        role: parse_name("staff", &id, "role", role)?,
        duty: parse_name("staff", &id, "duty", duty)?,
        skills: parse_json_list("staff", &id, "skills", skills)?,
        devices: parse_json_list("staff", &id, "devices", devices)?,
        last_fix: fix_from("staff", &id, &fix)?,
        name: r.get(1)?,
        home_grid: r.get(4)?,
        id,
    })
}

/// A camera row, by position (see [`staff_from`]).
fn camera_from(r: &dyn Columns) -> Result<Camera> {
    let id: String = r.get(0)?;
    let location = LonLat::new(r.get(8)?, r.get(9)?).map_err(|e| corrupt("cameras", &id, &e))?;
    Ok(Camera {
        name: r.get(1)?,
        heading_deg: r.get(2)?,
        fov_deg: r.get(3)?,
        range_m: r.get(4)?,
        stream_url: r.get(5)?,
        online: r.get(6)?,
        owner: r.get(7)?,
        location,
        id,
    })
}

fn risk_source_from<B: Backend>(r: &dyn Columns) -> Result<RiskSource> {
    let id: String = r.get("id")?;
    let geometry = geometry::<B>(r)?;
    Ok(RiskSource {
        level: risk_level_from("risk_sources", &id, r.get("level")?)?,
        footprint: footprint_from("risk_sources", &id, &geometry)?,
        name: r.get("name")?,
        category: r.get("category")?,
        id,
    })
}

fn key_place_from<B: Backend>(r: &dyn Columns) -> Result<KeyPlace> {
    let id: String = r.get("id")?;
    let geometry = geometry::<B>(r)?;
    Ok(KeyPlace {
        footprint: footprint_from("key_places", &id, &geometry)?,
        name: r.get("name")?,
        category: r.get("category")?,
        id,
    })
}
