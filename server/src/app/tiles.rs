//! Vector tiles (矢量瓦片) of the static layers — areas, cameras, risk
//! sources, key places — cut from the engine's indexes under 分级授权 and
//! kept in a bounded cache until the layer changes (an import, a camera
//! going on- or offline). A big screen over 200,000 cameras then asks for
//! the dozen tiles in view, not for every camera.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use parking_lot::Mutex;
use riskmap_engine::tile::TileId;
use riskmap_engine::tile::layers::{TileLayer, cut};

use super::App;
use crate::identity::{Scope, User};
use crate::store::LayerData;

/// A tile as served: the body (empty when nothing is in it) and its
/// version, for `ETag`.
#[derive(Debug, Clone)]
pub struct Tile {
    /// MVT bytes.
    pub body: Bytes,
    /// Changes whenever what the tile shows may have changed.
    pub etag: String,
}

/// What the cache may hold, in bytes of tiles.
const CACHE_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    layer: TileLayer,
    /// The viewer's subtree (`u32::MAX`: the whole city).
    scope: u32,
    tile: TileId,
}

/// The tiles cut so far, and each layer's version.
#[derive(Debug)]
pub struct Tiles {
    cache: Mutex<Cache>,
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
    /// An empty cache.
    #[must_use]
    pub fn new() -> Tiles {
        let start = crate::clock::now_ms().max(0).cast_unsigned();
        Tiles {
            cache: Mutex::new(Cache::default()),
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
    pub fn imported(&self, data: &LayerData) {
        match data {
            LayerData::Areas(_) => TileLayer::ALL.into_iter().for_each(|l| self.changed(l)),
            LayerData::Staff(_) => {}
            LayerData::Cameras(_) => self.changed(TileLayer::Cameras),
            LayerData::RiskSources(_) => self.changed(TileLayer::RiskSources),
            LayerData::KeyPlaces(_) => self.changed(TileLayer::KeyPlaces),
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

impl Default for Tiles {
    fn default() -> Tiles {
        Tiles::new()
    }
}

impl App {
    /// One tile of a layer as `user` may see it.
    pub fn tile(&self, user: &User, layer: TileLayer, tile: TileId) -> Tile {
        let version = self.tiles.version(layer);
        let engine = self.engine.read();
        let scope = Scope::of(user, engine.areas());
        let scope_key = match scope {
            Scope::All => u32::MAX,
            Scope::Subtree(area) => area,
            Scope::Nothing => {
                return Tile {
                    body: Bytes::new(),
                    etag: format!("\"{version}-none\""),
                };
            }
        };
        let etag = format!("\"{version}-{scope_key}\"");
        let key = Key {
            layer,
            scope: scope_key,
            tile,
        };
        if let Some(body) = self.tiles.get(&key, version) {
            return Tile { body, etag };
        }
        let tree = engine.areas();
        let body = Bytes::from(cut(&engine, layer, tile, &|area| {
            scope.contains(area, tree)
        }));
        drop(engine);
        self.tiles.put(key, version, body.clone());
        Tile { body, etag }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_what_is_used_and_forgets_a_changed_layer() {
        let tiles = Tiles::new();
        let key = |x| Key {
            layer: TileLayer::Cameras,
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
