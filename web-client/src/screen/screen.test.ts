import { describe, expect, it } from 'vitest';
import type { BBox, Incident, StaffLive } from '../shared/types';
import { AreaTree, type AreaFeature } from './areaTree';
import { conesInView } from './cones';
import { candidateRow } from './dispatchPanel';
import { isOffline, ServerClock } from './freshness';
import { heatFeatures, heatResolution } from './heat';
import { RED_RINGS_MAX, redRinged } from './incidentMarks';
import { FEED_LENGTH, IncidentStore } from './incidentStore';
import { sameSubscription, subscriptionFor } from './scope';
import { StaffAggregate } from './staffAggregate';
import { StaffPoints } from './staffPoints';
import { staffFeature, StaffStore, type StaffChanges } from './staffStore';
import { positionAt, ReplayClock } from './trackReplay';

/** The staff panel's figures as the big screen counts them: the store's members in a StaffAggregate. */
function countsByRole(st: StaffStore, inScope: (s: StaffLive) => boolean = () => true) {
  const a = new StaffAggregate(inScope);
  for (const s of st.byId.values()) a.set(s, st.isOffline(s.id));
  return a.countsByRole();
}

/** The markers as the big screen writes them (StaffPoints), over the whole world so every member is one. */
function markers(st: StaffStore) {
  const points = new StaffPoints((s) => staffFeature(s, st.isOffline(s.id)));
  const world: BBox = [-180, -90, 180, 90];
  const first = points.follow(world, st.byId.values());
  const features = first && 'data' in first ? first.data.features : [];
  /** The changes as the diff written to the map; null when nothing changed. */
  const diff = (c: StaffChanges) => {
    const w = points.patch([...c.added, ...c.changed], (id) => st.byId.get(id));
    return w && 'diff' in w ? { add: w.diff.add ?? [], update: w.diff.update ?? [] } : null;
  };
  return { features, diff };
}

const incident = (over: Partial<Incident>): Incident => ({
  id: 'SJ1', category: '0102', source: 'patrol', priority: 'normal', lon: 120.66, lat: 28.01,
  grid: 'G1', area: 'G1', description: '', state: 'reported', assignee_staff: null,
  created_ms: 1000, updated_ms: 1000, warning: 'green', version: 1, ...over,
});

const square = (x: number, y: number, s: number): AreaFeature['geometry'] => ({
  type: 'Polygon',
  coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]],
});

function tree(): AreaTree {
  return new AreaTree([
    { geometry: square(0, 0, 2), properties: { code: 'C', name: '市', level: 'city', parent: null } },
    { geometry: square(0, 0, 1), properties: { code: 'D1', name: '一区', level: 'district', parent: 'C' } },
    { geometry: square(1, 0, 1), properties: { code: 'D2', name: '二区', level: 'district', parent: 'C' } },
    { geometry: square(0, 0, 0.5), properties: { code: 'G1', name: '网格1', level: 'grid', parent: 'D1' } },
    { geometry: square(1, 0, 0.5), properties: { code: 'G2', name: '网格2', level: 'grid', parent: 'D2' } },
  ]);
}

describe('area tree', () => {
  it('knows parents, children, chains and subtrees', () => {
    const t = tree();
    expect(t.roots().map((a) => a.code)).toEqual(['C']);
    expect(t.childrenOf('C').map((a) => a.code)).toEqual(['D1', 'D2']);
    expect(t.chain('G1').map((a) => a.code)).toEqual(['C', 'D1', 'G1']);
    expect(t.within('G1', 'D1')).toBe(true);
    expect(t.within('G1', 'D2')).toBe(false);
    expect(t.within('G1', null)).toBe(true);
    expect(t.within(undefined, 'C')).toBe(false);
  });
  it('finds the grid at a point', () => {
    const t = tree();
    expect(t.gridAt([0.25, 0.25])?.code).toBe('G1');
    expect(t.gridAt([1.25, 0.25])?.code).toBe('G2');
    expect(t.gridAt([0.75, 0.75])).toBeNull();
  });
});

describe('staff store', () => {
  const s0: StaffLive = { id: 'S1', name: '王伟', role: 'grid_worker', duty: 'available', grid: 'G1', lon: 1, lat: 1, t: 100 };
  it('keeps the newest position per staff member', () => {
    const st = new StaffStore();
    st.applySnapshot([{ ...s0 }]); // (the store keeps the records it is given)
    expect(st.applyMoves([{ id: 'S1', lon: 2, lat: 2, t: 200 }])).toBe(1);
    expect(st.applyMoves([{ id: 'S1', lon: 3, lat: 3, t: 150 }])).toBe(0);
    expect(st.byId.get('S1')).toMatchObject({ lon: 2, lat: 2, t: 200, name: '王伟' });
  });
  it('adds staff who walk into view and drops those a snapshot no longer has', () => {
    const st = new StaffStore();
    st.applySnapshot([{ ...s0 }]);
    st.applyMoves([{ id: 'S2', lon: 5, lat: 5, t: 300, duty: 'busy' }]);
    expect(st.byId.get('S2')?.duty).toBe('busy');
    st.applySnapshot([]);
    expect(st.byId.size).toBe(0);
  });
  it('applies duty changes without moving the marker back', () => {
    const st = new StaffStore();
    st.applySnapshot([{ ...s0, t: 500, lon: 9 }]);
    st.applyUpdate({ ...s0, duty: 'busy', t: 100, lon: 1 });
    expect(st.byId.get('S1')).toMatchObject({ duty: 'busy', lon: 9, t: 500 });
  });
  it('counts online and on-duty staff by role, within scope', () => {
    const st = new StaffStore(() => 200);
    st.applySnapshot([
      s0,
      { ...s0, id: 'S2', duty: 'off', t: 0 },
      { ...s0, id: 'S3', role: 'police', duty: 'busy' },
      { ...s0, id: 'S4', grid: 'G2' },
    ]);
    const c = countsByRole(st, (s) => s.grid === 'G1');
    expect(c.get('grid_worker')).toEqual({ online: 2, onDuty: 1, busy: 0 });
    expect(c.get('police')).toEqual({ online: 1, onDuty: 1, busy: 1 });
    const f = markers(st);
    expect(f.features).toHaveLength(4);
    expect(f.features[0]!.properties).toMatchObject({ id: 'S1', duty: 'available' });
  });
});

describe('incident store', () => {
  it('never replaces a newer version and feeds state changes', () => {
    const s = new IncidentStore();
    expect(s.upsert(incident({ version: 2, state: 'accepted' }), { feed: true })).toBe(true);
    expect(s.upsert(incident({ version: 1, state: 'reported' }), { feed: true })).toBe(false);
    expect(s.byId.get('SJ1')?.state).toBe('accepted');
    s.upsert(incident({ version: 3, state: 'dispatched' }), { feed: true });
    expect(s.feed.map((f) => f.change)).toEqual(['dispatched', 'new']);
    for (let i = 0; i < 100; i++) s.upsert(incident({ id: `X${i}` }), { feed: true });
    expect(s.feed.length).toBe(FEED_LENGTH);
  });
  it('lists overdue incidents red first, then by deadline; closed ones never', () => {
    const s = new IncidentStore();
    s.upsert(incident({ id: 'A', warning: 'yellow', step_deadline_ms: 10 }));
    s.upsert(incident({ id: 'B', warning: 'red', step_deadline_ms: 50 }));
    s.upsert(incident({ id: 'C', warning: 'red', step_deadline_ms: 20 }));
    s.upsert(incident({ id: 'D', warning: 'red', state: 'closed' }));
    s.upsert(incident({ id: 'E', warning: 'green' }));
    expect(s.overdue(() => true).map((i) => i.id)).toEqual(['C', 'B', 'A']);
    expect(s.overdue((i) => i.id !== 'C').map((i) => i.id)).toEqual(['B', 'A']);
  });
  it('applies an alert to the incident and keeps it for the ticker', () => {
    const s = new IncidentStore();
    s.upsert(incident({ id: 'A' }));
    s.applyAlert({ type: 'alert', kind: 'warning', incident: 'A', level: 'red', previous: 'yellow', at_ms: 5 });
    expect(s.byId.get('A')?.warning).toBe('red');
    expect(s.alerts).toHaveLength(1);
  });
  it("counts today's incidents by state and draws only open ones", () => {
    const s = new IncidentStore();
    s.upsert(incident({ id: 'A', created_ms: 5 }));
    s.upsert(incident({ id: 'B', created_ms: 50, state: 'closed' }));
    s.upsert(incident({ id: 'C', created_ms: 60 }));
    expect([...s.countByState(10, () => true)]).toEqual([['closed', 1], ['reported', 1]]);
    expect(s.toFeatures(() => true).features.map((f) => f.id)).toEqual(['A', 'C']);
  });
  it('rings the overdue incidents in view while they are few (红色预警)', () => {
    const s = new IncidentStore();
    s.upsert(incident({ id: 'R1', warning: 'red', lon: 120.65, lat: 28.01 }));
    s.upsert(incident({ id: 'R2', warning: 'red', lon: 120.9, lat: 28.01 }));
    s.upsert(incident({ id: 'Y', warning: 'yellow', lon: 120.65, lat: 28.01 }));
    const view: BBox = [120.6, 27.9, 120.7, 28.1];
    const ids = (fs: GeoJSON.Feature[]) => fs.map((f) => f.id);
    expect(ids(redRinged(s.toFeatures(() => true).features, view))).toEqual(['R1']);
    // A crowd in view: none pulses (each still glows), and zoomed in to fewer they pulse again.
    for (let i = 0; i < RED_RINGS_MAX; i++) s.upsert(incident({ id: `C${i}`, warning: 'red', lon: 120.61 + i * 0.001, lat: 27.95 }));
    const crowd = s.toFeatures(() => true).features;
    expect(redRinged(crowd, view)).toEqual([]);
    expect(ids(redRinged(crowd, [120.6, 27.94, 120.6115, 27.96]))).toEqual(['C0', 'C1']);
  });
});

describe('subscriptions follow the scope and the view', () => {
  const scope = { code: 'D1', bbox: [0, 0, 1, 1] as [number, number, number, number] };
  it('watches the whole area while all of it is in view, else the padded view', () => {
    expect(subscriptionFor(scope, [-0.5, -0.5, 1.5, 1.5])).toMatchObject({ area: 'D1' });
    const zoomed = subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4]);
    expect('bbox' in zoomed && zoomed.bbox.map((v) => +v.toFixed(2))).toEqual([0.16, 0.16, 0.44, 0.44]);
    expect(zoomed.layers).toContain('staff');
  });
  it('tells an unchanged subscription from a new one', () => {
    const a = subscriptionFor(scope, [-1, -1, 2, 2]);
    expect(sameSubscription(a, subscriptionFor(scope, [-2, -2, 3, 3]))).toBe(true);
    expect(sameSubscription(a, subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4]))).toBe(false);
    expect(sameSubscription(null, a)).toBe(false);
  });
  it('narrows a zoomed-in view to the scope for counts, and a change of layers is a new subscription', () => {
    const zoomed = subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4], ['staff_cells'], true);
    expect(zoomed).toMatchObject({ area: 'D1', bbox: expect.any(Array) });
    expect(zoomed.layers).toContain('staff_cells');
    expect(zoomed.layers).not.toContain('staff');
    // The whole area in view: the area alone, whatever `narrow` says.
    expect(subscriptionFor(scope, [-1, -1, 2, 2], ['staff_cells'], true)).not.toHaveProperty('bbox');
    const markers = subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4], ['staff_cells', 'staff'], true);
    expect(sameSubscription(zoomed, markers)).toBe(false);
    expect(sameSubscription(zoomed, subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4], ['staff_cells'], true))).toBe(true);
    expect(sameSubscription(zoomed, subscriptionFor(scope, [0.2, 0.2, 0.4, 0.4], ['staff_cells'], false))).toBe(false);
  });
});

describe('track replay', () => {
  const fixes = [
    { lon: 0, lat: 0, t: 0 },
    { lon: 1, lat: 0, t: 10 },
    { lon: 1, lat: 2, t: 20 },
  ];
  it('interpolates between fixes and clamps to the track', () => {
    expect(positionAt(fixes, 5)).toEqual({ lon: 0.5, lat: 0, index: 0 });
    expect(positionAt(fixes, 15)).toEqual({ lon: 1, lat: 1, index: 1 });
    expect(positionAt(fixes, -5)?.lon).toBe(0);
    expect(positionAt(fixes, 99)).toEqual({ lon: 1, lat: 2, index: 2 });
    expect(positionAt([], 1)).toBeNull();
  });
  it('plays at the chosen speed, pauses, seeks and stops at the end', () => {
    const c = new ReplayClock(1000, 61_000, 10);
    c.play(0);
    expect(c.now(1000)).toBe(11_000);
    c.setSpeed(60, 1000);
    expect(c.now(2000)).toBe(61_000); // 11,000 + 1,000 ms × 60 would pass the end
    expect(c.playing).toBe(false);
    c.seek(5000, 3000);
    expect(c.now(9999)).toBe(5000);
    c.play(0);
    c.pause(100);
    expect(c.now(5000)).toBe(5000 + 100 * 60);
  });
});

describe('camera cones and the heat map', () => {
  it('makes cones only for cameras inside the view', () => {
    const cams = [
      { id: 'C1', coordinates: [120.66, 28.01] as [number, number], heading: 90, fov: 60, range_m: 80, online: true },
      { id: 'C2', coordinates: [121.5, 29] as [number, number], heading: null, fov: null, range_m: 30, online: false },
    ];
    const fc = conesInView(cams, [120.6, 27.9, 120.7, 28.1]);
    expect(fc.features.map((f) => f.properties!.id)).toEqual(['C1']);
  });
  it('turns H3 counts into normalised hexagons and picks a resolution by zoom', () => {
    const fc = heatFeatures([{ cell: '8841b21801fffff', count: 2 }, { cell: '8841b21809fffff', count: 8 }]);
    expect(fc.features.map((f) => f.properties!.norm)).toEqual([0.25, 1]);
    const ring = fc.features[0]!.geometry.coordinates[0]!;
    expect(ring.length).toBe(7);
    expect(ring[0]).toEqual(ring[6]);
    expect(ring[0]![0]).toBeGreaterThan(119);
    expect(heatResolution(9)).toBeLessThan(heatResolution(15));
  });
});

describe('staff map updates', () => {
  it('patches only the staff that moved since the last frame; a snapshot rebuilds', () => {
    const st = new StaffStore();
    st.applySnapshot([
      { id: 'S1', duty: 'available', lon: 1, lat: 1, t: 1 },
      { id: 'S2', duty: 'available', lon: 2, lat: 2, t: 1 },
    ]);
    expect(st.takeChanges().full).toBe(true);
    const m = markers(st);
    st.applyMoves([{ id: 'S1', lon: 1.5, lat: 1.5, t: 2 }, { id: 'S3', lon: 3, lat: 3, t: 2 }]);
    const c = st.takeChanges();
    expect(c.full).toBe(false);
    const d = m.diff(c)!;
    expect(d.add.map((f) => f.id)).toEqual(['S3']);
    expect(d.update.map((u) => [u.id, (u.newGeometry as GeoJSON.Point).coordinates])).toEqual([['S1', [1.5, 1.5]]]);
    expect(d.update[0]!.addOrUpdateProperties).toContainEqual({ key: 'duty', value: 'available' });
    st.applyUpdate({ id: 'S2', duty: 'busy', lon: 2, lat: 2, t: 1 });
    expect(m.diff(st.takeChanges())!.update[0]!.addOrUpdateProperties).toContainEqual({ key: 'duty', value: 'busy' });
    expect(m.diff(st.takeChanges())).toBeNull();
  });
});

describe('staff freshness (在线/离线)', () => {
  const MIN = 60_000;
  const SERVER_NOW = Date.UTC(2026, 11, 3, 8, 0);
  it("reads the server's clock through the offset hello showed", () => {
    let local = SERVER_NOW - 5 * MIN; // this PC's clock runs five minutes behind
    const clock = new ServerClock(() => local);
    expect(clock.now()).toBe(local); // before hello: the local clock
    clock.sync(SERVER_NOW);
    expect(clock.now()).toBe(SERVER_NOW);
    local += 30_000;
    expect(clock.now()).toBe(SERVER_NOW + 30_000);
    clock.sync(Number.NaN);
    expect(clock.now()).toBe(SERVER_NOW + 30_000);
  });
  it('draws the line where dispatch does: older than the limit is offline', () => {
    expect(isOffline(SERVER_NOW - 10 * MIN, SERVER_NOW, 10 * MIN)).toBe(false);
    expect(isOffline(SERVER_NOW - 10 * MIN - 1, SERVER_NOW, 10 * MIN)).toBe(true);
    // a phone whose clock runs ahead sends fixes from the future: fresh
    expect(isOffline(SERVER_NOW + MIN, SERVER_NOW, 10 * MIN)).toBe(false);
  });
  it('classifies on the server clock, not the browser clock', () => {
    let local = SERVER_NOW - 5 * MIN;
    const clock = new ServerClock(() => local);
    clock.sync(SERVER_NOW);
    const st = new StaffStore(() => clock.now());
    // 12 minutes old on the server's clock, 7 by this PC's: offline all the same.
    st.applySnapshot([{ id: 'S1', duty: 'available', lon: 1, lat: 1, t: SERVER_NOW - 12 * MIN }]);
    expect(st.isOffline('S1')).toBe(true);
    local += MIN;
    expect(st.reclassify()).toBe(0);
  });
  it('turns members offline as time passes and online with their next fix, patching only those', () => {
    let now = SERVER_NOW;
    const st = new StaffStore(() => now);
    st.applySnapshot([
      { id: 'S1', role: 'grid_worker', duty: 'available', lon: 1, lat: 1, t: now - 9 * MIN },
      { id: 'S2', role: 'grid_worker', duty: 'off', lon: 2, lat: 2, t: Date.UTC(2026, 0, 1) },
      { id: 'S3', role: 'police', duty: 'available', lon: 3, lat: 3, t: now },
    ]);
    const m = markers(st);
    expect(m.features.map((f) => f.properties!.offline)).toEqual([false, true, false]);
    expect(countsByRole(st).get('grid_worker')).toEqual({ online: 1, onDuty: 1, busy: 0 });
    st.takeChanges();
    now += 2 * MIN; // S1's fix is now 11 minutes old
    expect(st.reclassify()).toBe(1);
    const d = m.diff(st.takeChanges())!;
    expect(d.update.map((u) => u.id)).toEqual(['S1']);
    expect(d.update[0]!.addOrUpdateProperties).toContainEqual({ key: 'offline', value: true });
    expect(countsByRole(st).get('grid_worker')!.online).toBe(0);
    expect(st.reclassify()).toBe(0);
    st.applyMoves([{ id: 'S1', lon: 1.1, lat: 1, t: now }]);
    expect(st.isOffline('S1')).toBe(false);
    // a duty change that carries an old position leaves an offline member offline
    st.applyUpdate({ id: 'S2', role: 'grid_worker', duty: 'available', lon: 2, lat: 2, t: Date.UTC(2026, 0, 1) });
    expect(st.isOffline('S2')).toBe(true);
    expect(countsByRole(st).get('grid_worker')).toEqual({ online: 1, onDuty: 2, busy: 0 });
  });
  it('follows a changed limit (hello of a server with another --stale-after-s)', () => {
    const st = new StaffStore(() => SERVER_NOW);
    st.applySnapshot([{ id: 'S1', duty: 'available', lon: 1, lat: 1, t: SERVER_NOW - 3 * MIN }]);
    expect(st.isOffline('S1')).toBe(false);
    st.staleAfterMs = 2 * MIN;
    expect(st.reclassify()).toBe(1);
    expect(st.isOffline('S1')).toBe(true);
  });
});

describe('dispatch candidates', () => {
  const c = { id: 'S1', name: '王伟', role: 'grid_worker' as const, duty: 'available' as const, grid: 'G1', same_grid: true, distance_m: 96.4, lon: 1, lat: 1 };
  it("say how far and how old each one's position is; offline ones are marked", () => {
    const fresh = candidateRow({ ...c, fix_age_s: 150, stale: false }, true, 'zh');
    expect(fresh).toContain('96 m<small class="fix-age" data-testid="fix-age">2 分钟前定位</small>');
    expect(fresh).not.toContain('stale');
    expect(fresh).toContain('data-assign="S1"');
    const old = candidateRow({ ...c, fix_age_s: 3 * 3600, stale: true }, false, 'en');
    expect(old).toContain('class="duty-available stale"');
    expect(old).toContain('fix 3 h ago');
    expect(old).toContain('data-testid="candidate-offline">Offline<');
    expect(old).not.toContain('data-assign');
    // an older server says nothing of the age: the distance alone
    expect(candidateRow(c, true, 'zh')).toContain('<td class="where">96 m</td>');
  });
});
