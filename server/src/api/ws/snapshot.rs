//! A snapshot: everything a subscription can see now (staff, static
//! layers, incidents), sent when a viewer subscribes or falls behind.
//!
//! A snapshot of a busy box is megabytes of text. It is written straight
//! from the engine into one buffer (no `Value` tree on the way), on a
//! blocking thread, and at most one per core at a time
//! ([`App::snapshots`]): 200 viewers subscribing at once wait their turn
//! instead of each holding a snapshot under construction.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use serde::ser::{Error as _, Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::api::blocking::on_turn;
use crate::api::error::ApiError;
use crate::app::App;
use crate::identity::User;
use crate::live::Subscription;
use crate::live::census::{self, CellList, Counts};
use crate::live::protocol::{CameraView, PlaceView, StaffView};
use crate::metrics::Query as Q;
use riskmap_engine::model::{DutyStatus, Role};
use riskmap_engine::staff::Member;
use riskmap_engine::{AreaTree, Engine, Layer, LayerItem};
use riskmap_wire::Layers;

/// A snapshot of everything a subscription can see now, as the text of
/// its message. Waits for a turn (one snapshot per core at a time) and
/// builds it on a blocking thread: it takes milliseconds to tens of
/// milliseconds, which a runtime worker should not spend.
///
/// `None` when another area tree is in place than the one `sub`'s scope
/// was read from (an areas import since, perhaps while this waited for its
/// turn): the scope's indexes may name other areas now (分级授权), and the
/// caller reads it again.
pub(super) async fn snapshot(
    app: &Arc<App>,
    user: &User,
    sub: Subscription,
    seq: u64,
) -> Result<Option<String>, ApiError> {
    let (a, user) = (app.clone(), user.clone());
    on_turn(&app.snapshots, "building a snapshot", move || {
        write(&a, &user, sub, seq)
            .map_err(|e| ApiError::Internal(format!("writing a snapshot: {e}")))
    })
    .await
}

/// Bytes a feature of each kind takes in a snapshot, about: the buffer is
/// sized once up front rather than doubled (and copied) as it grows.
const STAFF_BYTES: usize = 240;
const CAMERA_BYTES: usize = 240;
const PLACE_BYTES: usize = 320;

/// Writes the snapshot. Its members come in the order of their names,
/// as they did when it was a `serde_json::Value` (whose objects are
/// sorted): the text is what clients have always been sent.
fn write(
    app: &App,
    user: &User,
    sub: Subscription,
    seq: u64,
) -> Result<Option<String>, serde_json::Error> {
    let has = |l| sub.layers.contains(l);
    // The active alerts of the user's whole area, whatever the box or the
    // area drilled into: a worker in danger off screen still sounds the
    // alarm. Taken before the engine's lock, which they take themselves.
    let alerts = has(Layers::ALERTS).then(|| app.alerts_for_snapshot(user, sub.home));
    let engine = app.engine.read();
    let t = Instant::now();
    let tree = engine.areas();
    // Trees only move on: the alerts' read before this one was of the
    // scope's tree too if this one is.
    if tree.generation() != sub.tree {
        return Ok(None);
    }
    let staff = has(Layers::STAFF).then(|| staff_in_view(&engine, sub));
    let staff_cells = has(Layers::STAFF_CELLS).then(|| app.census_for_snapshot(&engine, sub));
    let cameras = has(Layers::CAMERAS).then(|| visible_in_box(engine.cameras(), sub, tree));
    let risk_sources =
        has(Layers::RISK_SOURCES).then(|| visible_in_box(engine.risk_sources(), sub, tree));
    let key_places =
        has(Layers::KEY_PLACES).then(|| visible_in_box(engine.key_places(), sub, tree));
    // Grids with no risk are left out: blue, score 0.
    let grid_risk = has(Layers::RISK).then(|| app.risk_for_snapshot(&engine, sub.scope, sub.bbox));
    let places =
        risk_sources.as_ref().map_or(0, Vec::len) + key_places.as_ref().map_or(0, Vec::len);
    let mut buf = Vec::with_capacity(
        1024 + staff.as_ref().map_or(0, Vec::len) * STAFF_BYTES
            + cameras.as_ref().map_or(0, Vec::len) * CAMERA_BYTES
            + (places + grid_risk.as_ref().map_or(0, Vec::len)) * PLACE_BYTES,
    );
    let mut out = serde_json::Serializer::new(&mut buf);
    let mut map = out.serialize_map(None)?;
    if let Some(alerts) = &alerts {
        map.serialize_entry("alerts", alerts)?;
    }
    map.serialize_entry("bbox", &sub.bbox)?;
    if let Some(cameras) = &cameras {
        map.serialize_entry(
            "cameras",
            &Seq::of(cameras.iter().map(|c| CameraView::new(c))),
        )?;
    }
    if has(Layers::CAMERA_HEALTH) {
        // Only the ids of the cameras that are down: the few a client must
        // mark against the layer it loaded (the rest are up).
        let cameras = engine.cameras();
        let offline = cameras
            .in_bbox(sub.bbox)
            .into_iter()
            .filter(|&i| sub.scope.contains(cameras.grid(i), tree))
            .filter_map(|i| cameras.get(i))
            .filter(|c| !c.online)
            .map(|c| c.id.as_str());
        map.serialize_entry("cameras_offline", &Seq::of(offline))?;
    }
    if let Some(rows) = &grid_risk {
        // Row by row through a `Value`: its members sorted, as they were.
        map.serialize_entry("grid_risk", &Seq::of(rows.iter().map(sorted)))?;
    }
    if has(Layers::INCIDENTS) {
        incidents_in_view(&mut map, app, user, sub, &engine)?;
    }
    if let Some(places) = &key_places {
        map.serialize_entry(
            "key_places",
            &Seq::of(places.iter().map(|k| PlaceView::key_place(k))),
        )?;
    }
    if let Some(places) = &risk_sources {
        let views = places.iter().map(|r| PlaceView::risk_source(r));
        map.serialize_entry("risk_sources", &Seq::of(views))?;
    }
    map.serialize_entry("seq", &seq)?;
    if let Some(staff) = &staff {
        map.serialize_entry(
            "staff",
            &Seq::of(staff.iter().map(|m| StaffView::new(m, tree))),
        )?;
    }
    if let Some(counts) = &staff_cells {
        map.serialize_entry("staff_cells", &StaffCells::new(counts))?;
    }
    map.serialize_entry("type", "snapshot")?;
    map.end()?;
    drop(engine);
    app.metrics.observe(Q::Viewport, t.elapsed());
    String::from_utf8(buf)
        .map(Some)
        .map_err(serde_json::Error::custom)
}

/// A snapshot's `staff_cells`: the census's legend and the cells.
#[derive(serde::Serialize)]
struct StaffCells<'a> {
    cells: CellList<'a>,
    duties: [DutyStatus; 4],
    res: u8,
    roles: [Role; 5],
}

impl<'a> StaffCells<'a> {
    fn new(counts: &'a Counts) -> Self {
        StaffCells {
            cells: CellList(counts),
            duties: census::DUTIES,
            res: census::CENSUS_RES as u8,
            roles: Role::ALL,
        }
    }
}

/// The staff members in a subscription's box and scope, by id.
fn staff_in_view(engine: &Engine, sub: Subscription) -> Vec<&Member> {
    let (staff, tree) = (engine.staff(), engine.areas());
    let mut members: Vec<_> = staff
        .in_bbox(sub.bbox)
        .into_iter()
        .filter_map(|i| staff.get(i))
        .filter(|m| sub.scope.contains(m.home, tree))
        .collect();
    members.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    members
}

/// A static layer's features in a subscription's box and scope.
fn visible_in_box<'a, T: LayerItem>(
    layer: &'a Layer<T>,
    sub: Subscription,
    tree: &AreaTree,
) -> Vec<&'a T> {
    layer
        .in_bbox(sub.bbox)
        .into_iter()
        .filter(|&i| sub.scope.contains(layer.grid(i), tree))
        .filter_map(|i| layer.get(i))
        .collect()
}

/// Writes the incidents a snapshot carries: the open ones of the
/// subscription's area (whatever the box: the overdue list covers the whole
/// area), those finished today, and a field user's own tasks.
fn incidents_in_view<M: SerializeMap>(
    map: &mut M,
    app: &App,
    user: &User,
    sub: Subscription,
    engine: &Engine,
) -> Result<(), M::Error> {
    let tree = engine.areas();
    let now = crate::clock::now_ms();
    let desk = &app.incidents;
    let today = desk.dictionary().calendar().day_start(now);
    let book = desk.book();
    let views = book
        .iter()
        .filter(|e| {
            let i = &e.incident;
            let recent = i.is_open() || i.closed_ms.is_some_and(|c| c >= today);
            let mine = user.staff_id.is_some()
                && i.assignee_staff == user.staff_id
                && i.state.holds_assignee();
            mine || (recent && sub.scope.contains(tree.idx(&i.grid), tree))
        })
        // Each through a `Value`: its members sorted, as they were.
        .map(|e| sorted(&desk.view(engine, e, now)));
    map.serialize_entry("incidents", &Seq::of(views))
}

/// `x` as a `Value`, whose members serialise sorted by name.
fn sorted(x: &impl Serialize) -> Value {
    serde_json::to_value(x).unwrap_or_default()
}

/// A JSON array written from an iterator as it goes, without collecting
/// it. Serialisable once (`serialize` takes `&self`, the iterator is used
/// up), which is all a snapshot needs.
struct Seq<I>(Cell<Option<I>>);

impl<I> Seq<I> {
    fn of(items: I) -> Self {
        Seq(Cell::new(Some(items)))
    }
}

impl<I> Serialize for Seq<I>
where
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => s.collect_seq(items),
            None => Err(S::Error::custom("a snapshot list was written twice")),
        }
    }
}
