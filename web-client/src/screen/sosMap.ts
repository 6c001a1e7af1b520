// Alerts on the map: for an SOS a marker where the worker stood when raising
// it (red while open, amber once taken), "SOS" and their name; for a rule's
// alert (脱岗, 静止: the spot) a yellow marker ringed in brown, its kind and
// their name; and a ring pulsing around each (amber and slower for a rule's). Drawn whatever the drill-down scope and above every other layer. The
// ring is an HTML marker animated by CSS (a handful at most): the browser's
// compositor moves it, so the map is not redrawn sixty times a second for it.

import { type ExpressionSpecification, type GeoJSONSource, type Map as MapLibreMap, Marker } from 'maplibre-gl';
import { isRule } from '../shared/alertBook';
import { t } from '../shared/i18n';
import type { SosAlert } from '../shared/types';
import { LABEL_FONT_STACK } from './palette';

export const SOS_COLOURS = { open: '#ff1744', acknowledged: '#ffab00' } as const;
export const RULE_COLOURS = { open: '#ffd600', acknowledged: '#c6a700', stroke: '#4e2c00' } as const;

const colour: ExpressionSpecification = ['match', ['get', 'state'], 'open', SOS_COLOURS.open, SOS_COLOURS.acknowledged];
const ruleColour: ExpressionSpecification = ['match', ['get', 'state'], 'open', RULE_COLOURS.open, RULE_COLOURS.acknowledged];
const isSosFeature: ExpressionSpecification = ['==', ['get', 'kind'], 'sos'];
const isRuleFeature: ExpressionSpecification = ['!=', ['get', 'kind'], 'sos'];

export function addSosLayers(map: MapLibreMap): void {
  map.addSource('sos', { type: 'geojson', data: sosFeatures([]), promoteId: 'id' });
  // The rules' first: an SOS at the same spot is drawn over them.
  map.addLayer({
    id: 'rule-point',
    type: 'circle',
    source: 'sos',
    filter: isRuleFeature,
    paint: { 'circle-color': ruleColour, 'circle-radius': 8, 'circle-stroke-color': RULE_COLOURS.stroke, 'circle-stroke-width': 3 },
  });
  map.addLayer({
    id: 'sos-point',
    type: 'circle',
    source: 'sos',
    filter: isSosFeature,
    paint: { 'circle-color': colour, 'circle-radius': 9, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
  });
  for (const rule of [true, false]) {
    map.addLayer({
      id: rule ? 'rule-label' : 'sos-label',
      type: 'symbol',
      source: 'sos',
      filter: rule ? isRuleFeature : isSosFeature,
      layout: {
        'text-field': ['concat', ['get', 'tag'], ' ', ['get', 'name']],
        'text-font': LABEL_FONT_STACK,
        'text-size': rule ? 14 : 15,
        'text-offset': [0, 1.4],
        'text-anchor': 'top',
        // Always drawn; the labels under it make way (the top layer is placed first).
        'text-allow-overlap': true,
      },
      paint: rule
        ? { 'text-color': '#ffe57f', 'text-halo-color': RULE_COLOURS.stroke, 'text-halo-width': 2 }
        : { 'text-color': '#ffffff', 'text-halo-color': '#b71c1c', 'text-halo-width': 2 },
    });
  }
}

/** The alerts with a position, as the `sos` source's features (a rule's `tag` in the page language). */
export function sosFeatures(alerts: readonly SosAlert[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: alerts
      .filter((a) => a.position)
      .map((a) => ({
        type: 'Feature',
        id: a.id,
        geometry: { type: 'Point', coordinates: [a.position!.lon, a.position!.lat] },
        properties: {
          id: a.id,
          kind: a.kind,
          state: a.state,
          name: a.staff_name,
          staff_id: a.staff_id,
          tag: isRule(a) ? t(`alarm.map.${a.kind}`) : 'SOS',
        },
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
      ring.getElement().classList.toggle('rule-ring', f.properties!.kind !== 'sos');
    }
    for (const [id, ring] of this.rings) {
      if (keep.has(id)) continue;
      ring.remove();
      this.rings.delete(id);
    }
  }
}
