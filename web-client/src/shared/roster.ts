// 排班 (the shift roster) as the server keeps it (GET/PUT /api/roster): a
// shift is a grid, the staff due there, the weekdays it starts on and its
// local start and end (an end at or before the start runs past midnight).
// Read here for the big screen's 应到未到 panel and the admin's 排班 tab,
// with the days and the times said in words.

import { addTranslations, type Lang, lang, t } from './i18n';

addTranslations({
  zh: {
    'day.mon': '周一',
    'day.tue': '周二',
    'day.wed': '周三',
    'day.thu': '周四',
    'day.fri': '周五',
    'day.sat': '周六',
    'day.sun': '周日',
    'day.every': '每天',
    'day.run': '{from}至{to}',
    'day.sep': '、',
    'shift.overnight': '{start}–次日{end}',
  },
  en: {
    'day.mon': 'Mon',
    'day.tue': 'Tue',
    'day.wed': 'Wed',
    'day.thu': 'Thu',
    'day.fri': 'Fri',
    'day.sat': 'Sat',
    'day.sun': 'Sun',
    'day.every': 'Every day',
    'day.run': '{from}–{to}',
    'day.sep': ', ',
    'shift.overnight': '{start}–{end} next day',
  },
});

/** The weekdays a shift starts on, as the server writes them, Monday first. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export type Weekday = (typeof WEEKDAYS)[number];

/** A shift (班次) of the roster. */
export interface Shift {
  /** The grid's area code. */
  grid: string;
  /** The staff ids due. */
  staff: string[];
  days: Weekday[];
  /** `HH:MM`, local time; an `end` at or before `start` is the next day's. */
  start: string;
  end: string;
  /** 白班, 夜班 …; absent when it has none. */
  name?: string;
}

/** `GET` (the login's area, `?area=` under it) and `PUT` (an administrator's whole area). */
export const ROSTER_PATH = '/api/roster';

/** `GET /api/roster/due?area=`: who is due on duty now and where each stands. */
export const ROSTER_DUE_PATH = '/api/roster/due';

/** `HH:MM` as the server reads it: two digits each, 00:00 to 23:59. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Whether a shift runs past midnight: its end at or before its start. */
export const overnight = (start: string, end: string): boolean => end <= start;

/** 08:00–17:30; 22:00–次日06:00 / 22:00–06:00 next day. */
export function shiftTime(start: string, end: string, l: Lang = lang()): string {
  if (!overnight(start, end)) return `${start}–${end}`;
  return t('shift.overnight', l).replace('{start}', start).replace('{end}', end);
}

/**
 * The days in words, Monday first whatever the order given: 每天 / Every day
 * for all seven, three or more days in a row as one stretch (周一至周五 /
 * Mon–Fri), the rest one by one (周六、周日 / Sat, Sun). A day the page does
 * not know is said as it came.
 */
export function daysText(days: readonly string[], l: Lang = lang()): string {
  const known = WEEKDAYS.filter((d) => days.includes(d));
  const unknown = [...new Set(days.filter((d) => !(WEEKDAYS as readonly string[]).includes(d)))];
  if (known.length === WEEKDAYS.length && unknown.length === 0) return t('day.every', l);
  const name = (d: Weekday) => t(`day.${d}`, l);
  const parts: string[] = [];
  for (let i = 0; i < known.length; ) {
    let j = i;
    while (j + 1 < known.length && WEEKDAYS.indexOf(known[j + 1]!) === WEEKDAYS.indexOf(known[j]!) + 1) j++;
    if (j - i >= 2) parts.push(t('day.run', l).replace('{from}', name(known[i]!)).replace('{to}', name(known[j]!)));
    else for (let k = i; k <= j; k++) parts.push(name(known[k]!));
    i = j + 1;
  }
  return [...parts, ...unknown].join(t('day.sep', l));
}

/** The shifts of the server's `{"shifts": […]}` (none for anything else), by grid, then start. */
export function shiftsFrom(body: unknown): Shift[] {
  const list = (body as { shifts?: unknown } | null)?.shifts;
  if (!Array.isArray(list)) return [];
  return (list as Shift[])
    .filter((s) => s && typeof s.grid === 'string' && Array.isArray(s.staff) && Array.isArray(s.days))
    .sort((a, b) => (a.grid === b.grid ? (a.start < b.start ? -1 : a.start > b.start ? 1 : 0) : a.grid < b.grid ? -1 : 1));
}
