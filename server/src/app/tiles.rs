//! Vector tiles (矢量瓦片) of the static layers — areas, cameras, risk
//! sources, key places — cut from the engine's indexes under 分级授权 and
//! kept in a bounded cache until the layer changes (an import, a camera
//! going on- or offline). A big screen over 200,000 cameras then asks for
//! the dozen tiles in view, not for every camera.
//!
//! A tile is cut once however many ask for it at the same moment: after an
//! import every screen of a command centre asks for the same tiles at once,
//! and each used to cut its own (one to eleven milliseconds a tile at
//! 200,000 cameras, under the engine's read lock, on an async worker). The
//! cut runs on a blocking thread, one a core at a time; the others wait for
//! its bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use parking_lot::Mutex;
use riskmap_engine::tile::TileId;
use riskmap_engine::tile::layers::{TileLayer, cut};
use thiserror::Error;
use tokio::sync::OnceCell;

use super::App;
use crate::identity::{Scope, User};
use crate::metrics::Metrics;
use crate::store::LayerKind;

/// A tile as served: the body (empty when nothing is in it) and its
/// version, for `ETag`.
#[derive(Debug, Clone)]
pub struct Tile {
    /// MVT bytes.
    pub body: Bytes,
    /// Changes whenever what the tile shows may have changed.
    pub etag: String,
}

/// Why a tile could not be served.
#[derive(Debug, Error)]
pub enum TileError {
    /// The thread cutting it ended without a tile (a panic, or the server
    /// shutting down).
    #[error("cutting the tile failed: {0}")]
    Cut(String),
}

/// What the cache may hold, in bytes of tiles.
const CACHE_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    layer: TileLayer,
    /// The area tree the scope was read on: an areas import renumbers the
    /// areas, and until the tile versions are bumped (after the new tree is
    /// in, and the risk rebuilt) one index would name two areas — another
    /// district's cached tile served as this one's.
    generation: u64,
    /// The viewer's subtree (`u32::MAX`: the whole city).
    scope: u32,
    tile: TileId,
}

/// A cut under way, shared by every request for its tile and version.
type Cutting = Arc<OnceCell<Bytes>>;

/// A request's hold on a cut under way. The map forgets the cut as soon as
/// it has its bytes or when its last asker is done with it or gone (a client
/// that hangs up mid-cut): it holds only cuts someone waits for.
struct Asker<'a> {
    tiles: &'a Tiles,
    at: (Key, u64),
    cutting: Cutting,
}

impl<'a> Asker<'a> {
    fn join(tiles: &'a Tiles, at: (Key, u64)) -> Asker<'a> {
        let mut map = tiles.cutting.lock();
        let (cutting, askers) = map.entry(at).or_default();
        *askers += 1;
        Asker {
            tiles,
            at,
            cutting: cutting.clone(),
        }
    }
}

impl Drop for Asker<'_> {
    fn drop(&mut self) {
        let mut map = self.tiles.cutting.lock();
        // A newer cut of the same tile may have taken the place.
        if let Some((cutting, askers)) = map.get_mut(&self.at)
            && Arc::ptr_eq(cutting, &self.cutting)
        {
            *askers -= 1;
            if *askers == 0 || self.cutting.initialized() {
                map.remove(&self.at);
            }
        }
    }
}

/// The tiles cut so far, the cuts under way, and each layer's version.
#[derive(Debug)]
pub struct Tiles {
    cache: Mutex<Cache>,
    /// The cuts under way, each with how many requests wait for it.
    cutting: Mutex<HashMap<(Key, u64), (Cutting, usize)>>,
    /// Cuts running at once, at most one a core: a client asking for many
    /// tiles nobody has cut (a sweep over zoom 14) must not take every
    /// blocking thread, each holding the engine's read lock.
    turns: tokio::sync::Semaphore,
    /// Per layer (in [`TileLayer::ALL`]'s order); starts at the start time
    /// so that a tile's `ETag` never names another run's tile.
    versions: [AtomicU64; 4],
}

#[derive(Debug, Default)]
struct Cache {
    tiles: HashMap<Key, (u64, Bytes, u64)>,
    bytes: usize,
    tick: u64,
}

impl Tiles {
    /// An empty cache, cutting one tile a core at a time.
    #[must_use]
    pub fn new() -> Tiles {
        Tiles::cutting_at_once(
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        )
    }

    /// An empty cache, cutting at most `turns` tiles at a time.
    fn cutting_at_once(turns: usize) -> Tiles {
        let start = crate::clock::now_ms().max(0).cast_unsigned();
        Tiles {
            cache: Mutex::new(Cache::default()),
            cutting: Mutex::new(HashMap::new()),
            turns: tokio::sync::Semaphore::new(turns),
            versions: std::array::from_fn(|_| AtomicU64::new(start)),
        }
    }

    fn version(&self, layer: TileLayer) -> u64 {
        self.versions[layer as usize].load(Ordering::Acquire)
    }

    /// Forgets a layer's tiles: it changed.
    pub fn changed(&self, layer: TileLayer) {
        self.versions[layer as usize].fetch_add(1, Ordering::AcqRel);
        let mut cache = self.cache.lock();
        let Cache { tiles, bytes, .. } = &mut *cache;
        tiles.retain(|k, (_, body, _)| {
            let keep = k.layer != layer;
            if !keep {
                *bytes -= body.len();
            }
            keep
        });
    }

    /// Forgets what a committed layer import changes: its own tiles, and
    /// for the areas every layer's (the grids decide who sees what).
    pub fn imported(&self, layer: LayerKind) {
        match layer {
            LayerKind::Areas => TileLayer::ALL.into_iter().for_each(|l| self.changed(l)),
            LayerKind::Staff => {}
            LayerKind::Cameras => self.changed(TileLayer::Cameras),
            LayerKind::RiskSources => self.changed(TileLayer::RiskSources),
            LayerKind::KeyPlaces => self.changed(TileLayer::KeyPlaces),
        }
    }

    fn get(&self, key: &Key, version: u64) -> Option<Bytes> {
        let mut cache = self.cache.lock();
        cache.tick += 1;
        let tick = cache.tick;
        let entry = cache.tiles.get_mut(key)?;
        (entry.0 == version).then(|| {
            entry.2 = tick;
            entry.1.clone()
        })
    }

    fn put(&self, key: Key, version: u64, body: Bytes) {
        let mut cache = self.cache.lock();
        cache.tick += 1;
        let tick = cache.tick;
        cache.bytes += body.len();
        if let Some((_, old, _)) = cache.tiles.insert(key, (version, body, tick)) {
            cache.bytes -= old.len();
        }
        if cache.bytes > CACHE_BYTES {
            // Keep the more recently used half: one pass now and then
            // instead of a list to maintain on every hit.
            let mut ticks: Vec<u64> = cache.tiles.values().map(|e| e.2).collect();
            let mid = ticks.len() / 2;
            let cut = *ticks.select_nth_unstable(mid).1;
            let Cache { tiles, bytes, .. } = &mut *cache;
            tiles.retain(|_, (_, body, used)| {
                let keep = *used >= cut;
                if !keep {
                    *bytes -= body.len();
                }
                keep
            });
        }
    }
}

impl Tiles {
    /// The tile `key` at `version`: from the cache, from a cut of it under
    /// way, or cut now by `cut` on a blocking thread (which gives the bytes
    /// and whether they may be cached). A request that goes away while it
    /// cuts leaves the cut to the next one waiting.
    async fn cached_or_cut(
        &self,
        key: Key,
        version: u64,
        cut: impl FnOnce() -> (Bytes, bool) + Send + 'static,
    ) -> Result<Bytes, TileError> {
        let asker = Asker::join(self, (key, version));
        asker
            .cutting
            .get_or_try_init(|| async {
                // Cached already (the caller looked before it had its user
                // and app cloned for the cut), or cut while this request
                // waited for the cell.
                if let Some(body) = self.get(&key, version) {
                    return Ok(body);
                }
                let turn = self
                    .turns
                    .acquire()
                    .await
                    .map_err(|e| TileError::Cut(e.to_string()))?;
                let (body, keep) = tokio::task::spawn_blocking(cut)
                    .await
                    .map_err(|e| TileError::Cut(e.to_string()))?;
                // (A request gone while its cut runs gives its turn back
                // early: the cut is short, and bounded by the next turn.)
                drop(turn);
                if keep {
                    self.put(key, version, body.clone());
                }
                Ok(body)
            })
            .await
            .cloned()
    }
}

impl Default for Tiles {
    fn default() -> Tiles {
        Tiles::new()
    }
}

impl App {
    /// One tile of a layer as `user` may see it.
    pub async fn tile(
        self: &Arc<Self>,
        user: &User,
        layer: TileLayer,
        tile: TileId,
    ) -> Result<Tile, TileError> {
        let version = self.tiles.version(layer);
        let (scope, generation) = {
            let engine = self.engine.read();
            (Scope::of(user, engine.areas()), engine.areas().generation())
        };
        let scope_key = match scope {
            Scope::All => u32::MAX,
            Scope::Subtree { root, .. } => root,
            Scope::Nothing => {
                return Ok(Tile {
                    body: Bytes::new(),
                    etag: format!("\"{version}-none\""),
                });
            }
        };
        let etag = format!("\"{version}-{generation}-{scope_key}\"");
        let key = Key {
            layer,
            generation,
            scope: scope_key,
            tile,
        };
        if let Some(body) = self.tiles.get(&key, version) {
            return Ok(Tile { body, etag });
        }
        let (app, user) = (self.clone(), user.clone());
        let body = self
            .tiles
            .cached_or_cut(key, version, move || {
                Metrics::add(&app.metrics.tile_cuts, 1);
                let engine = app.engine.read();
                let tree = engine.areas();
                // The scope again, on the tree cut from: an import since the
                // first read may have renumbered the areas. Such a tile is
                // right for this user (and for those waiting with the same
                // scope: the same area) but not for the key's old numbering,
                // so it is not cached.
                let scope = Scope::of(&user, tree);
                let body = cut(&engine, layer, tile, &|area| scope.contains(area, tree));
                (Bytes::from(body), tree.generation() == generation)
            })
            .await?;
        Ok(Tile { body, etag })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::time::Duration;

    fn camera_tile(x: u32) -> Key {
        Key {
            layer: TileLayer::Cameras,
            generation: 1,
            scope: u32::MAX,
            tile: TileId::new(14, x, 0).expect("a tile"),
        }
    }

    fn askers(tiles: &Tiles, key: Key, version: u64) -> usize {
        tiles
            .cutting
            .lock()
            .get(&(key, version))
            .map_or(0, |(_, n)| *n)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cut_whose_askers_all_hung_up_is_forgotten() {
        let tiles = Arc::new(Tiles::new());
        let (key, v) = (camera_tile(3), tiles.version(TileLayer::Cameras));
        let release = Arc::new(AtomicBool::new(false));
        let gate = release.clone();
        let ask = tokio::spawn({
            let tiles = tiles.clone();
            async move {
                tiles
                    .cached_or_cut(key, v, move || {
                        while !gate.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        (Bytes::from_static(b"tile"), true)
                    })
                    .await
            }
        });
        while askers(&tiles, key, v) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The client hangs up mid-cut.
        ask.abort();
        assert!(ask.await.is_err_and(|e| e.is_cancelled()));
        release.store(true, Ordering::SeqCst);
        assert!(tiles.cutting.lock().is_empty(), "an abandoned cut kept");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tile_asked_for_by_many_at_once_is_cut_once() {
        let tiles = Arc::new(Tiles::new());
        let (key, v) = (camera_tile(1), tiles.version(TileLayer::Cameras));
        let (cuts, release) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let asks: Vec<_> = (0..8)
            .map(|_| {
                let (tiles, cuts, release) = (tiles.clone(), cuts.clone(), release.clone());
                tokio::spawn(async move {
                    tiles
                        .cached_or_cut(key, v, move || {
                            cuts.fetch_add(1, Ordering::SeqCst);
                            while !release.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            (Bytes::from_static(b"tile"), true)
                        })
                        .await
                })
            })
            .collect();
        // Every request waits on the one cut; without one cut to share they
        // would each cut, and the count says so.
        let since = std::time::Instant::now();
        while askers(&tiles, key, v) < 8 && since.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        release.store(true, Ordering::SeqCst);
        for ask in asks {
            let body = ask.await.expect("a request").expect("a tile");
            assert_eq!(&body[..], b"tile");
        }
        assert_eq!(cuts.load(Ordering::SeqCst), 1, "cut once");
        assert!(tiles.cutting.lock().is_empty(), "the cut forgotten");
        assert!(tiles.get(&key, v).is_some(), "and cached");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_tiles_are_cut_at_once_than_there_are_turns() {
        let tiles = Arc::new(Tiles::cutting_at_once(2));
        let v = tiles.version(TileLayer::Cameras);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let asks: Vec<_> = (0..6)
            .map(|x| {
                let (tiles, running, most) = (tiles.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    tiles
                        .cached_or_cut(camera_tile(x), v, move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                            running.fetch_sub(1, Ordering::SeqCst);
                            (Bytes::from_static(b"tile"), true)
                        })
                        .await
                })
            })
            .collect();
        for ask in asks {
            ask.await.expect("a request").expect("a tile");
        }
        let most = most.load(Ordering::SeqCst);
        assert!(most <= 2, "six tiles, {most} at a time, not two");
    }

    #[tokio::test]
    async fn a_failed_cut_is_said_and_tried_again_and_an_uncacheable_one_is_not_kept() {
        let tiles = Tiles::new();
        let (key, v) = (camera_tile(2), tiles.version(TileLayer::Cameras));
        let failed = tiles
            .cached_or_cut(key, v, || panic!("a cut that fails"))
            .await;
        assert!(matches!(failed, Err(TileError::Cut(_))), "{failed:?}");
        assert!(tiles.cutting.lock().is_empty());
        let again = tiles
            .cached_or_cut(key, v, || (Bytes::from_static(b"renumbered"), false))
            .await
            .expect("a tile");
        assert_eq!(&again[..], b"renumbered");
        assert!(tiles.get(&key, v).is_none(), "not cached");
    }

    #[test]
    fn the_cache_keeps_what_is_used_and_forgets_a_changed_layer() {
        let tiles = Tiles::new();
        let key = |x| Key {
            layer: TileLayer::Cameras,
            generation: 1,
            scope: u32::MAX,
            tile: TileId::new(14, x, 0).expect("a tile"),
        };
        let v = tiles.version(TileLayer::Cameras);
        tiles.put(key(1), v, Bytes::from_static(b"one"));
        assert_eq!(tiles.get(&key(1), v).as_deref(), Some(&b"one"[..]));
        tiles.changed(TileLayer::RiskSources);
        assert!(tiles.get(&key(1), v).is_some(), "another layer's change");
        tiles.changed(TileLayer::Cameras);
        let v2 = tiles.version(TileLayer::Cameras);
        assert_ne!(v, v2);
        assert!(tiles.get(&key(1), v2).is_none());
        assert_eq!(tiles.cache.lock().bytes, 0);
        // Over the budget, the least recently used half goes.
        let big = Bytes::from(vec![0u8; CACHE_BYTES / 8]);
        for x in 0..8 {
            tiles.put(key(x), v2, big.clone());
            // Tile 0 is asked for again and again: it stays.
            assert!(tiles.get(&key(0), v2).is_some());
        }
        tiles.put(key(100), v2, big.clone());
        let cache = tiles.cache.lock();
        assert!(cache.bytes <= CACHE_BYTES, "{}", cache.bytes);
        assert!(cache.tiles.contains_key(&key(0)));
        assert!(cache.tiles.contains_key(&key(100)));
        assert!(!cache.tiles.contains_key(&key(1)));
        assert_eq!(
            cache.bytes,
            cache.tiles.values().map(|e| e.1.len()).sum::<usize>()
        );
    }
}
