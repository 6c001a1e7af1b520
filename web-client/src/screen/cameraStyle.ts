// 摄像头 on the map: the cones, the groups and the points, drawn the same from
// either source the cameras come from (tileMode.ts) — a GeoJSON source that
// MapLibre clusters, or the server's vector tiles, where one point may stand
// for `count` cameras the server thinned away. One set of layer ids and one
// paint, so clicks, the switches and the tests see no difference.

import type { ExpressionSpecification, Map as MapLibreMap } from 'maplibre-gl';
import { LABEL_FONT_STACK } from './palette';
import { sourceOf } from './tileSources';

export const CAMERA_ONLINE_COLOUR = '#4fc3f7';
export const CAMERA_OFFLINE_COLOUR = '#546e7a';

/**
 * Whether a camera is online: the live state first (feature-state, written
 * on tiles from camera_update and snapshots, which the tiles do not follow),
 * then the feature's own `online`, and online when neither says.
 */
export function cameraOnline(): ExpressionSpecification {
  return ['boolean', ['feature-state', 'online'], ['get', 'online'], true];
}

export function cameraColour(): ExpressionSpecification {
  return ['case', cameraOnline(), CAMERA_ONLINE_COLOUR, CAMERA_OFFLINE_COLOUR];
}

/** How many cameras a point stands for: a GeoJSON cluster's `point_count`, a tile point's `count`, else one. */
export function cameraCount(): ExpressionSpecification {
  return ['to-number', ['coalesce', ['get', 'point_count'], ['get', 'count'], 1]];
}

/** A point standing for several cameras (a cluster, or a thinned tile point). */
export function cameraGroup(): ExpressionSpecification {
  return ['>', cameraCount(), 1];
}

/** The count as the label says it: 37, 1.2k, 12k (as MapLibre abbreviates a cluster's). */
export function cameraCountLabel(): ExpressionSpecification {
  const n = cameraCount();
  return [
    'case',
    ['>=', n, 10000], ['concat', ['to-string', ['round', ['/', n, 1000]]], 'k'],
    ['>=', n, 1000], ['concat', ['to-string', ['/', ['round', ['/', n, 100]], 10]], 'k'],
    ['to-string', n],
  ];
}

/**
 * A camera from the tiles: the server's points always carry `count`,
 * GeoJSON's never do — the tiles' dots shrink when zoomed out, where the
 * server keeps a dot every 8 to 32 pixels and MapLibre's clusters do not apply.
 */
const FROM_TILES: ExpressionSpecification = ['has', 'count'];

/**
 * The cameras' layers (after the fences, under the people): the view cones
 * (a GeoJSON source of their own, built in the client), MapLibre's clusters
 * (GeoJSON only), the counts of clusters and of tile points standing for
 * several, and every camera as a dot — a tile point standing for several is a
 * real camera too, so it keeps its dot (and its popup), a little larger. On
 * GeoJSON everything draws as before: its points have no `count`.
 */
export function addCameraLayers(map: Pick<MapLibreMap, 'addLayer'>, tiled: ReadonlySet<string>): void {
  const cameras = sourceOf('cameras', tiled);
  map.addLayer({ id: 'camera-cone-fill', type: 'fill', source: 'camera_cones', minzoom: 12,
    paint: { 'fill-color': '#4fc3f7', 'fill-opacity': 0.12, 'fill-antialias': false } });
  map.addLayer({ id: 'camera-cone-line', type: 'line', source: 'camera_cones', minzoom: 12,
    paint: { 'line-color': '#4fc3f7', 'line-width': 0.8, 'line-opacity': 0.6 } });
  map.addLayer({
    id: 'camera-cluster',
    type: 'circle',
    ...cameras,
    minzoom: 10,
    filter: ['has', 'point_count'],
    paint: {
      'circle-color': 'rgba(79,195,247,0.35)',
      'circle-stroke-color': '#4fc3f7',
      'circle-stroke-width': 1,
      'circle-radius': ['step', cameraCount(), 10, 50, 14, 200, 18],
    },
  });
  map.addLayer({
    id: 'camera-cluster-count',
    type: 'symbol',
    ...cameras,
    minzoom: 10,
    filter: cameraGroup(),
    layout: {
      'text-field': cameraCountLabel(),
      'text-font': LABEL_FONT_STACK,
      'text-size': 11,
      // A cluster's count sits in its ring; a tile point's above its own dot, which it would hide.
      'text-offset': ['case', ['has', 'point_count'], ['literal', [0, 0]], ['literal', [0, -1.2]]],
    },
    paint: { 'text-color': '#e1f5fe', 'text-halo-color': ['case', ['has', 'point_count'], 'rgba(0,0,0,0)', '#06101f'], 'text-halo-width': 1 },
  });
  map.addLayer({
    id: 'camera-point',
    type: 'circle',
    ...cameras,
    minzoom: 10,
    // A GeoJSON cluster is no camera; a tile point is one, whatever its count.
    filter: ['!', ['has', 'point_count']],
    paint: {
      'circle-color': cameraColour(),
      'circle-radius': [
        'interpolate', ['linear'], ['zoom'],
        10, ['case', FROM_TILES, ['case', cameraGroup(), 2.5, 1.5], 3.5],
        14, ['case', cameraGroup(), 5, 3.5],
      ],
      'circle-stroke-color': '#01579b',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 10, ['case', FROM_TILES, 0, 1], 14, 1],
    },
  });
}
