import { describe, expect, it } from 'vitest';
import { BUSY_SHARE, MapPace, PACE_MAX_MS } from './mapPace';

/** A map and a clock under the test's hand: `idle()` ends the map's drawing, `frame()` begins the next frame. */
function harness() {
  let clock = 0;
  const idlers: (() => void)[] = [];
  const frames: (() => void)[] = [];
  const pace = new MapPace(
    { once: (_type, f) => idlers.push(f) },
    () => clock,
    (f) => frames.push(f),
  );
  return {
    pace,
    advance: (ms: number) => (clock += ms),
    idle: () => idlers.splice(0).forEach((f) => f()),
    frame: () => frames.splice(0).forEach((f) => f()),
    waiting: () => idlers.length,
  };
}

/** One write the map takes `ms` to show, up to the frame after it is idle. */
function write(h: ReturnType<typeof harness>, ms: number): void {
  h.pace.wrote();
  h.advance(ms - 10);
  h.idle();
  h.advance(10);
  h.frame();
}

describe('map pace', () => {
  it('keeps the fixed interval until a write has been measured, and while writes are cheap', () => {
    const h = harness();
    expect(h.pace.intervalMs(330)).toBe(330);
    write(h, 40);
    expect(h.pace.intervalMs(330)).toBe(330);
    expect(h.pace.intervalMs(150)).toBe(150);
  });

  it('spaces writes so that the map draws them at most a third of the time', () => {
    const h = harness();
    write(h, 350);
    expect(h.pace.intervalMs(330)).toBeCloseTo(350 / BUSY_SHARE);
    // the time until the frame after idle counts: without a GPU that frame waits for the draw
    const early = harness();
    early.pace.wrote();
    early.advance(100);
    early.idle();
    early.advance(250);
    expect(early.pace.intervalMs(0)).toBe(0);
    early.frame();
    expect(early.pace.intervalMs(0)).toBeCloseTo(350 / BUSY_SHARE);
  });

  it('moves with the map, a step at a time, and never past PACE_MAX_MS', () => {
    const h = harness();
    write(h, 300);
    write(h, 30);
    const after = h.pace.intervalMs(0);
    expect(after).toBeLessThan(300 / BUSY_SHARE);
    expect(after).toBeGreaterThan(30 / BUSY_SHARE);
    for (let i = 0; i < 30; i++) write(h, 30);
    expect(h.pace.intervalMs(0)).toBeCloseTo(30 / BUSY_SHARE, 0);
    for (let i = 0; i < 30; i++) write(h, 60_000);
    expect(h.pace.intervalMs(0)).toBe(PACE_MAX_MS);
    expect(h.pace.intervalMs(5000)).toBe(5000);
  });

  it('measures writes that overlap as one: the map was busy with both', () => {
    const h = harness();
    h.pace.wrote();
    h.advance(200);
    h.pace.wrote();
    expect(h.waiting()).toBe(1);
    h.advance(200);
    h.idle();
    h.frame();
    expect(h.pace.intervalMs(0)).toBeCloseTo(400 / BUSY_SHARE);
    // and the next write is measured again
    write(h, 400);
    expect(h.pace.intervalMs(0)).toBeCloseTo(400 / BUSY_SHARE);
  });
});
