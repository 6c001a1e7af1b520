// How long the big screen's map takes to draw a frame, and so how far apart
// the live layers' writes must be for the screen to stay smooth.
//
// A write of a source costs MapLibre a re-tiling on its worker and
// DRAWS_PER_WRITE whole-map draws (one when the source says it changed, one
// when its tiles come back, one more when symbols must be placed again). On a
// command-centre PC with a real GPU a draw takes a few milliseconds and the
// fixed intervals (staffLayer.ts, sosMap.ts) rule; where WebGL runs on the CPU
// (a video-wall PC without a GPU driver, or headless Chromium) a street-zoom
// draw is 150–200 ms, and a write every 330 ms kept the map drawing all the
// time: 6 frames a second, a pan or zoom dragging behind the hand. So the
// map's own cost sets the pace too: a writer's writes leave the map idle at
// least (1 − BUSY_SHARE) of the time, up to PACE_MAX_MS apart. The writers
// (the staff, the alerts and their counts, the incidents) each keep their own
// pace, but a write takes with it the others' pending writes that are nearly
// due (FlushGroup): written in one turn they can share the draws that would
// otherwise come one set per writer.
//
// A draw is timed from MapLibre's `render` event (its drawing issued) to the
// start of the next animation frame, less one frame: without a GPU the browser
// waits for the drawing when it composites that frame. Timing draws rather
// than writes keeps the measure true while something else keeps the map
// drawing (a pan, a fly-to, tiles coming in).

import { FlushGroup } from '../shared/frame';

/**
 * At most this share of the time goes on drawing each writer's writes. The
 * trade (PERFORMANCE.md, without a GPU): a third drew a street of 2,000
 * markers at 46 frames a second but brought a fix followed at street zoom
 * to the map in 0.88 s, near the second a browser test allows; 0.4 draws 35
 * and 0.74 s; a half drew 28 for no quicker fix.
 */
export const BUSY_SHARE = 0.4;
/** However slow the map, a write at least this often: a walk still reads as a walk (a phone reports every few seconds). */
export const PACE_MAX_MS = 2000;
/** Whole-map draws a write of a source costs MapLibre (counted at street zoom: PERFORMANCE.md). */
export const DRAWS_PER_WRITE = 3;
/** A frame at 60 Hz: the wait for the next frame that is not drawing. */
const FRAME_MS = 1000 / 60;
/** How much a new measurement moves the estimate (one slow draw, say behind a tile download, does not halve the rate at once). */
const SMOOTHING = 0.3;

/** The part of the map the pace watches. */
export interface Rendering {
  on(type: 'render', listener: () => void): unknown;
}

export class MapPace {
  /** The live sources' writers (staff, alerts, incidents): a write of one takes those nearly due with it, so that they share its draws. */
  readonly writers = new FlushGroup();
  /** The estimate of one draw's cost, ms. */
  private drawMs: number | null = null;
  /** A draw is being timed. */
  private timing = false;

  constructor(
    map: Rendering,
    private readonly now: () => number = () => performance.now(),
    private readonly nextFrame: (f: () => void) => void = (f) => requestAnimationFrame(() => f()),
  ) {
    map.on('render', () => this.rendered());
  }

  /** The map issued a draw: time it, one at a time (a hidden page draws nothing until shown, no measure of the map). */
  private rendered(): void {
    if (this.timing || (typeof document !== 'undefined' && document.hidden)) return;
    this.timing = true;
    const since = this.now();
    this.nextFrame(() => {
      this.timing = false;
      const sample = Math.min(Math.max(0, this.now() - since - FRAME_MS), PACE_MAX_MS);
      this.drawMs = this.drawMs === null ? sample : this.drawMs + SMOOTHING * (sample - this.drawMs);
    });
  }

  /** The time to leave between two writes: `floorMs`, or longer while the map takes longer to draw (at most PACE_MAX_MS unless the floor is more). */
  intervalMs(floorMs: number): number {
    if (this.drawMs === null) return floorMs;
    return Math.max(floorMs, Math.min((DRAWS_PER_WRITE * this.drawMs) / BUSY_SHARE, PACE_MAX_MS));
  }
}

const paces = new WeakMap<object, MapPace>();

/** The one pace of a map, which every writer asks. */
export function paceOf(map: Rendering): MapPace {
  let pace = paces.get(map);
  if (!pace) paces.set(map, (pace = new MapPace(map)));
  return pace;
}
