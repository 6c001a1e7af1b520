// How the staff hexagons look (staffLayer.ts fills their source): shaded by
// how many stand in them per km² — a density, so a cell reads the same at
// every resolution — in the staff's green, with the count at the centre.

import type { ExpressionSpecification, Map as MapLibreMap } from 'maplibre-gl';
import { LABEL_FONT_STACK } from './palette';

export const STAFF_HEX_LAYERS = ['staff-hex-fill', 'staff-hex-line', 'staff-hex-count'];

/**
 * Staff per km² on a log scale, 1 → 5,000: a village's few stay a faint
 * tint, a busy urban core glows; the risk colours (red to blue) on the grids
 * below keep their meaning.
 */
export function staffDensityColour(): ExpressionSpecification {
  return [
    'interpolate', ['linear'], ['log10', ['max', ['get', 'density'], 0.1]],
    0, 'rgba(0, 150, 110, 0.22)',
    1, 'rgba(0, 180, 120, 0.34)',
    2, 'rgba(0, 210, 130, 0.48)',
    3, 'rgba(0, 230, 118, 0.62)',
    3.7, 'rgba(170, 255, 200, 0.78)',
  ];
}

export function addStaffHexLayers(map: MapLibreMap): void {
  // Tiles cut at zoom 11 serve every closer zoom (a hexagon is six points):
  // a count that changes re-tiles fewer of them.
  map.addSource('staff_hex', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'key', maxzoom: 11 });
  const polygon: ExpressionSpecification = ['==', ['geometry-type'], 'Polygon'];
  // No antialiased outline on the fill: the line layer draws the edges once.
  map.addLayer({ id: 'staff-hex-fill', type: 'fill', source: 'staff_hex', filter: polygon,
    paint: { 'fill-color': staffDensityColour(), 'fill-antialias': false } });
  map.addLayer({ id: 'staff-hex-line', type: 'line', source: 'staff_hex', filter: polygon,
    paint: { 'line-color': 'rgba(0, 230, 118, 0.55)', 'line-width': 0.7 } });
  // The count, on the cell's centre point; crowded ones give way (collision), the rest show on zooming in.
  map.addLayer({
    id: 'staff-hex-count',
    type: 'symbol',
    source: 'staff_hex',
    filter: ['==', ['geometry-type'], 'Point'],
    layout: { 'text-field': ['to-string', ['get', 'n']], 'text-font': LABEL_FONT_STACK, 'text-size': 11, 'text-padding': 1 },
    paint: { 'text-color': '#eafff2', 'text-halo-color': '#06101f', 'text-halo-width': 1.4 },
  });
}
