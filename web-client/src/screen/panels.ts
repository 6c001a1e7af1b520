// The side panels: today's incidents by state, on-time rate, staff online and
// on duty by role, the overdue list, the live feed and the alerts ticker.
// Each takes plain data and writes one container's HTML; renderTitles the headings.

import { esc, formatClock, formatDuration, formatPercent } from '../shared/format';
import { addTranslations, lang, t } from '../shared/i18n';
import { categoryName } from '../shared/names';
import type { AlertMessage, Incident, IncidentState, IncidentStats, StaffRole } from '../shared/types';
import { INCIDENT_STATES, STAFF_ROLES } from '../shared/types';
import type { FeedItem } from './incidentStore';
import { DUTY_COLOURS, OFFLINE_COLOUR } from './palette';

addTranslations({
  zh: { 'legend.offline': '离线（{d}无定位）', 'legend.hex': '六边形：人数（街道级以下）', 'panel.ticker': '时限预警', 'ticker.none': '暂无时限预警' },
  en: {
    'legend.offline': 'Offline (no fix for {d})',
    'legend.hex': 'Hexagon: staff count (below street zoom)',
    'panel.ticker': 'Deadline warnings',
    'ticker.none': 'No deadline warnings',
  },
});

export function renderToday(el: HTMLElement, stats: IncidentStats | null, local: Map<IncidentState, number>): void {
  // The server's statistics when we have them; our own count of what we hold otherwise.
  const byState = stats?.by_state ?? Object.fromEntries(local);
  const total = stats?.total ?? [...local.values()].reduce((a, b) => a + b, 0);
  const cells = INCIDENT_STATES.map(
    (s) =>
      `<div class="kv state-${s}" data-state="${s}"><span class="k">${esc(t(`state.${s}`))}</span><span class="v">${byState[s] ?? 0}</span></div>`,
  ).join('');
  el.innerHTML = `<div class="big"><span class="v" data-testid="today-total">${total}</span><span class="k">${esc(t('total'))}</span></div><div class="grid4">${cells}</div>`;
}

export function renderOnTime(el: HTMLElement, stats: IncidentStats | null): void {
  const rate = stats?.on_time_rate ?? null;
  const pct = rate === null ? 0 : Math.round(rate * 100);
  el.innerHTML = `<div class="gauge" style="--pct:${pct}"><span class="v" data-testid="on-time-rate">${formatPercent(rate)}</span></div>
    <div class="sub">${stats ? `${stats.handled_on_time} / ${stats.handled}` : '—'} · ${esc(t('warning.red'))} ${stats?.warnings.red ?? 0} · ${esc(t('warning.yellow'))} ${stats?.warnings.yellow ?? 0}</div>`;
}

/**
 * What the staff dots' colours mean; offline is a colour of its own, whatever
 * the duty. Below street zoom the staff are hexagons with counts instead.
 */
function staffLegend(staleAfterMs: number): string {
  const duty = (['available', 'busy', 'sos', 'off'] as const).map((d) => [d, DUTY_COLOURS[d], t(`duty.${d}`)]);
  const offline = ['offline', OFFLINE_COLOUR, t('legend.offline').replace('{d}', formatDuration(staleAfterMs, lang()))];
  const hex = ['hex', 'rgba(0, 210, 130, 0.7)', t('legend.hex')];
  return `<div class="legend" data-testid="staff-legend">${[...duty, offline, hex]
    .map(([key, colour, label]) => `<span data-legend="${key}"><i style="background:${colour}"></i>${esc(label)}</span>`)
    .join('')}</div>`;
}

/** Digits of the two headline figures together beyond which they are drawn smaller. */
export const LONG_FIGURES = 10;

export function renderStaff(
  el: HTMLElement,
  counts: Map<StaffRole | 'unknown', { online: number; onDuty: number; busy: number }>,
  inViewOnly: boolean,
  staleAfterMs: number,
): void {
  let online = 0;
  let onDuty = 0;
  const rows = STAFF_ROLES.map((r) => {
    const c = counts.get(r) ?? { online: 0, onDuty: 0, busy: 0 };
    online += c.online;
    onDuty += c.onDuty;
    return `<tr data-role="${r}"><td>${esc(t(`role.${r}`))}</td><td>${c.online}</td><td>${c.onDuty}</td><td class="busy">${c.busy}</td></tr>`;
  }).join('');
  const other = counts.get('unknown');
  if (other) {
    online += other.online;
    onDuty += other.onDuty;
  }
  // 视野内 qualifies every figure in the panel: said in its heading, where it takes no line of its own.
  const heading = el.parentElement?.querySelector('h2');
  if (heading) heading.dataset.hint = inViewOnly ? `(${t('panel.in_view')})` : '';
  // A city's six or seven digits each would push 在岗 / On duty onto a line of its own, and the legend off the column's foot: the figures shrink instead.
  const long = `${online}${onDuty}`.length > LONG_FIGURES;
  el.innerHTML = `<div class="big${long ? ' long' : ''}"><span class="v" data-testid="staff-online">${online}</span><span class="k">${esc(t('online'))}</span>
      <span class="v" data-testid="staff-on-duty">${onDuty}</span><span class="k">${esc(t('on_duty'))}</span></div>
    <table class="roles"><thead><tr><th></th><th>${esc(t('online'))}</th><th>${esc(t('on_duty'))}</th><th>${esc(t('duty.busy'))}</th></tr></thead><tbody>${rows}</tbody></table>
    ${staffLegend(staleAfterMs)}`;
}

function deadlineText(i: Incident, now: number): string {
  const d = i.step_deadline_ms ?? i.deadline_ms;
  if (!d) return '';
  const left = d - now;
  return left < 0
    ? `${lang() === 'zh' ? '超期' : 'overdue'} ${formatDuration(-left, lang())}`
    : `${lang() === 'zh' ? '剩余' : 'left'} ${formatDuration(left, lang())}`;
}

export function renderOverdue(el: HTMLElement, list: Incident[], now: number): void {
  if (list.length === 0) {
    el.innerHTML = `<div class="empty">${esc(t('none'))}</div>`;
    return;
  }
  el.innerHTML = list
    .slice(0, 30)
    .map(
      (i) => `<button class="row warn-${i.warning}" data-incident="${esc(i.id)}">
        <span class="dot"></span><span class="title">${esc(categoryName(i))}</span>
        <span class="state">${esc(t(`state.${i.state}`))}</span><span class="time">${esc(deadlineText(i, now))}</span></button>`,
    )
    .join('');
}

export function renderFeed(el: HTMLElement, feed: FeedItem[]): void {
  if (feed.length === 0) {
    el.innerHTML = `<div class="empty">${esc(t('none'))}</div>`;
    return;
  }
  el.innerHTML = feed
    .slice(0, 30)
    .map(
      (f) => `<button class="row prio-${f.incident.priority} warn-${f.incident.warning}" data-incident="${esc(f.incident.id)}">
        <span class="time">${formatClock(f.at)}</span>
        <span class="state">${esc(f.change === 'new' ? t('state.reported') : t(`state.${f.change}`))}</span>
        <span class="title">${esc(categoryName(f.incident))} · ${esc(f.incident.description.slice(0, 40))}</span></button>`,
    )
    .join('');
}

/** The panels' headings, in the page's language. */
export function renderTitles(): void {
  for (const [id, key] of [
    ['today', 'panel.today'],
    ['ontime', 'panel.on_time'],
    ['intake', 'panel.intake'],
    ['staff', 'panel.staff'],
    ['overdue', 'panel.overdue'],
    ['feed', 'panel.feed'],
    ['ticker', 'panel.ticker'],
  ] as const) {
    const h = document.querySelector(`[data-title="${id}"]`);
    if (h) h.textContent = t(key);
  }
}

export function renderTicker(el: HTMLElement, alerts: AlertMessage[]): void {
  if (alerts.length === 0) {
    el.innerHTML = `<span class="empty">${esc(t('ticker.none'))}</span>`;
    return;
  }
  // Two copies side by side let the CSS animation loop without a jump.
  const items = alerts
    .slice(0, 12)
    .map(
      (a) =>
        `<span class="alert lvl-${a.level}">${formatClock(a.at_ms)} ${esc(t(`warning.${a.level}`))} · ${esc(a.title ?? a.incident)}</span>`,
    )
    .join('');
  el.innerHTML = `<div class="ticker-track">${items}${items}</div>`;
}
