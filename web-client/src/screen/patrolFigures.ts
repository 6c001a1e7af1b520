// 巡查覆盖's figures as people read them: percentages against the rule,
// kilometres, time on patrol, times of day, a status as a coloured badge,
// and a grid's day as the popup a click on it opens.

import { esc, formatDuration, formatTimeOfDay } from '../shared/format';
import { type Lang, lang, t } from '../shared/i18n';
import type { GridPatrolDay, PatrolStatus } from '../shared/types';
import { fillIn } from './orgLabels';
import { PATROL_COLOURS } from './palette';
import './patrolLabels';
import { patrolStatus } from './patrolModel';

/** A share 0–1 as a percentage: 13%, 100%, 4.5%, 0%; — for none. */
export function coveragePercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  const p = Math.max(0, share) * 100;
  const shown = p >= 10 || Number.isInteger(Math.round(p * 10) / 10) ? Math.round(p) : Math.round(p * 10) / 10;
  return `${shown}%`;
}

/** Metres as kilometres: 5234.1 → "5.23 km", 123456 → "123.5 km"; — for none. */
export function formatKm(m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m) || m < 0) return '—';
  return `${(m / 1000).toFixed(m < 100_000 ? 2 : 1)} km`;
}

/** Seconds on patrol: "17分钟", "1小时5分" / "17m", "1h 5m". */
export function formatPatrolTime(s: number, l: Lang = lang()): string {
  return Number.isFinite(s) ? formatDuration(Math.max(0, s) * 1000, l) : '—';
}

/** A status's label. */
export function statusLabel(s: PatrolStatus | string, l: Lang = lang()): string {
  return t(`patrol.status.${patrolStatus(s)}`, l);
}

/** The status as a badge in its colour (dark text on the light colours). */
export function statusBadge(s: PatrolStatus | string, l: Lang = lang()): string {
  const st = patrolStatus(s);
  const dark = st === 'partly' || st === 'covered';
  return `<span class="patrol-badge" data-status="${st}" style="background:${PATROL_COLOURS[st]};color:${dark ? '#1a1a1a' : '#fff'}">${esc(statusLabel(st, l))}</span>`;
}

export interface Figure {
  key: string;
  label: string;
  value: string;
  /** Below the value, smaller (the rule's time, say). */
  note?: string;
}

/** A grid's day, figure by figure: visits and coverage against the rule, cells, time, distance, workers, first visit. */
export function gridFigures(g: GridPatrolDay, l: Lang = lang()): Figure[] {
  const by = g.rule.visit_by ? fillIn(t('patrol.visit_by', l), { t: g.rule.visit_by }) : undefined;
  return [
    { key: 'visits', label: t('patrol.visits', l), value: fillIn(t('patrol.visits_of', l), { n: g.visits, rule: g.rule.visits_per_day }) },
    {
      key: 'coverage',
      label: t('patrol.coverage', l),
      value: fillIn(t('patrol.coverage_of', l), { p: coveragePercent(g.coverage), r: coveragePercent(g.rule.coverage) }),
    },
    { key: 'cells', label: t('patrol.cells_walked', l), value: fillIn(t('patrol.cells_of', l), { n: g.cells_walked, total: g.cells }) },
    { key: 'time', label: t('patrol.time', l), value: formatPatrolTime(g.time_s, l) },
    { key: 'distance', label: t('patrol.distance', l), value: formatKm(g.distance_m) },
    { key: 'workers', label: t('patrol.workers', l), value: String(g.workers) },
    {
      key: 'first_visit',
      label: t('patrol.first_visit', l),
      value: g.first_visit_ms === null ? t('patrol.not_yet', l) : formatTimeOfDay(g.first_visit_ms),
      note: by,
    },
  ];
}

/** Figures as a definition list, each value named by `data-figure`. */
export function figuresHtml(figures: Figure[]): string {
  return `<dl class="patrol-figures">${figures
    .map(
      (f) =>
        `<dt>${esc(f.label)}</dt><dd data-figure="${esc(f.key)}">${esc(f.value)}${f.note ? ` <small>${esc(f.note)}</small>` : ''}</dd>`,
    )
    .join('')}</dl>`;
}

export interface PopupContext {
  /** The day the figures are of. */
  day: string | null;
  /** The area's figures are being read: a grid without them is not known yet. */
  pending: boolean;
}

/** The popup of a grid clicked while the coverage layer is on (null: no figures for it). */
export function gridPopupHtml(code: string, g: GridPatrolDay | null, ctx: PopupContext, l: Lang = lang()): string {
  const head = `<div class="patrol-popup-head"><b>${esc(g?.name ?? code)}</b> <small>${esc(code)}</small></div>`;
  const { day } = ctx;
  if (!g) {
    const why = t(ctx.pending ? 'patrol.loading' : 'patrol.no_data', l);
    return `<div class="patrol-popup" data-testid="patrol-popup" data-grid="${esc(code)}">${head}<div class="empty">${esc(why)}</div></div>`;
  }
  const status = patrolStatus(g.status);
  return `<div class="patrol-popup" data-testid="patrol-popup" data-grid="${esc(code)}" data-status="${status}">${head}
    <div class="patrol-popup-status">${esc(t('patrol.grid', l))}${day ? ` · ${esc(day)}` : ''} ${statusBadge(status, l)}</div>
    ${figuresHtml(gridFigures(g, l))}</div>`;
}
