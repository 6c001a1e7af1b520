// The live staff of the current subscription: snapshots replace it, moves and
// updates patch it. Kept as plain records so the map source can be rebuilt in
// one pass per frame.

import type { Duty, StaffLive, StaffMove, StaffRole } from '../shared/types';

/** A staff member counts as online if their last fix is this recent. */
export const ONLINE_WINDOW_MS = 10 * 60_000;

export class StaffStore {
  readonly byId = new Map<string, StaffLive>();

  /** A snapshot is everything the subscription sees now: anyone missing has left the view. */
  applySnapshot(staff: StaffLive[]): void {
    this.byId.clear();
    for (const s of staff) this.byId.set(s.id, { ...s });
  }

  /**
   * Applies one tick of moves, keeping per staff member the move with the
   * largest `t` (the server may deliver an older one after a resync). Returns
   * how many positions changed.
   */
  applyMoves(moves: StaffMove[]): number {
    let changed = 0;
    for (const m of moves) {
      const s = this.byId.get(m.id);
      if (!s) {
        // Someone who walked into view: moves carry enough to draw them until
        // the next snapshot or update fills in name and role.
        this.byId.set(m.id, {
          id: m.id,
          duty: m.duty ?? 'available',
          lon: m.lon,
          lat: m.lat,
          t: m.t,
          heading: m.heading ?? null,
          speed: m.speed ?? null,
        });
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
      changed++;
    }
    return changed;
  }

  /** A record change (duty status); the position is kept unless the update is newer. */
  applyUpdate(u: StaffLive): void {
    const s = this.byId.get(u.id);
    if (!s || u.t >= s.t) {
      this.byId.set(u.id, { ...s, ...u });
    } else {
      this.byId.set(u.id, { ...s, ...u, lon: s.lon, lat: s.lat, t: s.t });
    }
  }

  /** Online and on-duty counts per role, for staff accepted by `inScope`. */
  countsByRole(
    now: number,
    inScope: (s: StaffLive) => boolean,
  ): Map<StaffRole | 'unknown', { online: number; onDuty: number; busy: number }> {
    const out = new Map<StaffRole | 'unknown', { online: number; onDuty: number; busy: number }>();
    for (const s of this.byId.values()) {
      if (!inScope(s)) continue;
      const key = s.role ?? 'unknown';
      let c = out.get(key);
      if (!c) out.set(key, (c = { online: 0, onDuty: 0, busy: 0 }));
      if (now - s.t <= ONLINE_WINDOW_MS) c.online++;
      if (onDuty(s.duty)) c.onDuty++;
      if (s.duty === 'busy') c.busy++;
    }
    return out;
  }

  toFeatures(): GeoJSON.FeatureCollection<GeoJSON.Point> {
    const features: GeoJSON.Feature<GeoJSON.Point>[] = [];
    for (const s of this.byId.values()) {
      features.push({
        type: 'Feature',
        id: s.id,
        geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
        properties: {
          id: s.id,
          name: s.name ?? s.id,
          role: s.role ?? '',
          duty: s.duty,
          heading: s.heading ?? 0,
          has_heading: s.heading !== null && s.heading !== undefined,
          t: s.t,
        },
      });
    }
    return { type: 'FeatureCollection', features };
  }
}

export function onDuty(d: Duty): boolean {
  return d === 'available' || d === 'busy' || d === 'sos';
}
