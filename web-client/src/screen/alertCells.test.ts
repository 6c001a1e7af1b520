import { latLngToCell } from 'h3-js';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SosAlert } from '../shared/types';
import { AlertCells, CELL_BANDS, cellFeatures, COUNT_MAXZOOM } from './alertCells';
import { markedInCrowd, RULE_RINGS_MAX, SosMarkers } from './sosMap';
import { FeaturesDrawn } from './sourceWrite';

const rule = (i: number, lon: number, lat: number, state: SosAlert['state'] = 'open'): SosAlert => ({
  id: `motionless-S${i}-1000`, kind: 'motionless', state, staff_id: `S${i}`, staff_name: `员${i}`, grid: 'G1',
  position: { lon, lat }, duty_before: 'available', helpers: [], raised_ms: 1000, updated_ms: 1000,
  steps: [{ action: 'raised', at_ms: 1000, by: 'riskmap', note: '' }], version: 1,
});

describe("a crowd's counts per hexagon", () => {
  // Three alerts within 40 m of one another, one 20 km away, an SOS and a rule's alert without a position.
  const near = [rule(1, 120.66, 28.01), rule(2, 120.6602, 28.0101, 'acknowledged'), rule(3, 120.6604, 28.0102, 'acknowledged')];
  const far = rule(4, 120.86, 28.01);
  const sos: SosAlert = { ...rule(5, 120.66, 28.01), id: 'sos-S5-1000', kind: 'sos' };
  const nowhere: SosAlert = { ...rule(6, 0, 0), position: null };

  it('counts the rules\' alerts with a position at each resolution, open ones apart, at their mean position', () => {
    const cell = latLngToCell(28.01, 120.66, 7);
    expect(near.map((a) => latLngToCell(a.position!.lat, a.position!.lon, 7))).toEqual([cell, cell, cell]);
    const counts = new AlertCells().count([...near, far, sos, nowhere]);
    const c = counts.get(cell)!;
    expect([c.res, c.n, c.open]).toEqual([7, 3, 1]);
    const [f] = cellFeatures(new Map([[cell, c]]));
    expect(f!.geometry.coordinates).toEqual([120.6602, 28.0101]);
    expect(f!.properties).toEqual({ id: cell, res: 7, n: 3, open: 1 });
    for (const { res } of CELL_BANDS) {
      const at = [...counts.values()].filter((x) => x.res === res);
      expect(at.reduce((sum, x) => sum + x.n, 0)).toBe(4);
      expect(at.length).toBe(2);
    }
  });

  it('writes what changed: a count taken, a cell emptied', () => {
    const cells = new AlertCells();
    const drawn = new FeaturesDrawn((f) => `${f.properties!.n}/${f.properties!.open}/${f.geometry.coordinates.join(',')}`);
    const first = drawn.next(cellFeatures(cells.count([...near, far])));
    expect(first && 'data' in first && first.data.features.length).toBe(4);
    const taken = drawn.next(cellFeatures(cells.count([{ ...near[0]!, state: 'acknowledged' }, near[1]!, near[2]!])));
    if (!taken || !('diff' in taken)) throw new Error(`a diff: ${JSON.stringify(taken)}`);
    // The near cells (both resolutions) now all taken; the far one's two cells gone.
    expect(taken.diff.update?.map((u) => u.addOrUpdateProperties?.find((p) => p.key === 'open')?.value)).toEqual([0, 0]);
    expect(taken.diff.remove).toHaveLength(2);
    expect(taken.diff.add).toEqual([]);
  });
});

/** A map that records what is written to its sources and the markers' zoom range, looking at `view` (zoom, box). */
function fakeMap() {
  const view = { zoom: 12, west: 120.5, south: 27.9, east: 120.9, north: 28.1 };
  const moveend: (() => void)[] = [];
  const writes: { source: string; kind: 'data' | 'diff'; body: unknown }[] = [];
  const source = (name: string) => ({
    setData: (body: unknown) => writes.push({ source: name, kind: 'data', body }),
    updateData: (body: unknown) => writes.push({ source: name, kind: 'diff', body }),
  });
  const sources = { sos: source('sos'), 'rule-cells': source('rule-cells') };
  const setLayerZoomRange = vi.fn();
  const map = {
    on: (type: string, f: () => void) => type === 'moveend' && moveend.push(f),
    getZoom: () => view.zoom,
    getBounds: () => ({ getWest: () => view.west, getSouth: () => view.south, getEast: () => view.east, getNorth: () => view.north }),
    getSource: (id: 'sos' | 'rule-cells') => sources[id],
    getLayer: () => ({}),
    setLayerZoomRange,
  };
  /** The view moved there. */
  const move = (to: Partial<typeof view>) => {
    Object.assign(view, to);
    for (const f of moveend) f();
  };
  return { map: map as unknown as MapLibreMap, writes, setLayerZoomRange, move };
}

/** The ids in the `sos` source after the writes so far (a whole write, then diffs). */
function sosIds(writes: ReturnType<typeof fakeMap>['writes']): string[] {
  const ids = new Set<string>();
  for (const w of writes.filter((x) => x.source === 'sos')) {
    if (w.kind === 'data') {
      ids.clear();
      for (const f of (w.body as GeoJSON.FeatureCollection).features) ids.add(String(f.id));
    } else {
      const d = w.body as { add?: GeoJSON.Feature[]; remove?: (string | number)[] };
      for (const id of d.remove ?? []) ids.delete(String(id));
      for (const f of d.add ?? []) ids.add(String(f.id));
    }
  }
  return [...ids].sort();
}

describe('a crowd of rule alerts on the map', () => {
  afterEach(() => vi.useRealTimers());
  /** Just past RULE_RINGS_MAX rule alerts, 0.01° apart along 28.0 N from 120.6 E, set on a recording map. */
  const crowdOnMap = () => {
    vi.useFakeTimers();
    const fake = fakeMap();
    const markers = new SosMarkers(fake.map);
    markers.set(Array.from({ length: RULE_RINGS_MAX + 1 }, (_, i) => rule(i, 120.6 + i * 0.01, 28.0)));
    return { ...fake, markers };
  };

  it('past RULE_RINGS_MAX is counted below street zoom, its markers only from it; once ended, markers at every zoom again', () => {
    const { writes, setLayerZoomRange, markers } = crowdOnMap();
    expect(setLayerZoomRange).toHaveBeenLastCalledWith('rule-point', COUNT_MAXZOOM, 24);
    const counted = writes.filter((w) => w.source === 'rule-cells');
    expect(counted.map((w) => w.kind)).toEqual(['data']);
    const features = (counted[0]!.body as GeoJSON.FeatureCollection).features;
    expect(features.filter((f) => f.properties!.res === 7).reduce((n, f) => n + Number(f.properties!.n), 0)).toBe(RULE_RINGS_MAX + 1);

    // (Ended rather than few: a few get rings, which are the page's elements.)
    markers.set([]);
    vi.advanceTimersByTime(10_000);
    expect(setLayerZoomRange).toHaveBeenLastCalledWith('rule-point', 0, 24);
    const last = writes.filter((w) => w.source === 'rule-cells').at(-1)!;
    expect(last.kind).toBe('diff');
    expect((last.body as { remove: unknown[] }).remove).toHaveLength(features.length);
    expect(setLayerZoomRange).toHaveBeenCalledTimes(2);
  });

  it("holds a crowd's markers in the source only around the view from street zoom, and follows the view", () => {
    // (an SOS among them would be ringed: an element of the page, see markedInCrowd)
    const { writes, move } = crowdOnMap();
    // zoom 12: counted; none in the source
    expect(sosIds(writes)).toEqual([]);
    const before = writes.length;
    move({ zoom: 12.5, west: 120.55 });
    expect(writes.length).toBe(before); // still below street zoom: nothing written
    // street zoom over 120.60–120.62 (the box: half the view again on each side, 120.59–120.63)
    move({ zoom: 14, west: 120.6, east: 120.62, south: 27.99, north: 28.01 });
    expect(sosIds(writes)).toEqual(['motionless-S0-1000', 'motionless-S1-1000', 'motionless-S2-1000', 'motionless-S3-1000']);
    // a short pan within the box writes nothing; leaving it writes the new box's
    const inBox = writes.length;
    move({ west: 120.595, east: 120.615 });
    expect(writes.length).toBe(inBox);
    move({ west: 120.8, east: 120.82 });
    expect(sosIds(writes)).toEqual(['motionless-S19-1000', 'motionless-S20-1000', 'motionless-S21-1000', 'motionless-S22-1000']);
    // back out: the rules' markers leave the source
    move({ zoom: 11 });
    expect(sosIds(writes)).toEqual([]);
  });

  it('are drawn for every SOS and the rules in the box', () => {
    const sos: SosAlert = { ...rule(99, 121.5, 29.0), id: 'sos-S99-1000', kind: 'sos' };
    const alerts = [rule(1, 120.6, 28.0), rule(2, 120.7, 28.0), sos, { ...rule(3, 120.6, 28.0), position: null }];
    expect(markedInCrowd(alerts, [120.55, 27.95, 120.65, 28.05]).map((a) => a.id)).toEqual(['motionless-S1-1000', 'sos-S99-1000']);
    expect(markedInCrowd(alerts, null).map((a) => a.id)).toEqual(['sos-S99-1000']);
  });
});
