// Which static layers the big screen draws from the server's vector tiles and
// which it downloads whole as GeoJSON. A city of 20,000 cameras loads in a few
// seconds as GeoJSON and then pans without a request; a city of 200,000 does
// not load at all that way, so past a threshold the layer comes as tiles,
// fetched only where and when it is looked at. Small cities keep the GeoJSON
// path unchanged (everything the layers do was built on it first).

import type { Api } from '../shared/api';

/** The layers the server cuts into tiles (`GET /tiles/{layer}/{z}/{x}/{y}.mvt`). */
export const TILED_LAYERS = ['areas', 'cameras', 'risk_sources', 'key_places'] as const;
export type TiledLayer = (typeof TILED_LAYERS)[number];

/**
 * Above this many features (the login's own, 分级授权) a layer comes as tiles.
 * The demo city has exactly 20,000 cameras and the browser tests import a
 * few more, so the line is drawn with room above it: the demo stays on
 * GeoJSON, a city of 200,000 cameras does not.
 */
export const TILE_THRESHOLD = 25_000;

/** `?tiles=1` forces tiles for every layer (tests, operators), `?tiles=0` forbids them; otherwise the counts decide. */
export type TilesParam = 'on' | 'off' | 'auto';

export function tilesParam(search: string): TilesParam {
  const v = new URLSearchParams(search).get('tiles')?.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'on') return 'on';
  if (v === '0' || v === 'false' || v === 'off') return 'off';
  return 'auto';
}

/**
 * Whether a layer of `matched` features is drawn from tiles. An unknown count
 * (the question failed) keeps today's GeoJSON path unless tiles are forced.
 */
export function chooseTiles(param: TilesParam, matched: number | null): boolean {
  if (param !== 'auto') return param === 'on';
  return matched !== null && matched > TILE_THRESHOLD;
}

export interface LayerPlan {
  tiles: boolean;
  /** The layer's feature count for the login (`numberMatched`), null when not asked or not answered. */
  total: number | null;
}

export type SourcePlan = Record<TiledLayer, LayerPlan>;

/** Every layer on GeoJSON: the plan before (or without) asking. */
export const GEOJSON_PLAN: SourcePlan = Object.fromEntries(TILED_LAYERS.map((l) => [l, { tiles: false, total: null }])) as SourcePlan;

/** The layers a plan draws from tiles. */
export function tiledIn(plan: SourcePlan): Set<TiledLayer> {
  return new Set(TILED_LAYERS.filter((l) => plan[l].tiles));
}

/** How many features of a collection the login may see: one feature asked for, `numberMatched` read. */
export async function countFeatures(api: Api, layer: TiledLayer | 'staff'): Promise<number | null> {
  try {
    const page = await api.get<{ numberMatched?: number }>(`/ogc/collections/${layer}/items`, { limit: 1 });
    return typeof page.numberMatched === 'number' ? page.numberMatched : null;
  } catch {
    return null;
  }
}

export const MVT_TYPE = 'application/vnd.mapbox-vector-tile';

/**
 * Whether the server cuts tiles at all: its smallest tile, asked once. One
 * without them answers 404, or its page for any path (not a tile's type).
 */
export async function tilesServed(api: Api, layer: TiledLayer): Promise<boolean> {
  try {
    return (await api.blob(`/tiles/${layer}/0/0/0.mvt`)).type.startsWith(MVT_TYPE);
  } catch {
    return false;
  }
}

/**
 * The plan for this page: with `?tiles=0` nothing is asked (today's path
 * exactly); otherwise each layer's count, in parallel, decides (and, on tiles,
 * is the layers panel's total, since the client never holds them all). A
 * large city on a server without tiles keeps GeoJSON, slow but drawn;
 * `?tiles=1` does not ask, so a missing tile service shows as such.
 */
export async function decideSources(api: Api, search: string): Promise<SourcePlan> {
  const param = tilesParam(search);
  if (param === 'off') return GEOJSON_PLAN;
  const counts = await Promise.all(TILED_LAYERS.map((l) => countFeatures(api, l)));
  const plan = Object.fromEntries(
    TILED_LAYERS.map((l, i) => [l, { tiles: chooseTiles(param, counts[i]!), total: counts[i]! }]),
  ) as SourcePlan;
  const first = TILED_LAYERS.find((l) => plan[l].tiles);
  if (param === 'auto' && first && !(await tilesServed(api, first))) {
    for (const l of TILED_LAYERS) plan[l] = { ...plan[l], tiles: false };
  }
  return plan;
}
