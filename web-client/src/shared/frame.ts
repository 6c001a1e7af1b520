// Batches many updates into at most one map write per animation frame: a
// staff_moves message every 100 ms for thousands of staff must not turn into
// thousands of setData calls.

export class FrameBatcher {
  private pending = false;

  constructor(
    private readonly flush: () => void,
    private readonly schedule: (f: () => void) => void = (f) => requestAnimationFrame(() => f()),
  ) {}

  /** Marks the data dirty; `flush` runs once on the next frame however often this is called. */
  request(): void {
    if (this.pending) return;
    this.pending = true;
    this.schedule(() => {
      this.pending = false;
      this.flush();
    });
  }
}

/**
 * At most one flush per interval: the first request after a quiet interval
 * flushes at once, later ones wait for the interval's end and flush once with
 * whatever came meanwhile; a request `now` (a new SOS) flushes at once
 * whatever the interval. For writes that cost the map a re-layout of every
 * feature (a thousand rule alerts' labels, a street's staff markers), where
 * once a frame would still be several times a second. The interval may be
 * asked anew at each request (the map's pace, mapPace.ts), or given with it:
 * a request with a shorter interval brings a pending flush forward (a
 * marker's look changed while moves wait for the map's pace).
 */
export class IntervalBatcher {
  /** The group this batcher's flushes are taken with (FlushGroup.join). */
  group: FlushGroup | null = null;
  private last = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the pending flush runs. */
  private due = Infinity;

  constructor(
    private readonly flush: () => void,
    private readonly intervalMs: number | (() => number),
    private readonly now: () => number = () => performance.now(),
  ) {}

  request(now = false, intervalMs = typeof this.intervalMs === 'number' ? this.intervalMs : this.intervalMs()): void {
    const due = this.last + intervalMs;
    if (now || due <= this.now()) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      return this.run();
    }
    if (this.timer !== null) {
      if (this.due <= due) return;
      clearTimeout(this.timer);
    }
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, due - this.now());
  }

  /** Another of the group flushed: this one's pending flush runs with it once it has waited RIDE_SHARE of its interval. */
  rideAlong(): void {
    if (this.timer === null || this.now() < this.last + RIDE_SHARE * (this.due - this.last)) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.run();
  }

  private run(): void {
    this.last = this.now();
    this.flush();
    this.group?.flushed(this);
  }
}

/** How much of its interval a pending flush must have waited to be taken with another of its group. */
export const RIDE_SHARE = 0.5;

/**
 * Batchers whose flushes are taken together: when one flushes, every other
 * with a flush pending that has waited at least RIDE_SHARE of its interval
 * flushes in the same turn. For the live sources of one map (mapPace.ts):
 * each write of a source costs the map a re-tiling and whole-map draws, which
 * writes made in one turn share — on a screen drawn by the CPU a draw is
 * hundreds of milliseconds, and each source written on its own clock cost a
 * set of draws of its own.
 */
export class FlushGroup {
  private readonly members = new Set<IntervalBatcher>();
  private flushing = false;

  join(b: IntervalBatcher): IntervalBatcher {
    this.members.add(b);
    b.group = this;
    return b;
  }

  /** `by` flushed: the others nearly due flush with it (once: a flush taken along does not call others again). */
  flushed(by: IntervalBatcher): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const b of this.members) if (b !== by) b.rideAlong();
    } finally {
      this.flushing = false;
    }
  }
}
