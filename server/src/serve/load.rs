//! Start-up reads: the store opened, the demo city imported into an empty
//! store, the engine built from the store, the incident book loaded.

use std::fs::TryLockError;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use riskmap_engine::areas::LocatorOrigin;
use riskmap_engine::city::{self, CityDirError};
use riskmap_engine::risk::RiskWeights;
use riskmap_engine::{AreaTree, Engine, EngineConfig, StaffIndex};

use super::ServeError;
use crate::app::Desk;
use crate::clock::now_ms;
use crate::config::{ServeArgs, StoreArgs};
use crate::incident::{Book, Dictionary};
use crate::org::Departments;
use crate::patrol::PatrolRules;
use crate::store::postgis::PostgisStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{CityFeed, LOCATOR_IMAGE, Store};

/// An exclusive lock on the embedded store's directory, held while the
/// server runs: two servers on one store would hand out the same serial
/// numbers and overwrite each other's work. The kernel releases it when the
/// process ends, however it ends.
#[derive(Debug)]
pub struct StoreLock {
    _file: std::fs::File,
}

/// The lock file in a data directory.
const LOCK_FILE: &str = "riskmap.lock";

impl StoreLock {
    /// Takes the lock on `dir` (creating it), or says who holds it.
    fn take(dir: &Path) -> Result<StoreLock, ServeError> {
        let io = |e: std::io::Error| ServeError::Config(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {
                // Who holds it, for the next one's message.
                file.set_len(0).map_err(io)?;
                write!(file, "{}", std::process::id()).map_err(io)?;
                Ok(StoreLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                Err(ServeError::StoreInUse {
                    dir: dir.to_owned(),
                    holder: holder.trim().to_owned(),
                })
            }
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

/// The PostgreSQL URL, from the flag, the environment or a file; warns
/// when a password came on the command line (where `ps` shows it).
pub(super) fn database_url(args: &StoreArgs) -> Result<Option<String>, ServeError> {
    if let Some(path) = &args.database_url_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ServeError::Config(format!("--database-url-file {}: {e}", path.display()))
        })?;
        return Ok(Some(text.trim().to_owned()));
    }
    let on_command_line =
        std::env::args().any(|a| a == "--database-url" || a.starts_with("--database-url="));
    if let Some(url) = &args.database_url
        && on_command_line
        && has_password(url)
    {
        tracing::warn!(
            "the database password in --database-url is visible to every user of this machine \
             (ps); pass it in RISKMAP_DATABASE_URL or --database-url-file instead"
        );
    }
    Ok(args.database_url.clone())
}

/// Whether a `postgres://user:password@host/db` URL carries a password.
fn has_password(url: &str) -> bool {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// Opens the configured store (and locks the embedded one's directory).
pub async fn open_store(
    args: &StoreArgs,
) -> Result<(Arc<dyn Store>, Option<StoreLock>), ServeError> {
    if let Some(url) = database_url(args)? {
        return Ok((Arc::new(PostgisStore::connect(&url).await?), None));
    }
    let lock = StoreLock::take(&args.data_dir)?;
    Ok((
        Arc::new(SqliteStore::open(&args.data_dir).await?),
        Some(lock),
    ))
}

/// Imports the demo city into an empty store (in demo mode), then builds the
/// engine from the store.
pub(super) async fn load_engine(
    args: &ServeArgs,
    store: &dyn Store,
    resolution: h3o::Resolution,
) -> Result<Engine, ServeError> {
    if args.demo && store.is_empty().await? {
        let t = Instant::now();
        let dir = args.demo_city.clone();
        let city = tokio::task::spawn_blocking(move || city::read(&dir))
            .await
            .map_err(|e| ServeError::Config(format!("reading the demo city: {e}")))??;
        store.import_city(&city).await?;
        tracing::info!(elapsed_ms = t.elapsed().as_millis(), "demo city imported");
    }
    engine_from_store(store, resolution).await
}

/// Builds the engine from the store, its indexes built while the store is
/// read, and keeps the grid locator's image if it was built afresh.
async fn engine_from_store(
    store: &dyn Store,
    resolution: h3o::Resolution,
) -> Result<Engine, ServeError> {
    let t = Instant::now();
    let config = EngineConfig {
        h3_resolution: resolution,
        ..EngineConfig::default()
    };
    // The area tree (with the grid locator, the costliest index) is built
    // while the store is still reading the other layers, its locator taken
    // from the image kept at an earlier start if the grids are the same.
    let (areas_tx, areas_rx) = tokio::sync::oneshot::channel();
    let tree = async {
        let (areas, image) = tokio::join!(areas_rx, store.index_image(LOCATOR_IMAGE));
        let areas =
            areas.map_err(|_| ServeError::Config("the store did not read the areas".into()))?;
        let image = image.unwrap_or_else(|e| {
            tracing::warn!("cannot read the grid locator's image, building it afresh: {e}");
            None
        });
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let (tree, origin) = AreaTree::build_from_image(areas, resolution, image.as_deref())?;
            // A locator built afresh is kept for the next start.
            let fresh = matches!(origin, LocatorOrigin::Built(_)).then(|| tree.locator_image());
            Ok::<_, CityDirError>((tree, origin, fresh, started.elapsed()))
        })
        .await
        .map_err(|e| ServeError::Config(format!("building the area tree: {e}")))?
        .map_err(ServeError::from)
    };
    // The staff are loaded into their index from each batch as it is read,
    // on a thread of its own, once the tree (which homes them) is there;
    // the load is ended with the static layers' indexes (build_on_staff).
    let (staff_tx, mut staff_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<_>>();
    let (count_tx, count_rx) = tokio::sync::oneshot::channel();
    let cell_deg = config.staff_cell_deg;
    let indexes = async {
        let (tree, origin, fresh_image, areas_time) = tree.await?;
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            let mut staff = StaffIndex::new(cell_deg);
            if let Ok(n) = count_rx.blocking_recv() {
                staff.reserve_exact(n);
            }
            while let Some(batch) = staff_rx.blocking_recv() {
                staff.load_batch(&batch, |code| tree.idx(code))?;
            }
            let times = (areas_time, started.elapsed());
            Ok::<_, CityDirError>((tree, staff, origin, fresh_image, times))
        })
        .await
        .map_err(|e| ServeError::Config(format!("building the staff index: {e}")))?
        .map_err(ServeError::from)
    };
    let feed = CityFeed {
        areas: areas_tx,
        staff_count: count_tx,
        staff: staff_tx,
    };
    let (city, indexes) = tokio::join!(store.load_city_feeding(feed), indexes);
    let city = city?;
    let (tree, staff, origin, fresh_image, (areas_time, staff_time)) = indexes?;
    let read_ms = t.elapsed().as_millis();
    let (engine, mut times) =
        tokio::task::spawn_blocking(move || Engine::build_on_staff(config, tree, staff, city))
            .await
            .map_err(|e| ServeError::Config(format!("building the engine: {e}")))?
            .map_err(CityDirError::from)?;
    times.areas = areas_time;
    times.staff += staff_time;
    // elapsed_ms: from the store open to every index built (the cold start
    // figure of docs/PERFORMANCE.md); read_ms: until every layer is read
    // and the area tree (areas_ms) is built and the staff loaded into its
    // index; after_read_ms: the rest, the staff index's load ended (every
    // member bucketed) beside the static layers' indexes (layers_ms) and
    // their placing in the grids (placing_ms); staff_ms: from the tree to
    // the last batch in, plus that ending; locator: "image" if taken from
    // the kept image, "built" if not.
    tracing::info!(
        areas = engine.areas().len(),
        staff = engine.staff().len(),
        cameras = engine.cameras().len(),
        elapsed_ms = t.elapsed().as_millis(),
        read_ms,
        after_read_ms = times.total.as_millis(),
        areas_ms = times.areas.as_millis(),
        staff_ms = times.staff.as_millis(),
        layers_ms = times.layers.as_millis(),
        placing_ms = times.placing.as_millis(),
        locator = if origin == LocatorOrigin::Image {
            "image"
        } else {
            "built"
        },
        "engine loaded"
    );
    if let LocatorOrigin::Built(Some(why)) = &origin {
        tracing::info!("the kept grid locator image was not used: {why}");
    }
    if let Some(image) = fresh_image {
        // Losing it costs the next start a second, no more: a failure to
        // keep it is no reason not to serve.
        match store.put_index_image(LOCATOR_IMAGE, &image).await {
            Ok(()) => tracing::info!(bytes = image.len(), "grid locator image kept"),
            Err(e) => tracing::warn!("cannot keep the grid locator's image: {e}"),
        }
    }
    Ok(engine)
}

/// Reads the risk model's weights (the defaults without a file).
pub(super) fn risk_weights(args: &ServeArgs) -> Result<RiskWeights, ServeError> {
    let Some(path) = &args.risk_config else {
        return Ok(RiskWeights::default());
    };
    let bad = |e: String| ServeError::Config(format!("--risk-config {}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let weights: RiskWeights = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    weights.validate().map_err(bad)?;
    Ok(weights)
}

/// The incident configuration: `--incident-config`, or the shipped one.
pub(super) fn dictionary(args: &ServeArgs) -> Result<Dictionary, ServeError> {
    Ok(match &args.incident_config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ServeError::Config(format!("--incident-config {}: {e}", path.display()))
            })?;
            Dictionary::from_json(&text).map_err(ServeError::Config)?
        }
        None => Dictionary::default_config(),
    })
}

/// The patrol rules: `--patrol-config`, or the defaults.
pub(super) fn patrol_rules(args: &ServeArgs) -> Result<PatrolRules, ServeError> {
    let Some(path) = &args.patrol_config else {
        return Ok(PatrolRules::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| ServeError::Config(format!("--patrol-config {}: {e}", path.display())))?;
    PatrolRules::parse(&text).map_err(ServeError::Config)
}

/// Reads the incident configuration, every stored incident and the
/// departments.
pub(super) async fn load_incidents(
    args: &ServeArgs,
    store: &dyn Store,
) -> Result<Desk, ServeError> {
    let dict = dictionary(args)?;
    let t = Instant::now();
    let stored = store.load_incidents().await?;
    let book = Book::load(stored, &dict, now_ms());
    tracing::info!(
        incidents = book.len(),
        open = book.open().count(),
        elapsed_ms = t.elapsed().as_millis(),
        "incidents loaded"
    );
    let departments = Departments::new(store.departments().await?);
    Ok(Desk::new(dict, book, departments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_seen() {
        assert!(has_password(
            "postgres://riskmap:secret@127.0.0.1:5432/riskmap"
        ));
        assert!(has_password("postgresql://u:p@h/db?sslmode=require"));
        assert!(!has_password("postgres://riskmap@127.0.0.1/riskmap"));
        assert!(!has_password("postgres:///riskmap?host=/run/postgresql"));
        assert!(
            !has_password("postgres://h/db?password=x@y"),
            "query params are not userinfo"
        );
    }
}
