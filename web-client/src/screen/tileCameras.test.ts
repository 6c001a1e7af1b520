// Cameras on vector tiles: cones from the features held for the view (once
// each), live online states as feature-state, the snapshot's catch-up, the
// layers panel's count from numberMatched.

import type { Map as MapLibreMap } from 'maplibre-gl';
import { describe, expect, it, vi } from 'vitest';
import type { Api } from '../shared/api';
import type { CameraInfo } from '../shared/types';
import { CameraStates, snapshotCovers, type KnownCamera, type TreeLookup } from './cameraHealth';
import { CameraLayer, type CameraWall } from './cameraLayer';
import { cameraPopupHtml, popupCamera } from './cameraPopup';
import { CONE_MIN_ZOOM, conesInView } from './cones';
import { cameraItemPath, featureId, itemProperties, tileCameraPoint, tileCameraPoints, uniqueById, type SourceFeature } from './tileCameras';

/** A camera as a vector tile carries it (querySourceFeatures' shape). */
const tileCamera = (id: string, lon: number, lat: number, extra: Record<string, unknown> = {}): SourceFeature => ({
  id,
  geometry: { type: 'Point', coordinates: [lon, lat] },
  properties: { id, name: `摄像头 ${id}`, online: true, range_m: 60, owner: '公安', count: 1, ...extra },
});

const pushed = (over: Partial<CameraInfo> = {}): CameraInfo => ({
  id: 'C1', name: '路口', lon: 120.6, lat: 28.0, heading: 90, fov: 60, range_m: 80, online: true, owner: '公安', stream_url: null, ...over,
});

describe('tile cameras', () => {
  it('one feature per id (tile buffers and parent tiles hold a camera twice)', () => {
    const a = tileCamera('C1', 120.6, 28.0);
    const twice = [a, tileCamera('C2', 120.61, 28.0), { ...a }, tileCamera('C1', 120.6, 28.0)];
    expect(uniqueById(twice).map(featureId)).toEqual(['C1', 'C2']);
    // An id only on the feature (promoteId) counts too; one without any is dropped.
    expect(uniqueById([{ id: 7, geometry: a.geometry, properties: {} }, { geometry: a.geometry, properties: null }]).map(featureId)).toEqual(['7']);
  });

  it("a tile camera's heading, field of view and range; an omnidirectional one has neither", () => {
    expect(tileCameraPoint(tileCamera('C1', 120.6, 28.0, { heading_deg: 45, fov_deg: 90, range_m: 120 }))).toEqual({
      id: 'C1', coordinates: [120.6, 28.0], heading: 45, fov: 90, range_m: 120, online: true,
    });
    expect(tileCameraPoint(tileCamera('C2', 120.6, 28.0, { online: false, range_m: undefined }))).toMatchObject({ heading: null, fov: null, range_m: 50, online: false });
    // The live state, when a push told one, wins.
    expect(tileCameraPoint(tileCamera('C3', 120.6, 28.0), false)!.online).toBe(false);
    expect(tileCameraPoint({ id: 'L', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] }, properties: { id: 'L' } })).toBeNull();
  });

  it('cones from the features held for the view: once per camera, the live state on them, only those in view', () => {
    const features = [
      tileCamera('C1', 120.6, 28.0, { heading_deg: 90, fov_deg: 60 }),
      tileCamera('C1', 120.6, 28.0, { heading_deg: 90, fov_deg: 60 }),
      tileCamera('C2', 120.601, 28.0),
      tileCamera('FAR', 121.5, 29.0),
    ];
    const points = tileCameraPoints(features, (id) => (id === 'C2' ? false : undefined));
    expect(points.map((p) => [p.id, p.online])).toEqual([['C1', true], ['C2', false], ['FAR', true]]);
    const cones = conesInView(points, [120.59, 27.99, 120.61, 28.01]);
    expect(cones.features.map((f) => f.properties)).toEqual([{ id: 'C1', online: true }, { id: 'C2', online: false }]);
    // A sector (apex, 17 arc points, apex) for the one with a heading; a circle for the dome.
    expect(cones.features[0]!.geometry.coordinates[0]!.length).toBe(19);
    expect(cones.features[1]!.geometry.coordinates[0]!.length).toBe(33);
  });

  it('a popup of a tile point standing for several says how many are there; a tile has no stream yet', () => {
    const cam = popupCamera(tileCamera('C1', 120.6, 28.0, { count: 3 }).properties!);
    expect(cam).toMatchObject({ id: 'C1', count: 3, stream_url: null });
    expect(cameraPopupHtml(cam, 'zh')).toContain('此处共 3 个摄像头');
    expect(cameraPopupHtml(cam, 'en')).toContain('3 cameras here');
    expect(cameraPopupHtml(popupCamera(tileCamera('C2', 120.6, 28.0).properties!), 'zh')).not.toContain('camera-count');
  });

  it("the popup's full record comes from the camera's OGC item", () => {
    expect(cameraItemPath('C 1/2')).toBe('/ogc/collections/cameras/items/C%201%2F2');
    expect(itemProperties({ id: 'C1', properties: { name: 'x', stream_url: 'http://gw/C1.m3u8' } })).toEqual({ id: 'C1', name: 'x', stream_url: 'http://gw/C1.m3u8' });
    expect(itemProperties({ id: 'F', properties: { id: 'C1' } }).id).toBe('C1');
  });
});

describe('live camera states on tiles', () => {
  it('a push records the state, and only a change asks for a redraw', () => {
    const s = new CameraStates();
    expect(s.online('C1')).toBeUndefined();
    expect(s.apply(pushed({ online: false }))).toBe(true);
    expect(s.apply(pushed({ online: false }))).toBe(false);
    expect(s.takeChanges()).toEqual(new Map([['C1', false]]));
    expect(s.takeChanges().size).toBe(0);
    expect(s.offline()).toBe(1);
    expect(s.apply(pushed({ online: true }))).toBe(true);
    expect(s.takeChanges()).toEqual(new Map([['C1', true]]));
    expect(s.offline()).toBe(0);
  });

  const tree: TreeLookup = {
    // Two districts side by side: A west of 120.65, B east of it.
    gridAt: (p) => ({ code: p[0] < 120.65 ? 'A-1' : 'B-1' }),
    within: (code, ancestor) => !!code && (ancestor === 'CITY' || code.startsWith(ancestor ?? '')),
  };
  const city = { bbox: [120.5, 27.9, 120.8, 28.1] as [number, number, number, number], area: 'CITY' };
  const districtA = { bbox: [120.5, 27.9, 120.65, 28.1] as [number, number, number, number], area: 'A' };

  it('a snapshot lists the cameras down; one known down that it covers and leaves out is up again', () => {
    const s = new CameraStates();
    const covers = (here: typeof city) => (k: KnownCamera) => snapshotCovers(here, k, tree);
    // The whole city: two down, positions unknown.
    expect(s.applyOffline(['C1', 'C2'], city, covers(city))).toBe(true);
    expect(s.offline()).toBe(2);
    // Drilled into district A: nothing listed. C1 and C2 were listed by the
    // city, which A does not cover all of: they stay down.
    expect(s.applyOffline([], districtA, covers(districtA))).toBe(false);
    // A camera_update placed C2 in A: now A speaks for it.
    s.apply(pushed({ id: 'C2', online: false, lon: 120.6, lat: 28.0 }));
    s.takeChanges();
    expect(s.applyOffline([], districtA, covers(districtA))).toBe(true);
    expect(s.takeChanges()).toEqual(new Map([['C2', true]]));
    // Back to the city, nothing listed: it covers where C1 was listed, so C1 is up too.
    expect(s.applyOffline([], city, covers(city))).toBe(true);
    expect(s.offline()).toBe(0);
  });

  it('a camera placed outside the snapshot is left as it is', () => {
    const k: KnownCamera = { id: 'C9', online: false, at: [120.7, 28.0], seenIn: null };
    expect(snapshotCovers(districtA, k, tree)).toBe(false);
    expect(snapshotCovers(city, k, tree)).toBe(true);
    expect(snapshotCovers({ bbox: null, area: null }, k, tree)).toBe(false);
  });
});

/** A stand-in map with a vector `cameras` source: what the layer writes, what it queries. */
function tileMap(zoom: number, held: SourceFeature[]) {
  const states: { target: unknown; state: unknown }[] = [];
  const eased: unknown[] = [];
  const cones: GeoJSON.FeatureCollection[] = [];
  const map = {
    getSource: (id: string) => (id === 'cameras' ? { type: 'vector' } : id === 'camera_cones' ? { type: 'geojson', setData: (d: GeoJSON.FeatureCollection) => cones.push(d) } : undefined),
    setFeatureState: (target: unknown, state: unknown) => states.push({ target, state }),
    querySourceFeatures: (source: string, o: { sourceLayer: string }) => (source === 'cameras' && o.sourceLayer === 'cameras' ? held : []),
    getZoom: () => zoom,
    getBounds: () => ({ getWest: () => 120.5, getSouth: () => 27.9, getEast: () => 120.8, getNorth: () => 28.1 }),
    on: () => undefined,
    easeTo: (o: unknown) => eased.push(o),
  } as unknown as MapLibreMap;
  return { map, states, cones, eased };
}

describe('the camera layer on tiles', () => {
  const host = (map: MapLibreMap, counts: unknown[] = [], wall: Partial<CameraWall> = {}) => ({
    api: {} as Api,
    map,
    visible: () => true,
    tree: () => null,
    showCounts: (c: unknown) => counts.push(c),
    wall: () => ({ add: () => undefined, cameraChanged: () => undefined, statesChanged: () => undefined, ...wall }),
  });

  it("tells the video wall each camera's new state, pushed or from a snapshot", () => {
    // The map writes wait for a frame, which never comes here.
    vi.stubGlobal('requestAnimationFrame', () => 0);
    const { map } = tileMap(13, []);
    const told: CameraInfo[] = [];
    const states: (boolean | undefined)[][] = [];
    const layer = new CameraLayer(
      host(map, [], {
        cameraChanged: (c) => told.push(c),
        // What the wall would ask of its tiles' cameras.
        statesChanged: (online) => states.push(['C7', 'C8', 'C9'].map(online)),
      }),
    );
    layer.attach({ tiles: true, total: 3 });
    layer.apply(pushed({ id: 'C9', online: true }));
    expect(told.map((c) => c.id)).toEqual(['C9']);
    // A resync after an outage: the snapshot lists C7 down, no push came.
    layer.applySnapshot(['C7'], { bbox: [120.0, 27.0, 121.0, 29.0], area: null });
    expect(states).toEqual([[false, undefined, true]]);
    vi.unstubAllGlobals();
  });

  it('writes pushed states as feature-state of the tiles, and counts against numberMatched', () => {
    const { map, states } = tileMap(13, []);
    const counts: unknown[] = [];
    const layer = new CameraLayer(host(map, counts));
    layer.attach({ tiles: true, total: 200_000 });
    layer.states.apply(pushed({ id: 'C7', online: false }));
    layer.flush();
    expect(states).toEqual([{ target: { source: 'cameras', sourceLayer: 'cameras', id: 'C7' }, state: { online: false } }]);
    expect(counts.at(-1)).toEqual({ total: 200_000, offline: 1 });
    expect(layer.counts()).toEqual({ total: 200_000, offline: 1 });
  });

  it(`builds every cone in view from the tiles held, from zoom ${CONE_MIN_ZOOM}, deduplicated`, () => {
    const held = [tileCamera('C1', 120.6, 28.0, { heading_deg: 0, fov_deg: 90 }), tileCamera('C1', 120.6, 28.0, { heading_deg: 0, fov_deg: 90 }), tileCamera('C2', 120.7, 28.05)];
    const close = tileMap(CONE_MIN_ZOOM, held);
    const layer = new CameraLayer(host(close.map));
    layer.attach({ tiles: true, total: 2 });
    layer.updateCones();
    expect(close.cones.at(-1)!.features.map((f) => f.properties!.id)).toEqual(['C1', 'C2']);
    // Further out: none, until a camera is clicked.
    const far = tileMap(16, held);
    const layer2 = new CameraLayer(host(far.map));
    layer2.attach({ tiles: true, total: 2 });
    layer2.updateCones();
    expect(far.cones.at(-1)!.features).toEqual([]);
  });

  it('a click on a tile point standing for several zooms in while closer tiles can part them', () => {
    const { map, eased } = tileMap(11, []);
    const layer = new CameraLayer(host(map));
    layer.attach({ tiles: true, total: 9 });
    const f = { properties: { id: 'C1', count: 4 }, geometry: { type: 'Point', coordinates: [120.6, 28.0] } } as never;
    layer.open(f, { lng: 120.6, lat: 28.0 } as never);
    expect(eased).toEqual([{ center: { lng: 120.6, lat: 28.0 }, zoom: 13 }]);
  });
});
