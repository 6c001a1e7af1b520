//! A snapshot: everything a subscription can see now (staff, static
//! layers, incidents), sent when a viewer subscribes or falls behind.

use std::time::Instant;

use serde_json::{Value, json};

use crate::app::App;
use crate::live::Layers;
use crate::live::Subscription;
use crate::live::protocol::{camera_json, key_place_json, risk_source_json, staff_json};
use crate::metrics::Query as Q;
use riskmap_engine::{AreaTree, Engine, Layer, LayerItem};

/// A snapshot of everything a subscription can see now.
pub(super) fn snapshot(
    app: &App,
    user: &crate::identity::User,
    sub: Subscription,
    seq: u64,
) -> String {
    let engine = app.engine.read();
    let tree = engine.areas();
    let t = Instant::now();
    let mut out = json!({ "type": "snapshot", "seq": seq, "bbox": sub.bbox });
    if sub.layers.contains(Layers::STAFF) {
        let staff = engine.staff();
        let mut members: Vec<_> = staff
            .in_bbox(sub.bbox)
            .into_iter()
            .filter_map(|i| staff.get(i))
            .filter(|m| sub.scope.contains(m.home, tree))
            .collect();
        members.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        out["staff"] = Value::Array(members.into_iter().map(|m| staff_json(m, tree)).collect());
    }
    if sub.layers.contains(Layers::CAMERAS) {
        out["cameras"] = visible_in_box(engine.cameras(), sub, tree, camera_json);
    }
    if sub.layers.contains(Layers::CAMERA_HEALTH) {
        // Only the ids of the cameras that are down: the few a client must
        // mark against the layer it loaded (the rest are up).
        let cameras = engine.cameras();
        let offline: Vec<Value> = cameras
            .in_bbox(sub.bbox)
            .into_iter()
            .filter(|&i| sub.scope.contains(cameras.grid(i), tree))
            .filter_map(|i| cameras.get(i))
            .filter(|c| !c.online)
            .map(|c| Value::from(c.id.as_str()))
            .collect();
        out["cameras_offline"] = Value::Array(offline);
    }
    if sub.layers.contains(Layers::RISK_SOURCES) {
        out["risk_sources"] = visible_in_box(engine.risk_sources(), sub, tree, risk_source_json);
    }
    if sub.layers.contains(Layers::KEY_PLACES) {
        out["key_places"] = visible_in_box(engine.key_places(), sub, tree, key_place_json);
    }
    if sub.layers.contains(Layers::INCIDENTS) {
        out["incidents"] = incidents_in_view(app, user, sub, &engine);
    }
    if sub.layers.contains(Layers::RISK) {
        // Grids with no risk are left out: blue, score 0.
        out["grid_risk"] =
            serde_json::to_value(app.risk_for_snapshot(&engine, sub.scope, sub.bbox))
                .unwrap_or_default();
    }
    drop(engine);
    if sub.layers.contains(Layers::ALERTS) {
        // The active alerts of the user's whole area, whatever the box or
        // the area drilled into: a worker in danger off screen still
        // sounds the alarm.
        out["alerts"] = Value::Array(app.alerts_for_snapshot(user, sub.home));
    }
    app.metrics.observe(Q::Viewport, t.elapsed());
    out.to_string()
}

/// A static layer's features in a subscription's box and scope, as JSON.
fn visible_in_box<T: LayerItem>(
    layer: &Layer<T>,
    sub: Subscription,
    tree: &AreaTree,
    to_json: fn(&T) -> Value,
) -> Value {
    Value::Array(
        layer
            .in_bbox(sub.bbox)
            .into_iter()
            .filter(|&i| sub.scope.contains(layer.grid(i), tree))
            .filter_map(|i| Some(to_json(layer.get(i)?)))
            .collect(),
    )
}

/// The incidents a snapshot carries: the open ones of the subscription's
/// area (whatever the box: the overdue list covers the whole area), those
/// finished today, and a field user's own tasks.
fn incidents_in_view(
    app: &App,
    user: &crate::identity::User,
    sub: Subscription,
    engine: &Engine,
) -> Value {
    let tree = engine.areas();
    let now = crate::clock::now_ms();
    let desk = &app.incidents;
    let today = desk.dictionary().calendar().day_start(now);
    let book = desk.book();
    Value::Array(
        book.iter()
            .filter(|e| {
                let i = &e.incident;
                let recent = i.is_open() || i.closed_ms.is_some_and(|c| c >= today);
                let mine = user.staff_id.is_some()
                    && i.assignee_staff == user.staff_id
                    && i.state.holds_assignee();
                mine || (recent && sub.scope.contains(tree.idx(&i.grid), tree))
            })
            .map(|e| serde_json::to_value(desk.view(engine, e, now)).unwrap_or_default())
            .collect(),
    )
}
