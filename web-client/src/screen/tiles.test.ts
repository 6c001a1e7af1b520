// Vector tiles (矢量瓦片): which layers go to tiles, the token on the tile
// requests, and the map style on either source — validated by MapLibre's own
// style specification, and its camera expressions evaluated as MapLibre
// would, with and without the live feature-state.

import {
  createPropertyExpression,
  featureFilter,
  type FilterSpecification,
  latest,
  validateStyleMin,
  type LayerSpecification,
  type SourceSpecification,
  type StylePropertySpecification,
} from '@maplibre/maplibre-gl-style-spec';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import type { Api } from '../shared/api';
import { cameraColour, cameraCountLabel, CAMERA_OFFLINE_COLOUR, CAMERA_ONLINE_COLOUR } from './cameraStyle';
import { addRiskmapLayers, areaCodeOf, areaIs } from './mapLayers';
import { chooseTiles, decideSources, GEOJSON_PLAN, MVT_TYPE, TILE_THRESHOLD, tiledIn, tilesParam, type TiledLayer } from './tileMode';
import { featureOf, isTileRequest, sourceOf, staticSource, tileRequestTransform, tileUrl, TILE_MAXZOOM } from './tileSources';

const ORIGIN = 'https://riskmap.example';

describe('which layers come as tiles', () => {
  it('reads ?tiles=1 and ?tiles=0, anything else lets the counts decide', () => {
    expect(tilesParam('?tiles=1')).toBe('on');
    expect(tilesParam('?basemap=x&tiles=0')).toBe('off');
    expect(tilesParam('?tiles=true')).toBe('on');
    expect(tilesParam('')).toBe('auto');
    expect(tilesParam('?tiles=maybe')).toBe('auto');
  });

  it('tiles above the threshold only, unless forced either way', () => {
    expect(chooseTiles('auto', TILE_THRESHOLD)).toBe(false);
    expect(chooseTiles('auto', TILE_THRESHOLD + 1)).toBe(true);
    expect(chooseTiles('auto', 200_000)).toBe(true);
    expect(chooseTiles('auto', null)).toBe(false);
    expect(chooseTiles('on', 3)).toBe(true);
    expect(chooseTiles('on', null)).toBe(true);
    expect(chooseTiles('off', 200_000)).toBe(false);
  });

  /**
   * An API answering each collection's count (numberMatched), or failing for
   * those missing; its tiles answer unless `noTiles` (an older server: 404).
   */
  function countingApi(counts: Partial<Record<TiledLayer, number>>, noTiles: false | '404' | 'page' = false): { api: Api; asked: string[] } {
    const asked: string[] = [];
    const api = {
      get: async (path: string, params: Record<string, unknown>) => {
        asked.push(`${path}?limit=${params.limit}`);
        const layer = path.split('/')[3] as TiledLayer;
        if (counts[layer] === undefined) throw new Error('down');
        return { type: 'FeatureCollection', features: [], numberMatched: counts[layer], numberReturned: 0 };
      },
      blob: async (path: string) => {
        asked.push(path);
        if (noTiles === '404') throw new Error('404');
        return new Blob([], { type: noTiles === 'page' ? 'text/html' : MVT_TYPE });
      },
    } as unknown as Api;
    return { api, asked };
  }

  it('asks each layer for one feature and its numberMatched; a large city gets tiles where it is large', async () => {
    const { api, asked } = countingApi({ areas: 4_000, cameras: 200_000, risk_sources: 30_000, key_places: 9_000 });
    const plan = await decideSources(api, '');
    expect(asked.sort()).toEqual([
      '/ogc/collections/areas/items?limit=1',
      '/ogc/collections/cameras/items?limit=1',
      '/ogc/collections/key_places/items?limit=1',
      '/ogc/collections/risk_sources/items?limit=1',
      // is there a tile service at all: its smallest tile of the first layer needing it
      '/tiles/cameras/0/0/0.mvt',
    ]);
    expect(plan.cameras).toEqual({ tiles: true, total: 200_000 });
    expect(plan.risk_sources.tiles).toBe(true);
    expect(plan.areas).toEqual({ tiles: false, total: 4_000 });
    expect([...tiledIn(plan)].sort()).toEqual(['cameras', 'risk_sources']);
  });

  it('the demo city stays on GeoJSON; ?tiles=1 forces tiles everywhere and still counts; ?tiles=0 asks nothing', async () => {
    // (20,000 cameras, and a few more the browser tests import)
    const demo = { areas: 4_915, cameras: 20_003, risk_sources: 2_000, key_places: 1_500 };
    expect(tiledIn(await decideSources(countingApi(demo).api, '')).size).toBe(0);
    const forced = await decideSources(countingApi(demo).api, '?tiles=1');
    expect(tiledIn(forced).size).toBe(4);
    expect(forced.cameras.total).toBe(20_003);
    const off = countingApi({ cameras: 500_000 });
    expect(await decideSources(off.api, '?tiles=0')).toBe(GEOJSON_PLAN);
    expect(off.asked).toEqual([]);
  });

  it('a server without tiles keeps a large city on GeoJSON; forced, the tiles are not asked first', async () => {
    const large = { areas: 4_000, cameras: 200_000, risk_sources: 30_000, key_places: 9_000 };
    const plan = await decideSources(countingApi(large, '404').api, '');
    expect(tiledIn(plan).size).toBe(0);
    expect(plan.cameras.total).toBe(200_000);
    // One answering its page for any path has no tiles either.
    expect(tiledIn(await decideSources(countingApi(large, 'page').api, '')).size).toBe(0);
    const forced = countingApi(large, '404');
    expect(tiledIn(await decideSources(forced.api, '?tiles=1')).size).toBe(4);
    expect(forced.asked.some((a) => a.startsWith('/tiles/'))).toBe(false);
  });

  it('a count that fails keeps that layer on GeoJSON (unless forced)', async () => {
    const plan = await decideSources(countingApi({ cameras: 50_000 }).api, '');
    expect(plan.cameras.tiles).toBe(true);
    expect(plan.areas).toEqual({ tiles: false, total: null });
    expect((await decideSources(countingApi({}).api, '?tiles=1')).areas).toEqual({ tiles: true, total: null });
  });
});

describe('tile requests', () => {
  it('the URL template is absolute (the worker fetches it) and XYZ', () => {
    expect(tileUrl('cameras', ORIGIN)).toBe('https://riskmap.example/tiles/cameras/{z}/{x}/{y}.mvt');
  });

  it("adds the login's token to this server's tiles only", () => {
    let token: string | null = 'T1';
    const transform = tileRequestTransform(() => token, ORIGIN);
    expect(transform(`${ORIGIN}/tiles/cameras/12/3400/1700.mvt`)).toEqual({
      url: `${ORIGIN}/tiles/cameras/12/3400/1700.mvt`,
      headers: { Authorization: 'Bearer T1' },
    });
    // Read at each request: a new token (password changed) is used at once.
    token = 'T2';
    expect(transform(`${ORIGIN}/tiles/areas/0/0/0.mvt`)).toMatchObject({ headers: { Authorization: 'Bearer T2' } });
    // Not this server's tiles: a basemap's (whatever its path), the API, the style.
    expect(transform('https://tiles.intranet/tiles/base/1/0/0.pbf')).toBeUndefined();
    expect(transform(`${ORIGIN}/ogc/collections/cameras/items`)).toBeUndefined();
    expect(transform(`${ORIGIN}/tilesets/x`)).toBeUndefined();
    token = null;
    expect(transform(`${ORIGIN}/tiles/areas/0/0/0.mvt`)).toEqual({ url: `${ORIGIN}/tiles/areas/0/0/0.mvt` });
  });

  it('recognises relative tile paths as this server', () => {
    expect(isTileRequest('/tiles/risk_sources/9/426/215.mvt', ORIGIN)).toBe(true);
    expect(isTileRequest('not a url at all', ORIGIN)).toBe(false);
  });
});

describe('sources and source-layers', () => {
  const tiled = new Set(['cameras']);

  it('a tiled layer is a vector source promoting `id`, overzoomed past 14; the others stay GeoJSON with their options', () => {
    expect(staticSource('cameras', tiled, ORIGIN, { cluster: true })).toEqual({
      type: 'vector',
      tiles: [`${ORIGIN}/tiles/cameras/{z}/{x}/{y}.mvt`],
      maxzoom: TILE_MAXZOOM,
      promoteId: 'id',
    });
    expect(staticSource('areas', tiled, ORIGIN, { promoteId: 'code' })).toEqual({
      type: 'geojson',
      data: { type: 'FeatureCollection', features: [] },
      promoteId: 'code',
    });
  });

  it('a layer on a tiled source names its source-layer, after the layer', () => {
    expect(sourceOf('cameras', tiled)).toEqual({ source: 'cameras', 'source-layer': 'cameras' });
    expect(sourceOf('areas', tiled)).toEqual({ source: 'areas' });
  });

  it('feature-state targets carry the source-layer on tiles only', () => {
    const map = (type: string) => ({ getSource: () => ({ type }) }) as unknown as Pick<MapLibreMap, 'getSource'>;
    expect(featureOf(map('vector'), 'areas', '330302')).toEqual({ source: 'areas', sourceLayer: 'areas', id: '330302' });
    expect(featureOf(map('geojson'), 'areas', '330302')).toEqual({ source: 'areas', id: '330302' });
  });

  it("an area's code from either source", () => {
    expect(areaCodeOf({ code: '3303', name: 'x' })).toBe('3303');
    expect(areaCodeOf({ id: '3303', level: 'district' })).toBe('3303');
    expect(areaCodeOf(null)).toBe('');
    const f = featureFilter(areaIs('3303'), 'test');
    expect(f.filter({ zoom: 10 }, { type: 3, properties: { code: '3303' } })).toBe(true);
    expect(f.filter({ zoom: 10 }, { type: 3, properties: { id: '3303', level: 'district' } })).toBe(true);
    expect(f.filter({ zoom: 10 }, { type: 3, properties: { id: '3304' } })).toBe(false);
  });
});

/** The style addRiskmapLayers builds, collected from a stand-in map. */
function buildStyle(tiled: ReadonlySet<string>): { sources: Record<string, SourceSpecification>; layers: LayerSpecification[] } {
  const sources: Record<string, SourceSpecification> = {};
  const layers: LayerSpecification[] = [];
  const map = {
    addSource: (id: string, s: SourceSpecification) => (sources[id] = s),
    addLayer: (l: LayerSpecification) => layers.push(l),
  } as unknown as MapLibreMap;
  addRiskmapLayers(map, { tiled, origin: ORIGIN });
  return { sources, layers };
}

describe('the map style on either source', () => {
  const ALL = new Set(['areas', 'cameras', 'risk_sources', 'key_places']);

  for (const [name, tiled] of [['GeoJSON', new Set<string>()], ['tiles', ALL]] as const) {
    it(`is a valid MapLibre style on ${name}`, () => {
      const { sources, layers } = buildStyle(tiled);
      // (glyphs: the validator wants them for text; the page draws its glyphs locally)
      const errors = validateStyleMin({ version: 8, glyphs: 'local://{fontstack}/{range}', sources, layers });
      expect(errors.map((e) => e.message)).toEqual([]);
    });
  }

  it('the same layer ids and paint either way; tiles add only their source-layer', () => {
    const geojson = buildStyle(new Set()).layers;
    const tiles = buildStyle(ALL).layers;
    expect(tiles.map((l) => l.id)).toEqual(geojson.map((l) => l.id));
    tiles.forEach((l, i) => {
      const { 'source-layer': sourceLayer, ...rest } = l as LayerSpecification & { 'source-layer'?: string };
      expect(rest).toEqual(geojson[i]);
      const source = (l as { source?: string }).source;
      expect(sourceLayer).toBe(source && ALL.has(source) ? source : undefined);
    });
  });
});

describe('camera paint', () => {
  const circleColour = latest.paint_circle['circle-color'] as unknown as StylePropertySpecification;
  const textField = latest.layout_symbol['text-field'] as unknown as StylePropertySpecification;
  const colourOf = (properties: Record<string, unknown>, state: Record<string, unknown> = {}) => {
    const e = createPropertyExpression(cameraColour(), 'camera-point', circleColour);
    if (e.result !== 'success') throw new Error(JSON.stringify(e.value));
    return String(e.value.evaluate({ zoom: 15 }, { type: 1, properties }, state));
  };
  const colour = (hex: string) => {
    const e = createPropertyExpression(hex, 'c', circleColour);
    if (e.result !== 'success') throw new Error('colour');
    return String(e.value.evaluate({ zoom: 15 }));
  };

  it("the live state (feature-state) wins over the tile's `online`, which wins over nothing", () => {
    expect(colourOf({ online: true })).toBe(colour(CAMERA_ONLINE_COLOUR));
    expect(colourOf({ online: false })).toBe(colour(CAMERA_OFFLINE_COLOUR));
    expect(colourOf({ online: true }, { online: false })).toBe(colour(CAMERA_OFFLINE_COLOUR));
    expect(colourOf({ online: false }, { online: true })).toBe(colour(CAMERA_ONLINE_COLOUR));
    expect(colourOf({})).toBe(colour(CAMERA_ONLINE_COLOUR));
  });

  it('says how many cameras a point stands for, a cluster or a thinned tile point', () => {
    const label = (properties: Record<string, unknown>) => {
      const e = createPropertyExpression(cameraCountLabel(), 'camera-cluster-count', textField);
      if (e.result !== 'success') throw new Error(JSON.stringify(e.value));
      return String(e.value.evaluate({ zoom: 11 }, { type: 1, properties }));
    };
    expect(label({ count: 37 })).toBe('37');
    expect(label({ count: 1234 })).toBe('1.2k');
    expect(label({ count: 15_400 })).toBe('15k');
    expect(label({ point_count: 52, point_count_abbreviated: '52' })).toBe('52');
  });

  it("MapLibre's clusters keep their ring; a cluster or a tile point standing for several gets its count; every tile point is a camera dot", () => {
    const layers = buildStyle(new Set(['cameras'])).layers;
    const filterOf = (id: string) => featureFilter((layers.find((l) => l.id === id) as { filter?: FilterSpecification }).filter, id);
    const ring = filterOf('camera-cluster');
    const count = filterOf('camera-cluster-count');
    const dot = filterOf('camera-point');
    const at = (properties: Record<string, unknown>) => ({ type: 1 as const, properties });
    expect(ring.filter({ zoom: 11 }, at({ point_count: 8 }))).toBe(true);
    expect(ring.filter({ zoom: 11 }, at({ count: 3 }))).toBe(false);
    expect(count.filter({ zoom: 11 }, at({ count: 3 }))).toBe(true);
    expect(count.filter({ zoom: 11 }, at({ count: 1 }))).toBe(false);
    expect(count.filter({ zoom: 11 }, at({ point_count: 8 }))).toBe(true);
    expect(count.filter({ zoom: 11 }, at({ online: true }))).toBe(false);
    expect(dot.filter({ zoom: 11 }, at({ count: 3 }))).toBe(true);
    expect(dot.filter({ zoom: 11 }, at({ point_count: 8 }))).toBe(false);
  });

  it("a tile camera's dot is small zoomed out and a little larger when it stands for several; GeoJSON's as before", () => {
    const layer = buildStyle(new Set(['cameras'])).layers.find((l) => l.id === 'camera-point') as { paint: Record<string, unknown> };
    const e = createPropertyExpression(layer.paint['circle-radius'], 'camera-point', latest.paint_circle['circle-radius'] as unknown as StylePropertySpecification);
    if (e.result !== 'success') throw new Error(JSON.stringify(e.value));
    const radius = (zoom: number, properties: Record<string, unknown>) => e.value.evaluate({ zoom }, { type: 1, properties });
    expect(radius(10, { online: true })).toBe(3.5);
    expect(radius(16, { online: true })).toBe(3.5);
    expect(radius(10, { count: 1 })).toBe(1.5);
    expect(radius(10, { count: 4 })).toBe(2.5);
    expect(radius(14, { count: 1 })).toBe(3.5);
    expect(radius(15, { count: 4 })).toBe(5);
  });
});
