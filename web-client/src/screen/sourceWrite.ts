// One write to a map's GeoJSON source: the whole collection, or a diff
// (MapLibre then re-tiles only the tiles the diff touches). Made by the staff
// markers and hexagons and by the alerts' markers.

import type { GeoJSONSource, GeoJSONSourceDiff } from 'maplibre-gl';

/** One write to the source: the whole collection, or a diff; null for nothing to write. */
export type SourceWrite = { data: GeoJSON.FeatureCollection } | { diff: GeoJSONSourceDiff } | null;

/** Makes the write to a map's source (nothing for none, or for no source). */
export function writeSource(src: GeoJSONSource | undefined, w: SourceWrite): void {
  if (!w || !src) return;
  if ('data' in w) void src.setData(w.data);
  else void src.updateData(w.diff);
}
