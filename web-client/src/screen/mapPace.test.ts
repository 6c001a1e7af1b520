import { describe, expect, it } from 'vitest';
import { BUSY_SHARE, DRAWS_PER_WRITE, MapPace, PACE_MAX_MS } from './mapPace';

/** A map and a clock under the test's hand: `render()` issues a draw, `frame()` begins the next frame. */
function harness() {
  let clock = 0;
  const renders: (() => void)[] = [];
  const frames: (() => void)[] = [];
  const pace = new MapPace(
    { on: (_type, f) => renders.push(f) },
    () => clock,
    (f) => frames.push(f),
  );
  return {
    pace,
    advance: (ms: number) => (clock += ms),
    render: () => renders.forEach((f) => f()),
    frame: () => frames.splice(0).forEach((f) => f()),
    waiting: () => frames.length,
  };
}

/** One draw that holds the next frame back `ms` beyond a frame's 16.7. */
function draw(h: ReturnType<typeof harness>, ms: number): void {
  h.render();
  h.advance(ms + 1000 / 60);
  h.frame();
}

/** The interval a draw of `ms` asks for. */
const paced = (ms: number) => (DRAWS_PER_WRITE * ms) / BUSY_SHARE;

describe('map pace', () => {
  it('keeps the fixed interval until a draw has been timed, and while draws are cheap', () => {
    const h = harness();
    expect(h.pace.intervalMs(330)).toBe(330);
    draw(h, 4);
    expect(h.pace.intervalMs(330)).toBe(330);
    expect(h.pace.intervalMs(150)).toBe(150);
  });

  it("spaces writes so that drawing them takes at most BUSY_SHARE of the time", () => {
    const h = harness();
    draw(h, 150);
    expect(h.pace.intervalMs(330)).toBeCloseTo(paced(150));
    // a frame that was not held back costs nothing
    const quick = harness();
    quick.render();
    quick.advance(10);
    quick.frame();
    expect(quick.pace.intervalMs(0)).toBe(0);
  });

  it('moves with the map, a step at a time, and never past PACE_MAX_MS', () => {
    const h = harness();
    draw(h, 150);
    draw(h, 20);
    const after = h.pace.intervalMs(0);
    expect(after).toBeLessThan(paced(150));
    expect(after).toBeGreaterThan(paced(20));
    for (let i = 0; i < 30; i++) draw(h, 20);
    expect(h.pace.intervalMs(0)).toBeCloseTo(paced(20), 0);
    for (let i = 0; i < 30; i++) draw(h, 60_000);
    expect(h.pace.intervalMs(0)).toBe(PACE_MAX_MS);
    expect(h.pace.intervalMs(5000)).toBe(5000);
  });

  it('times one draw at a time, whatever keeps the map drawing', () => {
    const h = harness();
    h.render();
    h.advance(100);
    h.render(); // a second draw before the first's frame: not timed on its own
    expect(h.waiting()).toBe(1);
    h.advance(1000 / 60);
    h.frame();
    expect(h.pace.intervalMs(0)).toBeCloseTo(paced(100));
    // an animation drawing every frame still gives a measure
    for (let i = 0; i < 40; i++) draw(h, 50);
    expect(h.pace.intervalMs(0)).toBeCloseTo(paced(50), 0);
  });
});
