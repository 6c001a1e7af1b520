// 电子围栏 on the big screen: while the layer is on, the administrators'
// geofences of the login's area, read from GET /api/fences each time the
// layer is switched on, drawn as dashed magenta outlines over a faint fill
// with their names; a click inside one opens its popup (name, 进入/离开 提醒,
// id, who saved it when) instead of drilling into the grid there. A login
// that may not read them (403), or a server without them, draws none and
// says nothing: the layer is only empty.

import { type ExpressionSpecification, type GeoJSONSource, type LngLat, type Map as MapLibreMap, type PointLike, Popup } from 'maplibre-gl';
import { type Api, ApiError } from '../shared/api';
import { detectText, type Fence, FENCES_PATH, fencesFrom, updatedText } from '../shared/fences';
import { esc } from '../shared/format';
import { type AreaGeometry, labelPoint, pointInGeometry } from '../shared/geo';
import { addTranslations, type Lang, lang, t } from '../shared/i18n';
import { FENCE_COLOURS, LABEL_FONT_STACK } from './palette';

addTranslations({
  zh: { 'fence.title': '电子围栏' },
  en: { 'fence.title': 'Geofence' },
});

export const FENCE_SOURCE = 'fences';

/** The layers of the 电子围栏 switch (mapLayers.ts, GROUP_LAYERS). */
export const FENCE_LAYERS = ['fence-fill', 'fence-line', 'fence-label'];

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

/** The source and its layers, hidden until switched on: the fill catches clicks, the labels from street zoom. */
export function addFenceLayers(map: MapLibreMap): void {
  map.addSource(FENCE_SOURCE, { type: 'geojson', data: EMPTY });
  const polygons: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
  const hidden = { visibility: 'none' } as const;
  map.addLayer({ id: 'fence-fill', type: 'fill', source: FENCE_SOURCE, filter: polygons, layout: hidden,
    paint: { 'fill-color': FENCE_COLOURS.fill, 'fill-antialias': false } });
  map.addLayer({ id: 'fence-line', type: 'line', source: FENCE_SOURCE, filter: polygons, layout: { ...hidden, 'line-join': 'round' },
    paint: { 'line-color': FENCE_COLOURS.line, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1.2, 16, 2.5], 'line-dasharray': [3, 2] } });
  map.addLayer({ id: 'fence-label', type: 'symbol', source: FENCE_SOURCE, minzoom: 12, filter: ['==', ['geometry-type'], 'Point'],
    layout: { ...hidden, 'text-field': ['get', 'name'], 'text-font': LABEL_FONT_STACK, 'text-size': 12 },
    paint: { 'text-color': FENCE_COLOURS.label, 'text-halo-color': FENCE_COLOURS.halo, 'text-halo-width': 1.5 } });
}

/**
 * Where a fence's name is written: the middle of its extent when that is
 * inside it; else (a U, an L, parts apart) the middle of the widest stretch
 * inside its first outer ring, across that ring's middle latitude.
 */
export function fenceLabelPoint(g: Fence['geometry']): GeoJSON.Position {
  const area = g as AreaGeometry;
  const mid = labelPoint(area);
  if (pointInGeometry(mid, area)) return mid;
  const ring = (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0]?.[0]) ?? [];
  const lats = ring.map((p) => p[1]!);
  const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const xs: number[] = [];
  for (let i = 1; i < ring.length; i++) {
    const [x0, y0] = ring[i - 1] as [number, number];
    const [x1, y1] = ring[i] as [number, number];
    if (y0 > lat !== y1 > lat) xs.push(x0 + ((lat - y0) / (y1 - y0)) * (x1 - x0));
  }
  xs.sort((a, b) => a - b);
  let best = mid;
  for (let i = 0, width = -1; i + 1 < xs.length; i += 2) {
    if (xs[i + 1]! - xs[i]! > width) {
      width = xs[i + 1]! - xs[i]!;
      best = [(xs[i]! + xs[i + 1]!) / 2, lat];
    }
  }
  return best;
}

/** The `fences` source's features: each fence's shape and a point for its name, both carrying its id and name. */
export function fenceFeatures(fences: readonly Fence[]): GeoJSON.FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: fences.flatMap((f): GeoJSON.Feature[] => {
      const properties = { id: f.id, name: f.name, detect: f.detect.join(',') };
      return [
        { type: 'Feature', geometry: f.geometry, properties },
        { type: 'Feature', geometry: { type: 'Point', coordinates: fenceLabelPoint(f.geometry) }, properties },
      ];
    }),
  };
}

/** A fence's popup: its name, what it reports, its id, when and by whom it was saved. */
export function fencePopupHtml(f: Fence, l: Lang = lang()): string {
  const updated = updatedText(f, l);
  return `<div class="fence-popup" data-testid="fence-popup" data-fence="${esc(f.id)}">
    <b data-testid="fence-popup-name">${esc(f.name)}</b> <small>${esc(t('fence.title', l))}</small><br/>
    <span class="detect" data-testid="fence-popup-detect" data-detect="${esc(f.detect.join(','))}">${esc(detectText(f.detect, l))}</span><br/>
    <small>${esc(f.id)}${updated ? ` · ${esc(updated)}` : ''}</small></div>`;
}

export class FenceLayer {
  on = false;
  /** The fences last read (none before, or for a login that may not read them). */
  fences: Fence[] = [];
  /** Why the last read failed (kept for tests and debugging; the screen says nothing). */
  error: unknown = null;
  /** How many reads were drawn: tests wait on it. */
  loads = 0;
  private seq = 0;
  private popup: { id: string; popup: Popup } | null = null;

  constructor(
    private readonly api: Api,
    private readonly map: MapLibreMap,
  ) {
    // (Layer events wait for the layer: registered before it is added, they start once it is.)
    map.on('mouseenter', 'fence-fill', () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', 'fence-fill', () => (map.getCanvas().style.cursor = ''));
  }

  /** Switched on: read now (again each time it is switched on); off: the popup goes, a read under way is dropped. */
  show(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    if (on) void this.load();
    else {
      this.seq++;
      this.popup?.popup.remove();
    }
  }

  /** The fences changed on the server (`layer_changed`): read again if drawn (if not, switching on reads them). */
  async reload(): Promise<void> {
    if (this.on) await this.load();
  }

  /** The language changed: the open popup says it again. */
  render(): void {
    const f = this.popup && this.fences.find((x) => x.id === this.popup!.id);
    if (f) this.popup!.popup.setHTML(fencePopupHtml(f));
  }

  /** A click on the map: a fence there (layer on) opens its popup; true if one did. */
  openAt(point: PointLike, at: LngLat): boolean {
    if (!this.on || !this.map.getLayer('fence-fill')) return false;
    const hit = this.map.queryRenderedFeatures(point, { layers: ['fence-fill', 'fence-line'] })[0];
    const fence = hit && this.fences.find((f) => f.id === String(hit.properties.id));
    if (!fence) return false;
    this.popup?.popup.remove();
    const popup = new Popup({ className: 'dark-popup fence', maxWidth: '22rem' }).setLngLat(at).setHTML(fencePopupHtml(fence)).addTo(this.map);
    const open = { id: fence.id, popup };
    popup.on('close', () => {
      if (this.popup === open) this.popup = null;
    });
    this.popup = open;
    return true;
  }

  private async load(): Promise<void> {
    const seq = ++this.seq;
    try {
      const fences = fencesFrom(await this.api.get<unknown>(FENCES_PATH));
      if (seq !== this.seq) return;
      this.fences = fences;
      this.error = null;
    } catch (e) {
      if (seq !== this.seq) return;
      // A login that may not read them (403) or a server without fences (404) draws none, quietly;
      // on a failure of the moment what was drawn stays.
      this.error = e;
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) this.fences = [];
    }
    (this.map.getSource(FENCE_SOURCE) as GeoJSONSource | undefined)?.setData(fenceFeatures(this.fences));
    this.loads++;
  }
}
