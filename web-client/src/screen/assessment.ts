// 考核 — the ranking GET /api/assessment answers, as the panel shows it: the
// levels it ranks and the order of the switch, each row's figures in words
// and numbers people read, and the address of the same ranking as CSV.

import { queryString } from '../shared/api';
import { formatPercent, localDate } from '../shared/format';
import { type Lang, lang, t } from '../shared/i18n';
import type { AssessmentLevel, AssessmentRow } from '../shared/types';
import { fillIn } from './orgLabels';

/** The level switch, in the order it shows: 街镇 first (the usual 考核), 区县 last. */
export const ASSESSMENT_LEVELS: readonly AssessmentLevel[] = ['street', 'department', 'worker', 'grid', 'district'];
export const PERIODS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

export interface AssessmentQuery {
  level: AssessmentLevel;
  area: string;
  from: number;
  to: number;
}

/** The period's bounds: the last `days` days up to `now` (whole minutes, so reads a moment apart are alike). */
export function periodOf(days: number, now: number): { from: number; to: number } {
  const to = Math.floor(now / 60_000) * 60_000;
  return { from: to - days * DAY_MS, to };
}

/** `/api/assessment?level=…&area=…&from=…&to=…` (with `format=csv` for the download). */
export function assessmentPath(q: AssessmentQuery, csv = false): string {
  return `/api/assessment${queryString({ level: q.level, area: q.area, from: q.from, to: q.to, format: csv ? 'csv' : undefined })}`;
}

/** The name the downloaded file is saved under: 考核排名-street-3303-2026-12-03.csv. */
export function csvFileName(q: AssessmentQuery): string {
  const day = localDate(q.to);
  return `${t('assess.title', 'zh')}-${q.level}-${q.area}-${day}.csv`;
}

/** 3.46 → "3.5 小时" / "3.5 h"; null (nothing handled) → — */
export function formatHours(h: number | null | undefined, l: Lang = lang()): string {
  if (h === null || h === undefined || !Number.isFinite(h)) return '—';
  return fillIn(t('assess.hours', l), { h: h < 10 ? h.toFixed(1) : Math.round(h).toString() });
}

/** The columns after rank and name, each a label key and the cell's text. */
export const ASSESSMENT_COLUMNS: readonly { key: string; cell: (r: AssessmentRow, l: Lang) => string; num?: boolean }[] = [
  { key: 'assess.on_time_rate', cell: (r) => formatPercent(r.on_time_rate) },
  { key: 'assess.closed', cell: (r) => String(r.closed), num: true },
  { key: 'assess.rework_rate', cell: (r) => formatPercent(r.rework_rate) },
  { key: 'assess.avg_hours', cell: (r, l) => formatHours(r.avg_handling_hours, l) },
  { key: 'assess.escalations', cell: (r) => String(r.escalations), num: true },
  { key: 'assess.supervisions', cell: (r) => String(r.supervisions), num: true },
];

/** How the on-time rate colours a row: ≥ 90 % good, < 70 % poor, between fair; no rate, none. */
export function rateClass(rate: number | null | undefined): 'good' | 'fair' | 'poor' | '' {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '';
  return rate >= 0.9 ? 'good' : rate < 0.7 ? 'poor' : 'fair';
}
