// A crowd of rule alerts counted per H3 hexagon below street zoom.
//
// A city's thousands of 静止 drawn one by one at district zoom were a yellow
// carpet nobody could read, and every frame drew all of them again (some 5,000
// markers at zoom 12 kept the screen under 25 frames a second). Counted per
// hexagon the map holds a few hundred circles, each reading how many alerts
// stand in it, drawn at the alerts' mean position rather than the hexagon's
// centre (where the staff census writes its own count). MapLibre's clustered
// sources would count them too, but they regroup and re-tile every tile on
// each write (PERFORMANCE.md: zoom 12 lost up to two thirds of its frames);
// these counts are kept here and written as diffs, as the markers are. While
// the rule alerts are few, each keeps its marker at every zoom (sosMap.ts).

import { cellToParent, latLngToCell } from 'h3-js';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { isRule } from '../shared/alertBook';
import type { SosAlert } from '../shared/types';
import { LABEL_FONT_STACK, RULE_COLOURS } from './palette';
import { FeaturesDrawn, writeSource } from './sourceWrite';

/** Below this zoom a crowd of rule alerts is counted; from it each is a marker, labelled. */
export const COUNT_MAXZOOM = 13;
/** The resolutions counted, each with the zooms it is drawn at: ≈6.4 km across below zoom 11, ≈2.4 km up to COUNT_MAXZOOM. */
export const CELL_BANDS = [
  { res: 6, minzoom: 0, maxzoom: 11 },
  { res: 7, minzoom: 11, maxzoom: COUNT_MAXZOOM },
] as const;
/** The layers of the counted circles (a click zooms in on one). */
export const RULE_CELL_LAYERS: readonly string[] = CELL_BANDS.map((b) => `rule-cell-${b.res}`);
const FINE_RES = 7;

/** The rule alerts with a position, counted per cell at every band's resolution: `n` of them, `open` not yet taken. */
export interface CellCount {
  res: number;
  n: number;
  open: number;
  lon: number;
  lat: number;
}

/** How a count is drawn: any change to it is written again. */
const cellLook = (f: GeoJSON.Feature<GeoJSON.Point>): string => {
  const p = f.properties!;
  return `${p.n}/${p.open}/${f.geometry.coordinates.join(',')}`;
};

/** A mean position to a metre: moving a circle by less is not worth a write. */
const toMetre = (x: number): number => Math.round(x * 1e5) / 1e5;

export class AlertCells {
  /** Each alert's cells, with the position they were found for: finding one costs about 2 µs and a crowd holds thousands. */
  private readonly located = new Map<string, { lon: number; lat: number; cells: string[] }>();
  private readonly drawn = new FeaturesDrawn(cellLook);

  /** The counts of these alerts (only the rules' with a position), keyed by cell. */
  count(alerts: readonly SosAlert[]): Map<string, CellCount> {
    const counts = new Map<string, CellCount>();
    const live = new Set<string>();
    for (const a of alerts) {
      if (!isRule(a) || !a.position) continue;
      const { lon, lat } = a.position;
      live.add(a.id);
      let at = this.located.get(a.id);
      if (!at || at.lon !== lon || at.lat !== lat) {
        const fine = latLngToCell(lat, lon, FINE_RES);
        at = { lon, lat, cells: CELL_BANDS.map((b) => (b.res === FINE_RES ? fine : cellToParent(fine, b.res))) };
        this.located.set(a.id, at);
      }
      at.cells.forEach((cell, i) => {
        let c = counts.get(cell);
        if (!c) counts.set(cell, (c = { res: CELL_BANDS[i]!.res, n: 0, open: 0, lon: 0, lat: 0 }));
        c.n += 1;
        if (a.state === 'open') c.open += 1;
        c.lon += lon;
        c.lat += lat;
      });
    }
    for (const id of this.located.keys()) if (!live.has(id)) this.located.delete(id);
    return counts;
  }

  /** Writes the counts of these alerts to the map (what changed since the last write). */
  write(map: MapLibreMap, alerts: readonly SosAlert[]): void {
    writeSource(map.getSource('rule-cells') as GeoJSONSource | undefined, this.drawn.next(cellFeatures(this.count(alerts))));
  }
}

/** Each count as a point at its alerts' mean position, with `res`, `n` and `open`. */
export function cellFeatures(counts: ReadonlyMap<string, CellCount>): GeoJSON.Feature<GeoJSON.Point>[] {
  return [...counts].map(([id, c]) => ({
    type: 'Feature',
    id,
    geometry: { type: 'Point', coordinates: [toMetre(c.lon / c.n), toMetre(c.lat / c.n)] },
    properties: { id, res: c.res, n: c.n, open: c.open },
  }));
}

/** The counted circles, each band's from its zoom to the next's: yellow while any is open, darker once all are taken. */
export function addAlertCellLayers(map: MapLibreMap): void {
  map.addSource('rule-cells', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'id' });
  for (const { res, minzoom, maxzoom } of CELL_BANDS) {
    const filter: ['==', ['get', string], number] = ['==', ['get', 'res'], res];
    map.addLayer({
      id: `rule-cell-${res}`,
      type: 'circle',
      source: 'rule-cells',
      minzoom,
      maxzoom,
      filter,
      paint: {
        'circle-color': ['case', ['>', ['get', 'open'], 0], RULE_COLOURS.open, RULE_COLOURS.acknowledged],
        'circle-radius': ['interpolate', ['linear'], ['get', 'n'], 1, 7, 10, 10, 100, 13, 1000, 17],
        'circle-stroke-color': RULE_COLOURS.stroke,
        'circle-stroke-width': 1.5,
        'circle-opacity': 0.9,
      },
    });
    map.addLayer({
      id: `rule-cell-count-${res}`,
      type: 'symbol',
      source: 'rule-cells',
      minzoom,
      maxzoom,
      filter,
      layout: {
        'text-field': ['to-string', ['get', 'n']],
        'text-font': LABEL_FONT_STACK,
        'text-size': 12,
        // Every circle reads its count: a circle without one says nothing.
        'text-allow-overlap': true,
        'text-ignore-placement': true,
      },
      paint: { 'text-color': RULE_COLOURS.stroke },
    });
  }
}
