// The incidents on the big screen's map: their source written at the map's
// pace, with the other live sources (mapPace.ts: on a screen drawn by the CPU
// each write costs whole-map draws, which writes taken together share), and
// 红色预警 — overdue incidents pulse: one paint property per frame, no data
// rewrite, and only while a red incident is drawn, so an idle map stays idle.

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { IntervalBatcher } from '../shared/frame';
import { paceOf } from './mapPace';

export class IncidentMarks {
  private readonly batch: IntervalBatcher;
  private redShown = 0;
  private pulsing = false;

  constructor(
    private readonly map: MapLibreMap,
    /** The incidents to draw (those of the drill-down's scope). */
    private readonly features: () => GeoJSON.FeatureCollection<GeoJSON.Point>,
    /** Whether the incidents' layers are switched on. */
    private readonly shown: () => boolean,
  ) {
    const pace = paceOf(map);
    this.batch = pace.writers.join(new IntervalBatcher(() => this.write(), () => pace.intervalMs(0)));
  }

  /** The incidents changed: written at the map's pace, or `now` (a new drill-down). */
  request(now = false): void {
    this.batch.request(now);
  }

  private write(): void {
    const fc = this.features();
    this.redShown = fc.features.filter((f) => f.properties?.warning === 'red').length;
    (this.map.getSource('incidents') as GeoJSONSource | undefined)?.setData(fc);
    this.startPulse();
  }

  /** Pulses the red ones while any is drawn (the layers switched on again, or a write). */
  startPulse(): void {
    if (this.pulsing || this.redShown === 0) return;
    this.pulsing = true;
    requestAnimationFrame(this.pulse);
  }

  private pulse = (now: number): void => {
    if (this.redShown === 0 || !this.shown()) {
      this.pulsing = false;
      return;
    }
    const phase = (now % 1600) / 1600;
    this.map.setPaintProperty('incident-pulse', 'circle-radius', 8 + phase * 18);
    this.map.setPaintProperty('incident-pulse', 'circle-opacity', 0.55 * (1 - phase));
    requestAnimationFrame(this.pulse);
  };
}
