//! The hub's routing, queues and resyncs, driven without sockets.

use super::*;
use riskmap_engine::model::{Area, DutyStatus, Fix, Role, Staff};
use riskmap_engine::{EngineConfig, MoveOutcome};

fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.replace_areas(crate::live::test_city::one_grid_city("g"))
        .unwrap();
    e.upsert_staff(&Staff {
        id: "S1".into(),
        name: "n".into(),
        role: Role::GridWorker,
        skills: vec![],
        home_grid: "g".into(),
        duty: DutyStatus::Available,
        devices: vec![],
        last_fix: None,
    })
    .unwrap();
    e
}

/// A viewer of the whole city's staff, subscribed on tree `tree`.
fn watch_city(hub: &Hub, tree: u64) -> (mpsc::Receiver<Outbound>, Arc<ViewerHandle>) {
    let (id, rx, handle) = hub.register();
    hub.subscribe(
        id,
        Subscription {
            bbox: [120.0, 28.0, 120.1, 28.1],
            layers: Layers::STAFF,
            scope: Scope::All,
            home: Scope::All,
            tree,
        },
    );
    (rx, handle)
}

fn fix(t: i64) -> Fix {
    crate::live::test_city::fix_at(120.05, 28.0 + t as f64 * 1e-5, t)
}

#[test]
fn a_slow_viewer_loses_moves_then_gets_a_resync_and_memory_stays_bounded() {
    let metrics = Arc::new(Metrics::default());
    let hub = Hub::new(
        HubConfig {
            queue: 2,
            slow_close_after: Duration::from_secs(3600),
            ..HubConfig::default()
        },
        metrics.clone(),
    );
    let mut e = engine();
    let (mut rx, _handle) = watch_city(&hub, e.areas().generation());
    // Ten ticks with a move each while the viewer reads nothing.
    for t in 1..=10 {
        assert_eq!(e.apply_fix(0, fix(t)).unwrap(), MoveOutcome::Applied);
        hub.note_moves([0]);
        hub.tick(|| &e);
    }
    assert!(
        metrics
            .queue_drops
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    // The queue never held more than its capacity.
    let mut held = Vec::new();
    while let Ok(m) = rx.try_recv() {
        held.push(m);
    }
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|m| matches!(m, Outbound::Text(_))));
    // Once there is room, the next tick sends a resync, not stale deltas.
    hub.tick(|| &e);
    assert!(matches!(rx.try_recv(), Ok(Outbound::Resync)));
    // And after that, deltas flow again.
    e.apply_fix(0, fix(11)).unwrap();
    hub.note_moves([0]);
    hub.tick(|| &e);
    match rx.try_recv() {
        Ok(Outbound::Text(t)) => assert!(t.contains("staff_moves") && t.contains("\"t\":11")),
        other => panic!("expected a delta, got {other:?}"),
    }
}

/// Something placed in no grid reaches system administrators only, as
/// everywhere else; a grid's event reaches that grid's scopes; a layer
/// change reaches everyone, subscribed at that moment or not.
#[test]
fn events_reach_only_the_scopes_they_belong_to() {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let e = engine();
    let grid = e.areas().idx("g").unwrap();
    let district = e.areas().idx("d").unwrap();
    let watch = |scope| {
        let (id, rx, _h) = hub.register();
        hub.subscribe(
            id,
            Subscription {
                bbox: [120.0, 28.0, 120.1, 28.1],
                layers: Layers::STAFF,
                scope,
                home: scope,
                tree: e.areas().generation(),
            },
        );
        rx
    };
    let mut admin = watch(Scope::All);
    let mut district_viewer = watch(Scope::subtree(district, e.areas()));
    // Between subscriptions (an import's resync dropped its own).
    let (_, mut resyncing, _h) = hub.register();
    let publish = |reach, text: &str| {
        hub.publish(Event {
            text: text.into(),
            layer: Layers::STAFF,
            reach,
            at: None,
        });
    };
    publish(Reach::Unplaced, "unplaced");
    publish(Reach::of(Some(grid), e.areas()), "grid");
    publish(Reach::Everyone, "everyone");
    hub.tick(|| &e);
    let texts = |rx: &mut mpsc::Receiver<Outbound>| {
        let mut out = Vec::new();
        while let Ok(Outbound::Text(t)) = rx.try_recv() {
            out.push(t.to_string());
        }
        out
    };
    assert_eq!(texts(&mut admin), ["unplaced", "grid", "everyone"]);
    assert_eq!(texts(&mut district_viewer), ["grid", "everyone"]);
    assert_eq!(texts(&mut resyncing), ["everyone"]);
}

/// A subscription that raced an areas import (its scope read from the
/// tree the import replaced) is resynced at the next tick, not served
/// with indexes into the old tree (which could name another district,
/// or none: a panic of the tick before). Events placed in the old tree
/// reach no one.
#[test]
fn a_scope_from_a_replaced_tree_is_resynced_not_served() {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let mut e = engine();
    let old = e.areas().generation();
    let grid = e.areas().idx("g").unwrap();
    // The import: a tree of one city, where index `grid` is out of range.
    let city: Vec<Area> = e.areas().iter().take(1).map(|(_, a)| a.clone()).collect();
    let (id, mut rx, _h) = hub.register();
    hub.subscribe(
        id,
        Subscription {
            bbox: [120.0, 28.0, 120.1, 28.1],
            layers: Layers::STAFF,
            scope: Scope::subtree(grid, e.areas()),
            home: Scope::subtree(grid, e.areas()),
            tree: old,
        },
    );
    e.replace_areas(city).unwrap();
    assert_ne!(e.areas().generation(), old);
    hub.publish(Event {
        text: "old grid".into(),
        layer: Layers::STAFF,
        reach: Reach::Grid { grid, tree: old },
        at: None,
    });
    e.apply_fix(0, fix(1)).unwrap();
    hub.note_moves([0]);
    hub.tick(|| &e);
    let mut got = Vec::new();
    while let Ok(m) = rx.try_recv() {
        got.push(m);
    }
    assert!(matches!(got.as_slice(), [Outbound::Resync]), "{got:?}");
}

#[test]
fn a_viewer_behind_for_too_long_is_closed_with_a_reason() {
    let metrics = Arc::new(Metrics::default());
    let hub = Hub::new(
        HubConfig {
            queue: 1,
            slow_close_after: Duration::ZERO,
            ..HubConfig::default()
        },
        metrics,
    );
    let mut e = engine();
    let (_rx, handle) = watch_city(&hub, e.areas().generation());
    for t in 1..=3 {
        e.apply_fix(0, fix(t)).unwrap();
        hub.note_moves([0]);
        hub.tick(|| &e);
    }
    let closing = futures_util::FutureExt::now_or_never(handle.closed()).expect("closed already");
    assert!(closing.reason.contains("too slow"), "{closing:?}");
    assert_eq!(closing.code, CLOSE_TRY_AGAIN);
}

/// The tick copies what moved under one read of the engine and routes it
/// under another: after an import between the two (a new area tree), the
/// copy's homes are the old tree's indexes and must not be routed on the
/// new one. A viewer subscribed on the new tree took its snapshot after
/// the move was applied, so it misses nothing.
#[test]
fn moves_read_before_an_import_are_not_routed_on_the_new_tree() {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let mut before = engine();
    let mut after = engine();
    let (mut rx, _handle) = watch_city(&hub, after.areas().generation());
    before.apply_fix(0, fix(1)).unwrap();
    after.apply_fix(0, fix(1)).unwrap();
    hub.note_moves([0]);
    let reads = std::cell::Cell::new(0);
    hub.tick(|| {
        reads.set(reads.get() + 1);
        if reads.get() == 1 { &before } else { &after }
    });
    assert_eq!(reads.get(), 2);
    assert!(rx.try_recv().is_err(), "no move routed by the old tree");

    // Without an import between them, the next move goes out.
    after.apply_fix(0, fix(2)).unwrap();
    hub.note_moves([0]);
    hub.tick(|| &after);
    match rx.try_recv() {
        Ok(Outbound::Text(t)) => assert!(t.contains("staff_moves") && t.contains("\"t\":2")),
        other => panic!("expected the move, got {other:?}"),
    }
}

/// A viewer of `layers` over `bbox`, of the whole city.
fn watch_box(hub: &Hub, e: &Engine, bbox: [f64; 4], layers: Layers) -> mpsc::Receiver<Outbound> {
    let (id, rx, _handle) = hub.register();
    hub.subscribe(
        id,
        Subscription {
            bbox,
            layers,
            scope: Scope::All,
            home: Scope::All,
            tree: e.areas().generation(),
        },
    );
    rx
}

/// The moves the next tick would write, for the viewers there are now.
fn written(hub: &Hub, e: &Engine) -> usize {
    let watched = watched(&mut hub.inner.lock());
    let (fragments, _) = hub.serialise(FxHashSet::from_iter([0]), &|| e, &watched);
    fragments.len()
}

/// A move is written (its cell found, its JSON made) only when a viewer of
/// the staff layer watches where it is: not with no viewer, not for a
/// viewer of another place or of other layers.
#[test]
fn a_move_is_written_only_where_a_viewer_of_the_staff_layer_watches() {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let mut e = engine();
    e.apply_fix(0, fix(1)).unwrap();
    assert_eq!(written(&hub, &e), 0, "no viewer");
    let _far = watch_box(&hub, &e, [121.0, 29.0, 121.02, 29.02], Layers::STAFF);
    assert_eq!(written(&hub, &e), 0, "a viewer elsewhere");
    let near = [120.04, 27.99, 120.06, 28.01];
    let _incidents = watch_box(&hub, &e, near, Layers::INCIDENTS);
    assert_eq!(written(&hub, &e), 0, "a viewer of incidents");
    let _staff = watch_box(&hub, &e, near, Layers::STAFF);
    assert_eq!(written(&hub, &e), 1, "a viewer of the staff there");
}

/// While no one watched, the tick remembered where a member was: a viewer
/// who subscribes there afterwards hears the member leave its box (or its
/// map would keep them where they were).
#[test]
fn a_viewer_who_came_after_unwatched_moves_hears_a_member_leave_its_box() {
    let hub = Hub::new(HubConfig::default(), Arc::new(Metrics::default()));
    let mut e = engine();
    e.apply_fix(0, fix(1)).unwrap();
    hub.note_moves([0]);
    hub.tick(|| &e);
    let mut rx = watch_box(&hub, &e, [120.04, 27.99, 120.06, 28.01], Layers::STAFF);
    e.apply_fix(0, crate::live::test_city::fix_at(120.09, 28.09, 2))
        .unwrap();
    hub.note_moves([0]);
    hub.tick(|| &e);
    match rx.try_recv() {
        Ok(Outbound::Text(t)) => assert!(t.contains("staff_moves") && t.contains("S1"), "{t}"),
        other => panic!("expected the member leaving, got {other:?}"),
    }
}
