// The server's vector tiles as MapLibre sources: where they are, the login's
// token on their requests, and what differs for code that touches a source
// that may be either GeoJSON or tiles (the source-layer, reloading).
// Which layers are tiled is tileMode.ts's business.

import type {
  FeatureIdentifier,
  Map as MapLibreMap,
  RequestTransformFunction,
  SourceSpecification,
  VectorSourceSpecification,
  VectorTileSource,
} from 'maplibre-gl';
import type { TiledLayer } from './tileMode';

/**
 * The deepest zoom the server cuts tiles for: past it nothing new appears
 * (from zoom 14 only cameras on the same tile unit, 0.6 m, share a point), so MapLibre
 * overzooms the zoom-14 tiles rather than asking for more.
 */
export const TILE_MAXZOOM = 14;

/** The tile URL template of a layer (XYZ, as the server serves it). Absolute: the tiles are fetched from MapLibre's worker. */
export function tileUrl(layer: TiledLayer, origin: string): string {
  return `${origin}/tiles/${layer}/{z}/{x}/{y}.mvt`;
}

/** Whether a request MapLibre is about to make is for this server's tiles (never a basemap's, whatever its path). */
export function isTileRequest(url: string, origin: string): boolean {
  try {
    const u = new URL(url, origin);
    return u.origin === origin && u.pathname.startsWith('/tiles/');
  } catch {
    return false;
  }
}

/**
 * MapLibre's `transformRequest`: the tiles want the same bearer token as the
 * rest of the API, read at each request (a changed password replaces it), and
 * only this server's tiles get it.
 */
export function tileRequestTransform(token: () => string | null, origin: string): RequestTransformFunction {
  return (url) => {
    if (!isTileRequest(url, origin)) return undefined;
    const t = token();
    return t ? { url, headers: { Authorization: `Bearer ${t}` } } : { url };
  };
}

/**
 * A static layer's source. On tiles the feature id is the `id` property
 * (promoteId) so feature-state works (risk shading, live camera health);
 * on GeoJSON the caller's options, as before.
 */
export function staticSource(
  layer: TiledLayer,
  tiled: ReadonlySet<string>,
  origin: string,
  geojson: Omit<Extract<SourceSpecification, { type: 'geojson' }>, 'type' | 'data'> = {},
): SourceSpecification {
  if (!tiled.has(layer)) return { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, ...geojson };
  const vector: VectorSourceSpecification = { type: 'vector', tiles: [tileUrl(layer, origin)], maxzoom: TILE_MAXZOOM, promoteId: 'id' };
  return vector;
}

/** A layer's `source` and, on tiles, its `source-layer` (the server names it after the layer). */
export function sourceOf(source: string, tiled: ReadonlySet<string>): { source: string; 'source-layer'?: string } {
  return tiled.has(source) ? { source, 'source-layer': source } : { source };
}

export function isTiled(map: Pick<MapLibreMap, 'getSource'>, source: string): boolean {
  return map.getSource(source)?.type === 'vector';
}

/** A feature for setFeatureState: a vector source needs its source-layer, a GeoJSON one must not have it. */
export function featureOf(map: Pick<MapLibreMap, 'getSource'>, source: string, id: string): FeatureIdentifier {
  return isTiled(map, source) ? { source, sourceLayer: source, id } : { source, id };
}

/**
 * The server says a layer changed (an import): the tiles in view are asked
 * again. The server's tiles carry an ETag and `no-cache`, so an unchanged
 * tile costs a 304.
 */
export function reloadTiles(map: MapLibreMap, source: string): void {
  const src = map.getSource(source) as VectorTileSource | undefined;
  if (src?.type === 'vector') src.setTiles([...src.tiles]);
}
