//! Selecting features: which ones of a collection the user may see and the
//! query matches, and each as GeoJSON.

use geojson::{Feature, feature::Id};
use serde_json::Value;

use super::collections::Coll;
use super::paging::Pager;
use super::params::ItemsQuery;
use crate::app::App;
use crate::identity::{Scope, User, UserRole};
use crate::incident::Book;
use riskmap_engine::geojson::{
    area_feature, camera_feature, key_place_feature, risk_source_feature, staff_feature,
};
use riskmap_engine::layer::split_bbox;
use riskmap_engine::sphere;
use riskmap_engine::{AreaTree, Engine, Layer, LayerItem};

/// A page of a collection for `user`: how many features match, and the
/// page's. The incidents are walked in the book alone, the engine's read
/// let go first (every fix waits for its write; the walk needs only the
/// area tree), and named under it afterwards.
pub(super) fn page_of(app: &App, user: &User, coll: Coll, q: &ItemsQuery) -> (usize, Vec<Feature>) {
    let devices = ShowDevices::to(user);
    let mut pager = Pager::new(q.offset, q.limit);
    if coll == Coll::Incidents {
        let tree = app.engine.read().areas_shared();
        let scope = Scope::of(user, &tree);
        let (matched, found) = {
            let book = app.incidents.book();
            select(q, book.len(), &mut pager, |found| {
                each_incident(&book, &tree, scope, q, found);
            });
            let (matched, found) = pager.finish();
            let found: Vec<u32> = found.into_iter().map(|(_, i)| i).collect();
            (matched, found)
        };
        let engine = app.engine.read();
        let book = app.incidents.book();
        let features = found
            .into_iter()
            .filter_map(|i| feature_at(app, &engine, &book, coll, i, devices))
            .collect();
        return (matched, features);
    }
    let engine = app.engine.read();
    let book = app.incidents.book();
    let scope = Scope::of(user, engine.areas());
    let expected = match coll {
        Coll::Areas => engine.areas().len(),
        Coll::Staff => engine.staff().len(),
        Coll::Cameras => engine.cameras().len(),
        Coll::RiskSources => engine.risk_sources().len(),
        Coll::KeyPlaces => engine.key_places().len(),
        Coll::Incidents => book.len(),
    };
    select(q, expected, &mut pager, |found| {
        each_match(&engine, &book, scope, coll, q, found);
    });
    let (matched, found) = pager.finish();
    let features = found
        .into_iter()
        .filter_map(|(_, i)| feature_at(app, &engine, &book, coll, i, devices))
        .collect();
    (matched, features)
}

/// Hands every match `walk` finds to `pager` once each. Without a box the
/// whole collection (`expected` features) may match; a box across the
/// antimeridian is searched in two parts that may both hold a feature, so
/// its matches are gathered and deduplicated first.
fn select<'e>(
    q: &ItemsQuery,
    expected: usize,
    pager: &mut Pager<(&'e str, u32)>,
    walk: impl FnOnce(&mut dyn FnMut((&'e str, u32))),
) {
    if q.bbox.is_none() {
        pager.expect(expected);
    }
    if !q.bbox.is_some_and(|[w, _, e, _]| w > e) {
        return walk(&mut |k| pager.push(k));
    }
    let mut all = Vec::new();
    walk(&mut |k| all.push(k));
    all.sort_unstable();
    all.dedup();
    for k in all {
        pager.push(k);
    }
}

/// Every visible feature matching the query, as (id, index), unordered,
/// streamed into `found` rather than gathered (a million staff).
fn each_match<'e>(
    engine: &'e Engine,
    book: &'e Book,
    scope: Scope,
    coll: Coll,
    q: &ItemsQuery,
    found: &mut dyn FnMut((&'e str, u32)),
) {
    let tree = engine.areas();
    match coll {
        Coll::Areas => {
            let mut area = |i: u32| {
                if scope.contains(Some(i), tree) {
                    found((tree.get(i).code.as_str(), i));
                }
            };
            match q.bbox {
                Some(b) => split_bbox(b)
                    .into_iter()
                    .flat_map(|r| tree.in_bbox(r, q.level))
                    .for_each(&mut area),
                None => tree
                    .iter()
                    .filter(|(_, a)| q.level.is_none_or(|l| a.level == l))
                    .for_each(|(i, _)| area(i)),
            }
        }
        Coll::Staff => {
            let staff = engine.staff();
            let mut member = |i: u32| {
                let Some(m) = staff.get(i) else {
                    return;
                };
                let when = q
                    .datetime
                    .is_none_or(|t| m.fix.is_some_and(|f| t.contains(f.fix_time_ms)));
                if when && scope.contains(m.home, tree) {
                    found((m.id.as_str(), i));
                }
            };
            match q.bbox {
                Some(b) => staff.in_bbox(b).into_iter().for_each(&mut member),
                None => staff.iter().for_each(|(i, _)| member(i)),
            }
        }
        Coll::Cameras => layer_matches(engine.cameras(), tree, scope, q.bbox, found),
        Coll::RiskSources => layer_matches(engine.risk_sources(), tree, scope, q.bbox, found),
        Coll::KeyPlaces => layer_matches(engine.key_places(), tree, scope, q.bbox, found),
        Coll::Incidents => each_incident(book, tree, scope, q, found),
    }
}

/// Every visible incident matching the query, as (id, position in the book).
fn each_incident<'e>(
    book: &'e Book,
    tree: &AreaTree,
    scope: Scope,
    q: &ItemsQuery,
    found: &mut dyn FnMut((&'e str, u32)),
) {
    for (n, e) in book.iter().enumerate() {
        let i = &e.incident;
        if scope.contains(tree.idx(&i.grid), tree)
            && q.bbox.is_none_or(|b| sphere::in_bbox(b, i.position))
            && q.datetime.is_none_or(|t| t.contains(i.created_ms))
        {
            found((i.id.as_str(), n as u32));
        }
    }
}

fn layer_matches<'e, T: LayerItem>(
    layer: &'e Layer<T>,
    tree: &AreaTree,
    scope: Scope,
    bbox: Option<[f64; 4]>,
    found: &mut dyn FnMut((&'e str, u32)),
) {
    let mut item = |i: u32, t: &'e T| {
        if scope.contains(layer.grid(i), tree) {
            found((t.id(), i));
        }
    };
    match bbox {
        Some(b) => {
            for i in layer.in_bbox(b) {
                if let Some(t) = layer.get(i) {
                    item(i, t);
                }
            }
        }
        None => layer.iter().for_each(|(i, t)| item(i, t)),
    }
}

/// A feature of a collection by its index. Device ids are credentials (the
/// only one `/osmand` asks for): only administrators see them.
pub(super) fn feature_at(
    app: &App,
    engine: &Engine,
    book: &Book,
    coll: Coll,
    i: u32,
    devices: ShowDevices,
) -> Option<Feature> {
    match coll {
        Coll::Areas => Some(area_feature(engine.areas().get(i))),
        Coll::Staff => {
            let mut feature = staff_feature(&engine.staff().get(i)?.to_staff());
            if devices == ShowDevices::No
                && let Some(props) = feature.properties.as_mut()
            {
                props.remove("devices");
            }
            Some(feature)
        }
        Coll::Cameras => Some(camera_feature(engine.cameras().get(i)?)),
        Coll::RiskSources => Some(risk_source_feature(engine.risk_sources().get(i)?)),
        Coll::KeyPlaces => Some(key_place_feature(engine.key_places().get(i)?)),
        Coll::Incidents => {
            let e = book.at(i as usize)?;
            let Ok(Value::Object(props)) =
                serde_json::to_value(app.incidents.view(engine, e, crate::clock::now_ms()))
            else {
                return None;
            };
            let p = e.incident.position;
            Some(Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::GeometryValue::new_point([
                    p.lon, p.lat,
                ]))),
                id: Some(Id::String(e.incident.id.clone())),
                properties: Some(props),
                foreign_members: None,
            })
        }
    }
}

/// A feature by id, if the user may see it.
pub(super) fn find_visible(
    app: &App,
    engine: &Engine,
    book: &Book,
    scope: Scope,
    coll: Coll,
    fid: &str,
    devices: ShowDevices,
) -> Option<Feature> {
    let tree = engine.areas();
    let idx = match coll {
        Coll::Areas => tree.idx(fid).filter(|&i| scope.contains(Some(i), tree)),
        Coll::Staff => engine.staff().find(fid).filter(|&i| {
            engine
                .staff()
                .get(i)
                .is_some_and(|m| scope.contains(m.home, tree))
        }),
        Coll::Cameras => visible_in(engine.cameras(), tree, scope, fid),
        Coll::RiskSources => visible_in(engine.risk_sources(), tree, scope, fid),
        Coll::KeyPlaces => visible_in(engine.key_places(), tree, scope, fid),
        Coll::Incidents => book
            .index_of(fid)
            .filter(|&n| {
                book.at(n)
                    .is_some_and(|e| scope.contains(tree.idx(&e.incident.grid), tree))
            })
            .map(|n| n as u32),
    }?;
    feature_at(app, engine, book, coll, idx, devices)
}

/// Whether a reader may see staff members' device ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ShowDevices {
    /// An administrator: device ids are theirs to manage.
    Yes,
    /// Anyone else.
    No,
}

impl ShowDevices {
    pub(super) fn to(user: &User) -> ShowDevices {
        if user.role == UserRole::Admin {
            ShowDevices::Yes
        } else {
            ShowDevices::No
        }
    }
}

fn visible_in<T: LayerItem>(
    layer: &Layer<T>,
    tree: &AreaTree,
    scope: Scope,
    fid: &str,
) -> Option<u32> {
    layer
        .find(fid)
        .filter(|&i| scope.contains(layer.grid(i), tree))
}
