// The staff hexagons as the map's GeoJSON source holds them: the cells of one
// resolution at a time, written whole when the resolution changes and patched
// by feature key (updateData) as counts change, so a frame's write carries
// only the hexagons whose count moved.

import type { GeoJSONSourceDiff } from 'maplibre-gl';
import { cellToBoundary, cellToLatLng } from 'h3-js';
import { type HexCount, density, type StaffAggregate } from './staffAggregate';
import type { SourceWrite } from './sourceWrite';

/** The key (the source's promoted id) of a cell's count label; the hexagon's own key is the cell. */
const labelKey = (cell: string) => `${cell}:n`;

/**
 * A cell as two features: the hexagon (coloured by density) and a point at
 * its centre for the count. (A label placed on the polygon itself would come
 * once per tile the hexagon crosses.)
 */
export function hexFeatures(c: HexCount): GeoJSON.Feature[] {
  const [lat, lon] = cellToLatLng(c.id);
  const properties = { cell: c.id, res: c.res, n: c.n, density: density(c) };
  return [
    { type: 'Feature', geometry: { type: 'Polygon', coordinates: [cellToBoundary(c.id, true)] }, properties: { ...properties, key: c.id } },
    { type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { ...properties, key: labelKey(c.id) } },
  ];
}

export class StaffHexes {
  /** The resolution drawn; null while markers are (the source is empty). */
  res: number | null = null;
  /** The cell ids in the source now. */
  private readonly shown = new Set<string>();

  constructor(private readonly aggregate: StaffAggregate) {}

  /** Draws another resolution (null: none): the whole collection, or nothing when it is the one drawn. */
  show(res: number | null): SourceWrite {
    if (res === this.res) return null;
    this.res = res;
    return this.rewrite();
  }

  /** Every cell of the drawn resolution again (a snapshot, a new scope). */
  rewrite(): SourceWrite {
    this.shown.clear();
    if (this.res === null) return { data: { type: 'FeatureCollection', features: [] } };
    this.aggregate.forgetDirty(this.res);
    const features: GeoJSON.Feature[] = [];
    for (const c of this.aggregate.cellsAt(this.res)) {
      this.shown.add(c.id);
      features.push(...hexFeatures(c));
    }
    return { data: { type: 'FeatureCollection', features } };
  }

  /** The cells whose count changed since the last write, as a diff keyed by cell. */
  patch(): SourceWrite {
    if (this.res === null) return null;
    const add: GeoJSON.Feature[] = [];
    const update: NonNullable<GeoJSONSourceDiff['update']> = [];
    const remove: string[] = [];
    for (const id of this.aggregate.takeDirty(this.res)) {
      const c = this.aggregate.get(this.res, id);
      if (!c) {
        if (this.shown.delete(id)) remove.push(id, labelKey(id));
      } else if (this.shown.has(id)) {
        const addOrUpdateProperties = [{ key: 'n', value: c.n }, { key: 'density', value: density(c) }];
        update.push({ id, addOrUpdateProperties }, { id: labelKey(id), addOrUpdateProperties });
      } else {
        this.shown.add(id);
        add.push(...hexFeatures(c));
      }
    }
    if (!add.length && !update.length && !remove.length) return null;
    return { diff: { add, update, remove } };
  }
}
