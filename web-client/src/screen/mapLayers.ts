// Every source and layer the big screen draws, and the groups the layer
// switches turn on and off. Sources are GeoJSON, written in whole batches by
// their owners (never one DOM node per marker) — except the static layers
// (areas, cameras, risk sources, key places) that tileMode.ts puts on the
// server's vector tiles: the same layers then read a source-layer of the tiles.

import type { ExpressionSpecification, Map as MapLibreMap } from 'maplibre-gl';
import { addCameraLayers } from './cameraStyle';
import { addFenceLayers, FENCE_LAYERS } from './fenceLayer';
import { AREA_LINE, DUTY_COLOURS, GRID_RISK_FILL, LABEL_FONT_STACK, OFFLINE_COLOUR, PATROL_TRACK, RISK_COLOURS, WARNING_COLOURS } from './palette';
import { patrolFillColour, patrolLineColour } from './patrolModel';
import { addStaffHexLayers, STAFF_HEX_LAYERS } from './staffHexStyle';
import { sourceOf, staticSource } from './tileSources';

export type LayerGroup =
  | 'areas'
  | 'grid_risk'
  | 'patrol'
  | 'heatmap'
  | 'risk_sources'
  | 'key_places'
  | 'fences'
  | 'cameras'
  | 'staff'
  | 'incidents';

export const LAYER_GROUPS: LayerGroup[] = [
  'areas',
  'grid_risk',
  'patrol',
  'heatmap',
  'risk_sources',
  'key_places',
  'fences',
  'cameras',
  'staff',
  'incidents',
];

/**
 * Off until switched on: the heat map competes with the risk shading, and so
 * does patrol coverage; the geofences are read from the server when wanted.
 */
export const DEFAULT_OFF: ReadonlySet<LayerGroup> = new Set(['heatmap', 'patrol', 'fences']);

/**
 * The grids are shaded by one measure at a time: switching on risk turns
 * patrol coverage off, and the other way round (their legends share a place).
 */
export const SHADES_WITH: Partial<Record<LayerGroup, LayerGroup>> = { grid_risk: 'patrol', patrol: 'grid_risk' };

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

const levelIs = (l: string): ExpressionSpecification => ['==', ['get', 'level'], l];

/** An area's code: `code` in the OGC features, `id` in the tiles. */
export function areaCode(): ExpressionSpecification {
  return ['to-string', ['coalesce', ['get', 'code'], ['get', 'id'], '']];
}

/** The filter for one area (the drilled one's outline). */
export function areaIs(code: string): ExpressionSpecification {
  return ['==', areaCode(), code];
}

/** The code of an area feature the map returned (a click on `area-hit`), from either source. */
export function areaCodeOf(props: Record<string, unknown> | null | undefined): string {
  return String(props?.code ?? props?.id ?? '');
}

/** Which static layers are drawn from tiles, and the server they come from. */
export interface TileSetup {
  tiled: ReadonlySet<string>;
  origin: string;
}

const NO_TILES: TileSetup = { tiled: new Set(), origin: '' };

/** The layers of each group, for the switches and for tests that query them. */
export const GROUP_LAYERS: Record<LayerGroup, string[]> = {
  areas: [
    'area-district-line',
    'area-street-line',
    'area-community-line',
    'area-grid-line',
    'area-district-label',
    'area-street-label',
    'area-community-label',
    'area-grid-label',
  ],
  grid_risk: ['grid-risk-fill'],
  patrol: ['grid-patrol-fill', 'grid-patrol-line'],
  heatmap: ['heat-fill'],
  risk_sources: ['risk-source-area', 'risk-source-line', 'risk-source-point'],
  key_places: ['key-place-fill', 'key-place-line', 'key-place-label'],
  fences: FENCE_LAYERS,
  cameras: ['camera-cone-fill', 'camera-cone-line', 'camera-cluster', 'camera-cluster-count', 'camera-point'],
  staff: [...STAFF_HEX_LAYERS, 'staff-point', 'staff-heading', 'staff-label'],
  incidents: ['incident-halo', 'incident-point', 'incident-label'],
};

/** The zoom from which the grids' outlines are drawn. */
const GRID_LINE_MINZOOM = 13;

export function addRiskmapLayers(map: MapLibreMap, { tiled, origin }: TileSetup = NO_TILES): void {
  const font = LABEL_FONT_STACK;
  const areas = sourceOf('areas', tiled);
  const riskSources = sourceOf('risk_sources', tiled);
  const keyPlaces = sourceOf('key_places', tiled);
  map.addSource('areas', staticSource('areas', tiled, origin, { promoteId: 'code' }));
  map.addSource('area_labels', { type: 'geojson', data: EMPTY });
  map.addSource('heat', { type: 'geojson', data: EMPTY });
  map.addSource('risk_sources', staticSource('risk_sources', tiled, origin));
  map.addSource('key_places', staticSource('key_places', tiled, origin));
  map.addSource('cameras', staticSource('cameras', tiled, origin, { cluster: true, clusterMaxZoom: 15, clusterRadius: 40 }));
  map.addSource('camera_cones', { type: 'geojson', data: EMPTY });
  // The markers (staffLayer.ts), from street zoom: tiles cut at zoom 13 serve the closer zooms
  // (a point needs no finer tile), so a write re-tiles a handful of tiles, not a dozen.
  map.addSource('staff', { type: 'geojson', data: EMPTY, promoteId: 'id', maxzoom: 13 });
  map.addSource('incidents', { type: 'geojson', data: EMPTY, promoteId: 'id' });
  map.addSource('track', { type: 'geojson', data: EMPTY });
  map.addSource('track_head', { type: 'geojson', data: EMPTY });
  map.addSource('patrol_track', { type: 'geojson', data: EMPTY });

  // Grid shading first, so lines and markers sit on top.
  map.addLayer({
    id: 'grid-risk-fill',
    type: 'fill',
    ...areas,
    filter: levelIs('grid'),
    paint: {
      // The server's level (riskLayer.ts writes it as feature-state `level`).
      'fill-color': [
        'match',
        ['coalesce', ['feature-state', 'level'], 0],
        1, GRID_RISK_FILL[1],
        2, GRID_RISK_FILL[2],
        3, GRID_RISK_FILL[3],
        4, GRID_RISK_FILL[4],
        'rgba(0,0,0,0)',
      ],
      // The grid lines are drawn by their own layer; the fill's own antialiased
      // outline would draw every edge of 4,000 grids again (about a tenth of a
      // frame on a command-centre PC without a real GPU).
      'fill-antialias': false,
    },
  });
  // 巡查覆盖: the grid's patrol status (patrolLayer.ts writes feature-state `patrol`).
  map.addLayer({
    id: 'grid-patrol-fill',
    type: 'fill',
    ...areas,
    filter: levelIs('grid'),
    layout: { visibility: 'none' },
    paint: { 'fill-color': patrolFillColour(), 'fill-antialias': false },
  });
  // The drill-down target and its siblings can be clicked: an invisible fill
  // per level catches the clicks.
  map.addLayer({
    id: 'area-hit',
    type: 'fill',
    ...areas,
    paint: { 'fill-color': '#000', 'fill-opacity': 0 },
  });
  map.addLayer({
    id: 'heat-fill',
    type: 'fill',
    source: 'heat',
    layout: { visibility: 'none' },
    paint: {
      'fill-color': [
        'interpolate', ['linear'], ['get', 'norm'],
        0, 'rgba(33,150,243,0.35)',
        0.3, 'rgba(0,230,118,0.6)',
        0.6, 'rgba(255,214,0,0.75)',
        1, 'rgba(255,23,68,0.9)',
      ],
      'fill-outline-color': 'rgba(255,255,255,0.08)',
    },
  });
  // The grids' outlines from zoom 13: at 12 a city core's grids are a dozen pixels across, their
  // outlines a mesh over everything else, and the layer alone was a third of a frame's drawing
  // (a million vertices at 50,000 grids; PERFORMANCE.md). The risk shading still shows them at 12.
  map.addLayer({ id: 'area-grid-line', type: 'line', ...areas, minzoom: GRID_LINE_MINZOOM, filter: levelIs('grid'),
    paint: { 'line-color': AREA_LINE.grid, 'line-width': 0.6 } });
  map.addLayer({ id: 'grid-patrol-line', type: 'line', ...areas, minzoom: 12, filter: levelIs('grid'), layout: { visibility: 'none' },
    paint: { 'line-color': patrolLineColour(), 'line-width': 1.5 } });
  map.addLayer({ id: 'area-community-line', type: 'line', ...areas, minzoom: 10.5, filter: levelIs('community'),
    paint: { 'line-color': AREA_LINE.community, 'line-width': 0.8, 'line-opacity': 0.7 } });
  map.addLayer({ id: 'area-street-line', type: 'line', ...areas, minzoom: 9, filter: levelIs('street'),
    paint: { 'line-color': AREA_LINE.street, 'line-width': 1, 'line-dasharray': [3, 2], 'line-opacity': 0.8 } });
  map.addLayer({ id: 'area-district-line', type: 'line', ...areas, filter: ['any', levelIs('district'), levelIs('city')],
    paint: { 'line-color': AREA_LINE.district, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 14, 3], 'line-blur': 0.5 } });
  map.addLayer({ id: 'area-selected-line', type: 'line', ...areas, filter: areaIs(''),
    paint: { 'line-color': '#ffffff', 'line-width': 3 } });

  map.addLayer({ id: 'key-place-fill', type: 'fill', ...keyPlaces, minzoom: 12,
    paint: { 'fill-color': '#ab47bc', 'fill-opacity': 0.35, 'fill-antialias': false } });
  map.addLayer({ id: 'key-place-line', type: 'line', ...keyPlaces, minzoom: 12,
    paint: { 'line-color': '#ce93d8', 'line-width': 1 } });

  map.addLayer({ id: 'risk-source-area', type: 'fill', ...riskSources, filter: geometryIs('Polygon', 'MultiPolygon'),
    paint: { 'fill-color': riskColour(), 'fill-opacity': 0.45 } });
  // Pipelines, embankments: lines in their level's colour over a dark casing.
  map.addLayer({ id: 'risk-source-line', type: 'line', ...riskSources, filter: geometryIs('LineString', 'MultiLineString'),
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: { 'line-color': riskColour(), 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.5, 14, 3.5, 18, 6], 'line-opacity': 0.9 } });
  map.addLayer({
    id: 'risk-source-point',
    type: 'circle',
    ...riskSources,
    filter: ['==', ['geometry-type'], 'Point'],
    paint: {
      'circle-color': riskColour(),
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 2.5, 12, 4, 16, 7],
      'circle-stroke-color': '#06101f',
      'circle-stroke-width': 1,
    },
  });

  // 电子围栏 (fenceLayer.ts): over the grids, key places and risk sources' areas, under the cameras and people.
  addFenceLayers(map);

  // 摄像头 (cameraStyle.ts): cones, groups and points, from either source.
  addCameraLayers(map, tiled);

  // 人员: hexagons with counts below street zoom, markers from it (staffLayer.ts).
  addStaffHexLayers(map);
  map.addLayer({
    id: 'staff-point',
    type: 'circle',
    source: 'staff',
    paint: {
      // Offline: the faint dot, ringed (from street zoom, where rings are
      // drawn) in the duty colour, so an on-duty member gone silent still
      // stands apart from an off-duty one.
      'circle-color': ['case', ['get', 'offline'], OFFLINE_COLOUR, dutyColour()],
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 8, 1.8, 12, 3.5, 16, 6],
      'circle-stroke-color': ['case', ['get', 'offline'], dutyColour(), '#06101f'],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 8, 0, 12, 1],
    },
  });
  map.addLayer({
    id: 'staff-heading',
    type: 'symbol',
    source: 'staff',
    minzoom: 14,
    // An offline member's heading is as old as their position: no arrow.
    filter: ['all', ['get', 'has_heading'], ['!', ['get', 'offline']]],
    layout: {
      'icon-image': 'heading-arrow',
      'icon-size': 0.9,
      'icon-rotate': ['get', 'heading'],
      'icon-rotation-alignment': 'map',
      'icon-allow-overlap': true,
      'icon-ignore-placement': true,
    },
    paint: { 'icon-color': dutyColour(), 'icon-halo-color': '#06101f', 'icon-halo-width': 1 },
  });
  map.addLayer({
    id: 'staff-label',
    type: 'symbol',
    source: 'staff',
    minzoom: 16,
    layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': 11, 'text-offset': [0, 1.3], 'text-anchor': 'top' },
    paint: { 'text-color': '#e0f7fa', 'text-halo-color': '#06101f', 'text-halo-width': 1.2 },
  });

  map.addLayer({ id: 'track-line', type: 'line', source: 'track',
    paint: { 'line-color': '#ffeb3b', 'line-width': 3, 'line-opacity': 0.85 } });
  map.addLayer({ id: 'track-head', type: 'circle', source: 'track_head',
    paint: { 'circle-color': '#ffeb3b', 'circle-radius': 8, 'circle-stroke-color': '#000', 'circle-stroke-width': 2 } });
  // 当日巡查: a worker's day (patrolCard.ts), where it began and where it ended.
  map.addLayer({ id: 'patrol-track-line', type: 'line', source: 'patrol_track', filter: ['==', ['get', 'kind'], 'line'],
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: { 'line-color': PATROL_TRACK.line, 'line-width': 3, 'line-opacity': 0.9 } });
  map.addLayer({ id: 'patrol-track-end', type: 'circle', source: 'patrol_track', filter: ['!=', ['get', 'kind'], 'line'],
    paint: {
      'circle-color': ['match', ['get', 'kind'], 'start', PATROL_TRACK.start, PATROL_TRACK.end],
      'circle-radius': 6,
      'circle-stroke-color': '#06101f',
      'circle-stroke-width': 2,
    } });

  // 红色预警: a still red glow around every overdue incident (the few in view also pulse: incidentMarks.ts).
  map.addLayer({
    id: 'incident-halo',
    type: 'circle',
    source: 'incidents',
    filter: ['==', ['get', 'warning'], 'red'],
    paint: { 'circle-color': WARNING_COLOURS.red, 'circle-radius': 16, 'circle-opacity': 0.35, 'circle-blur': 0.5 },
  });
  map.addLayer({
    id: 'incident-point',
    type: 'circle',
    source: 'incidents',
    paint: {
      'circle-color': [
        'match', ['get', 'warning'],
        'red', WARNING_COLOURS.red,
        'yellow', WARNING_COLOURS.yellow,
        WARNING_COLOURS.green,
      ],
      'circle-radius': ['match', ['get', 'priority'], 'emergency', 10, 'urgent', 8, 6.5],
      'circle-stroke-color': ['match', ['get', 'priority'], 'emergency', '#ffffff', 'urgent', '#ffcdd2', '#263238'],
      'circle-stroke-width': ['match', ['get', 'priority'], 'emergency', 3, 'urgent', 2, 1.5],
    },
  });
  map.addLayer({
    id: 'incident-label',
    type: 'symbol',
    source: 'incidents',
    minzoom: 13,
    layout: { 'text-field': ['get', 'category_name'], 'text-font': font, 'text-size': 12, 'text-offset': [0, 1.4], 'text-anchor': 'top' },
    paint: { 'text-color': '#fff', 'text-halo-color': '#3e2723', 'text-halo-width': 1.5 },
  });

  // Area labels last: they must stay readable over everything.
  const label = (id: string, level: string, minzoom: number, maxzoom: number, size: number, colour: string) =>
    map.addLayer({
      id,
      type: 'symbol',
      source: 'area_labels',
      minzoom,
      maxzoom,
      filter: levelIs(level),
      layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': size, 'text-padding': 4 },
      paint: { 'text-color': colour, 'text-halo-color': '#06101f', 'text-halo-width': 1.5 },
    });
  label('area-district-label', 'district', 0, 11, 16, '#b3e5fc');
  label('area-street-label', 'street', 10, 13.5, 13, '#80deea');
  label('area-community-label', 'community', 12.5, 15.5, 12, '#a5d6a7');
  label('area-grid-label', 'grid', 15, 24, 11, '#90a4ae');
  map.addLayer({ id: 'key-place-label', type: 'symbol', ...keyPlaces, minzoom: 15,
    layout: { 'text-field': ['get', 'name'], 'text-font': font, 'text-size': 11 },
    paint: { 'text-color': '#e1bee7', 'text-halo-color': '#06101f', 'text-halo-width': 1.2 } });
}

/** MapLibre names a multi-geometry by its single kind or by its own name, depending on the version: both match. */
function geometryIs(...types: string[]): ExpressionSpecification {
  return ['in', ['geometry-type'], ['literal', types]];
}

function riskColour(): ExpressionSpecification {
  return ['match', ['get', 'level'], 1, RISK_COLOURS[1], 2, RISK_COLOURS[2], 3, RISK_COLOURS[3], RISK_COLOURS[4]];
}

function dutyColour(): ExpressionSpecification {
  return [
    'match', ['get', 'duty'],
    'available', DUTY_COLOURS.available,
    'busy', DUTY_COLOURS.busy,
    'sos', DUTY_COLOURS.sos,
    DUTY_COLOURS.off,
  ];
}

export function setGroupVisible(map: MapLibreMap, group: LayerGroup, on: boolean): void {
  for (const id of GROUP_LAYERS[group]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
}

/** The point layers the heat map would otherwise sit under. */
const UNDER_HEAT = ['staff-point', 'risk-source-point', 'camera-point', 'camera-cluster'] as const;

/**
 * With the heat map on, the dots above it fade so the heat reads through;
 * they stay clickable and come back at full strength when it is off.
 */
export function dimUnderHeat(map: MapLibreMap, on: boolean): void {
  for (const id of UNDER_HEAT) {
    if (!map.getLayer(id)) continue;
    map.setPaintProperty(id, 'circle-opacity', on ? 0.3 : 1);
    map.setPaintProperty(id, 'circle-stroke-opacity', on ? 0.3 : 1);
  }
}
