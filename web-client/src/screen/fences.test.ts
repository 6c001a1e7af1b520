import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../shared/api';
import type { Api } from '../shared/api';
import type { Fence } from '../shared/fences';
import { missingTranslations, setLang } from '../shared/i18n';
import { FENCE_LAYERS, fenceFeatures, fenceLabelPoint, FenceLayer, fencePopupHtml } from './fenceLayer';
import { layersPanelHtml } from './layersPanel';
import { DEFAULT_OFF, GROUP_LAYERS, LAYER_GROUPS } from './mapLayers';

afterEach(() => setLang('zh'));

const square: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[120.65, 28.01], [120.652, 28.01], [120.652, 28.012], [120.65, 28.012], [120.65, 28.01]]] };

const fence = (over: Partial<Fence> = {}): Fence => ({
  id: 'F1', name: '水库警戒区', detect: ['enter', 'exit'], updated_ms: Date.UTC(2026, 11, 4, 1, 30) /* 09:30 in the city */, updated_by: 'admin', geometry: square, ...over,
});

describe('电子围栏 on the big screen', () => {
  it('is a layer group of its own, off at first, named in both languages', () => {
    expect(LAYER_GROUPS).toContain('fences');
    expect(GROUP_LAYERS.fences).toEqual(FENCE_LAYERS);
    expect(FENCE_LAYERS).toEqual(['fence-fill', 'fence-line', 'fence-label']);
    expect(DEFAULT_OFF.has('fences')).toBe(true);
    const visible = new Set(LAYER_GROUPS.filter((g) => !DEFAULT_OFF.has(g)));
    const html = layersPanelHtml({ visible, heatLayer: 'staff', analysisOpen: false, assessmentOpen: false });
    expect(html).toContain('data-layer="fences" />');
    expect(html).toContain('电子围栏');
    setLang('en');
    expect(layersPanelHtml({ visible: new Set(['fences']), heatLayer: 'staff', analysisOpen: false, assessmentOpen: false })).toContain('data-layer="fences" checked/> Geofences');
  });
  it('draws each fence as its shape and a point for its name, both carrying its id', () => {
    const multi = fence({ id: 'F2', name: '工地', detect: ['exit'], geometry: { type: 'MultiPolygon', coordinates: [square.coordinates] } });
    const fc = fenceFeatures([fence(), multi]);
    expect(fc.features.map((f) => [f.geometry.type, f.properties!.id, f.properties!.name, f.properties!.detect])).toEqual([
      ['Polygon', 'F1', '水库警戒区', 'enter,exit'],
      ['Point', 'F1', '水库警戒区', 'enter,exit'],
      ['MultiPolygon', 'F2', '工地', 'exit'],
      ['Point', 'F2', '工地', 'exit'],
    ]);
    expect(fenceFeatures([]).features).toEqual([]);
  });
  it('writes the name inside the fence: the middle of its extent, or the middle of the widest stretch inside it', () => {
    const [lon, lat] = fenceLabelPoint(square);
    expect(lon).toBeCloseTo(120.651, 6);
    expect(lat).toBeCloseTo(28.011, 6);
    // A U open to the north: the middle of its box is in the gap; its left arm is as wide as its right.
    const u: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]] };
    expect(fenceLabelPoint(u)).toEqual([0.5, 1.5]);
    // An L: across its middle latitude, its upright.
    const l: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4], [0, 0]]] };
    expect(fenceLabelPoint(l)).toEqual([0.5, 2]);
    // Two parts apart: inside the first.
    const two: GeoJSON.MultiPolygon = { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]], [[[5, 0], [6, 0], [6, 1], [5, 1], [5, 0]]]] };
    expect(fenceLabelPoint(two)).toEqual([0.5, 0.5]);
  });
  it("opens a popup with the fence's name, what it reports, its id and who saved it, escaped, in both languages", () => {
    const html = fencePopupHtml(fence({ name: '<b>x</b>' }), 'zh');
    for (const s of ['data-fence="F1"', '&lt;b&gt;x&lt;/b&gt;', '电子围栏', '进入、离开提醒', 'data-detect="enter,exit"', 'F1 · 12-04 09:30 由 admin 更新']) expect(html).toContain(s);
    expect(html).not.toContain('<b>x</b>');
    const en = fencePopupHtml(fence({ detect: ['enter'], updated_ms: null, updated_by: null }), 'en');
    for (const s of ['Geofence', 'Alert on entering']) expect(en).toContain(s);
    expect(en).not.toContain('Updated');
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});

/** A stand-in for the map: its `fences` source's writes. */
function fakeMap() {
  const writes: GeoJSON.FeatureCollection[] = [];
  const map = {
    on: () => map,
    getCanvas: () => ({ style: {} }),
    getLayer: () => undefined,
    getSource: (id: string) => (id === 'fences' ? { setData: (d: GeoJSON.FeatureCollection) => writes.push(d) } : undefined),
    queryRenderedFeatures: () => [],
  };
  return { map: map as unknown as ConstructorParameters<typeof FenceLayer>[1], writes };
}

const answer = (features: GeoJSON.Feature[]) => ({ type: 'FeatureCollection', features });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the 电子围栏 layer', () => {
  it('reads GET /api/fences each time it is switched on, not while off', async () => {
    const asked: string[] = [];
    let features: GeoJSON.Feature[] = [{ type: 'Feature', id: 'F1', geometry: square, properties: { name: '水库警戒区' } }];
    const api = { get: async (path: string) => (asked.push(path), answer(features)) } as unknown as Api;
    const { map, writes } = fakeMap();
    const layer = new FenceLayer(api, map);
    layer.show(true);
    await flush();
    expect(asked).toEqual(['/api/fences']);
    expect(layer.loads).toBe(1);
    expect(layer.fences.map((f) => f.id)).toEqual(['F1']);
    expect(writes.at(-1)!.features).toHaveLength(2);
    layer.show(true); // already on: nothing read
    layer.show(false);
    features = [];
    await flush();
    expect(asked).toHaveLength(1);
    layer.show(true);
    await flush();
    expect(asked).toHaveLength(2);
    expect(writes.at(-1)!.features).toEqual([]);
    expect(layer.openAt([0, 0], { lng: 0, lat: 0 } as never)).toBe(false);
  });
  it('draws none, quietly, for a login that may not read them (403); keeps what it drew on a failure of the moment', async () => {
    let refusal: unknown = new Error('offline');
    const api = {
      get: async () => (refusal ? Promise.reject(refusal) : answer([{ type: 'Feature', id: 'F1', geometry: square, properties: { name: '水库警戒区' } }])),
    } as unknown as Api;
    const { map, writes } = fakeMap();
    const layer = new FenceLayer(api, map);
    const read = async () => {
      layer.show(false);
      layer.show(true);
      await flush();
    };
    await read();
    expect([layer.loads, layer.fences.length, writes.at(-1)!.features.length]).toEqual([1, 0, 0]);
    refusal = null;
    await read();
    expect(writes.at(-1)!.features).toHaveLength(2);
    refusal = new Error('offline');
    await read();
    expect(layer.fences.map((f) => f.id)).toEqual(['F1']);
    expect(writes.at(-1)!.features).toHaveLength(2);
    refusal = new ApiError(403, 'forbidden', 'fences are for the command centre');
    await read();
    expect(layer.loads).toBe(4);
    expect((layer.error as ApiError).status).toBe(403);
    expect(layer.fences).toEqual([]);
    expect(writes.at(-1)!.features).toEqual([]);
  });
});
