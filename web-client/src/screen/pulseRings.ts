// Rings pulsing over points of the map: HTML markers animated by CSS, so that
// the browser's compositor moves them and the map is not redrawn sixty times
// a second for them. Where WebGL runs on the CPU (a video-wall PC without a
// GPU driver) a map draw at district zoom costs 100–400 ms: a pulse drawn by
// the map itself held such a screen at three to nine frames a second.

import { type Map as MapLibreMap, Marker } from 'maplibre-gl';

/** A ring's point: the feature it rings (its `properties.id` names the ring). */
export type RingedPoint = GeoJSON.Feature<GeoJSON.Point>;

export class PulseRings {
  private readonly rings = new Map<string, Marker>();

  constructor(
    private readonly map: MapLibreMap,
    /** The data attribute naming a ring's point, for the tests (`sosRing`: `data-sos-ring`), and its class (the look). */
    private readonly mark: { data: string; className: string },
    /** Sets a ring's own classes from its point, on every show (MapLibre's classes on the element place it: only ours change). */
    private readonly style: (el: HTMLElement, point: RingedPoint) => void = () => {},
  ) {}

  /** Exactly these points ringed: new ones added, gone ones removed, kept ones moved and restyled. */
  show(points: Iterable<RingedPoint>): void {
    const keep = new Set<string>();
    for (const p of points) {
      const id = String(p.properties!.id);
      keep.add(id);
      const at = p.geometry.coordinates as [number, number];
      let ring = this.rings.get(id);
      if (!ring) {
        const el = document.createElement('div');
        el.dataset[this.mark.data] = id;
        el.classList.add(this.mark.className);
        ring = new Marker({ element: el }).setLngLat(at).addTo(this.map);
        this.rings.set(id, ring);
      } else {
        const was = ring.getLngLat();
        if (was.lng !== at[0] || was.lat !== at[1]) ring.setLngLat(at);
      }
      this.style(ring.getElement(), p);
    }
    for (const [id, ring] of this.rings) {
      if (keep.has(id)) continue;
      ring.remove();
      this.rings.delete(id);
    }
  }
}
