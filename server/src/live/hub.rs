//! The hub: who watches what, and the tick that tells them.
//!
//! Viewers subscribe with a box (or an area, which becomes its box and
//! narrows their scope) and a set of layers. Each subscription is mapped to
//! H3 cells at a coarse routing resolution; a staff move is routed through the
//! cells of its old and new positions to exactly the viewers that can see it.
//! Moves are coalesced: the hub only remembers *who* moved since the last
//! tick, and at the tick reads each mover's latest position once.
//!
//! Every viewer has a bounded queue. A full queue drops that tick's deltas
//! for the viewer and marks it behind; as soon as there is room again it is
//! sent a resync marker (its connection then sends a fresh snapshot, so
//! nothing it missed is lost for good). A viewer behind for longer than
//! [`HubConfig::slow_close_after`] is closed with a reason. Memory per viewer
//! is therefore bounded by the queue, whatever the viewer does.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};
use parking_lot::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use tokio::sync::{Notify, mpsc};

use super::reach::Reach;
use crate::identity::Scope;
use crate::metrics::Metrics;
use moves::{Fragment, LastSeen, Mover, Watched};
use riskmap_engine::sphere::{self, LonLat};
use riskmap_engine::{Engine, StaffIdx};
use riskmap_wire::Layers;

/// A connected viewer's id.
pub type ViewerId = u64;

/// Tuning of the hub.
#[derive(Debug, Clone, Copy)]
pub struct HubConfig {
    /// The coalescing tick.
    pub tick: Duration,
    /// Messages a viewer's queue holds.
    pub queue: usize,
    /// H3 resolution subscriptions and moves are routed at.
    pub route_resolution: Resolution,
    /// A subscription needing more routing cells than this receives every
    /// move and filters by box instead.
    pub max_route_cells: usize,
    /// How long a viewer may stay behind before it is closed.
    pub slow_close_after: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            tick: Duration::from_millis(100),
            queue: 16,
            // Cells of about 5 km²: a district is a few hundred.
            route_resolution: Resolution::Seven,
            max_route_cells: 20_000,
            slow_close_after: Duration::from_secs(120),
        }
    }
}

/// What the hub puts in a viewer's queue.
#[derive(Debug, Clone)]
pub enum Outbound {
    /// A text frame, ready to send.
    Text(Arc<str>),
    /// The viewer fell behind: send it a fresh snapshot.
    Resync,
}

/// What a viewer watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subscription {
    /// `[west, south, east, north]`.
    pub bbox: [f64; 4],
    /// Which layers.
    pub layers: Layers,
    /// What the viewer may see (narrowed to the area it is drilled into).
    pub scope: Scope,
    /// The user's whole scope: alerts reach a viewer from anywhere in it,
    /// whatever area it is drilled into (a worker in danger in the next
    /// district still sounds the alarm).
    pub home: Scope,
    /// The [generation](riskmap_engine::AreaTree::generation) of the area tree `scope` was
    /// read from: once an import puts another tree in place the scope's
    /// indexes mean nothing, and the viewer is resynced instead of served.
    pub tree: u64,
}

/// A change every entitled viewer must get (never dropped silently: a full
/// queue turns into a resync).
#[derive(Debug, Clone)]
pub struct Event {
    /// The message.
    pub text: Arc<str>,
    /// The layer it belongs to.
    pub layer: Layers,
    /// Whose scope it reaches.
    pub reach: Reach,
    /// Where it is, for the box; `None` = everywhere.
    pub at: Option<LonLat>,
}

/// Why the hub closed a viewer: a WebSocket close code and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    /// 1013 (try again later) for a viewer too slow to keep up; 1008
    /// (policy) for a session that ended.
    pub code: u16,
    /// What the client is told.
    pub reason: String,
}

/// Close code: the viewer may come back (it was too slow).
pub const CLOSE_TRY_AGAIN: u16 = 1013;
/// Close code: the session ended (logged out, expired, disabled).
pub const CLOSE_POLICY: u16 = 1008;
/// Close code: the server is going away (shutting down).
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// The part of a viewer its connection holds: how the hub closes it.
#[derive(Debug, Default)]
pub struct ViewerHandle {
    closing: Mutex<Option<Closing>>,
    notify: Notify,
}

impl ViewerHandle {
    /// Waits until the hub closes the viewer; returns why.
    pub async fn closed(&self) -> Closing {
        loop {
            let notified = self.notify.notified();
            if let Some(c) = self.closing.lock().clone() {
                return c;
            }
            notified.await;
        }
    }

    fn close(&self, code: u16, reason: String) {
        *self.closing.lock() = Some(Closing { code, reason });
        self.notify.notify_waiters();
    }
}

struct Viewer {
    tx: mpsc::Sender<Outbound>,
    /// The staff member the connection's user is (field staff), for tasks.
    staff: Option<String>,
    /// The login session the connection was opened with, and its user's
    /// name: ending either closes the connection.
    session: Option<(String, String)>,
    handle: Arc<ViewerHandle>,
    sub: Option<Subscription>,
    cells: Vec<CellIndex>,
    global: bool,
    behind_since: Option<Instant>,
}

#[derive(Default)]
struct Inner {
    next: ViewerId,
    viewers: FxHashMap<ViewerId, Viewer>,
    routes: FxHashMap<CellIndex, Vec<ViewerId>>,
    global: FxHashSet<ViewerId>,
    moved: FxHashSet<StaffIdx>,
    /// What the staff layer's viewers watch; `None` once a subscription
    /// changed, read again at the next tick.
    watched: Option<Watched>,
    events: Vec<Event>,
    seq: u64,
}

/// The live hub.
pub struct Hub {
    inner: Mutex<Inner>,
    /// The tick's own (only the tick takes it, one tick at a time).
    last_seen: Mutex<LastSeen>,
    metrics: Arc<Metrics>,
    config: HubConfig,
}

impl Hub {
    /// An empty hub.
    #[must_use]
    pub fn new(config: HubConfig, metrics: Arc<Metrics>) -> Self {
        Hub {
            inner: Mutex::new(Inner::default()),
            last_seen: Mutex::new(LastSeen::default()),
            metrics,
            config,
        }
    }

    /// The tick length.
    #[must_use]
    pub fn tick_interval(&self) -> Duration {
        self.config.tick
    }

    /// Registers a connection; it receives nothing until it subscribes.
    pub fn register(&self) -> (ViewerId, mpsc::Receiver<Outbound>, Arc<ViewerHandle>) {
        let (tx, rx) = mpsc::channel(self.config.queue);
        let handle = Arc::new(ViewerHandle::default());
        let mut g = self.inner.lock();
        g.next += 1;
        let id = g.next;
        g.viewers.insert(
            id,
            Viewer {
                tx,
                handle: handle.clone(),
                staff: None,
                session: None,
                sub: None,
                cells: Vec::new(),
                global: false,
                behind_since: None,
            },
        );
        (id, rx, handle)
    }

    /// Sets (or replaces) a viewer's subscription; returns the tick number
    /// the snapshot should carry.
    pub fn subscribe(&self, id: ViewerId, sub: Subscription) -> u64 {
        let cells = route_cells(
            sub.bbox,
            self.config.route_resolution,
            self.config.max_route_cells,
        );
        let mut g = self.inner.lock();
        unroute(&mut g, id);
        let global = cells.is_none();
        let cells = cells.unwrap_or_default();
        for &c in &cells {
            g.routes.entry(c).or_default().push(id);
        }
        if global {
            g.global.insert(id);
        }
        if let Some(v) = g.viewers.get_mut(&id) {
            v.sub = Some(sub);
            v.cells = cells;
            v.global = global;
            v.behind_since = None;
        }
        g.seq
    }

    /// Marks a connection as a staff member's (their tasks reach it).
    pub fn bind_staff(&self, id: ViewerId, staff_id: &str) {
        if let Some(v) = self.inner.lock().viewers.get_mut(&id) {
            v.staff = Some(staff_id.to_owned());
        }
    }

    /// Marks a connection as opened with a login session (its token's hash)
    /// by a user.
    pub fn bind_session(&self, id: ViewerId, session: &str, username: &str) {
        if let Some(v) = self.inner.lock().viewers.get_mut(&id) {
            v.session = Some((session.to_owned(), username.to_owned()));
        }
    }

    /// Closes every connection opened with a session that ended, or (with
    /// `None`) every connection of a user, saying why.
    pub fn end_sessions(&self, session: Option<&str>, username: &str, reason: &str) {
        let g = self.inner.lock();
        for v in g.viewers.values() {
            let ends = v
                .session
                .as_ref()
                .is_some_and(|(s, u)| u == username && session.is_none_or(|wanted| wanted == s));
            if ends {
                v.handle.close(CLOSE_POLICY, reason.to_owned());
            }
        }
    }

    /// The sessions (token hash, username) connections were opened with,
    /// each once.
    #[must_use]
    pub fn open_sessions(&self) -> Vec<(String, String)> {
        let g = self.inner.lock();
        let mut seen: Vec<(String, String)> = g
            .viewers
            .values()
            .filter_map(|v| v.session.clone())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// Closes every connection, saying why (the server is shutting down).
    pub fn close_all(&self, code: u16, reason: &str) {
        for v in self.inner.lock().viewers.values() {
            v.handle.close(code, reason.to_owned());
        }
    }

    /// How many connections a user has open.
    #[must_use]
    pub fn connections_of(&self, username: &str) -> usize {
        self.inner
            .lock()
            .viewers
            .values()
            .filter(|v| v.session.as_ref().is_some_and(|(_, u)| u == username))
            .count()
    }

    /// Sends a message at once to every connection of a staff member,
    /// subscribed or not.
    pub fn send_to_staff(&self, staff_id: &str, text: &Arc<str>) {
        let mut g = self.inner.lock();
        let ids: Vec<ViewerId> = g
            .viewers
            .iter()
            .filter(|(_, v)| v.staff.as_deref() == Some(staff_id))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.send(&mut g, id, Outbound::Text(text.clone()));
        }
    }

    /// The viewers subscribed to a layer, with their subscriptions.
    #[must_use]
    pub fn subscribers(&self, layer: Layers) -> Vec<(ViewerId, Subscription)> {
        self.inner
            .lock()
            .viewers
            .iter()
            .filter_map(|(id, v)| {
                v.sub
                    .filter(|s| s.layers.intersects(layer))
                    .map(|s| (*id, s))
            })
            .collect()
    }

    /// Sends a message at once to one viewer.
    pub fn send_to(&self, id: ViewerId, text: Arc<str>) {
        let mut g = self.inner.lock();
        self.send(&mut g, id, Outbound::Text(text));
    }

    /// Stops a viewer's deltas.
    pub fn unsubscribe(&self, id: ViewerId) {
        let mut g = self.inner.lock();
        unroute(&mut g, id);
        if let Some(v) = g.viewers.get_mut(&id) {
            v.sub = None;
        }
    }

    /// Forgets a connection.
    pub fn unregister(&self, id: ViewerId) {
        let mut g = self.inner.lock();
        unroute(&mut g, id);
        g.viewers.remove(&id);
    }

    /// Notes that staff moved; their latest positions go out at the next tick.
    pub fn note_moves(&self, moved: impl IntoIterator<Item = StaffIdx>) {
        self.inner.lock().moved.extend(moved);
    }

    /// Queues an event for the next tick.
    pub fn publish(&self, event: Event) {
        self.inner.lock().events.push(event);
    }

    /// Sends every subscribed viewer a fresh snapshot (after a layer import
    /// or anything else that changes more than deltas can say). Their
    /// subscriptions are dropped until their connections subscribe again:
    /// scopes are area indexes, and an area import may have renumbered them.
    pub fn resync_all(&self) {
        resync_where(&mut self.inner.lock(), |_| true);
    }

    /// Sends the viewers of any of `layers` a fresh snapshot (a change too
    /// wide to be told as deltas, such as a camera outage), as
    /// [`Hub::resync_all`] does for everyone.
    pub fn resync_viewers_of(&self, layers: Layers) {
        resync_where(&mut self.inner.lock(), |sub| sub.layers.intersects(layers));
    }

    /// Number of connected viewers.
    #[must_use]
    pub fn viewer_count(&self) -> usize {
        self.inner.lock().viewers.len()
    }

    /// One tick: route every coalesced move and every event to its viewers.
    ///
    /// `read` takes the engine's read lock; the tick takes it twice, briefly:
    /// once to copy what moved, once to route. Serialising the moves and
    /// finding their cells (about 2 µs a move: 10,000 staff moving at 100,000
    /// fixes a second made it 15–20 ms a tick) runs between, with no lock
    /// held, so fix batches waiting to apply their moves (the write lock) are
    /// not held up by it (docs/PERFORMANCE.md, "Where the ingest tail was"),
    /// and only for the moves a viewer watches ([`moves`]).
    pub fn tick<G: Deref<Target = Engine>>(&self, read: impl Fn() -> G) {
        let (moved, events, seq, watched) = {
            let mut g = self.inner.lock();
            g.seq += 1;
            (
                std::mem::take(&mut g.moved),
                std::mem::take(&mut g.events),
                g.seq,
                watched(&mut g),
            )
        };
        let (fragments, generation) = self.serialise(moved, &read, &watched);
        let engine = read();
        let tree = engine.areas();
        // The homes were read on the tree of the copy: after an import
        // between the two (which resyncs every viewer, and whose snapshots
        // hold these positions) they would name other areas.
        let fragments = if tree.generation() == generation {
            fragments
        } else {
            Vec::new()
        };

        let mut g = self.inner.lock();
        let inner = &mut *g;
        // A subscription made on a tree an import has since replaced (it
        // raced the import's resync) holds indexes into that tree: resynced,
        // never served with them.
        let current = tree.generation();
        resync_where(inner, |sub| sub.tree != current);
        // viewer → (comma-joined fragments)
        let mut out: FxHashMap<ViewerId, String> = FxHashMap::default();
        let mut targets: Vec<ViewerId> = Vec::new();
        for f in &fragments {
            targets.clear();
            for cell in std::iter::once(f.cell).chain(f.left) {
                if let Some(vs) = inner.routes.get(&cell) {
                    targets.extend(vs);
                }
            }
            targets.extend(inner.global.iter().copied());
            targets.sort_unstable();
            targets.dedup();
            for v in &targets {
                let Some(sub) = inner.viewers.get(v).and_then(|v| v.sub) else {
                    continue;
                };
                if !sub.layers.contains(Layers::STAFF) || !sub.scope.contains(f.home, tree) {
                    continue;
                }
                // A global viewer only hears of moves in its box; a routed one
                // also hears of moves out of it (its old cell), to drop them.
                if inner.global.contains(v) && !sphere::in_bbox(sub.bbox, f.pos) {
                    continue;
                }
                let buf = out.entry(*v).or_default();
                if !buf.is_empty() {
                    buf.push(',');
                }
                buf.push_str(&f.json);
            }
        }
        // When the tick sent these moves: a client can tell how long the
        // push took (loadgen's fix → viewer figures use it).
        let at = crate::clock::now_ms();
        for (v, moves) in out {
            let text: Arc<str> = format!(
                "{{\"type\":\"staff_moves\",\"seq\":{seq},\"at\":{at},\"moves\":[{moves}]}}"
            )
            .into();
            self.send(inner, v, Outbound::Text(text));
        }
        for e in events {
            let ids: Vec<ViewerId> = inner
                .viewers
                .iter()
                .filter(|(_, v)| {
                    // What reaches everyone (a layer changed) reaches a
                    // viewer between subscriptions too: an import's
                    // resync drops every subscription until its
                    // connection subscribes again, which may be after
                    // this tick.
                    e.reach == Reach::Everyone
                        || v.sub.is_some_and(|s| {
                            let scope = if e.layer == Layers::ALERTS {
                                s.home
                            } else {
                                s.scope
                            };
                            s.layers.intersects(e.layer)
                                && e.reach.within(scope, tree)
                                && e.at.is_none_or(|p| sphere::in_bbox(s.bbox, p))
                        })
                })
                .map(|(id, _)| *id)
                .collect();
            for v in ids {
                self.send(inner, v, Outbound::Text(e.text.clone()));
            }
        }
        self.close_laggards(inner);
    }

    /// What moved, copied under one read of the engine, then written once
    /// (viewers share the fragments) with no lock held, the moves that
    /// `watched` sees only; and the generation of the tree the homes were
    /// read on.
    fn serialise<G: Deref<Target = Engine>>(
        &self,
        moved: FxHashSet<StaffIdx>,
        read: &impl Fn() -> G,
        watched: &Watched,
    ) -> (Vec<Fragment>, u64) {
        let (movers, generation) = {
            let engine = read();
            let staff = engine.staff();
            let movers: Vec<Mover> = moved
                .into_iter()
                .filter_map(|idx| {
                    let m = staff.get(idx)?;
                    Some(Mover {
                        idx,
                        id: m.id.clone(),
                        duty: m.duty,
                        fix: m.fix?,
                        home: m.home,
                    })
                })
                .collect();
            (movers, engine.areas().generation())
        };
        let fragments = self
            .last_seen
            .lock()
            .write(movers, watched, self.config.route_resolution);
        (fragments, generation)
    }

    /// Queues a message for a viewer, turning a full queue into "behind".
    fn send(&self, inner: &mut Inner, id: ViewerId, msg: Outbound) {
        let Some(v) = inner.viewers.get_mut(&id) else {
            return;
        };
        if v.behind_since.is_some() {
            // Whatever this was, the resync snapshot will carry it.
            if v.tx.try_send(Outbound::Resync).is_ok() {
                v.behind_since = None;
                Metrics::add(&self.metrics.resyncs, 1);
            } else {
                Metrics::add(&self.metrics.queue_drops, 1);
            }
            return;
        }
        if v.tx.try_send(msg).is_err() {
            Metrics::add(&self.metrics.queue_drops, 1);
            v.behind_since = Some(Instant::now());
        }
    }

    fn close_laggards(&self, inner: &mut Inner) {
        let limit = self.config.slow_close_after;
        for v in inner.viewers.values_mut() {
            if let Some(since) = v.behind_since {
                if v.tx.try_send(Outbound::Resync).is_ok() {
                    v.behind_since = None;
                    Metrics::add(&self.metrics.resyncs, 1);
                } else if since.elapsed() > limit {
                    Metrics::add(&self.metrics.slow_closes, 1);
                    v.handle.close(
                        CLOSE_TRY_AGAIN,
                        format!(
                            "too slow: the connection read nothing for {} s",
                            limit.as_secs()
                        ),
                    );
                    v.behind_since = None;
                }
            }
        }
    }
}

/// Drops the subscriptions `stale` picks and tells their viewers to
/// subscribe again (a fresh snapshot follows).
fn resync_where(g: &mut Inner, stale: impl Fn(&Subscription) -> bool) {
    let ids: Vec<ViewerId> = g
        .viewers
        .iter()
        .filter(|(_, v)| v.sub.as_ref().is_some_and(&stale))
        .map(|(id, _)| *id)
        .collect();
    for id in ids {
        unroute(g, id);
        if let Some(v) = g.viewers.get_mut(&id) {
            v.sub = None;
            if v.tx.try_send(Outbound::Resync).is_err() {
                v.behind_since.get_or_insert_with(Instant::now);
            }
        }
    }
}

/// What the staff layer's viewers watch, read again after a subscription
/// changed.
fn watched(g: &mut Inner) -> Watched {
    if let Some(w) = &g.watched {
        return w.clone();
    }
    let mut w = Watched::default();
    let mut cells = FxHashSet::default();
    for v in g.viewers.values() {
        if v.sub.is_some_and(|s| s.layers.contains(Layers::STAFF)) {
            w.everywhere |= v.global;
            cells.extend(v.cells.iter().copied());
        }
    }
    w.cells = Arc::new(cells);
    g.watched = Some(w.clone());
    w
}

/// Takes a viewer off its routes. Every change of a subscription comes
/// through here, so what the staff layer's viewers watch is read again.
fn unroute(g: &mut Inner, id: ViewerId) {
    g.watched = None;
    let Some(v) = g.viewers.get_mut(&id) else {
        return;
    };
    let cells = std::mem::take(&mut v.cells);
    for c in cells {
        if let Some(list) = g.routes.get_mut(&c) {
            list.retain(|&x| x != id);
            if list.is_empty() {
                g.routes.remove(&c);
            }
        }
    }
    g.global.remove(&id);
}

/// The routing cells covering a box, or `None` if there would be too many.
fn route_cells(bbox: [f64; 4], res: Resolution, max: usize) -> Option<Vec<CellIndex>> {
    let [w, s, e, n] = bbox;
    if w > e || (e - w) * (n - s) > 50.0 {
        return None;
    }
    let ring = geo::LineString::from(vec![(w, s), (e, s), (e, n), (w, n), (w, s)]);
    let mut tiler = TilerBuilder::new(res)
        .containment_mode(ContainmentMode::Covers)
        .build();
    tiler.add(geo::Polygon::new(ring, vec![])).ok()?;
    if tiler.coverage_size_hint() > max * 4 {
        return None;
    }
    let cells: Vec<CellIndex> = tiler.into_coverage().collect();
    (cells.len() <= max).then_some(cells)
}

mod moves;
#[cfg(test)]
mod tests;
