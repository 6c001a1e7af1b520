//! `riskmap departments`: departments (部门, 网格+) on the store without a
//! running server — list them, or import a city's own (bootstrap, scripts).
//! The operator of the machine is trusted with every area; the REST API
//! (`/api/departments`) holds administrators to theirs. A running server
//! reads departments at start: restart it, or import through the API.

use std::collections::HashSet;
use std::fmt::Write as _;

use super::ServeError;
use super::load::open_store;
use crate::config::DepartmentsCommand;
use crate::org::{Department, read_departments};
use crate::store::{LayerData, LayerKind, Store};

/// Most bytes of an import file.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// Runs a `departments` command; what it prints.
pub async fn run(command: DepartmentsCommand) -> Result<String, ServeError> {
    match command {
        DepartmentsCommand::List(store) => {
            let (store, _lock) = open_store(&store).await?;
            let mut out = String::new();
            for d in store.departments().await? {
                let _ = writeln!(
                    out,
                    "{:<24} {:<12} {:<16} {}",
                    d.code, d.kind, d.area, d.name
                );
            }
            Ok(out)
        }
        DepartmentsCommand::Import { file, store } => {
            let bad = |m: String| ServeError::Config(format!("{}: {m}", file.display()));
            let size = std::fs::metadata(&file)
                .map_err(|e| bad(e.to_string()))?
                .len();
            if size > MAX_FILE_BYTES {
                return Err(bad(format!("larger than {MAX_FILE_BYTES} bytes")));
            }
            let text = std::fs::read_to_string(&file).map_err(|e| bad(e.to_string()))?;
            let body = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            let list = read_departments(body).map_err(|e| bad(e.to_string()))?;
            let (store, _lock) = open_store(&store).await?;
            check(&*store, &list).await.map_err(bad)?;
            store.put_departments(&list, None).await?;
            Ok(format!("{} departments saved\n", list.len()))
        }
    }
}

/// The import's departments against the store: each well-formed, given
/// once, in a known area, listing known staff.
async fn check(store: &dyn Store, list: &[Department]) -> Result<(), String> {
    if list.is_empty() {
        return Err("no departments".into());
    }
    let areas: HashSet<String> = match store.read_layer(LayerKind::Areas).await {
        Ok(LayerData::Areas(a)) => a.into_iter().map(|a| a.code).collect(),
        Ok(_) => HashSet::new(),
        Err(e) => return Err(e.to_string()),
    };
    let staff: HashSet<String> = match store.read_layer(LayerKind::Staff).await {
        Ok(LayerData::Staff(s)) => s.into_iter().map(|s| s.id.clone()).collect(),
        Ok(_) => HashSet::new(),
        Err(e) => return Err(e.to_string()),
    };
    let mut seen = HashSet::new();
    for d in list {
        d.check().map_err(|e| e.to_string())?;
        if !seen.insert(&d.code) {
            return Err(format!("department {} is given twice", d.code));
        }
        if !areas.contains(&d.area) {
            return Err(format!(
                "department {}: the store has no area {:?}",
                d.code, d.area
            ));
        }
        if let Some(s) = d.staff.iter().find(|s| !staff.contains(*s)) {
            return Err(format!(
                "department {}: the store has no staff member {s:?}",
                d.code
            ));
        }
    }
    Ok(())
}
