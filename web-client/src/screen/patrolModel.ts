// 巡查覆盖 on the client: the statuses the server judges each grid's day by
// (docs: GET /api/patrol/coverage), how the map shades them (feature-state
// `patrol` on the areas source), which grids to repaint when an answer
// comes, the addresses asked, and a worker's day track as map features.

import type { ExpressionSpecification } from 'maplibre-gl';
import { queryString } from '../shared/api';
import type { BBox, GridPatrolDay, PatrolCoverage, PatrolStatus } from '../shared/types';
import { PATROL_FILL } from './palette';

/** The legend's order: done first, then what still needs walking. */
export const PATROL_STATUSES: readonly PatrolStatus[] = ['covered', 'partly', 'none', 'overdue'];

/** A status as the server sent it; anything unknown reads as 未巡查 (never as done). */
export function patrolStatus(s: unknown): PatrolStatus {
  return PATROL_STATUSES.includes(s as PatrolStatus) ? (s as PatrolStatus) : 'none';
}

/** The feature-state key the coverage layer writes on the areas source. */
export const PATROL_STATE = 'patrol';

/** `grid-patrol-fill`'s colour: the grid's status, transparent when none is held. */
export function patrolFillColour(): ExpressionSpecification {
  return [
    'match', ['coalesce', ['feature-state', PATROL_STATE], ''],
    'covered', PATROL_FILL.covered,
    'partly', PATROL_FILL.partly,
    'none', PATROL_FILL.none,
    'overdue', PATROL_FILL.overdue,
    'rgba(0,0,0,0)',
  ];
}

/** `grid-patrol-line`: overdue grids outlined in red, so they stand out among the fills. */
export function patrolLineColour(): ExpressionSpecification {
  return ['match', ['coalesce', ['feature-state', PATROL_STATE], ''], 'overdue', '#ff1744', 'rgba(0,0,0,0)'];
}

/** The grids per status, in the legend's order; counted from the grids when the counts are missing. */
export function statusCounts(view: Pick<PatrolCoverage, 'counts' | 'grids'> | null): { status: PatrolStatus; count: number }[] {
  return PATROL_STATUSES.map((status) => ({
    status,
    count: !view ? 0 : (view.counts?.[status] ?? view.grids.filter((g) => patrolStatus(g.status) === status).length),
  }));
}

/** What the map must be told after an answer: the grids whose status changed, and the ones to clear. */
export interface StateChanges {
  set: [string, PatrolStatus][];
  cleared: string[];
}

/** The status painted per grid: only the drilled area's grids are shaded. */
export class PatrolStates {
  readonly byCode = new Map<string, PatrolStatus>();

  /** An answer for the area: its grids replace what was held; held grids it leaves out are cleared. */
  replace(grids: readonly Pick<GridPatrolDay, 'code' | 'status'>[]): StateChanges {
    const set: [string, PatrolStatus][] = [];
    const seen = new Set<string>();
    for (const g of grids) {
      const status = patrolStatus(g.status);
      seen.add(g.code);
      if (this.byCode.get(g.code) !== status) set.push([g.code, status]);
      this.byCode.set(g.code, status);
    }
    const cleared = [...this.byCode.keys()].filter((code) => !seen.has(code));
    for (const code of cleared) this.byCode.delete(code);
    return { set, cleared };
  }

  /** Everything cleared (the layer switched off). */
  clear(): string[] {
    const codes = [...this.byCode.keys()];
    this.byCode.clear();
    return codes;
  }
}

export interface PatrolQuery {
  /** YYYY-MM-DD; null: today (the server's). */
  day: string | null;
  area: string | null;
}

/** `/api/patrol/coverage?day=…&area=…` */
export function coveragePath(q: PatrolQuery): string {
  return `/api/patrol/coverage${queryString({ day: q.day, area: q.area })}`;
}

/** `/api/patrol/log?day=…&area=…&format=csv`: 巡查台账 as a spreadsheet. */
export function logCsvPath(q: PatrolQuery): string {
  return `/api/patrol/log${queryString({ day: q.day, area: q.area, format: 'csv' })}`;
}

/** `/api/patrol/staff/{id}?day=…` */
export function workerDayPath(staffId: string, day: string | null): string {
  return `/api/patrol/staff/${encodeURIComponent(staffId)}${queryString({ day })}`;
}

/** The name the log is saved under: 巡查台账-2026-12-04.csv. */
export function logFileName(day: string): string {
  return `巡查台账-${day}.csv`;
}

/** A YYYY-MM-DD date moved by whole days (calendar arithmetic, no time zone involved). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y!, m! - 1, d! + n));
  return t.toISOString().slice(0, 10);
}

/** Whether a value is a date the server reads (YYYY-MM-DD, a real day). */
export function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && addDays(s, 0) === s;
}

// ---- a worker's day track ----------------------------------------------------

export type TrackPoint = [number, number, number];

/**
 * At most `max` points, evenly taken, the first and the last always kept
 * (the server thins a day to 2,000 already; this keeps the map light
 * whatever it sends).
 */
export function thinTrack(track: readonly TrackPoint[], max: number): TrackPoint[] {
  if (track.length <= max || max < 2) return track.slice();
  const out: TrackPoint[] = [];
  const step = (track.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(track[Math.round(i * step)]!);
  return out;
}

/**
 * The track as lines: split where the phone was silent longer than `gapMs`
 * (a straight line across an hour's gap would claim a walk nobody made), a
 * point repeated in place dropped; with a marker where the day began and one
 * where it ended.
 */
export function trackFeatures(track: readonly TrackPoint[], { gapMs = 10 * 60_000, max = 2_000 } = {}): GeoJSON.FeatureCollection {
  const pts = thinTrack(track, max);
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  let lastT = -Infinity;
  for (const [lon, lat, t] of pts) {
    if (t - lastT > gapMs && current.length) {
      segments.push(current);
      current = [];
    }
    lastT = t;
    const prev = current[current.length - 1];
    if (prev && prev[0] === lon && prev[1] === lat) continue;
    current.push([lon, lat]);
  }
  if (current.length) segments.push(current);
  const lines = segments.filter((s) => s.length > 1);
  const features: GeoJSON.Feature[] = [];
  if (lines.length) features.push({ type: 'Feature', geometry: { type: 'MultiLineString', coordinates: lines }, properties: { kind: 'line' } });
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (first) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [first[0], first[1]] }, properties: { kind: 'start' } });
  if (last && pts.length > 1) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [last[0], last[1]] }, properties: { kind: 'end' } });
  return { type: 'FeatureCollection', features };
}

/** The track's extent, or null for no track. */
export function trackBounds(track: readonly TrackPoint[]): BBox | null {
  if (!track.length) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of track) {
    w = Math.min(w, lon);
    s = Math.min(s, lat);
    e = Math.max(e, lon);
    n = Math.max(n, lat);
  }
  return [w, s, e, n];
}
