// How long the big screen's map takes to show a write, and so how far apart
// the live layers' writes must be for the screen to stay smooth.
//
// A write of a source costs MapLibre a re-tiling on its worker and at least two
// whole-map draws (one when the source says it changed, one when its tiles come
// back). On a command-centre PC with a real GPU that is a few tens of
// milliseconds and the fixed intervals (staffLayer.ts) rule; where WebGL runs
// on the CPU (a video-wall PC without a GPU driver, or headless Chromium) a
// street-zoom draw is 150–200 ms, and a write every 330 ms kept the map drawing
// all the time: 6 frames a second, a pan or zoom dragging behind the hand. So
// the map's own cost sets the pace too: writes leave the map idle at least
// (1 − BUSY_SHARE) of the time, up to PACE_MAX_MS apart.

/** At most this share of the time goes on drawing the writes. */
export const BUSY_SHARE = 1 / 3;
/** However slow the map, a write at least this often: a walk still reads as a walk (a phone reports every few seconds). */
export const PACE_MAX_MS = 2000;
/** How much a new measurement moves the estimate (one slow draw, say behind a tile download, does not halve the rate at once). */
const SMOOTHING = 0.3;

/** The part of the map the pace watches. */
export interface Idling {
  once(type: 'idle', listener: () => void): unknown;
}

export class MapPace {
  /** The estimate of one write's cost: from the write until the map is idle and its last frame is on screen. */
  private busyMs: number | null = null;
  /** When the write being measured was handed over, or null when none is. */
  private since: number | null = null;

  constructor(
    private readonly map: Idling,
    private readonly now: () => number = () => performance.now(),
    /**
     * After `idle` the map has issued its last draw, but without a GPU the
     * browser waits for it only when it composites the frame: the next
     * animation frame begins after that wait.
     */
    private readonly nextFrame: (f: () => void) => void = (f) => requestAnimationFrame(() => f()),
  ) {}

  /**
   * A write was handed to the map. One still being drawn makes this one's
   * sample too: the map was busy for both. A hidden page draws nothing until it
   * is shown again, which is no measure of the map.
   */
  wrote(): void {
    if (this.since !== null || (typeof document !== 'undefined' && document.hidden)) return;
    const since = (this.since = this.now());
    this.map.once('idle', () =>
      this.nextFrame(() => {
        this.since = null;
        const sample = Math.min(this.now() - since, PACE_MAX_MS);
        this.busyMs = this.busyMs === null ? sample : this.busyMs + SMOOTHING * (sample - this.busyMs);
      }),
    );
  }

  /** The time to leave between two writes: `floorMs`, or longer while the map takes longer to show one (at most PACE_MAX_MS unless the floor is more). */
  intervalMs(floorMs: number): number {
    if (this.busyMs === null) return floorMs;
    return Math.max(floorMs, Math.min(this.busyMs / BUSY_SHARE, PACE_MAX_MS));
  }
}

const paces = new WeakMap<object, MapPace>();

/** The one pace of a map: every writer's writes cost the same drawing, and each is measured for all. */
export function paceOf(map: Idling): MapPace {
  let pace = paces.get(map);
  if (!pace) paces.set(map, (pace = new MapPace(map)));
  return pace;
}
