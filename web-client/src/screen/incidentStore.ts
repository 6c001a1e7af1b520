// The incidents the big screen knows: from snapshots, REST and /ws pushes.
// A push never replaces a newer version with an older one.

import type { AlertMessage, Incident, IncidentState, Warning } from '../shared/types';
import { TERMINAL_STATES } from '../shared/types';

export interface FeedItem {
  at: number;
  incident: Incident;
  /** What happened: the new state, or "new" for a first sight. */
  change: IncidentState | 'new';
}

export const FEED_LENGTH = 50;

export class IncidentStore {
  readonly byId = new Map<string, Incident>();
  readonly feed: FeedItem[] = [];
  readonly alerts: AlertMessage[] = [];

  /** Merges one incident; returns true if it was new or newer than what we had. */
  upsert(i: Incident, opts: { feed: boolean; at?: number } = { feed: false }): boolean {
    const old = this.byId.get(i.id);
    if (old && old.version > i.version) return false;
    if (old && old.version === i.version && old.warning === i.warning) return false;
    this.byId.set(i.id, i);
    if (opts.feed && (!old || old.state !== i.state)) {
      this.feed.unshift({ at: opts.at ?? i.updated_ms, incident: i, change: old ? i.state : 'new' });
      if (this.feed.length > FEED_LENGTH) this.feed.length = FEED_LENGTH;
    }
    return true;
  }

  /**
   * Seeds the feed with what awaits action when the page opens (or the
   * scope changes): each at its last change, newest first, behind nothing
   * that came live.
   */
  seedFeed(waiting: Incident[]): void {
    const have = new Set(this.feed.map((f) => f.incident.id));
    for (const i of waiting) {
      if (have.has(i.id)) continue;
      this.feed.push({ at: i.updated_ms, incident: this.byId.get(i.id) ?? i, change: i.state });
    }
    this.feed.sort((a, b) => b.at - a.at);
    if (this.feed.length > FEED_LENGTH) this.feed.length = FEED_LENGTH;
  }

  /** A warning level change: applied to the incident we hold and kept for the ticker. */
  applyAlert(a: AlertMessage): void {
    const i = this.byId.get(a.incident);
    if (i) this.byId.set(i.id, { ...i, warning: a.level });
    this.alerts.unshift(a);
    if (this.alerts.length > FEED_LENGTH) this.alerts.length = FEED_LENGTH;
  }

  /** Open incidents at red or yellow, red first, then by the earliest deadline. */
  overdue(inScope: (i: Incident) => boolean): Incident[] {
    const rank: Record<Warning, number> = { red: 0, yellow: 1, green: 2, none: 3 };
    return [...this.byId.values()]
      .filter((i) => inScope(i) && isOpen(i) && (i.warning === 'red' || i.warning === 'yellow'))
      .sort(
        (a, b) =>
          rank[a.warning] - rank[b.warning] ||
          (a.step_deadline_ms ?? a.deadline_ms ?? Infinity) - (b.step_deadline_ms ?? b.deadline_ms ?? Infinity),
      );
  }

  /** Incidents created since `since`, counted by state. */
  countByState(since: number, inScope: (i: Incident) => boolean): Map<IncidentState, number> {
    const out = new Map<IncidentState, number>();
    for (const i of this.byId.values()) {
      if (i.created_ms < since || !inScope(i)) continue;
      out.set(i.state, (out.get(i.state) ?? 0) + 1);
    }
    return out;
  }

  toFeatures(inScope: (i: Incident) => boolean): GeoJSON.FeatureCollection<GeoJSON.Point> {
    const features: GeoJSON.Feature<GeoJSON.Point>[] = [];
    for (const i of this.byId.values()) {
      if (!isOpen(i) || !inScope(i)) continue;
      features.push({
        type: 'Feature',
        id: i.id,
        geometry: { type: 'Point', coordinates: [i.lon, i.lat] },
        properties: {
          id: i.id,
          priority: i.priority,
          warning: i.warning,
          state: i.state,
          category_name: i.category_name ?? i.category,
        },
      });
    }
    return { type: 'FeatureCollection', features };
  }
}

export function isOpen(i: Incident): boolean {
  return !TERMINAL_STATES.has(i.state) && !i.report_only;
}
