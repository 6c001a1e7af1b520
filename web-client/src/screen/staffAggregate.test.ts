import { cellToParent, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import type { Duty, StaffLive, StaffRole } from '../shared/types';
import { HexLocator } from './hexLocator';
import { classOf, COARSE_RES, FINE_RES, type RoleKey, StaffAggregate } from './staffAggregate';
import { CellLegend, staffParam } from './staffCensus';
import { StaffHexes } from './staffHexes';
import { ALWAYS_MARKERS_ZOOM, hexResolutionFor, MARKER_BUDGET, MARKER_WRITE_MAX_MS, MARKER_WRITE_MIN_MS, MARKER_ZOOM, markerWriteMs } from './staffLayer';
import { metresPerPixel, StaffPoints } from './staffPoints';
import { onDuty, staffFeature, StaffStore } from './staffStore';

// A seeded generator, so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Wenzhou's urban core, where loadgen's benchmark staff stand.
const [W, S, E, N] = [120.55, 27.9, 120.8, 28.1];
const ROLES: (StaffRole | undefined)[] = ['grid_worker', 'police', 'urban_management', 'comprehensive', 'volunteer', undefined];
const DUTY: Duty[] = ['available', 'busy', 'sos', 'off'];
const GRIDS = ['G1', 'G2', 'G3'];

function member(r: () => number, i: number): StaffLive {
  return {
    id: `S${i}`,
    role: ROLES[Math.floor(r() * ROLES.length)],
    duty: DUTY[Math.floor(r() * DUTY.length)]!,
    grid: GRIDS[Math.floor(r() * GRIDS.length)],
    lon: W + r() * (E - W),
    lat: S + r() * (N - S),
    t: 0,
  };
}

/** Every cell at every resolution with its count and histogram, in a stable order. */
function dump(a: StaffAggregate): string[] {
  const out: string[] = [];
  for (let res = COARSE_RES; res <= FINE_RES; res++) {
    for (const c of a.cellsAt(res)) out.push(`${res} ${c.id} ${c.n} ${Array.from(c.hist).join(',')}`);
  }
  return out.sort();
}

describe('hex locator', () => {
  it('finds the cell H3 finds, for scattered points and for walks', () => {
    const r = rng(7);
    const loc = new HexLocator(FINE_RES);
    let prev = null;
    let lon = 120.65;
    let lat = 28.0;
    for (let i = 0; i < 20_000; i++) {
      // Half jumps anywhere in the core, half walks of a few metres to a few hundred.
      if (i % 2) {
        lon = W + r() * (E - W);
        lat = S + r() * (N - S);
      } else {
        lon += (r() - 0.5) * 0.004;
        lat += (r() - 0.5) * 0.004;
      }
      const got = loc.locate(lon, lat, prev);
      expect(got.id).toBe(latLngToCell(lat, lon, FINE_RES));
      prev = got;
    }
  });

  it('asks H3 for few of a crowd, and for none of their steps', () => {
    const r = rng(9);
    const loc = new HexLocator(FINE_RES);
    // 20,000 people in 2 km × 2 km (some 300 cells): a snapshot of a dense district.
    const crowd = Array.from({ length: 20_000 }, () => [120.65 + r() * 0.02, 28.0 + r() * 0.02] as [number, number]);
    const cells = crowd.map(([x, y]) => loc.locate(x, y, null));
    crowd.forEach(([x, y], i) => expect(cells[i]!.id).toBe(latLngToCell(y, x, FINE_RES)));
    expect(loc.h3Calls).toBeLessThan(2_000);
    // Everyone takes a step of a few metres: a point-in-hexagon test each, H3 only for the odd one near an edge.
    const before = loc.h3Calls;
    crowd.forEach(([x, y], i) => {
      const [sx, sy] = [x + (r() - 0.5) * 4e-5, y + (r() - 0.5) * 4e-5];
      expect(loc.locate(sx, sy, cells[i]!).id).toBe(latLngToCell(sy, sx, FINE_RES));
    });
    expect(loc.h3Calls - before).toBeLessThan(50);
  });
});

describe('staff aggregate', () => {
  it('keeps counts equal to a recount through random moves, duty and role changes, offline flips, departures', () => {
    const r = rng(42);
    const counted = (s: StaffLive) => s.grid !== 'G3';
    const live = new StaffAggregate(counted);
    const staff = new Map<string, { s: StaffLive; offline: boolean }>();
    for (let i = 0; i < 3_000; i++) {
      const s = member(r, i);
      staff.set(s.id, { s, offline: r() < 0.2 });
      live.set(s, staff.get(s.id)!.offline);
    }
    for (let round = 0; round < 20; round++) {
      for (const m of staff.values()) {
        const x = r();
        if (x < 0.5) {
          // a walk: metres, sometimes across a cell's edge
          m.s.lon += (r() - 0.5) * 0.002;
          m.s.lat += (r() - 0.5) * 0.002;
        } else if (x < 0.55) {
          m.s.lon = W + r() * (E - W);
          m.s.lat = S + r() * (N - S);
        } else if (x < 0.6) m.s.duty = DUTY[Math.floor(r() * DUTY.length)]!;
        else if (x < 0.62) m.s.role = ROLES[Math.floor(r() * ROLES.length)];
        else if (x < 0.65) m.offline = !m.offline;
        else if (x < 0.67) m.s.grid = GRIDS[Math.floor(r() * GRIDS.length)];
        else continue;
        live.set(m.s, m.offline);
      }
      for (const id of [...staff.keys()].filter(() => r() < 0.01)) {
        staff.delete(id);
        live.delete(id);
      }
      // As a snapshot does it: whoever it no longer holds is forgotten.
      for (const id of [...staff.keys()].filter(() => r() < 0.01)) staff.delete(id);
      live.retain((id) => staff.has(id));
    }
    const recount = new StaffAggregate(counted);
    for (const m of staff.values()) recount.set(m.s, m.offline);
    expect(dump(live)).toEqual(dump(recount));
    expect(Array.from(live.total)).toEqual(Array.from(recount.total));
    // Each resolution adds up to everyone counted.
    const want = [...staff.values()].filter((m) => counted(m.s)).length;
    for (let res = COARSE_RES; res <= FINE_RES; res++) {
      expect([...live.cellsAt(res)].reduce((n, c) => n + c.n, 0)).toBe(want);
    }
  });

  it('reports a cell changed only when its count changes', () => {
    const a = new StaffAggregate(() => true);
    const s: StaffLive = { id: 'S1', role: 'police', duty: 'available', lon: 120.65, lat: 28.0, t: 0 };
    a.set(s, false);
    const home = latLngToCell(s.lat, s.lon, FINE_RES);
    expect(a.takeDirty(FINE_RES)).toEqual([home]);
    for (let res = COARSE_RES; res < FINE_RES; res++) expect(a.takeDirty(res)).toEqual([cellToParent(home, res)]);
    // A step of a few centimetres: the same cell, nothing to redraw at any resolution.
    a.set({ ...s, lon: s.lon + 1e-7 }, false);
    // Busy, then offline: the popup's counts change, the hexagon does not.
    a.set({ ...s, duty: 'busy' }, true);
    for (let res = COARSE_RES; res <= FINE_RES; res++) expect(a.takeDirty(res)).toEqual([]);
    expect(a.figures(a.get(FINE_RES, home)!)).toMatchObject({ n: 1, offline: 1, byDuty: new Map([['busy', 1]]) });
    // 300 m east: another fine cell (its parents may or may not change).
    a.set({ ...s, lon: s.lon + 0.003 }, false);
    const there = latLngToCell(s.lat, s.lon + 0.003, FINE_RES);
    expect(a.takeDirty(FINE_RES).sort()).toEqual([home, there].sort());
    expect(a.get(FINE_RES, home)).toBeUndefined();
    expect(a.get(FINE_RES, there)?.n).toBe(1);
  });

  it('counts only the members in scope, and their figures agree with the store', () => {
    const r = rng(3);
    const store = new StaffStore(() => 100);
    const all = Array.from({ length: 500 }, (_, i) => ({ ...member(r, i), t: r() < 0.3 ? 0 : 100 }));
    store.staleAfterMs = 50;
    store.applySnapshot(all);
    const inScope = (s: StaffLive) => s.grid === 'G1';
    const a = new StaffAggregate(inScope);
    for (const s of store.byId.values()) a.set(s, store.isOffline(s.id));
    // Counted again the plain way, member by member.
    const want = new Map<RoleKey, { online: number; onDuty: number; busy: number }>();
    for (const s of store.byId.values()) {
      if (!inScope(s)) continue;
      const key = s.role ?? 'unknown';
      const c = want.get(key) ?? { online: 0, onDuty: 0, busy: 0 };
      want.set(key, c);
      if (!store.isOffline(s.id)) c.online++;
      if (onDuty(s.duty)) c.onDuty++;
      if (s.duty === 'busy') c.busy++;
    }
    const got = a.countsByRole();
    for (const role of [...want.keys(), ...got.keys()]) {
      expect(got.get(role) ?? { online: 0, onDuty: 0, busy: 0 }).toEqual(want.get(role) ?? { online: 0, onDuty: 0, busy: 0 });
    }
    const g1 = all.filter(inScope).length;
    expect([...a.cellsAt(COARSE_RES)].reduce((n, c) => n + c.n, 0)).toBe(g1);
    // Moving a member out of scope takes them out of the counts.
    const one = store.byId.get(all.find(inScope)!.id)!;
    one.grid = 'G2';
    a.set(one, false);
    expect([...a.cellsAt(COARSE_RES)].reduce((n, c) => n + c.n, 0)).toBe(g1 - 1);
  });

  it('gives every class its own slot', () => {
    const seen = new Set<number>();
    for (const role of ROLES) for (const duty of DUTY) for (const off of [false, true]) seen.add(classOf(role, duty, off));
    expect(seen.size).toBe(ROLES.length * DUTY.length * 2);
  });
});

describe('staff hexagons on the map', () => {
  it('writes a resolution whole, then only the cells that changed', () => {
    const a = new StaffAggregate(() => true);
    const hexes = new StaffHexes(a);
    const s: StaffLive = { id: 'S1', duty: 'available', lon: 120.65, lat: 28.0, t: 0 };
    a.set(s, false);
    a.set({ ...s, id: 'S2', lon: 120.7 }, false);
    const whole = hexes.show(8);
    expect(whole && 'data' in whole && whole.data.features).toHaveLength(4); // two cells, hexagon and label each
    expect(hexes.patch()).toBeNull();
    a.set({ ...s, id: 'S3' }, false); // joins S1's cell
    a.delete('S2'); // empties the other
    const diff = hexes.patch();
    // (a coarser cell is the finest cell's parent, which near an edge need not be the cell H3 gives the point at that resolution)
    const c1 = cellToParent(latLngToCell(28.0, 120.65, FINE_RES), 8);
    const c2 = cellToParent(latLngToCell(28.0, 120.7, FINE_RES), 8);
    expect(diff && 'diff' in diff && diff.diff.update?.map((u) => u.id)).toEqual([c1, `${c1}:n`]);
    expect(diff && 'diff' in diff && diff.diff.remove).toEqual([c2, `${c2}:n`]);
    expect(hexes.show(8)).toBeNull();
    expect(hexes.show(null)).toEqual({ data: { type: 'FeatureCollection', features: [] } });
  });

  it('switches to markers from street zoom, later in a crowd', () => {
    expect(hexResolutionFor(9, () => 0)).toBe(6);
    expect(hexResolutionFor(13.5, () => 0)).toBe(9);
    expect(hexResolutionFor(MARKER_ZOOM, () => 100)).toBeNull();
    expect(hexResolutionFor(MARKER_ZOOM, () => MARKER_BUDGET + 1)).toBe(FINE_RES);
    expect(hexResolutionFor(ALWAYS_MARKERS_ZOOM, () => 1e6)).toBeNull();
  });

  it('writes a street of markers often, a crowd of them less often', () => {
    expect(markerWriteMs(0)).toBe(MARKER_WRITE_MIN_MS);
    expect(markerWriteMs(300)).toBe(MARKER_WRITE_MIN_MS);
    expect(markerWriteMs(3000)).toBeGreaterThan(MARKER_WRITE_MIN_MS);
    expect(markerWriteMs(3000)).toBeLessThan(markerWriteMs(4000));
    expect(markerWriteMs(MARKER_BUDGET)).toBe(MARKER_WRITE_MAX_MS);
  });
});

describe('staff markers', () => {
  const at = (id: string, lon: number, lat: number): StaffLive => ({ id, duty: 'available', lon, lat, t: 0 });

  it('holds only the members around the view, and follows them in and out', () => {
    const byId = new Map([at('A', 0.5, 0.5), at('B', 5, 5)].map((s) => [s.id, s]));
    const p = new StaffPoints((s) => staffFeature(s, false));
    expect(p.follow(null, byId.values())).toBeNull();
    const w = p.follow([0, 0, 1, 1], byId.values());
    expect(w && 'data' in w && w.data.features.map((f) => f.properties?.id)).toEqual(['A']);
    // A pan inside the margin: no rewrite.
    expect(p.follow([0.2, 0.2, 1.2, 1.2], byId.values())).toBeNull();
    byId.set('A', at('A', 9, 9)); // walked out
    byId.set('C', at('C', 0.1, 0.1)); // walked in
    byId.set('D', at('D', 0.3, 0.3));
    p.patch(['D'], (id) => byId.get(id));
    byId.set('D', at('D', 0.4, 0.4)); // moved within
    const d = p.patch(['A', 'C', 'D', 'B'], (id) => byId.get(id));
    expect(d && 'diff' in d && d.diff.remove).toEqual(['A']);
    expect(d && 'diff' in d && d.diff.add?.map((f) => f.properties?.id)).toEqual(['C']);
    expect(d && 'diff' in d && d.diff.update?.map((u) => u.id)).toEqual(['D']);
    expect([...p.shown.keys()].sort()).toEqual(['C', 'D']);
    expect(p.follow(null, byId.values())).toEqual({ data: { type: 'FeatureCollection', features: [] } });
  });

  it('tells a jump from a step at the zoom drawn', () => {
    const byId = new Map([at('A', 120.65, 28.0), at('B', 120.66, 28.0)].map((s) => [s.id, s]));
    const p = new StaffPoints((s) => staffFeature(s, false));
    p.follow([120.6, 27.95, 120.7, 28.05], byId.values());
    const get = (id: string) => byId.get(id);
    const z15 = metresPerPixel(15, 28.0); // about 2.1 m a pixel
    expect(z15).toBeGreaterThan(2);
    expect(z15).toBeLessThan(2.2);
    byId.set('A', at('A', 120.65005, 28.00005)); // 7 m: a walker's step
    expect(p.dueNow(['A'], get, z15)).toBe(false);
    byId.set('B', at('B', 120.662, 28.0015)); // about 260 m: a jump
    expect(p.dueNow(['A', 'B'], get, z15)).toBe(true);
    // the same 260 m seen from far out is a step of a few pixels
    expect(p.dueNow(['B'], get, metresPerPixel(11, 28.0))).toBe(false);
    // drawn where it is now: no longer a jump
    p.patch(['B'], get);
    expect(p.dueNow(['B'], get, z15)).toBe(false);
    // not drawn (outside the box, or gone): never a jump
    byId.set('C', at('C', 121.5, 28.0));
    expect(p.dueNow(['C', 'Gone'], get, z15)).toBe(false);
  });

  it('tells a marker that would look different from one that only moved', () => {
    const byId = new Map([at('A', 0.5, 0.5), at('B', 0.6, 0.6), at('Far', 5, 5)].map((s) => [s.id, s]));
    const offline = new Set<string>();
    const p = new StaffPoints((s) => staffFeature(s, offline.has(s.id)));
    p.follow([0, 0, 1, 1], byId.values());
    const get = (id: string) => byId.get(id);
    // Infinitely many metres a pixel: no move is a jump, only a look counts.
    const looksChanged = (ids: string[]) => p.dueNow(ids, get, Infinity);
    byId.set('A', at('A', 0.7, 0.7));
    expect(looksChanged(['A'])).toBe(false);
    byId.set('Far', { ...at('Far', 5.1, 5.1), duty: 'busy' }); // not drawn: whatever it looks like
    expect(looksChanged(['Far', 'Gone'])).toBe(false);
    byId.set('B', { ...at('B', 0.6, 0.6), duty: 'sos' });
    expect(looksChanged(['A', 'B'])).toBe(true);
    p.patch(['A', 'B'], get);
    expect(looksChanged(['A', 'B'])).toBe(false);
    offline.add('A');
    expect(looksChanged(['A'])).toBe(true);
  });
});

describe('counts per cell from the server (staff_cells)', () => {
  // The server's lists, in another order than this client's and with a role it does not know.
  const legend = { roles: ['police', 'grid_worker', 'drone'], duties: ['off', 'available', 'busy', 'sos'] };
  const server = (role: number, duty: number, offline: boolean) => (role * 4 + duty) * 2 + (offline ? 1 : 0);

  it('maps the server classes to ours by name', () => {
    const h = new CellLegend(legend).hist([
      [server(0, 2, false), 3],
      [server(1, 1, true), 2],
      [server(2, 3, false), 1],
      [999, 5],
    ]);
    expect(h[classOf('police', 'busy', false)]).toBe(3);
    expect(h[classOf('grid_worker', 'available', true)]).toBe(2);
    expect(h[classOf(undefined, 'sos', false)]).toBe(1);
    expect(h.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('holds what counting the members holds, through changes and emptied cells', () => {
    const r = rng(11);
    const people = Array.from({ length: 3_000 }, (_, i) => member(r, i));
    const byMembers = new StaffAggregate(() => true);
    const byCells = new StaffAggregate(() => true);
    for (let round = 0; round < 3; round++) {
      // Some move far, some leave, the rest stay.
      for (const [i, p] of people.entries()) {
        if (round > 0 && r() < 0.5) people[i] = { ...member(r, i), id: p.id };
      }
      const kept = people.filter(() => r() > 0.1 * round);
      const offline = (id: string) => id.endsWith('7');
      for (const p of kept) byMembers.set(p, offline(p.id));
      const ids = new Set(kept.map((p) => p.id));
      byMembers.retain((id) => ids.has(id));
      // What the server would send: every fine cell's histogram, and the emptied ones with none.
      const sent = new Set<string>();
      for (const c of byMembers.cellsAt(FINE_RES)) {
        byCells.setCell(c.id, c.hist);
        sent.add(c.id);
      }
      for (const c of [...byCells.cellsAt(FINE_RES)]) if (!sent.has(c.id)) byCells.setCell(c.id, new Int32Array(0));
      expect(dump(byCells)).toEqual(dump(byMembers));
      expect(Array.from(byCells.total)).toEqual(Array.from(byMembers.total));
      expect(byCells.countsByRole()).toEqual(byMembers.countsByRole());
    }
    // Only the cells whose count changed are reported to the map.
    byCells.takeDirty(FINE_RES);
    const [first] = byCells.cellsAt(FINE_RES);
    const moved = Int32Array.from(first!.hist);
    const k = moved.findIndex((v) => v > 0);
    moved[k]!--;
    moved[(k + 2) % moved.length]!++;
    byCells.setCell(first!.id, moved);
    expect(byCells.takeDirty(FINE_RES)).toEqual([]);
    moved[k]! += 5;
    byCells.setCell(first!.id, moved);
    expect(byCells.takeDirty(FINE_RES)).toEqual([first!.id]);
  });

  it('reads ?staff=cells and ?staff=members, anything else is automatic', () => {
    expect(staffParam('?staff=cells')).toBe('cells');
    expect(staffParam('?staff=MEMBERS')).toBe('members');
    expect(staffParam('?staff=yes')).toBe('auto');
    expect(staffParam('')).toBe('auto');
  });
});
