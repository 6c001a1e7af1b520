// The H3 heat map: counts per cell from GET /api/heatmap, drawn as hexagons.
// The resolution follows the zoom so a cell stays a few dozen pixels wide.

import { cellToBoundary } from 'h3-js';
import type { HeatCell } from '../shared/types';

export type HeatLayer = 'staff' | 'cameras' | 'risk_sources' | 'key_places';

/** H3 resolution for a map zoom: res 7 (≈5 km²) for the whole city … res 10 in a street. */
export function heatResolution(zoom: number): number {
  if (zoom < 9.5) return 6;
  if (zoom < 11) return 7;
  if (zoom < 12.5) return 8;
  if (zoom < 14) return 9;
  return 10;
}

/** Hexagons with `count` and `norm` (count over the largest count, 0–1). */
export function heatFeatures(cells: HeatCell[]): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const max = cells.reduce((m, c) => Math.max(m, c.count), 0) || 1;
  return {
    type: 'FeatureCollection',
    features: cells.map((c) => {
      // cellToBoundary(…, true) gives GeoJSON order [lng, lat], closed.
      const ring = cellToBoundary(c.cell, true) as [number, number][];
      return {
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [ring] },
        properties: { cell: c.cell, count: c.count, norm: c.count / max },
      };
    }),
  };
}
