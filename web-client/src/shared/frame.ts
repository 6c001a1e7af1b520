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
