// 位置共享 — turns the browser's Geolocation readings into fixes sent at most
// once per interval. A reading that cannot be sent (no connection) is kept and
// sent in the next batch, so a phone that loses signal leaves no hole in its
// track; the server keeps an older fix in the track without moving the marker back.

export interface Reading {
  lon: number;
  lat: number;
  t: number;
  accuracy: number | null;
  speed: number | null;
  heading: number | null;
}

export interface OutgoingFix {
  lon: number;
  lat: number;
  t: number;
  accuracy?: number;
  speed?: number;
  heading?: number;
}

/** At most this many fixes wait for a connection (a day at one a minute). */
export const MAX_PENDING = 1440;

export class FixSharer {
  private latest: Reading | null = null;
  private lastSentT = -Infinity;
  private pending: OutgoingFix[] = [];

  constructor(public intervalMs: number) {}

  get lastReading(): Reading | null {
    return this.latest;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Records a reading from watchPosition; nothing is sent from here. */
  read(r: Reading): void {
    if (!this.latest || r.t >= this.latest.t) this.latest = r;
  }

  /**
   * Called on every timer tick: the fixes to send now (the queued ones plus
   * the newest reading if the interval has passed), oldest first.
   */
  due(now: number): OutgoingFix[] {
    const r = this.latest;
    if (r && r.t > this.lastSentT && now - this.lastSentT >= this.intervalMs) {
      this.lastSentT = r.t;
      this.pending.push(toFix(r));
      if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Puts fixes that could not be delivered back at the head of the queue. */
  requeue(fixes: OutgoingFix[]): void {
    this.pending = [...fixes, ...this.pending].slice(-MAX_PENDING);
  }
}

function toFix(r: Reading): OutgoingFix {
  const f: OutgoingFix = { lon: r.lon, lat: r.lat, t: r.t };
  if (r.accuracy !== null && Number.isFinite(r.accuracy)) f.accuracy = r.accuracy;
  if (r.speed !== null && Number.isFinite(r.speed)) f.speed = r.speed;
  if (r.heading !== null && Number.isFinite(r.heading)) f.heading = r.heading;
  return f;
}
