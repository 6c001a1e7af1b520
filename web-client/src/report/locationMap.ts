// Where the problem is: a small map with one marker. It starts where the
// phone stands (navigator.geolocation); the marker can be dragged, and a tap
// on the map moves it there. Without a position (permission denied, no fix)
// the map opens on the city centre and asks for a tap. The map's style is the
// other pages' (screen/mapStyle.ts): a configured basemap, else a plain one.

import { Map as MapLibreMap, Marker, NavigationControl, type StyleSpecification } from 'maplibre-gl';
import { esc } from '../shared/format';
import { rt } from './strings';

/** The demo city's centre, where the big screen opens too. */
export const CITY_CENTRE: [number, number] = [120.65, 28.0];

export type Where = 'locating' | 'located' | 'denied' | 'unavailable' | 'placed';

export class LocationMap {
  readonly map: MapLibreMap;
  private marker: Marker | null = null;
  /** The marker's place; null until located or tapped. */
  position: { lon: number; lat: number } | null = null;
  where: Where = 'locating';
  private accuracy: number | null = null;

  constructor(
    el: HTMLElement,
    private readonly hint: HTMLElement,
    style: string | StyleSpecification,
    private readonly changed: () => void = () => {},
  ) {
    this.map = new MapLibreMap({
      container: el,
      style,
      center: CITY_CENTRE,
      zoom: 11,
      attributionControl: false,
      // Keep the drawing buffer so screenshots of the canvas are not blank.
      canvasContextAttributes: { preserveDrawingBuffer: true },
      dragRotate: false,
      pitchWithRotate: false,
    });
    this.map.touchZoomRotate.disableRotation();
    this.map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
    this.map.on('click', (ev) => {
      this.place(ev.lngLat.lng, ev.lngLat.lat);
      this.where = 'placed';
      this.render();
    });
    this.render();
  }

  /** Asks the phone where it is; a reading moves the marker unless the person placed it already. */
  locate(): void {
    if (!('geolocation' in navigator)) {
      this.where = 'unavailable';
      this.render();
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => {
        if (this.where === 'placed') return;
        this.accuracy = p.coords.accuracy;
        this.where = 'located';
        this.place(p.coords.longitude, p.coords.latitude);
        this.map.jumpTo({ center: [p.coords.longitude, p.coords.latitude], zoom: 16 });
        this.render();
      },
      (err) => {
        if (this.where === 'placed') return;
        this.where = err.code === err.PERMISSION_DENIED ? 'denied' : 'unavailable';
        this.render();
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  }

  private place(lon: number, lat: number): void {
    this.position = { lon: round(lon), lat: round(lat) };
    if (!this.marker) {
      this.marker = new Marker({ color: '#e53935', draggable: true }).setLngLat([lon, lat]).addTo(this.map);
      this.marker.getElement().dataset.testid = 'report-marker';
      this.marker.on('dragend', () => {
        const p = this.marker!.getLngLat();
        this.position = { lon: round(p.lng), lat: round(p.lat) };
        this.where = 'placed';
        this.render();
      });
    } else this.marker.setLngLat([lon, lat]);
    this.changed();
  }

  render(): void {
    const text =
      this.where === 'located'
        ? rt('where.located', { m: Math.round(this.accuracy ?? 0) })
        : rt(`where.${this.where}`);
    const p = this.position;
    const coords = p ? `<small class="coords" data-testid="report-coords">${esc(rt('where.coords', { lon: p.lon.toFixed(6), lat: p.lat.toFixed(6) }))}</small>` : '';
    this.hint.className = `where-hint where-${this.where}`;
    this.hint.dataset.where = this.where;
    this.hint.innerHTML = `<span>${esc(text)}</span>${coords}`;
  }
}

/** Six decimals: about 10 cm, more than any phone knows. */
const round = (x: number) => Math.round(x * 1e6) / 1e6;
