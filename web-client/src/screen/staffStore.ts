// The live staff of the current subscription: snapshots replace it, moves and
// updates patch it. Kept as plain records so the map source can be rebuilt in
// one pass per frame.

import type { Duty, StaffLive, StaffMove, StaffRole } from '../shared/types';

/** A staff member counts as online if their last fix is this recent. */
export const ONLINE_WINDOW_MS = 10 * 60_000;

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

  /** A snapshot is everything the subscription sees now: anyone missing has left the view. */
  applySnapshot(staff: StaffLive[]): void {
    this.byId.clear();
    for (const s of staff) this.byId.set(s.id, { ...s });
    this.changes.full = true;
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
      this.changes.changed.add(m.id);
      changed++;
    }
    return changed;
  }

  /** A record change (duty status); the position is kept unless the update is newer. */
  applyUpdate(u: StaffLive): void {
    const s = this.byId.get(u.id);
    (s ? this.changes.changed : this.changes.added).add(u.id);
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
    return { type: 'FeatureCollection', features: [...this.byId.values()].map(staffFeature) };
  }

  /** The changes as a MapLibre GeoJSON source diff (features keyed by `id`). */
  toDiff(c: StaffChanges): { add: GeoJSON.Feature[]; update: { id: string; newGeometry: GeoJSON.Point; addOrUpdateProperties: { key: string; value: unknown }[] }[] } {
    const add: GeoJSON.Feature[] = [];
    const update = [];
    for (const id of c.added) {
      const s = this.byId.get(id);
      if (s) add.push(staffFeature(s));
    }
    for (const id of c.changed) {
      const s = this.byId.get(id);
      if (!s || c.added.has(id)) continue;
      const f = staffFeature(s);
      update.push({
        id,
        newGeometry: f.geometry,
        addOrUpdateProperties: Object.entries(f.properties!).map(([key, value]) => ({ key, value })),
      });
    }
    return { add, update };
  }
}

export function onDuty(d: Duty): boolean {
  return d === 'available' || d === 'busy' || d === 'sos';
}

function staffFeature(s: StaffLive): GeoJSON.Feature<GeoJSON.Point> {
  return {
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
  };
}
