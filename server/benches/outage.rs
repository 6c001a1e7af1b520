//! A camera outage (a gateway down) as the live hub takes it: what a tick
//! holds the hub's lock for when 100,000 `camera_update`s wait to be weighed
//! against 200 viewers of the cameras (the pushes a camera each, as every
//! change went before), against resyncing those viewers at once (what
//! `App::set_cameras_online` does past `MASS_CHANGE`). Every fix batch
//! waits for the hub's lock to note its moves.
//!
//! `cargo bench -p riskmap --bench outage`
//!
//! The lattice city of the census bench (grids of 0.005° over Wenzhou's
//! urban core), cameras uniform over it; each viewer watches the whole core
//! and is scoped to its district (the tree is walked per event, as a
//! district leader's screen is).

#[path = "../../engine/tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use riskmap::identity::Scope;
use riskmap::live::{Event, Hub, HubConfig, Outbound, Reach, Subscription};
use riskmap::metrics::Metrics;
use riskmap_engine::sphere::LonLat;
use riskmap_engine::{Engine, EngineConfig};
use riskmap_wire::Layers;
use support::{WENZHOU_URBAN, lattice_city, point_in, rng};
use tokio::sync::mpsc::Receiver;

const STEP: f64 = 0.005;
const CAMERAS: usize = 100_000;
const VIEWERS: usize = 200;
const CAMERA_LAYERS: Layers = Layers::CAMERAS.union(Layers::CAMERA_HEALTH);

fn city() -> Engine {
    let mut r = rng(5);
    let [w, s, e, n] = WENZHOU_URBAN;
    let origin = LonLat::new(w, s).expect("in range");
    let mut engine = Engine::new(EngineConfig::default()).expect("an engine");
    engine
        .replace_areas(lattice_city(
            &mut r,
            origin,
            ((e - w) / STEP) as usize,
            ((n - s) / STEP) as usize,
            STEP,
            0.0,
        ))
        .expect("the lattice city");
    engine
}

/// A `camera_update` for each of the outage's cameras, placed as the
/// server places it (the grid it stands in).
fn updates(engine: &Engine) -> Vec<Event> {
    let mut r = rng(6);
    (0..CAMERAS)
        .map(|i| {
            let at = point_in(&mut r, WENZHOU_URBAN);
            let text = format!(
                "{{\"type\":\"camera_update\",\"camera\":{{\"id\":\"C{i:06}\",\"online\":false}}}}"
            );
            Event {
                text: text.into(),
                layer: CAMERA_LAYERS,
                reach: Reach::of(engine.areas().grid_at(at), engine.areas()),
                at: Some(at),
            }
        })
        .collect()
}

/// A hub with the viewers of the cameras subscribed (their receivers kept:
/// a dropped one is a viewer gone).
fn hub(engine: &Engine) -> (Hub, Vec<Receiver<Outbound>>) {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let tree = engine.areas();
    let district = Scope::Subtree {
        root: tree.idx("d").expect("the district"),
        tree: tree.generation(),
    };
    let receivers = (0..VIEWERS)
        .map(|_| {
            let (id, rx, _handle) = hub.register();
            hub.subscribe(
                id,
                Subscription {
                    bbox: WENZHOU_URBAN,
                    layers: Layers::CAMERA_HEALTH,
                    scope: district,
                    home: district,
                    tree: tree.generation(),
                },
            );
            rx
        })
        .collect();
    (hub, receivers)
}

fn outage(c: &mut Criterion) {
    let engine = city();
    let events = updates(&engine);
    let mut g = c.benchmark_group("outage");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("push_each_100k_cameras_200_viewers", |b| {
        b.iter_batched(
            || hub(&engine),
            |(hub, receivers)| {
                for e in &events {
                    hub.publish(e.clone());
                }
                hub.tick(|| &engine);
                black_box(receivers)
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("resync_200_viewers", |b| {
        b.iter_batched(
            || hub(&engine),
            |(hub, receivers)| {
                hub.resync_viewers_of(CAMERA_LAYERS);
                hub.tick(|| &engine);
                black_box(receivers)
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(benches, outage);
criterion_main!(benches);
