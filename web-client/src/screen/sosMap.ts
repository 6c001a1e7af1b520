// Alerts on the map: for an SOS a marker where the worker stood when raising
// it (red while open, amber once taken), "SOS" and their name; for a rule's
// alert (脱岗, 静止: the spot) a yellow marker ringed in brown, its kind and
// their name; and a ring pulsing around each SOS, and around each rule's alert
// while they are few (amber and slower). Drawn whatever the drill-down scope
// and above every other layer. The ring is an HTML marker animated by CSS: the
// browser's compositor moves it, so the map is not redrawn sixty times a second
// for it — but a city's hundreds of 静止 alerts would be hundreds of animated
// elements and a flickering carpet, so past RULE_RINGS_MAX only the markers
// show them, and only from street zoom: below it such a crowd is counted per
// hexagon (alertCells.ts). A thousand alerts also make every write of the
// source a re-layout of a thousand labels: writes come at most once a WRITE_MS
// (further apart where the map is slow to draw them, mapPace.ts; an SOS's
// change at once), and the rules' labels only from RULE_LABEL_MINZOOM.
// A write is a diff (the alerts raised, changed and ended since the last):
// the map then re-tiles only where they are, so that a screen at street zoom
// is not redrawn for every 静止 raised across the city. And in a crowd the
// source holds only the rules' alerts in a box around the view from street
// zoom, none below it: each write has MapLibre index the whole source again
// on its worker, which on a two-core screen drawn by the CPU took its frames.

import type { ExpressionSpecification, GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { isRule } from '../shared/alertBook';
import { IntervalBatcher } from '../shared/frame';
import { bboxContainsPoint, boxAround, viewBBox } from '../shared/geo';
import { t } from '../shared/i18n';
import type { BBox, SosAlert } from '../shared/types';
import { type MapPace, paceOf } from './mapPace';
import { addAlertCellLayers, AlertCells, COUNT_MAXZOOM } from './alertCells';
import { LABEL_FONT_STACK, RULE_COLOURS, SOS_COLOURS } from './palette';
import { FeaturesDrawn, writeSource } from './sourceWrite';
import { PulseRings } from './pulseRings';
import { POINTS_MARGIN } from './staffPoints';

const colour: ExpressionSpecification = ['match', ['get', 'state'], 'open', SOS_COLOURS.open, SOS_COLOURS.acknowledged];
const ruleColour: ExpressionSpecification = ['match', ['get', 'state'], 'open', RULE_COLOURS.open, RULE_COLOURS.acknowledged];
const isSosFeature: ExpressionSpecification = ['==', ['get', 'kind'], 'sos'];
const isRuleFeature: ExpressionSpecification = ['!=', ['get', 'kind'], 'sos'];

/**
 * While there are at most this many rule alerts, each is ringed and marked at
 * every zoom; past it, they are counted per hexagon below street zoom
 * (alertCells.ts) and only an SOS is ringed.
 */
export const RULE_RINGS_MAX = 30;
/** The zoom from which a rule's alert is labelled (an SOS always is), and a crowd's marked one by one. */
const RULE_LABEL_MINZOOM = COUNT_MAXZOOM;
/** The shortest time between two writes of the alerts to the map, ms (longer where the map is slow to draw: mapPace.ts). */
const WRITE_MS = 1000;
/** Past this many rule alerts, their changes are written at most once a CROWD_WRITE_MS (an SOS's still at once). */
export const RULE_CROWD = 500;
const CROWD_WRITE_MS = 5000;

/**
 * The shortest time between two writes of these alerts. A write re-tiles
 * every tile a change falls in, and at district zoom one tile holds a
 * crowd's thousands of markers: re-tiled every second it kept the map
 * drawing and the screen at a third of its frames. A rule alert shown a few
 * seconds late in a crowd of them costs nobody anything (its card is listed
 * at once); a lone one is written at once (a write after a quiet spell is not
 * held back), an SOS always.
 */
export function writeFloorMs(alerts: readonly SosAlert[]): number {
  return pastRuleCrowd(alerts) ? CROWD_WRITE_MS : WRITE_MS;
}

/** Whether there are more than RULE_CROWD rule alerts: their changes are then written to the map and the alarm panel at a slower pace. */
export function pastRuleCrowd(alerts: Iterable<SosAlert>): boolean {
  let rules = 0;
  for (const a of alerts) if (isRule(a) && ++rules > RULE_CROWD) return true;
  return false;
}

export function addSosLayers(map: MapLibreMap): void {
  map.addSource('sos', { type: 'geojson', data: sosFeatures([]), promoteId: 'id' });
  // The rules' first: an SOS at the same spot is drawn over them.
  map.addLayer({
    id: 'rule-point',
    type: 'circle',
    source: 'sos',
    filter: isRuleFeature,
    // Smaller below street zoom: a city's thousands of 静止 overlapping at full size were a carpet
    // over the map, and each of their pixels is drawn again in every frame.
    paint: {
      'circle-color': ruleColour,
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, RULE_LABEL_MINZOOM, 5, 15, 8],
      'circle-stroke-color': RULE_COLOURS.stroke,
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 15, 3],
    },
  });
  addAlertCellLayers(map);
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
      ...(rule ? { minzoom: RULE_LABEL_MINZOOM } : {}),
      filter: rule ? isRuleFeature : isSosFeature,
      layout: {
        'text-field': ['concat', ['get', 'tag'], ' ', ['get', 'name']],
        'text-font': LABEL_FONT_STACK,
        'text-size': rule ? 14 : 15,
        'text-offset': [0, 1.4],
        'text-anchor': 'top',
        // An SOS's always drawn, the labels under it make way (the top layer is placed first); the
        // rules' make way for one another, so that a crowd of them thins out instead of piling up.
        'text-allow-overlap': !rule,
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

/** The alerts that get a pulsing ring: every SOS, and the rules' alerts while they are few. */
export function ringed<F extends GeoJSON.Feature>(features: readonly F[], crowd: boolean): F[] {
  return crowd ? features.filter((f) => f.properties!.kind === 'sos') : [...features];
}

/**
 * Whether the rule alerts on the map (those with a position) are a crowd:
 * more than RULE_RINGS_MAX. The map then counts them (and rings only the SOS),
 * and the alarm panel says so.
 */
export const isRuleCrowd = (alerts: readonly SosAlert[]): boolean => alerts.filter((a) => isRule(a) && a.position).length > RULE_RINGS_MAX;

/**
 * What the map shows of the SOS among the alerts: a change in it (one raised,
 * taken, closed, or moved) is written at once, the rules' alerts at the pace.
 */
export function sosShown(alerts: readonly SosAlert[]): string {
  return alerts
    .filter((a) => !isRule(a))
    .map((a) => `${a.id}/${a.state}/${a.position?.lon}/${a.position?.lat}`)
    .join(' ');
}

/** How an alert's marker is drawn: everything its feature says, so that any change to it is written (FeaturesDrawn). */
export const alertLook = (f: GeoJSON.Feature<GeoJSON.Point>): string => {
  const p = f.properties!;
  return `${p.kind}/${p.state}/${p.tag}/${p.name}/${f.geometry.coordinates.join(',')}`;
};

/** The alerts a crowd's markers are drawn for: every SOS, and the rules' alerts in `box` (none without one). */
export function markedInCrowd(alerts: readonly SosAlert[], box: BBox | null): SosAlert[] {
  return alerts.filter((a) => !isRule(a) || (box !== null && a.position !== null && bboxContainsPoint(box, [a.position.lon, a.position.lat])));
}

/** Writes the markers (at most once a WRITE_MS, an SOS at once) and keeps a pulsing ring under each that gets one. */
export class SosMarkers {
  private readonly rings: PulseRings;
  private readonly drawn = new FeaturesDrawn(alertLook);
  private readonly cells = new AlertCells();
  /** Whether the rule alerts are a crowd, counted below street zoom (their markers drawn only from it). */
  private counted = false;
  /** In a crowd, the box whose rule alerts the source holds (around the view, from street zoom); null: none. */
  private box: BBox | null = null;
  private alerts: readonly SosAlert[] = [];
  /** sosShown of the alerts held, and of what was last written. */
  private shown = '';
  private written = '';
  private readonly pace: MapPace;
  private readonly batch: IntervalBatcher;

  constructor(private readonly map: MapLibreMap) {
    this.rings = new PulseRings(map, { data: 'sosRing', className: 'sos-ring' }, (el, f) => {
      const open = f.properties!.state === 'open';
      el.classList.toggle('sos-open', open);
      el.classList.toggle('sos-acknowledged', !open);
      el.classList.toggle('rule-ring', f.properties!.kind !== 'sos');
    });
    this.pace = paceOf(map);
    this.batch = this.pace.writers.join(new IntervalBatcher(() => this.write(), () => this.pace.intervalMs(writeFloorMs(this.alerts))));
    // A crowd's markers follow the view: written at once when it leaves their box or crosses street zoom.
    map.on('moveend', () => {
      if (this.counted && this.ruleBox() !== this.box) this.batch.request(true);
    });
  }

  /** The box a crowd's rule alerts are drawn in for the view now: the last one while it holds the view, none below street zoom. */
  private ruleBox(): BBox | null {
    if (this.map.getZoom() < COUNT_MAXZOOM) return null;
    return boxAround(this.box, viewBBox(this.map), POINTS_MARGIN);
  }

  set(alerts: readonly SosAlert[]): void {
    this.alerts = alerts;
    this.shown = sosShown(alerts);
    this.batch.request(this.shown !== this.written);
  }

  private write(): void {
    const crowd = isRuleCrowd(this.alerts);
    this.box = crowd ? this.ruleBox() : null;
    const fc = sosFeatures(crowd ? markedInCrowd(this.alerts, this.box) : this.alerts);
    this.written = this.shown;
    const source = this.map.getSource('sos') as GeoJSONSource | undefined;
    if (source) writeSource(source, this.drawn.next(fc.features));
    this.countCrowd(crowd);
    this.rings.show(ringed(fc.features, crowd));
  }

  /** Past RULE_RINGS_MAX rule alerts, counts below street zoom and markers from it; else markers at every zoom. */
  private countCrowd(crowd: boolean): void {
    if (crowd !== this.counted && this.map.getLayer('rule-point')) {
      this.counted = crowd;
      this.map.setLayerZoomRange('rule-point', crowd ? COUNT_MAXZOOM : 0, 24);
    }
    this.cells.write(this.map, crowd ? this.alerts : []);
  }
}
