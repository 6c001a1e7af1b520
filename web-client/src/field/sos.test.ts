import { describe, expect, it } from 'vitest';
import { ApiError } from '../shared/api';
import { errorMessage } from '../shared/errors';
import { setLang } from '../shared/i18n';
import { POSITION_MAX_AGE_MS } from './duty';
import { HOLD_MS, HoldToFire } from './holdToFire';
import { sharingInterval, sosRequest } from './sos';

describe('hold to fire', () => {
  it('fires once, only when held for the whole time', () => {
    const h = new HoldToFire(2000);
    h.press(0);
    expect(h.tick(1999)).toBe(false);
    expect(h.progress(1000)).toBeCloseTo(0.5);
    expect(h.tick(2000)).toBe(true);
    expect(h.tick(2100)).toBe(false); // once
    expect(h.holding).toBe(false);
    expect(h.pressed).toBe(true);
  });
  it('does nothing for a short press (a tap, a pocket)', () => {
    const h = new HoldToFire(2000);
    h.press(0);
    h.release();
    expect(h.tick(5000)).toBe(false);
    expect(h.progress(5000)).toBe(0);
  });
  it('starts again from zero after letting go; a second press while holding changes nothing', () => {
    const h = new HoldToFire();
    expect(h.holdMs).toBe(HOLD_MS);
    h.press(0);
    h.press(1500); // key repeat, another finger
    expect(h.progress(1500)).toBeCloseTo(1500 / HOLD_MS);
    h.release();
    h.press(3000);
    expect(h.tick(3000 + HOLD_MS - 1)).toBe(false);
    expect(h.tick(3000 + HOLD_MS)).toBe(true);
    // Fired: a new press needs a release first.
    h.press(9000);
    expect(h.tick(9000 + HOLD_MS)).toBe(false);
  });
});

describe('the SOS request and its sharing pace', () => {
  const reading = (t: number) => ({ lon: 120.66, lat: 28.01, t, accuracy: 9 });
  it('sends the position when the phone has a recent one', () => {
    expect(sosRequest(reading(1000), 2000)).toEqual({ position: { lon: 120.66, lat: 28.01, t: 1000, accuracy: 9 } });
    expect(sosRequest(reading(0), POSITION_MAX_AGE_MS + 1)).toEqual({});
    expect(sosRequest(null, 0)).toEqual({});
  });
  it('shares every share_every_s while it runs, at the chosen pace otherwise', () => {
    expect(sharingInterval(10_000, 5)).toBe(5000);
    expect(sharingInterval(30_000, null)).toBe(30_000);
    // A worker who shares more often than that keeps their pace.
    expect(sharingInterval(2000, 5)).toBe(2000);
  });
});

describe('refusals of the SOS', () => {
  it('are said in the page language', () => {
    const taken = new ApiError(409, 'conflict', 'alert sos-S1-1 is acknowledged: it cannot be acknowledged');
    const none = new ApiError(404, 'not_found', 'no active SOS');
    expect(errorMessage(taken, 'sos')).toContain('已被他人认领或已结束');
    expect(errorMessage(none, 'sos')).toContain('没有进行中的求助');
    expect(errorMessage(new ApiError(403, 'forbidden', 'a big screen changes nothing'), 'sos')).toContain('调度员');
    setLang('en');
    expect(errorMessage(taken, 'sos')).toContain('taken by someone else');
    setLang('zh');
  });
});
