// The live staff of the current subscription: snapshots replace it, moves and
// updates patch it. Kept as plain records so the map source can be rebuilt in
// one pass per frame. Each member is online or offline (freshness.ts): the
// map and the 在线 count read the same classification.

import type { Duty, StaffLive, StaffMove } from '../shared/types';
import { DEFAULT_STALE_AFTER_S, isOffline } from './freshness';

/** What changed since the map was last written: a whole rebuild, or a diff. */
export interface StaffChanges {
  full: boolean;
  added: Set<string>;
  changed: Set<string>;
}

export class StaffStore {
  readonly byId = new Map<string, StaffLive>();
  // The map source is patched with only what changed since the last frame;
  // rewriting 6,000 features ten times a second would keep the worker busy.
  private changes: StaffChanges = { full: true, added: new Set(), changed: new Set() };
  /** Who is offline as last classified: their feature says so until a fix or a re-check flips it. */
  private readonly offline = new Set<string>();
  /** The server's line between online and offline (hello's `stale_after_s`). */
  staleAfterMs = DEFAULT_STALE_AFTER_S * 1000;

  /** `serverNow`: the server's clock (ServerClock), so that ages are the server's. */
  constructor(private readonly serverNow: () => number = Date.now) {}

  /**
   * A snapshot is everything the subscription sees now: anyone missing has
   * left the view. The store keeps (and later changes) the records it is
   * given, a freshly parsed message's: copying a city of them costs more than
   * parsing it.
   */
  applySnapshot(staff: StaffLive[]): void {
    this.byId.clear();
    this.offline.clear();
    const now = this.serverNow();
    for (const s of staff) {
      this.byId.set(s.id, s);
      this.classify(s, now);
    }
    this.changes.full = true;
  }

  isOffline(id: string): boolean {
    return this.offline.has(id);
  }

  /**
   * Re-checks everyone against the clock (time alone turns a silent member
   * offline); the members that flipped go into the next map diff. Returns how
   * many flipped.
   */
  reclassify(): number {
    const now = this.serverNow();
    let flipped = 0;
    for (const s of this.byId.values()) {
      if (!this.classify(s, now)) continue;
      this.changes.changed.add(s.id);
      flipped++;
    }
    return flipped;
  }

  /** Classifies one member; true if that changed their state. */
  private classify(s: StaffLive, now: number): boolean {
    const off = isOffline(s.t, now, this.staleAfterMs);
    if (off === this.offline.has(s.id)) return false;
    if (off) this.offline.add(s.id);
    else this.offline.delete(s.id);
    return true;
  }

  /** Hands over (and forgets) what changed since the last call. */
  takeChanges(): StaffChanges {
    const c = this.changes;
    this.changes = { full: false, added: new Set(), changed: new Set() };
    return c;
  }

  /**
   * Applies one tick of moves, keeping per staff member the move with the
   * largest `t` (the server may deliver an older one after a resync). Returns
   * how many positions changed.
   */
  applyMoves(moves: StaffMove[]): number {
    let changed = 0;
    const now = this.serverNow();
    for (const m of moves) {
      const s = this.byId.get(m.id);
      if (!s) {
        // Someone who walked into view: moves carry enough to draw them until
        // the next snapshot or update fills in name and role.
        const added: StaffLive = {
          id: m.id,
          duty: m.duty ?? 'available',
          lon: m.lon,
          lat: m.lat,
          t: m.t,
          heading: m.heading ?? null,
          speed: m.speed ?? null,
        };
        this.byId.set(m.id, added);
        this.classify(added, now);
        this.changes.added.add(m.id);
        changed++;
        continue;
      }
      if (m.t < s.t) continue;
      s.lon = m.lon;
      s.lat = m.lat;
      s.t = m.t;
      if (m.duty) s.duty = m.duty;
      if (m.heading !== undefined) s.heading = m.heading;
      if (m.speed !== undefined) s.speed = m.speed;
      this.classify(s, now);
      this.changes.changed.add(m.id);
      changed++;
    }
    return changed;
  }

  /** A record change (duty status); the position is kept unless the update is newer. */
  applyUpdate(u: StaffLive): void {
    const s = this.byId.get(u.id);
    (s ? this.changes.changed : this.changes.added).add(u.id);
    const next = !s || u.t >= s.t ? { ...s, ...u } : { ...s, ...u, lon: s.lon, lat: s.lat, t: s.t };
    this.byId.set(u.id, next);
    this.classify(next, this.serverNow());
  }
}

export function onDuty(d: Duty): boolean {
  return d === 'available' || d === 'busy' || d === 'sos';
}

/** A member as a map feature (keyed by `id`): the markers from street zoom. */
export function staffFeature(s: StaffLive, offline: boolean): GeoJSON.Feature<GeoJSON.Point> {
  return {
    type: 'Feature',
    id: s.id,
    geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
    properties: {
      id: s.id,
      name: s.name ?? s.id,
      role: s.role ?? '',
      duty: s.duty,
      offline,
      heading: s.heading ?? 0,
      has_heading: s.heading !== null && s.heading !== undefined,
      t: s.t,
    },
  };
}
