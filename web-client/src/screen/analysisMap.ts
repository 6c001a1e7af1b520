// 研判分析 on the map: the period's incidents as H3 hexagons (heat.ts draws
// them), the repeat hot spots outlined with a marker saying on how many days,
// and the sources and layers that hold them (hidden while the view is closed).

import { cellToBoundary } from 'h3-js';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { LABEL_FONT_STACK } from './palette';

/** GET /api/risk/analysis (docs/protocol.md, "Grid risk"). */
export interface AnalysisCell {
  cell: string;
  lon: number;
  lat: number;
  count: number;
}
export interface AnalysisCount {
  key: string;
  name?: string;
  count: number;
}
export interface HotSpot extends AnalysisCell {
  days: number;
  category: string;
}
export interface Analysis {
  total: number;
  heat: AnalysisCell[];
  by_day: AnalysisCount[];
  by_week: AnalysisCount[];
  top_grids: AnalysisCount[];
  top_categories: AnalysisCount[];
  hot_spots: HotSpot[];
}

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

/** The hot spots: each cell's outline, and a point at its centre with `days` and `count`. */
export function hotSpotFeatures(spots: HotSpot[]): { outlines: GeoJSON.FeatureCollection; markers: GeoJSON.FeatureCollection } {
  return {
    outlines: {
      type: 'FeatureCollection',
      features: spots.map((s) => ({
        type: 'Feature',
        geometry: { type: 'Polygon', coordinates: [cellToBoundary(s.cell, true) as [number, number][]] },
        properties: { cell: s.cell, days: s.days, count: s.count },
      })),
    },
    markers: {
      type: 'FeatureCollection',
      features: spots.map((s) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
        properties: { cell: s.cell, days: s.days, count: s.count, category: s.category },
      })),
    },
  };
}

export const ANALYSIS_LAYERS = ['analysis-heat-fill', 'analysis-heat-line', 'analysis-hot-line', 'analysis-hot-point', 'analysis-hot-label'];

/** Adds the analysis sources and layers, hidden: the heat under the area lines, the hot spots above the markers. */
export function addAnalysisLayers(map: MapLibreMap): void {
  for (const id of ['analysis_heat', 'analysis_hot', 'analysis_hot_pts']) map.addSource(id, { type: 'geojson', data: EMPTY });
  const hidden = { visibility: 'none' } as const;
  const under = map.getLayer('area-grid-line') ? 'area-grid-line' : undefined;
  const over = map.getLayer('area-district-label') ? 'area-district-label' : undefined;
  map.addLayer({
    id: 'analysis-heat-fill',
    type: 'fill',
    source: 'analysis_heat',
    layout: hidden,
    paint: {
      'fill-color': [
        'interpolate', ['linear'], ['get', 'norm'],
        0, 'rgba(255,235,59,0.6)',
        0.5, 'rgba(255,152,0,0.75)',
        1, 'rgba(244,67,54,0.9)',
      ],
      'fill-antialias': false,
    },
  }, under);
  map.addLayer({ id: 'analysis-heat-line', type: 'line', source: 'analysis_heat', layout: hidden,
    paint: { 'line-color': '#ffe082', 'line-width': 1 } }, under);
  map.addLayer({ id: 'analysis-hot-line', type: 'line', source: 'analysis_hot', layout: hidden,
    paint: { 'line-color': '#ff1744', 'line-width': 2.5 } }, over);
  map.addLayer({ id: 'analysis-hot-point', type: 'circle', source: 'analysis_hot_pts', layout: hidden,
    paint: { 'circle-color': '#ff1744', 'circle-radius': 9, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } }, over);
  map.addLayer({
    id: 'analysis-hot-label',
    type: 'symbol',
    source: 'analysis_hot_pts',
    layout: { ...hidden, 'text-field': ['to-string', ['get', 'days']], 'text-font': LABEL_FONT_STACK, 'text-size': 11, 'text-allow-overlap': true },
    paint: { 'text-color': '#fff' },
  }, over);
}

export function setAnalysisVisible(map: MapLibreMap, on: boolean): void {
  for (const id of ANALYSIS_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  // The risk shading would compete with the heat: faded while the analysis shows.
  if (map.getLayer('grid-risk-fill')) map.setPaintProperty('grid-risk-fill', 'fill-opacity', on ? 0.35 : 1);
}
