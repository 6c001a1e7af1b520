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

  private run(): void {
    this.last = this.now();
    this.flush();
  }
}
