//! `riskmap import DIR`: a city's own data onto the store, without a
//! running server — areas, staff, cameras, risk sources and key places
//! (the city directory's GeoJSON files, whichever are there), departments
//! (`departments.json`) and logins (`accounts.json`). Everything is read
//! and checked first, against what the store already holds, exactly as the
//! server will check it when it starts: nothing is written unless all of it
//! would load. docs/IMPORT.md shows the way from a city's shapefiles.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use riskmap_engine::city::{CityDirError, LAYER_FILES, read_layer};
use riskmap_engine::geojson;
use riskmap_engine::tiling::{Tolerance, check_tiling};
use riskmap_engine::{AreaTree, City, Engine, EngineConfig};
use serde::Deserialize;

use super::ServeError;
use super::load::open_store;
use crate::app::accounts::check_username;
use crate::app::layers::merge_by_id;
use crate::config::StoreArgs;
use crate::identity::password::new_password;
use crate::identity::{Auth, UserRole};
use crate::org::{Department, read_departments};
use crate::store::{LayerData, Store, WriteMode};

/// A login to create (`accounts.json`: `{"accounts": [...]}`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountIn {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    role: UserRole,
    area: String,
    #[serde(default)]
    staff_id: Option<String>,
    #[serde(default)]
    department: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    accounts: Vec<AccountIn>,
}

/// What a directory holds.
#[derive(Debug, Default)]
struct Import {
    layers: Vec<LayerData>,
    departments: Vec<Department>,
    accounts: Vec<AccountIn>,
}

/// Runs `riskmap import`; what it prints (a summary, then `username,password`
/// lines for the new logins, whose owners choose their own at first login).
pub async fn run(dir: &Path, replace: bool, store: &StoreArgs) -> Result<String, ServeError> {
    let import = read_dir(dir)?;
    if import.layers.is_empty() && import.departments.is_empty() && import.accounts.is_empty() {
        return Err(ServeError::Config(format!(
            "{}: nothing to import (areas.geojson, staff.geojson, cameras.geojson, \
             risk_sources.geojson, key_places.geojson, departments.json, accounts.json)",
            dir.display()
        )));
    }
    let (store, _lock) = open_store(store).await?;
    let mode = if replace {
        WriteMode::Replace
    } else {
        WriteMode::Merge
    };
    let city = check_city(&*store, &import.layers, mode).await?;
    check_departments(&city, &import.departments)?;
    let known: HashSet<String> = store
        .departments()
        .await?
        .into_iter()
        .map(|d| d.code)
        .chain(import.departments.iter().map(|d| d.code.clone()))
        .collect();
    check_accounts(&city, &known, &import.accounts)?;
    drop(city);

    let mut out = String::new();
    for layer in &import.layers {
        store.write_layer(layer, mode).await?;
        let _ = writeln!(out, "{}: {} features", layer_name(layer), layer_len(layer));
    }
    if !import.departments.is_empty() {
        store.put_departments(&import.departments, None).await?;
        let _ = writeln!(out, "departments: {}", import.departments.len());
    }
    let auth = Auth::new(store.clone(), std::time::Duration::from_secs(3600));
    let mut passwords = String::new();
    for a in &import.accounts {
        if store.account(&a.username).await?.is_some() {
            let _ = writeln!(out, "login {} exists: left as it is", a.username);
            continue;
        }
        let password = new_password();
        auth.create_user(
            &a.username,
            a.display_name.as_deref().unwrap_or(&a.username),
            a.role,
            &a.area,
            (a.staff_id.as_deref(), a.department.as_deref()),
            &password,
            true,
        )
        .await?;
        let _ = writeln!(passwords, "{},{password}", a.username);
    }
    if !passwords.is_empty() {
        out.push_str("new logins (username,password; each must choose its own at first login):\n");
        out.push_str(&passwords);
    }
    Ok(out)
}

/// Reads whichever files the directory holds; a file that is there but
/// unreadable or invalid is an error naming it (and the feature).
fn read_dir(dir: &Path) -> Result<Import, ServeError> {
    if !dir.is_dir() {
        return Err(ServeError::Config(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mut import = Import::default();
    let present = |name: &str| Some(dir.join(name)).filter(|p| p.exists());
    if let Some(p) = present(LAYER_FILES[0]) {
        import
            .layers
            .push(LayerData::Areas(read_layer(&p, geojson::parse_area)?));
    }
    if let Some(p) = present(LAYER_FILES[1]) {
        import
            .layers
            .push(LayerData::Staff(read_layer(&p, geojson::parse_staff)?));
    }
    if let Some(p) = present(LAYER_FILES[2]) {
        import
            .layers
            .push(LayerData::Cameras(read_layer(&p, geojson::parse_camera)?));
    }
    if let Some(p) = present(LAYER_FILES[3]) {
        import.layers.push(LayerData::RiskSources(read_layer(
            &p,
            geojson::parse_risk_source,
        )?));
    }
    if let Some(p) = present(LAYER_FILES[4]) {
        import.layers.push(LayerData::KeyPlaces(read_layer(
            &p,
            geojson::parse_key_place,
        )?));
    }
    let json = |p: &Path| -> Result<serde_json::Value, ServeError> {
        let text = std::fs::read_to_string(p)
            .map_err(|e| ServeError::Config(format!("{}: {e}", p.display())))?;
        serde_json::from_str(&text).map_err(|e| ServeError::Config(format!("{}: {e}", p.display())))
    };
    if let Some(p) = present("departments.json") {
        import.departments = read_departments(json(&p)?)
            .map_err(|e| ServeError::Config(format!("{}: {e}", p.display())))?;
    }
    if let Some(p) = present("accounts.json") {
        let file: AccountsFile = serde_json::from_value(json(&p)?)
            .map_err(|e| ServeError::Config(format!("{}: {e}", p.display())))?;
        import.accounts = file.accounts;
    }
    Ok(import)
}

/// The city the store will hold after the import, checked as the server
/// checks it at start (the area tree, every reference), and the areas'
/// tiling (children cover their parent, without overlaps or gaps).
async fn check_city(
    store: &dyn Store,
    layers: &[LayerData],
    mode: WriteMode,
) -> Result<Engine, ServeError> {
    /// The layer after the import: the stored one, the import alone
    /// (replace), or the stored one with the import merged in by id.
    fn after<T: Clone>(
        stored: Vec<T>,
        given: Option<&Vec<T>>,
        mode: WriteMode,
        id: impl Fn(&T) -> &str,
    ) -> Vec<T> {
        match (given, mode) {
            (None, _) => stored,
            (Some(g), WriteMode::Replace) => g.clone(),
            (Some(g), WriteMode::Merge) => merge_by_id(stored.iter(), g, id),
        }
    }
    let (mut areas, mut staff, mut cameras, mut risk_sources, mut key_places) =
        (None, None, None, None, None);
    for l in layers {
        match l {
            LayerData::Areas(v) => areas = Some(v),
            LayerData::Staff(v) => staff = Some(v),
            LayerData::Cameras(v) => cameras = Some(v),
            LayerData::RiskSources(v) => risk_sources = Some(v),
            LayerData::KeyPlaces(v) => key_places = Some(v),
        }
    }
    let stored = store.load_city().await?;
    let city = City {
        areas: after(stored.areas, areas, mode, |a| &a.code),
        staff: after(stored.staff, staff, mode, |s| &s.id),
        cameras: after(stored.cameras, cameras, mode, |c| &c.id),
        risk_sources: after(stored.risk_sources, risk_sources, mode, |r| &r.id),
        key_places: after(stored.key_places, key_places, mode, |k| &k.id),
    };
    if city.areas.is_empty() {
        return Err(ServeError::Config(
            "there are no areas: a first import needs areas.geojson".into(),
        ));
    }
    // The tree first: a missing parent or a level out of order is the
    // cause of whatever the tiling would say about it.
    let config = EngineConfig::default();
    let tree =
        AreaTree::build(city.areas.clone(), config.h3_resolution).map_err(CityDirError::from)?;
    let problems = check_tiling(&city.areas, Tolerance::default());
    if !problems.is_empty() {
        let shown: Vec<String> = problems.iter().take(20).map(ToString::to_string).collect();
        return Err(ServeError::Config(format!(
            "the areas do not tile ({} problem{}{}):\n  {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if problems.len() > 20 {
                ", the first 20"
            } else {
                ""
            },
            shown.join("\n  ")
        )));
    }
    let (engine, _) = Engine::build_on(config, tree, city).map_err(CityDirError::from)?;
    Ok(engine)
}

/// Departments against the city to be: known areas and staff, codes once.
fn check_departments(city: &Engine, list: &[Department]) -> Result<(), ServeError> {
    let tree = city.areas();
    let bad = |m: String| Err(ServeError::Config(format!("departments.json: {m}")));
    let mut seen = HashSet::new();
    for d in list {
        if let Err(e) = d.check() {
            return bad(e.to_string());
        }
        if !seen.insert(d.code.as_str()) {
            return bad(format!("department {} is given twice", d.code));
        }
        if tree.idx(&d.area).is_none() {
            return bad(format!("department {}: no area {:?}", d.code, d.area));
        }
        if let Some(s) = d.staff.iter().find(|s| city.staff().find(s).is_none()) {
            return bad(format!("department {}: no staff member {s:?}", d.code));
        }
    }
    Ok(())
}

/// Logins against the city to be: known areas, staff and departments.
fn check_accounts(
    city: &Engine,
    departments: &HashSet<String>,
    list: &[AccountIn],
) -> Result<(), ServeError> {
    let tree = city.areas();
    let bad = |m: String| Err(ServeError::Config(format!("accounts.json: {m}")));
    let mut seen = HashSet::new();
    for a in list {
        if let Err(e) = check_username(&a.username) {
            return bad(e.to_string());
        }
        if !seen.insert(a.username.as_str()) {
            return bad(format!("login {} is given twice", a.username));
        }
        if a.area.is_empty() && a.role != UserRole::Admin {
            return bad(format!(
                "login {}: only an administrator may have no area",
                a.username
            ));
        }
        if !a.area.is_empty() && tree.idx(&a.area).is_none() {
            return bad(format!("login {}: no area {:?}", a.username, a.area));
        }
        match &a.staff_id {
            None if a.role == UserRole::Field => {
                return bad(format!(
                    "login {}: a field login needs staff_id",
                    a.username
                ));
            }
            Some(s) if city.staff().find(s).is_none() => {
                return bad(format!("login {}: no staff member {s:?}", a.username));
            }
            _ => {}
        }
        if let Some(d) = a.department.as_ref().filter(|d| !departments.contains(*d)) {
            return bad(format!("login {}: no department {d:?}", a.username));
        }
    }
    Ok(())
}

fn layer_name(l: &LayerData) -> &'static str {
    match l {
        LayerData::Areas(_) => "areas",
        LayerData::Staff(_) => "staff",
        LayerData::Cameras(_) => "cameras",
        LayerData::RiskSources(_) => "risk sources",
        LayerData::KeyPlaces(_) => "key places",
    }
}

fn layer_len(l: &LayerData) -> usize {
    match l {
        LayerData::Areas(v) => v.len(),
        LayerData::Staff(v) => v.len(),
        LayerData::Cameras(v) => v.len(),
        LayerData::RiskSources(v) => v.len(),
        LayerData::KeyPlaces(v) => v.len(),
    }
}
