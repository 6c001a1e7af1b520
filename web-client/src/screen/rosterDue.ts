// 排班 · 应到未到 on the big screen, without the page: GET /api/roster/due's
// answer (who of the drilled area is due on duty now, and where each
// stands), the counts, the people listed (未到岗 first, then 失联; those
// 在岗 are only counted), and the panel's HTML in the page's language.

import { esc } from '../shared/format';
import { addTranslations, type Lang, lang, t } from '../shared/i18n';
import { shiftTime } from '../shared/roster';
import type { Duty } from '../shared/types';

addTranslations({
  zh: {
    'panel.roster': '排班 · 应到未到',
    'roster.due': '应到',
    'roster.present': '在岗',
    'roster.unreachable': '失联',
    'roster.absent': '未到岗',
    'roster.no_shifts': '暂无排班',
    'roster.all_present': '应到人员均已在岗',
    'roster.more': '另有 {n} 人未列出',
    'roster.fix_min': '{n} 分钟未定位',
    'roster.fix_h': '{n} 小时未定位',
    'roster.fix_d': '{n} 天未定位',
    'roster.fix_never': '从未定位',
    'roster.absent_hint': '排班在岗但未上岗',
    'roster.unreachable_hint': '已上岗，但手机超过离线时限未回传定位',
  },
  en: {
    'panel.roster': 'Roster · due but absent',
    'roster.due': 'Due',
    'roster.present': 'Present',
    'roster.unreachable': 'Unreachable',
    'roster.absent': 'Absent',
    'roster.no_shifts': 'No shifts',
    'roster.all_present': 'Everyone due is on duty',
    'roster.more': '{n} more not listed',
    'roster.fix_min': 'no fix for {n} min',
    'roster.fix_h': 'no fix for {n} h',
    'roster.fix_d': 'no fix for {n} days',
    'roster.fix_never': 'never located',
    'roster.absent_hint': 'Due on a shift but not checked in',
    'roster.unreachable_hint': "Checked in, but the phone has sent no position for longer than the offline limit",
  },
});

/** 在岗 (checked in, heard from lately), 失联 (checked in, silent), 未到岗 (not checked in). */
export type Presence = 'present' | 'unreachable' | 'absent';

export const PRESENCES: readonly Presence[] = ['absent', 'unreachable', 'present'];

/** One member due on duty now. */
export interface DueStaff {
  staff_id: string;
  name: string;
  grid: string;
  grid_name: string;
  /** The shift's name, or ''. */
  shift: string;
  start: string;
  end: string;
  presence: Presence;
  duty: Duty;
  /** How old their last fix is, seconds; null: never heard from. */
  fix_age_s: number | null;
}

/** `GET /api/roster/due`. */
export interface DueView {
  at_ms: number;
  due: number;
  present: number;
  unreachable: number;
  absent: number;
  staff: DueStaff[];
}

/** Rows the panel lists at most: the rest are counted. */
export const MAX_LISTED = 50;

/** What the panel shows of an answer: the counts, and who is listed in which order. */
export interface DueModel {
  counts: Record<Presence | 'due', number>;
  /** 未到岗 then 失联, each by grid then id. */
  listed: DueStaff[];
}

const rank = (p: Presence) => PRESENCES.indexOf(p);

/**
 * The panel's model: the server's counts (recounted from the list when it
 * says none), and the members not on duty as they should be — 未到岗 first,
 * then 失联, each by grid and id as the server sorts them; 在岗 only counted.
 */
export function dueModel(view: Partial<DueView> | null | undefined): DueModel {
  const staff = Array.isArray(view?.staff) ? view.staff : [];
  const count = (p: Presence) => (typeof view?.[p] === 'number' ? view[p] : staff.filter((s) => s.presence === p).length);
  const listed = staff
    .filter((s) => s.presence === 'absent' || s.presence === 'unreachable')
    .sort((a, b) => rank(a.presence) - rank(b.presence) || (a.grid < b.grid ? -1 : a.grid > b.grid ? 1 : a.staff_id < b.staff_id ? -1 : a.staff_id > b.staff_id ? 1 : 0));
  return {
    counts: { due: typeof view?.due === 'number' ? view.due : staff.length, present: count('present'), unreachable: count('unreachable'), absent: count('absent') },
    listed,
  };
}

/** 35 分钟未定位 / no fix for 35 min (whole units, rounded down, a minute at least); 从未定位 for no fix. */
export function silentText(ageS: number | null | undefined, l: Lang = lang()): string {
  if (ageS === null || ageS === undefined || !Number.isFinite(ageS)) return t('roster.fix_never', l);
  const s = Math.max(0, Math.floor(ageS));
  const [key, n] = s < 3600 ? ['roster.fix_min', Math.max(1, Math.floor(s / 60))] : s < 86_400 ? ['roster.fix_h', Math.floor(s / 3600)] : ['roster.fix_d', Math.floor(s / 86_400)];
  return t(key as string, l).replace('{n}', String(n));
}

/** One person listed: the status, the name, the shift's time; the grid, the shift's name and (失联) how long silent. */
export function dueRowHtml(s: DueStaff, l: Lang = lang()): string {
  const where = [s.grid_name || s.grid, s.shift, s.presence === 'unreachable' ? silentText(s.fix_age_s, l) : ''].filter(Boolean);
  return `<button type="button" class="row roster-item presence-${esc(s.presence)}" data-staff="${esc(s.staff_id)}" data-grid="${esc(s.grid)}" data-presence="${esc(s.presence)}" data-testid="roster-item" title="${esc(`${s.staff_id} · ${s.grid} · ${t(`roster.${s.presence}_hint`, l)}`)}">
    <span class="badge">${esc(t(`roster.${s.presence}`, l))}</span><span class="title">${esc(s.name || s.staff_id)}</span>
    <span class="time">${esc(shiftTime(s.start, s.end, l))}</span><span class="where">${esc(where.join(' · '))}</span></button>`;
}

/** The panel: its title with how many are missing, 应到 · 在岗 · 失联 · 未到岗, the list (or 暂无排班). */
export function rosterPanelHtml(view: Partial<DueView> | null, l: Lang = lang()): string {
  const m = dueModel(view);
  const missing = m.counts.absent + m.counts.unreachable;
  const head = `<h2>${esc(t('panel.roster', l))} <span class="count${missing ? ' missing' : ''}" data-testid="roster-missing">${view && m.counts.due ? missing : ''}</span></h2>`;
  if (!view) return `${head}<div class="empty">…</div>`;
  if (m.counts.due === 0) return `${head}<div class="empty" data-testid="roster-empty">${esc(t('roster.no_shifts', l))}</div>`;
  const figures = (['due', 'present', 'unreachable', 'absent'] as const)
    .map((k) => `<span class="fig fig-${k}"><span class="k">${esc(t(`roster.${k}`, l))}</span> <span class="v" data-testid="roster-${k}">${m.counts[k]}</span></span>`)
    .join('<span class="sep"> · </span>');
  const rows = m.listed.slice(0, MAX_LISTED).map((s) => dueRowHtml(s, l)).join('');
  const more = m.listed.length > MAX_LISTED ? `<div class="empty">${esc(t('roster.more', l).replace('{n}', String(m.listed.length - MAX_LISTED)))}</div>` : '';
  const body = m.listed.length ? `${rows}${more}` : `<div class="empty" data-testid="roster-all-present">${esc(t('roster.all_present', l))}</div>`;
  return `${head}<div class="roster-counts" data-testid="roster-counts">${figures}</div><div class="list roster-list" data-testid="roster-list">${body}</div>`;
}
