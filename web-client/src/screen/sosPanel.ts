// The alarm panel's HTML: one card per running alert, open ones (nobody has
// taken them) first, then acknowledged ones until they are closed. An SOS is
// red while open; a rule's alert (脱岗, 静止, 未按时入格, 逾期未检, 进入围栏,
// 离开围栏, 进入风险源缓冲区) is amber, says its kind, since
// when the rule has been broken and for how long. Who, where, when and how
// long ago, what they said, who is nearest, who took it; 认领 and 处置完毕
// with a note for those who may, a sentence for those who may not. Plain
// data in, a string out. A city can have a thousand 静止 alerts at once: the
// panel shows the first SOS_PANEL_MAX in that order, says how many more there
// are (the map marks every one with a position) and lists the next
// SOS_PANEL_MAX when asked, so a change is not a thousand cards unless someone
// wants them.

import { isRule, lastStep, raisedNote } from '../shared/alertBook';
import { errorHtml } from '../shared/errors';
import { esc, formatClock, formatDistance, formatDuration } from '../shared/format';
import { addTranslations, type Lang, lang, t } from '../shared/i18n';
import type { AlertKind, SosAlert, UserRole } from '../shared/types';
import { isRuleCrowd } from './sosMap';

addTranslations({
  zh: {
    'alarm.title': '告警 · 一键求助',
    'alarm.kind.left_grid': '脱岗',
    'alarm.kind.motionless': '静止 · 疑似摔倒',
    'alarm.map.left_grid': '脱岗',
    'alarm.map.motionless': '静止',
    'alarm.kind.not_visited': '未按时入格',
    'alarm.kind.place_overdue': '重点场所逾期未检',
    'alarm.map.not_visited': '未入格',
    'alarm.map.place_overdue': '未检',
    'alarm.call.not_visited': '本网格到时未有巡查：请联系网格员尽快入格',
    'alarm.call.place_overdue': '重点场所超过检查周期：请安排网格员上门检查并扫场所码',
    'alarm.kind.fence_enter': '进入围栏',
    'alarm.kind.fence_exit': '离开围栏',
    'alarm.kind.risk_zone': '进入风险源缓冲区',
    'alarm.map.fence_enter': '围栏',
    'alarm.map.fence_exit': '出栏',
    'alarm.map.risk_zone': '风险',
    'alarm.call.fence_enter': '进入电子围栏：核实人员是否需要进入该区域；必要时电话联系',
    'alarm.call.fence_exit': '离开电子围栏：核实人员是否应留在该区域内；必要时电话联系',
    'alarm.call.risk_zone': '靠近重大或较大风险源：提醒人员注意安全，核实是否需要进入；必要时电话联系',
    'alarm.rule_open': '待认领',
    'alarm.since': '开始',
    'alarm.lasted': '已持续 {d}',
    'alarm.rule_raised': '告警',
    'alarm.call.left_grid': '离开本人网格过久：请电话联系了解情况',
    'alarm.call.motionless': '长时间原地不动，可能摔倒：请立即电话联系确认安全',
    'alarm.open': '求助中 · 待认领',
    'alarm.acknowledged': '已认领 · 处置中',
    'alarm.grid': '网格',
    'alarm.raised': '发起',
    'alarm.note': '说明',
    'alarm.helpers': '附近人员',
    'alarm.no_helpers': '附近暂无在岗人员',
    'alarm.more': '另有 {n} 条告警未列出（按紧急程度只列前 {max} 条）',
    'alarm.list_more': '再列 {k} 条',
    'alarm.counted': '规则告警较多：地图在街道级以下按六边形显示告警数（黄圈，点击放大）',
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
    'alarm.title': 'Alerts · SOS',
    'alarm.kind.left_grid': 'Out of grid',
    'alarm.kind.motionless': 'Not moving — possible fall',
    'alarm.map.left_grid': 'OUT',
    'alarm.map.motionless': 'STILL',
    'alarm.kind.not_visited': 'Grid not visited on time',
    'alarm.kind.place_overdue': 'Key place overdue for inspection',
    'alarm.map.not_visited': 'LATE',
    'alarm.map.place_overdue': 'DUE',
    'alarm.call.not_visited': 'Nobody has patrolled this grid by its time: ask the grid worker to go in',
    'alarm.call.place_overdue': 'A key place is past its inspection rhythm: send the grid worker to inspect and scan its code',
    'alarm.kind.fence_enter': 'Entered a geofence',
    'alarm.kind.fence_exit': 'Left a geofence',
    'alarm.kind.risk_zone': "Within a risk source's buffer",
    'alarm.map.fence_enter': 'FENCE',
    'alarm.map.fence_exit': 'EXIT',
    'alarm.map.risk_zone': 'RISK',
    'alarm.call.fence_enter': 'Came into a geofence: check whether they need to be in this area; call them if need be',
    'alarm.call.fence_exit': 'Went out of a geofence: check whether they should have stayed inside; call them if need be',
    'alarm.call.risk_zone': 'Close to a major risk source: remind them to take care and check they need to be there; call them if need be',
    'alarm.rule_open': 'Not taken',
    'alarm.since': 'Since',
    'alarm.lasted': 'for {d}',
    'alarm.rule_raised': 'Raised',
    'alarm.call.left_grid': 'Out of their own grid too long: call them to ask why',
    'alarm.call.motionless': 'Not moving for a long time, may have fallen: call them now',
    'alarm.open': 'SOS · not taken',
    'alarm.acknowledged': 'Taken · in hand',
    'alarm.grid': 'Grid',
    'alarm.raised': 'Raised',
    'alarm.note': 'Note',
    'alarm.helpers': 'Nearest',
    'alarm.no_helpers': 'No one on duty nearby',
    'alarm.more': '{n} more alerts not shown here (only the {max} most urgent are)',
    'alarm.list_more': 'List {k} more',
    'alarm.counted': 'Many rule alerts: below street zoom the map counts them per hexagon (yellow circles; click to zoom in)',
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

/** A rule's kind as the panel names it (the SOS has its own badge). */
export const kindLabel = (kind: AlertKind, l: Lang = lang()): string => (kind === 'sos' ? 'SOS' : t(`alarm.kind.${kind}`, l));

/** How long a rule has been broken: 已持续 35 分钟, 已持续 2 小时 5 分钟; for 35 min, for 2 h 5 min. */
export function lastedText(ms: number, l: Lang = lang()): string {
  const total = Math.max(0, Math.floor(ms / 60_000));
  const h = Math.floor(total / 60);
  const m = total % 60;
  const d = l === 'zh' ? (h > 0 ? `${h} 小时 ${m} 分钟` : `${m} 分钟`) : h > 0 ? `${h} h ${m} min` : `${m} min`;
  return t('alarm.lasted', l).replace('{d}', d);
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
  /** How many cards to list (SOS_PANEL_MAX until the desk is asked for more). */
  listed?: number;
  /** The alert whose marker was clicked on the map: its card marked, and listed first if it would not be listed. */
  picked?: string;
}

/** The cards the panel lists at most (SOS first: the book's order). */
export const SOS_PANEL_MAX = 50;

export function renderSosPanel(v: SosPanelView): string {
  const sound = v.muted ? `<button class="sos-sound" data-sos-sound data-testid="sos-sound">🔇 ${esc(t('alarm.sound_off'))}</button>` : '';
  const listed = Math.min(v.alerts.length, v.listed ?? SOS_PANEL_MAX);
  const more = v.alerts.length - listed;
  const next = Math.min(more, SOS_PANEL_MAX);
  const moreLine =
    more > 0
      ? `<p class="sos-more" data-testid="sos-more">${esc(t('alarm.more').replace('{n}', String(more)).replace('{max}', String(listed)))}
        <button class="sos-list-more" data-sos-more data-testid="sos-list-more">${esc(t('alarm.list_more').replace('{k}', String(next)))}</button></p>`
      : '';
  // The map's yellow circles explained where they stand in for the markers (sosMap.ts, alertCells.ts).
  const counted =
    isRuleCrowd(v.alerts) ? `<p class="sos-counted" data-testid="sos-counted">${esc(t('alarm.counted'))}</p>` : '';
  const cards = v.alerts.slice(0, listed);
  const picked = v.picked === undefined || cards.some((a) => a.id === v.picked) ? undefined : v.alerts.find((a) => a.id === v.picked);
  if (picked) cards.unshift(picked);
  return `<h2>${esc(t('alarm.title'))} <span class="count" data-testid="sos-count">${v.alerts.length}</span></h2>${sound}${moreLine}${counted}
    <div class="sos-list">${cards.map((a) => sosCard(a, v)).join('')}</div>`;
}

function sosCard(a: SosAlert, v: SosPanelView): string {
  const rule = isRule(a);
  const grid = a.grid ? (v.areaName(a.grid) ?? a.grid) : '—';
  const note = raisedNote(a);
  const taken = lastStep(a, ['acknowledged']);
  const helpers = a.helpers.length
    ? a.helpers.map((h) => `${esc(h.name)} <small>${formatDistance(h.distance_m)}</small>`).join('、')
    : esc(t('alarm.no_helpers'));
  const since = a.since_ms ?? a.raised_ms;
  const rows = [
    [t('alarm.grid'), `${esc(grid)}${a.position ? '' : ` <small class="warn">${esc(t('alarm.no_position'))}</small>`}`],
    ...(rule
      ? [[t('alarm.since'), `${formatClock(since)} · <b class="lasted" data-since="${since}" data-testid="alert-lasted">${esc(lastedText(v.now - since))}</b>`]]
      : []),
    [t(rule ? 'alarm.rule_raised' : 'alarm.raised'), `${formatClock(a.raised_ms)} · <span data-ago="${a.raised_ms}">${esc(agoText(v.now - a.raised_ms))}</span>`],
    ...(note ? [[t('alarm.note'), `<q>${esc(note)}</q>`]] : []),
    ...(!rule || a.helpers.length ? [[t('alarm.helpers'), helpers]] : []),
    ...(taken ? [[t('alarm.taken_by'), `${esc(taken.by_name || taken.by)} · ${formatClock(taken.at_ms)}${taken.note ? ` — ${esc(taken.note)}` : ''}`]] : []),
  ];
  const busy = v.pending.has(a.id) ? 'disabled' : '';
  const actions = v.canAct
    ? `<div class="sos-actions">
        <input name="sos-note" maxlength="500" placeholder="${esc(t('alarm.note_placeholder'))}" value="${esc(v.drafts.get(a.id) ?? '')}" />
        ${a.state === 'open' ? `<button class="sos-ack" data-sos-ack ${busy} data-testid="sos-ack">${esc(t('alarm.ack'))}</button>` : ''}
        <button class="sos-close" data-sos-close ${busy} data-testid="sos-close">${esc(t('alarm.close'))}</button></div>`
    : `<p class="hint" data-testid="sos-read-only">${esc(t('alarm.read_only'))}</p>`;
  const err = v.errors.get(a.id);
  const state = rule && a.state === 'open' ? t('alarm.rule_open') : t(`alarm.${a.state}`);
  const head = rule
    ? `<span class="badge kind" data-testid="alert-kind">${esc(kindLabel(a.kind))}</span><span class="badge state">${esc(state)}</span>`
    : `<span class="badge">${esc(state)}</span>`;
  const call = rule ? `<p class="call">${esc(t(`alarm.call.${a.kind}`))}</p>` : '';
  const picked = a.id === v.picked ? ' sos-picked" data-picked="true' : '';
  return `<article class="sos-alert sos-${a.state}${rule ? ' rule-alert' : ''}${picked}" data-alert="${esc(a.id)}" data-kind="${esc(a.kind)}" data-staff="${esc(a.staff_id)}" data-state="${a.state}" data-testid="sos-alert" title="${esc(t('alarm.fly'))}">
      <div class="sos-head">${head}<b class="name" data-testid="sos-name">${esc(a.staff_name)}</b><small>${esc(a.staff_id)}</small></div>
      ${call}<dl>${rows.map(([k, val]) => `<dt>${esc(k)}</dt><dd>${val}</dd>`).join('')}</dl>
      ${actions}${err ? errorHtml(err, 'sos') : ''}</article>`;
}
