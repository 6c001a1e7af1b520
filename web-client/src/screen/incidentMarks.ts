// The incidents on the big screen's map: their source written at the map's
// pace, with the other live sources (mapPace.ts: on a screen drawn by the CPU
// each write costs whole-map draws, which writes taken together share), and
// 红色预警 — every overdue incident glows red (a still layer, mapLayers.ts) and
// the few in view pulse. The pulse is a CSS ring (pulseRings.ts), not a paint
// property changed every frame: that redrew the whole map sixty times a second
// while a red incident was in the source, and where the map is drawn by the CPU
// (400 ms a draw at district zoom) it held the screen at a few frames a second.

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { IntervalBatcher } from '../shared/frame';
import { bboxContainsPoint, viewBBox } from '../shared/geo';
import type { BBox } from '../shared/types';
import { paceOf } from './mapPace';
import { PulseRings, type RingedPoint } from './pulseRings';

/**
 * Past this many overdue incidents in view none pulses: dozens of rings are a
 * flickering carpet that points at nothing (the glow still marks each, and the
 * 超期预警 list names them). Zoomed in to fewer, they pulse again.
 */
export const RED_RINGS_MAX = 30;

/** The overdue incidents to ring: those in the view, while they are few. */
export function redRinged(features: readonly RingedPoint[], view: BBox): RingedPoint[] {
  const inView = features.filter((f) => f.properties?.warning === 'red' && bboxContainsPoint(view, f.geometry.coordinates as [number, number]));
  return inView.length > RED_RINGS_MAX ? [] : inView;
}

export class IncidentMarks {
  private readonly batch: IntervalBatcher;
  private readonly rings: PulseRings;
  /** The features last written (the rings are chosen among them). */
  private written: readonly RingedPoint[] = [];

  constructor(
    private readonly map: MapLibreMap,
    /** The incidents to draw (those of the drill-down's scope). */
    private readonly features: () => GeoJSON.FeatureCollection<GeoJSON.Point>,
    /** Whether the incidents' layers are switched on. */
    private readonly shown: () => boolean,
  ) {
    const pace = paceOf(map);
    this.batch = pace.writers.join(new IntervalBatcher(() => this.write(), () => pace.intervalMs(0)));
    this.rings = new PulseRings(map, { data: 'incidentRing', className: 'incident-ring' });
    map.on('moveend', () => this.ring());
  }

  /** The incidents changed: written at the map's pace, or `now` (a new drill-down). */
  request(now = false): void {
    this.batch.request(now);
  }

  private write(): void {
    const fc = this.features();
    this.written = fc.features;
    (this.map.getSource('incidents') as GeoJSONSource | undefined)?.setData(fc);
    this.ring();
  }

  /** Rings the overdue incidents in view (after a write, a move, or the layers switched). */
  ring(): void {
    this.rings.show(this.shown() ? redRinged(this.written, viewBBox(this.map)) : []);
  }
}
