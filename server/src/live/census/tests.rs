//! The census against counting by hand, its scopes, and what it tells.

use super::*;
use crate::live::test_city::{branches_swapped, two_district_city};
use riskmap_engine::model::Staff;
use riskmap_engine::{EngineConfig, StaffIdx};
use riskmap_wire::Layers;

const NOW: EpochMs = 1_000_000_000;
const STALE: i64 = 600_000;
const BOX: [f64; 4] = [120.0, 28.0, 120.1, 28.1];

/// The two-district city in an engine.
fn engine() -> Engine {
    let mut e = Engine::new(EngineConfig::default()).unwrap();
    e.replace_areas(two_district_city()).unwrap();
    e
}

fn member(e: &mut Engine, id: &str, role: Role, duty: DutyStatus, grid: &str) -> StaffIdx {
    e.upsert_staff(&Staff {
        id: id.into(),
        name: id.into(),
        role,
        skills: vec![],
        home_grid: grid.into(),
        duty,
        devices: vec![],
        last_fix: None,
    })
    .unwrap()
}

fn put(e: &mut Engine, idx: StaffIdx, lon: f64, lat: f64, t: EpochMs) {
    e.apply_fix(idx, crate::live::test_city::fix_at(lon, lat, t))
        .unwrap();
}

fn cell(lon: f64, lat: f64) -> u64 {
    u64::from(LatLng::new(lat, lon).unwrap().to_cell(CENSUS_RES))
}

/// A subscription whose scope was read from `tree`.
fn sub(tree: &AreaTree, scope: Scope, bbox: [f64; 4]) -> Subscription {
    Subscription {
        bbox,
        layers: Layers::STAFF_CELLS,
        scope,
        home: scope,
        tree: tree.generation(),
    }
}

/// The same areas with the two districts' branches trading places in the
/// tree: every index of one names the other's area now (as after an
/// areas import that renumbers them).
fn renumbered(e: &mut Engine) {
    let areas = e.areas().iter().map(|(_, a)| a.clone()).collect();
    let (g, g2) = (e.areas().idx("g"), e.areas().idx("g2"));
    e.replace_areas(branches_swapped(areas)).unwrap();
    assert_eq!(
        (e.areas().idx("g"), e.areas().idx("g2")),
        (g2, g),
        "the grids traded indices"
    );
}

/// A small deterministic generator (no test depends on a seed's luck).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        self.0 >> 33
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

#[test]
fn counts_match_counting_each_member_by_hand_through_moves_and_time() {
    let mut e = engine();
    let mut rng = Lcg(7);
    let mut census = Census::default();
    let n = 2_000;
    let ids: Vec<StaffIdx> = (0..n)
        .map(|i| {
            let role = Role::ALL[(rng.next() % 5) as usize];
            let duty = DUTIES[(rng.next() % 4) as usize];
            let grid = if rng.next().is_multiple_of(3) {
                "g2"
            } else {
                "g"
            };
            member(&mut e, &format!("S{i}"), role, duty, grid)
        })
        .collect();
    for round in 0..3 {
        // Everyone (but a few left without a fix) somewhere in a 2 km
        // square, some with fixes older than the line, some moving.
        for (k, &idx) in ids.iter().enumerate() {
            if k % 97 == 0 || (round > 0 && rng.next().is_multiple_of(2)) {
                continue;
            }
            let t = NOW - i64::try_from(rng.next() % 1_200_000).unwrap() + round * 1000;
            put(
                &mut e,
                idx,
                120.03 + rng.unit() * 0.02,
                28.03 + rng.unit() * 0.02,
                t,
            );
        }
        let now = NOW + round * 1000;
        let table = census.take(&e, now, STALE);
        assert_counted_by_hand(&e, &table, now, BOX, &format!("round {round}"));
    }
}

/// The table's views (the city's, and district d2's) against counting each
/// member in `bbox` by hand.
fn assert_counted_by_hand(e: &Engine, table: &Table, now: EpochMs, bbox: [f64; 4], what: &str) {
    for scope in [
        Scope::All,
        Scope::subtree(e.areas().idx("d2").unwrap(), e.areas()),
    ] {
        let mut by_hand: FxHashMap<(u64, Class), u32> = FxHashMap::default();
        for (_, m) in e.staff().iter() {
            let Some(fix) = m.fix else { continue };
            let here = cell(fix.position.lon, fix.position.lat);
            if !scope.contains(m.home, e.areas()) || !sphere::in_bbox(bbox, centre(here)) {
                continue;
            }
            let offline = fix.fix_time_ms < now - STALE;
            *by_hand
                .entry((here, class_of(m.role, m.duty, offline)))
                .or_default() += 1;
        }
        let mut expected: Counts = by_hand.into_iter().map(|((c, k), n)| (c, k, n)).collect();
        expected.sort_unstable();
        assert_eq!(
            table.view(scope, bbox, e.areas()),
            expected,
            "{what}, {scope:?}"
        );
    }
}

#[test]
fn slots_nobody_stands_in_any_more_are_let_go_and_the_counts_stay_right() {
    let mut e = engine();
    let mut rng = Lcg(3);
    let ids: Vec<StaffIdx> = (0..3_000)
        .map(|i| {
            let grid = if i % 2 == 0 { "g" } else { "g2" };
            member(
                &mut e,
                &format!("S{i}"),
                Role::Police,
                DutyStatus::Busy,
                grid,
            )
        })
        .collect();
    let wide = [119.0, 27.0, 122.0, 30.0];
    let mut census = Census::default();
    let mut most = 0;
    for round in 0..6 {
        // Everyone jumps somewhere else in a 300 km square: a cell each.
        for &idx in &ids {
            put(
                &mut e,
                idx,
                119.0 + rng.unit() * 3.0,
                27.0 + rng.unit() * 3.0,
                NOW + round,
            );
        }
        let table = census.take(&e, NOW + round, STALE);
        assert_counted_by_hand(&e, &table, NOW + round, wide, &format!("round {round}"));
        most = most.max(census.slots.len());
    }
    assert!(most > 4096, "the slots grew past the line: {most}");
    assert!(
        census.slots.len() < most,
        "and were let go: {} of {most}",
        census.slots.len()
    );
}

#[test]
fn a_scope_counts_only_members_homed_in_it_and_a_box_only_its_cells() {
    let mut e = engine();
    let a = member(&mut e, "A", Role::Police, DutyStatus::Busy, "g");
    let b = member(&mut e, "B", Role::Police, DutyStatus::Busy, "g2");
    put(&mut e, a, 120.05, 28.05, NOW);
    put(&mut e, b, 120.05, 28.05, NOW);
    let table = Census::default().take(&e, NOW, STALE);
    let tree = e.areas();
    let busy_police = class_of(Role::Police, DutyStatus::Busy, false);
    let here = cell(120.05, 28.05);
    assert_eq!(
        table.view(Scope::All, BOX, tree),
        vec![(here, busy_police, 2)]
    );
    let d = Scope::subtree(tree.idx("d").unwrap(), tree);
    assert_eq!(table.view(d, BOX, tree), vec![(here, busy_police, 1)]);
    assert!(table.view(Scope::Nothing, BOX, tree).is_empty());
    let elsewhere = [120.06, 28.06, 120.1, 28.1];
    assert!(table.view(Scope::All, elsewhere, tree).is_empty());
}

/// Two members homed in g, one in g2, all in one cell.
fn two_and_one() -> Engine {
    let mut e = engine();
    for (id, grid) in [("A", "g"), ("B", "g"), ("C", "g2")] {
        let idx = member(&mut e, id, Role::Police, DutyStatus::Busy, grid);
        put(&mut e, idx, 120.05, 28.05, NOW);
    }
    e
}

/// Members in `scope` of a view, all cells and classes.
fn headcount(counts: &Counts) -> u32 {
    counts.iter().map(|&(_, _, n)| n).sum()
}

#[test]
fn a_census_of_the_tree_before_an_areas_import_is_not_read_with_the_new_one() {
    let mut e = two_and_one();
    let mut census = Census::default();
    census.take(&e, NOW, STALE);
    renumbered(&mut e);
    // A snapshot after the import: d2's screen counts C alone, not the two
    // homed in g, whose index g2 has now (分级授权).
    let tree = e.areas();
    let d2 = Scope::subtree(tree.idx("d2").unwrap(), tree);
    let table = census.latest(&e, NOW, STALE);
    assert_eq!(headcount(&table.view(d2, BOX, tree)), 1);
    let d = Scope::subtree(tree.idx("d").unwrap(), tree);
    assert_eq!(headcount(&table.view(d, BOX, tree)), 2);
}

#[test]
fn a_viewer_whose_scope_is_of_the_tree_before_an_areas_import_is_told_nothing() {
    let mut e = two_and_one();
    let mut census = Census::default();
    let d_before = sub(
        e.areas(),
        Scope::subtree(e.areas().idx("d").unwrap(), e.areas()),
        BOX,
    );
    let city_before = sub(e.areas(), Scope::All, BOX);
    let first = census.take(&e, NOW, STALE);
    // d's viewer was told its two members.
    let told = census.changes(None, &first, &[(1, d_before), (2, city_before)], e.areas());
    assert_eq!(told.len(), 2);
    renumbered(&mut e);
    let tree = e.areas();
    // A screen subscribes after the import: its snapshot is counted anew.
    let city_now = sub(tree, Scope::All, BOX);
    let snapshot = census.latest(&e, NOW + 1, STALE);
    assert_eq!(headcount(&snapshot.view(Scope::All, BOX, tree)), 3);
    // The next pass. d's old index is d2's now: read with it, d's viewer
    // would be told d2's one member in place of its two. It is resynced by
    // the import instead; the screen subscribed since hears of no change
    // (nothing moved).
    let before = census.latest_taken();
    let table = census.take(&e, NOW + 2, STALE);
    let told = census.changes(
        before.as_deref(),
        &table,
        &[(1, d_before), (2, city_before), (3, city_now)],
        tree,
    );
    assert!(told.is_empty(), "{told:?}");
}

#[test]
fn an_audience_of_the_new_tree_starts_from_its_snapshot_not_from_what_one_of_the_old_was_told() {
    let mut e = two_and_one();
    let mut census = Census::default();
    let d_before = sub(
        e.areas(),
        Scope::subtree(e.areas().idx("d").unwrap(), e.areas()),
        BOX,
    );
    let first = census.take(&e, NOW, STALE);
    // d's viewer was told its two members.
    census.changes(None, &first, &[(1, d_before)], e.areas());
    renumbered(&mut e);
    // d2 has d's old index now: its screen's snapshot counts C alone.
    let d2 = Scope::subtree(e.areas().idx("d2").unwrap(), e.areas());
    let d2_now = sub(e.areas(), d2, BOX);
    let snapshot = census.latest(&e, NOW + 1, STALE);
    assert_eq!(headcount(&snapshot.view(d2, BOX, e.areas())), 1);
    // D joins d2 where C stands: two there now, as many as d's viewer was
    // told under the same index — d2's screen must still hear of it.
    let d = member(&mut e, "D", Role::Police, DutyStatus::Busy, "g2");
    put(&mut e, d, 120.05, 28.05, NOW + 2);
    let before = census.latest_taken();
    let table = census.take(&e, NOW + 2, STALE);
    let told = census.changes(before.as_deref(), &table, &[(2, d2_now)], e.areas());
    let busy_police = class_of(Role::Police, DutyStatus::Busy, false);
    assert_eq!(
        told.iter().map(|(v, t)| (*v, &**t)).collect::<Vec<_>>(),
        [(
            2,
            &*format!(
                r#"{{"type":"staff_cells","cells":[{{"cell":"{:x}","counts":[[{busy_police},2]]}}]}}"#,
                cell(120.05, 28.05)
            )
        )]
    );
}

#[test]
fn classes_number_roles_then_duties_then_offline() {
    assert_eq!(class_of(Role::GridWorker, DutyStatus::Off, false), 0);
    assert_eq!(class_of(Role::GridWorker, DutyStatus::Off, true), 1);
    assert_eq!(class_of(Role::GridWorker, DutyStatus::Available, false), 2);
    assert_eq!(class_of(Role::Police, DutyStatus::Off, false), 8);
    assert_eq!(class_of(Role::Volunteer, DutyStatus::Sos, true), 39);
}

#[test]
fn viewers_are_told_the_cells_that_changed_and_of_those_that_emptied() {
    let mut e = engine();
    let a = member(&mut e, "A", Role::GridWorker, DutyStatus::Available, "g");
    let b = member(&mut e, "B", Role::GridWorker, DutyStatus::Available, "g2");
    put(&mut e, a, 120.05, 28.05, NOW);
    put(&mut e, b, 120.02, 28.02, NOW);
    let mut census = Census::default();
    let city = sub(e.areas(), Scope::All, BOX);
    let d = sub(
        e.areas(),
        Scope::subtree(e.areas().idx("d").unwrap(), e.areas()),
        BOX,
    );
    let first = census.take(&e, NOW, STALE);

    // Nothing moved: nothing to tell.
    let same = census.take(&e, NOW, STALE);
    let viewers = [(1, city), (2, d)];
    assert!(
        census
            .changes(Some(&first), &same, &viewers, e.areas())
            .is_empty()
    );

    // A walks into another cell and takes a task: both cells change for
    // the city and for A's district; B's district saw nothing change.
    put(&mut e, a, 120.08, 28.08, NOW + 1);
    e.set_duty(a, DutyStatus::Busy).unwrap();
    let next = census.take(&e, NOW + 1, STALE);
    let mut told = census.changes(
        Some(&same),
        &next,
        &[(1, city), (2, d), (3, city)],
        e.areas(),
    );
    told.sort_by_key(|t| t.0);
    let (old, new) = (cell(120.05, 28.05), cell(120.08, 28.08));
    let busy = class_of(Role::GridWorker, DutyStatus::Busy, false);
    let expected = format!(
        r#"{{"type":"staff_cells","cells":[{}]}}"#,
        if old < new {
            format!(
                r#"{{"cell":"{old:x}","counts":[]}},{{"cell":"{new:x}","counts":[[{busy},1]]}}"#
            )
        } else {
            format!(
                r#"{{"cell":"{new:x}","counts":[[{busy},1]]}},{{"cell":"{old:x}","counts":[]}}"#
            )
        }
    );
    assert_eq!(told.len(), 3);
    for (_, text) in &told {
        assert_eq!(&**text, expected);
    }
    // The same audience shares one text.
    assert!(Arc::ptr_eq(&told[0].1, &told[2].1));

    // Time alone turns A offline.
    let later = NOW + STALE + 10;
    let aged = census.take(&e, later, STALE);
    let told = census.changes(Some(&next), &aged, &[(2, d)], e.areas());
    let offline = class_of(Role::GridWorker, DutyStatus::Busy, true);
    assert_eq!(
        &*told[0].1,
        format!(
            r#"{{"type":"staff_cells","cells":[{{"cell":"{new:x}","counts":[[{offline},1]]}}]}}"#
        )
    );
}

#[test]
fn an_audience_new_since_the_last_pass_is_told_what_changed_since_the_census_before() {
    let mut e = engine();
    let a = member(&mut e, "A", Role::GridWorker, DutyStatus::Available, "g");
    put(&mut e, a, 120.05, 28.05, NOW);
    let mut census = Census::default();
    let before = census.take(&e, NOW, STALE);
    put(&mut e, a, 120.08, 28.08, NOW + 1);
    let now = census.take(&e, NOW + 1, STALE);
    // Its snapshot may have come from `before`: it must hear of the move.
    let told = census.changes(
        Some(&before),
        &now,
        &[(9, sub(e.areas(), Scope::All, BOX))],
        e.areas(),
    );
    assert_eq!(told.len(), 1);
    assert!(told[0].1.contains(&format!("{:x}", cell(120.05, 28.05))));
}

#[test]
fn a_snapshot_writes_the_cells_with_their_counts_by_h3s_own_names() {
    let c = cell(120.05, 28.05);
    let counts: Counts = vec![(c, 2, 3), (c, 5, 1)];
    let text = serde_json::to_string(&CellList(&counts)).unwrap();
    let name = CellIndex::try_from(c).unwrap().to_string();
    assert_eq!(
        text,
        format!(r#"[{{"cell":"{name}","counts":[[2,3],[5,1]]}}]"#)
    );
}
