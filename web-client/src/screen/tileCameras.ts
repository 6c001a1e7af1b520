// Cameras as the vector tiles carry them, turned into what the screen draws
// and shows: cone inputs from the features MapLibre holds for the view, and
// the camera's full record (stream_url is not in tiles) for its popup.

import type { Position } from '../shared/geo';
import type { CameraPoint } from './cones';

/** A feature as MapLibre's querySourceFeatures / queryRenderedFeatures return it. */
export interface SourceFeature {
  id?: string | number;
  geometry: GeoJSON.Geometry;
  properties: Record<string, unknown> | null;
}

/** The camera's id: the `id` property (promoteId makes it the feature id too). */
export function featureId(f: SourceFeature): string {
  return String(f.properties?.id ?? f.id ?? '');
}

/**
 * One feature per id: a camera near a tile edge is in the neighbour's buffer
 * too, and a parent tile may still be held beside its children.
 */
export function uniqueById<T extends SourceFeature>(features: T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const f of features) {
    const id = featureId(f);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    out.push(f);
  }
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * A tile camera as a cone's input (heading and field of view are absent for
 * an omnidirectional camera: a circle). `online` is the live state when a
 * push told one, else the tile's.
 */
export function tileCameraPoint(f: SourceFeature, online?: boolean): CameraPoint | null {
  if (f.geometry?.type !== 'Point') return null;
  const p = f.properties ?? {};
  return {
    id: featureId(f),
    coordinates: f.geometry.coordinates.slice(0, 2) as Position,
    heading: num(p.heading_deg),
    fov: num(p.fov_deg),
    range_m: num(p.range_m) ?? 50,
    online: online ?? (p.online !== false && p.online !== 'false'),
  };
}

/** The cameras of the features held for the view, once each, for their cones. */
export function tileCameraPoints(features: SourceFeature[], online: (id: string) => boolean | undefined = () => undefined): CameraPoint[] {
  const out: CameraPoint[] = [];
  for (const f of uniqueById(features)) {
    const c = tileCameraPoint(f, online(featureId(f)));
    if (c) out.push(c);
  }
  return out;
}

/** The camera's OGC item, which has everything (the popup's stream_url). */
export function cameraItemPath(id: string): string {
  return `/ogc/collections/cameras/items/${encodeURIComponent(id)}`;
}

/** The properties of a camera's OGC item, with its id even when only the feature carries it. */
export function itemProperties(item: { id?: string | number; properties?: Record<string, unknown> | null }): Record<string, unknown> {
  return { ...(item.properties ?? {}), id: item.properties?.id ?? item.id };
}
