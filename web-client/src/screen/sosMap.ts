// SOS alerts on the map: a marker where the worker stood when raising it
// (red while open, amber once taken), their name, and a ring pulsing around
// it. Drawn whatever the drill-down scope and above every other layer. The
// ring is an HTML marker animated by CSS (a handful at most): the browser's
// compositor moves it, so the map is not redrawn sixty times a second for it.

import { type ExpressionSpecification, type GeoJSONSource, type Map as MapLibreMap, Marker } from 'maplibre-gl';
import type { SosAlert } from '../shared/types';
import { LABEL_FONT_STACK } from './palette';

export const SOS_COLOURS = { open: '#ff1744', acknowledged: '#ffab00' } as const;

const colour: ExpressionSpecification = ['match', ['get', 'state'], 'open', SOS_COLOURS.open, SOS_COLOURS.acknowledged];

export function addSosLayers(map: MapLibreMap): void {
  map.addSource('sos', { type: 'geojson', data: sosFeatures([]), promoteId: 'id' });
  map.addLayer({
    id: 'sos-point',
    type: 'circle',
    source: 'sos',
    paint: { 'circle-color': colour, 'circle-radius': 9, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
  });
  map.addLayer({
    id: 'sos-label',
    type: 'symbol',
    source: 'sos',
    layout: {
      'text-field': ['concat', 'SOS ', ['get', 'name']],
      'text-font': LABEL_FONT_STACK,
      'text-size': 15,
      'text-offset': [0, 1.4],
      'text-anchor': 'top',
      // Always drawn; the labels under it make way (the top layer is placed first).
      'text-allow-overlap': true,
    },
    paint: { 'text-color': '#ffffff', 'text-halo-color': '#b71c1c', 'text-halo-width': 2 },
  });
}

/** The alerts with a position, as the `sos` source's features. */
export function sosFeatures(alerts: readonly SosAlert[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: alerts
      .filter((a) => a.position)
      .map((a) => ({
        type: 'Feature',
        id: a.id,
        geometry: { type: 'Point', coordinates: [a.position!.lon, a.position!.lat] },
        properties: { id: a.id, state: a.state, name: a.staff_name, staff_id: a.staff_id },
      })),
  };
}

/** Writes the markers and keeps one pulsing ring under each. */
export class SosMarkers {
  private readonly rings = new Map<string, Marker>();

  constructor(private readonly map: MapLibreMap) {}

  set(alerts: readonly SosAlert[]): void {
    const fc = sosFeatures(alerts);
    (this.map.getSource('sos') as GeoJSONSource | undefined)?.setData(fc);
    const keep = new Set<string>();
    for (const f of fc.features) {
      const id = String(f.properties!.id);
      keep.add(id);
      let ring = this.rings.get(id);
      if (!ring) {
        const el = document.createElement('div');
        el.dataset.sosRing = id;
        el.classList.add('sos-ring');
        ring = new Marker({ element: el }).setLngLat(f.geometry.coordinates as [number, number]).addTo(this.map);
        this.rings.set(id, ring);
      }
      // (MapLibre's own classes on the element place it: only ours change.)
      const open = f.properties!.state === 'open';
      ring.getElement().classList.toggle('sos-open', open);
      ring.getElement().classList.toggle('sos-acknowledged', !open);
    }
    for (const [id, ring] of this.rings) {
      if (keep.has(id)) continue;
      ring.remove();
      this.rings.delete(id);
    }
  }
}
