// 轨迹回放 — where a staff member was at any moment of a recorded track, for
// playing it back at a chosen speed.

import type { TrackFix } from '../shared/types';

export interface ReplayPosition {
  lon: number;
  lat: number;
  /** Index of the fix at or before the moment. */
  index: number;
}

/** Linear interpolation between the two fixes around `t` (clamped to the track). */
export function positionAt(fixes: TrackFix[], t: number): ReplayPosition | null {
  if (fixes.length === 0) return null;
  const first = fixes[0]!;
  const last = fixes[fixes.length - 1]!;
  if (t <= first.t) return { lon: first.lon, lat: first.lat, index: 0 };
  if (t >= last.t) return { lon: last.lon, lat: last.lat, index: fixes.length - 1 };
  // Binary search: the last fix with fix.t <= t.
  let lo = 0;
  let hi = fixes.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fixes[mid]!.t <= t) lo = mid;
    else hi = mid;
  }
  const a = fixes[lo]!;
  const b = fixes[hi]!;
  const f = b.t === a.t ? 0 : (t - a.t) / (b.t - a.t);
  return { lon: a.lon + (b.lon - a.lon) * f, lat: a.lat + (b.lat - a.lat) * f, index: lo };
}

/** The replay clock: track time advances `speed` times faster than wall time while playing. */
export class ReplayClock {
  private trackT: number;
  private wallAt: number | null = null;

  constructor(
    readonly start: number,
    readonly end: number,
    public speed = 10,
  ) {
    this.trackT = start;
  }

  get playing(): boolean {
    return this.wallAt !== null;
  }

  play(wallNow: number): void {
    if (this.trackT >= this.end) this.trackT = this.start;
    this.wallAt = wallNow;
  }

  pause(wallNow: number): void {
    this.trackT = this.now(wallNow);
    this.wallAt = null;
  }

  setSpeed(speed: number, wallNow: number): void {
    this.trackT = this.now(wallNow);
    if (this.wallAt !== null) this.wallAt = wallNow;
    this.speed = speed;
  }

  seek(t: number, wallNow: number): void {
    this.trackT = Math.min(this.end, Math.max(this.start, t));
    if (this.wallAt !== null) this.wallAt = wallNow;
  }

  /** Track time now; stops (pauses itself) at the end. */
  now(wallNow: number): number {
    if (this.wallAt === null) return this.trackT;
    const t = this.trackT + (wallNow - this.wallAt) * this.speed;
    if (t >= this.end) {
      this.trackT = this.end;
      this.wallAt = null;
      return this.end;
    }
    return t;
  }
}
