// The SOS alarm panel's HTML: one card per running alert, open ones (red,
// nobody has taken them) first, then acknowledged ones (amber) until they are
// closed. Who, where, when and how long ago, what they said, who is nearest,
// who took it; 认领 and 处置完毕 with a note for those who may, a sentence for
// those who may not. Plain data in, a string out.

import { lastStep, raisedNote } from '../shared/alertBook';
import { errorHtml } from '../shared/errors';
import { esc, formatClock, formatDistance, formatDuration } from '../shared/format';
import { addTranslations, type Lang, lang, t } from '../shared/i18n';
import type { SosAlert, UserRole } from '../shared/types';

addTranslations({
  zh: {
    'alarm.title': '一键求助 · 紧急警报',
    'alarm.open': '求助中 · 待认领',
    'alarm.acknowledged': '已认领 · 处置中',
    'alarm.grid': '网格',
    'alarm.raised': '发起',
    'alarm.note': '说明',
    'alarm.helpers': '附近人员',
    'alarm.no_helpers': '附近暂无在岗人员',
    'alarm.taken_by': '认领',
    'alarm.no_position': '位置未知，仅知所属网格',
    'alarm.ack': '认领',
    'alarm.close': '处置完毕',
    'alarm.note_placeholder': '处置说明（可选）',
    'alarm.read_only': '只读账号：认领与处置由本辖区的调度员、指挥长操作',
    'alarm.sound_off': '警报声音未开启：点击此处开启',
    'alarm.ago_s': '{n} 秒前',
    'alarm.ago': '{d}前',
    'alarm.fly': '点击在地图上定位',
  },
  en: {
    'alarm.title': 'SOS alarms',
    'alarm.open': 'SOS · not taken',
    'alarm.acknowledged': 'Taken · in hand',
    'alarm.grid': 'Grid',
    'alarm.raised': 'Raised',
    'alarm.note': 'Note',
    'alarm.helpers': 'Nearest',
    'alarm.no_helpers': 'No one on duty nearby',
    'alarm.taken_by': 'Taken by',
    'alarm.no_position': 'Position unknown: grid only',
    'alarm.ack': 'Acknowledge',
    'alarm.close': 'Close',
    'alarm.note_placeholder': 'Note (optional)',
    'alarm.read_only': 'Read-only login: dispatchers and commanders of the area acknowledge and close',
    'alarm.sound_off': 'The alarm sound is off: click here to turn it on',
    'alarm.ago_s': '{n} s ago',
    'alarm.ago': '{d} ago',
    'alarm.fly': 'Click to show it on the map',
  },
});

/** The roles that acknowledge and close an SOS (the server's rule; others get 403). */
const ACTING_ROLES: readonly UserRole[] = ['dispatcher', 'commander', 'admin'];

export const canHandleSos = (role: UserRole): boolean => ACTING_ROLES.includes(role);

/** How long ago it was raised: to the second in the first minute, then as durations read. */
export function agoText(ms: number, l: Lang = lang()): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return t('alarm.ago_s', l).replace('{n}', String(s));
  return t('alarm.ago', l).replace('{d}', formatDuration(ms, l));
}

export interface SosPanelView {
  alerts: readonly SosAlert[];
  now: number;
  canAct: boolean;
  /** The alarm is on but the browser keeps it silent (no gesture yet). */
  muted: boolean;
  areaName: (code: string) => string | null;
  /** Notes being typed, by alert. */
  drafts: ReadonlyMap<string, string>;
  /** Why the last action on an alert was refused. */
  errors: ReadonlyMap<string, unknown>;
  /** Alerts with an action under way. */
  pending: ReadonlySet<string>;
}

export function renderSosPanel(v: SosPanelView): string {
  const sound = v.muted ? `<button class="sos-sound" data-sos-sound data-testid="sos-sound">🔇 ${esc(t('alarm.sound_off'))}</button>` : '';
  return `<h2>${esc(t('alarm.title'))} <span class="count" data-testid="sos-count">${v.alerts.length}</span></h2>${sound}
    <div class="sos-list">${v.alerts.map((a) => sosCard(a, v)).join('')}</div>`;
}

function sosCard(a: SosAlert, v: SosPanelView): string {
  const grid = a.grid ? (v.areaName(a.grid) ?? a.grid) : '—';
  const note = raisedNote(a);
  const taken = lastStep(a, ['acknowledged']);
  const helpers = a.helpers.length
    ? a.helpers.map((h) => `${esc(h.name)} <small>${formatDistance(h.distance_m)}</small>`).join('、')
    : esc(t('alarm.no_helpers'));
  const rows = [
    [t('alarm.grid'), `${esc(grid)}${a.position ? '' : ` <small class="warn">${esc(t('alarm.no_position'))}</small>`}`],
    [t('alarm.raised'), `${formatClock(a.raised_ms)} · <span data-ago="${a.raised_ms}">${esc(agoText(v.now - a.raised_ms))}</span>`],
    ...(note ? [[t('alarm.note'), `<q>${esc(note)}</q>`]] : []),
    [t('alarm.helpers'), helpers],
    ...(taken ? [[t('alarm.taken_by'), `${esc(taken.by)} · ${formatClock(taken.at_ms)}${taken.note ? ` — ${esc(taken.note)}` : ''}`]] : []),
  ];
  const busy = v.pending.has(a.id) ? 'disabled' : '';
  const actions = v.canAct
    ? `<div class="sos-actions">
        <input name="sos-note" maxlength="500" placeholder="${esc(t('alarm.note_placeholder'))}" value="${esc(v.drafts.get(a.id) ?? '')}" />
        ${a.state === 'open' ? `<button class="sos-ack" data-sos-ack ${busy} data-testid="sos-ack">${esc(t('alarm.ack'))}</button>` : ''}
        <button class="sos-close" data-sos-close ${busy} data-testid="sos-close">${esc(t('alarm.close'))}</button></div>`
    : `<p class="hint" data-testid="sos-read-only">${esc(t('alarm.read_only'))}</p>`;
  const err = v.errors.get(a.id);
  return `<article class="sos-alert sos-${a.state}" data-alert="${esc(a.id)}" data-staff="${esc(a.staff_id)}" data-state="${a.state}" data-testid="sos-alert" title="${esc(t('alarm.fly'))}">
      <div class="sos-head"><span class="badge">${esc(t(`alarm.${a.state}`))}</span><b class="name" data-testid="sos-name">${esc(a.staff_name)}</b><small>${esc(a.staff_id)}</small></div>
      <dl>${rows.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>
      ${actions}${err ? errorHtml(err, 'sos') : ''}</article>`;
}
