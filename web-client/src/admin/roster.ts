// 排班 on the admin page, without the page: an import file read and checked
// shift by shift before anything is sent (`{"shifts": […]}` or a bare list;
// each shift a grid of the administrator's area, its staff, its days and
// its start and end as HH:MM, as PUT /api/roster takes them), the server's
// answer in words, the list's search and the download's file name.

import { type Shift, TIME_OF_DAY, WEEKDAYS } from '../shared/roster';
import { fill } from './dialog';
import './rosterLabels';

/** Rows the list draws at most: the search narrows a city's shifts. */
export const MAX_ROWS = 200;

/** What the server takes at most (server/src/roster.rs). */
export const MAX_SHIFTS = 20_000;
export const MAX_STAFF_PER_SHIFT = 50;
export const MAX_NAME_CHARS = 50;

/** The fields a shift may have: the server refuses any other. */
const FIELDS = ['grid', 'staff', 'days', 'start', 'end', 'name'] as const;

/** A sentence's key with its values (dialog.ts `fill`). */
export interface Notice {
  key: string;
  values: Record<string, string | number>;
}

/** A file read: the body for PUT /api/roster and how many shifts, or what is wrong with it. */
export type RosterFile = { ok: true; body: { shifts: Shift[] }; count: number } | { ok: false; problems: Notice[] };

export interface RosterChecks {
  /** Whether a code is a grid of the administrator's area (unchecked when not given). */
  isGrid?: (code: string) => boolean;
}

const notice = (key: string, values: Record<string, string | number> = {}): Notice => ({ key, values });

/**
 * Reads an import file's text: `{"shifts": […]}` or a bare list of shifts.
 * Every shift is checked (a grid, of the area when `isGrid` says; 1 to 50
 * staff ids; some of mon … sun; start and end as HH:MM, not the same; a name
 * of at most 50 characters; no other field) and every problem is said,
 * naming the shift by its place in the file (from 1) and its grid. An empty
 * list is a roster too: it clears the area's.
 */
export function readRosterFile(text: string, checks: RosterChecks = {}): RosterFile {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { ok: false, problems: [notice('roster.file.not_json')] };
  }
  const list = Array.isArray(json) ? json : (json as { shifts?: unknown } | null)?.shifts;
  if (!Array.isArray(list)) return { ok: false, problems: [notice('roster.file.shape')] };
  if (list.length > MAX_SHIFTS) return { ok: false, problems: [notice('roster.file.too_many', { n: list.length, max: MAX_SHIFTS })] };
  const problems = list.flatMap((raw, i) => shiftProblems(raw, i + 1, checks));
  return problems.length ? { ok: false, problems } : { ok: true, body: { shifts: list as Shift[] }, count: list.length };
}

/** What is wrong with one shift of the file, each sentence naming it. */
export function shiftProblems(raw: unknown, n: number, checks: RosterChecks = {}): Notice[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [notice('roster.file.not_object', { n })];
  const s = raw as Record<string, unknown>;
  const grid = typeof s.grid === 'string' ? s.grid.trim() : '';
  const which = { n, grid: grid || '—' };
  const out: Notice[] = [];
  const say = (key: string, values: Record<string, string | number> = {}) => out.push(notice(key, { ...which, ...values }));
  const unknown = Object.keys(s).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) say('roster.file.unknown_field', { fields: unknown.join(', ') });
  if (!grid) say('roster.file.no_grid');
  else if (checks.isGrid && !checks.isGrid(grid)) say('roster.file.grid_outside');
  const staff = s.staff;
  if (!Array.isArray(staff) || staff.length === 0) say('roster.file.no_staff');
  else if (staff.some((id) => typeof id !== 'string' || !id.trim())) say('roster.file.bad_staff');
  else if (staff.length > MAX_STAFF_PER_SHIFT) say('roster.file.too_many_staff', { count: staff.length, max: MAX_STAFF_PER_SHIFT });
  const days = s.days;
  if (!Array.isArray(days) || days.length === 0) say('roster.file.no_days');
  else {
    const bad = days.filter((d) => !(WEEKDAYS as readonly unknown[]).includes(d));
    if (bad.length) say('roster.file.bad_day', { days: bad.map((d) => JSON.stringify(d)).join(', ') });
  }
  for (const field of ['start', 'end'] as const) {
    const v = s[field];
    if (v === undefined || v === null || v === '') say('roster.file.no_time', { field });
    else if (typeof v !== 'string' || !TIME_OF_DAY.test(v)) say('roster.file.bad_time', { field, value: JSON.stringify(v) });
  }
  if (typeof s.start === 'string' && s.start === s.end && TIME_OF_DAY.test(s.start)) say('roster.file.same_time');
  if (s.name !== undefined && (typeof s.name !== 'string' || [...s.name].length > MAX_NAME_CHARS)) say('roster.file.bad_name', { max: MAX_NAME_CHARS });
  return out;
}

/** 已保存 3 个班次，替换原有 5 个: the server's `{"saved", "replaced"}` in words. */
export function savedText(r: { saved?: number; replaced?: number } | null | undefined): string {
  return fill('roster.saved', { saved: r?.saved ?? 0, replaced: r?.replaced ?? 0 });
}

/**
 * The shifts whose grid (code or name), shift name or a staff member (id or
 * name) holds the text, in any case; all for no text.
 */
export function filterShifts(
  shifts: readonly Shift[],
  text: string,
  names: { grid: (code: string) => string | null; staff: (id: string) => string | null },
): Shift[] {
  const q = text.trim().toLowerCase();
  if (!q) return [...shifts];
  const has = (v: string | null | undefined) => !!v && v.toLowerCase().includes(q);
  return shifts.filter((s) => has(s.grid) || has(names.grid(s.grid)) || has(s.name) || s.staff.some((id) => has(id) || has(names.staff(id))));
}

/** 排班-温州市-2026-12-04.json: the download's name (no characters a file system refuses). */
export function rosterFileName(areaName: string | null | undefined, day: string): string {
  const area = (areaName ?? '').replace(/[\\/:*?"<>|\s]+/g, '_').replace(/^_+|_+$/g, '');
  return `排班-${area ? `${area}-` : ''}${day}.json`;
}
