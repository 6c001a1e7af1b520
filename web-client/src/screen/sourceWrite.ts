// One write to a map's GeoJSON source: the whole collection, or a diff
// (MapLibre then re-tiles only the tiles the diff touches). Made by the staff
// markers and hexagons and by the alerts' markers and counts; the alerts'
// diffs are found by FeaturesDrawn.

import type { GeoJSONSource, GeoJSONSourceDiff } from 'maplibre-gl';

/** One write to the source: the whole collection, or a diff; null for nothing to write. */
export type SourceWrite = { data: GeoJSON.FeatureCollection } | { diff: GeoJSONSourceDiff } | null;

/** Makes the write to a map's source (nothing for none, or for no source). */
export function writeSource(src: GeoJSONSource | undefined, w: SourceWrite): void {
  if (!w || !src) return;
  if ('data' in w) void src.setData(w.data);
  else void src.updateData(w.diff);
}

/**
 * The features in a map's source, and the diff that brings it to another list
 * of them: each feature is known by its `id` property and drawn as its `look`
 * says (everything that shows), so a feature whose look is unchanged is not
 * written again.
 */
export class FeaturesDrawn {
  /** Each feature's id in the source, with how it was drawn. */
  private readonly shown = new Map<string, string>();

  constructor(private readonly look: (f: GeoJSON.Feature<GeoJSON.Point>) => string) {}

  /** What to write so that the source holds these features: all of them at first, then what changed; null for nothing. */
  next(features: readonly GeoJSON.Feature<GeoJSON.Point>[]): SourceWrite {
    const first = this.shown.size === 0;
    const add: GeoJSON.Feature[] = [];
    const update: NonNullable<GeoJSONSourceDiff['update']> = [];
    const seen = new Set<string>();
    for (const f of features) {
      const id = String(f.properties!.id);
      const look = this.look(f);
      seen.add(id);
      const was = this.shown.get(id);
      if (was === look) continue;
      this.shown.set(id, look);
      if (was === undefined) add.push(f);
      else update.push({ id, newGeometry: f.geometry, addOrUpdateProperties: Object.entries(f.properties!).map(([key, value]) => ({ key, value })) });
    }
    const remove = [...this.shown.keys()].filter((id) => !seen.has(id));
    for (const id of remove) this.shown.delete(id);
    if (first) return add.length ? { data: { type: 'FeatureCollection', features: add } } : null;
    return add.length || update.length || remove.length ? { diff: { add, update, remove } } : null;
  }
}
