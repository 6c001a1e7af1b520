// 事件来源 · 群众满意度: the statistics panel's issue-16 part — the channel
// mix of the period (by_source, a bar per channel), today's citizen reports
// and the citizens' satisfaction (average score and the share of 4 and 5).

import { esc, formatPercent } from '../shared/format';
import { t } from '../shared/i18n';
import { INCIDENT_SOURCES, type IncidentStats, type Satisfaction } from '../shared/types';
import { scaleBars } from './charts';
import { sourceLabel } from './intakeView';
import { fillIn } from './orgLabels';

/** Each channel's colour (an unknown one grey). */
export const SOURCE_COLOURS: Record<string, string> = {
  patrol: '#29b6f6',
  citizen: '#00e676',
  hotline: '#ffab00',
  camera: '#ab47bc',
  system: '#78909c',
};

export interface ChannelRow {
  source: string;
  count: number;
  share: number;
}

/**
 * The channels, the largest first; ties (zeros among them) in the usual order
 * (patrol, citizen, hotline, camera, system), then any channel the server adds.
 * Every known channel is listed, so the panel keeps its shape as counts change.
 */
export function channelMix(bySource: Partial<Record<string, number>> | null | undefined): ChannelRow[] {
  const counts = new Map<string, number>(INCIDENT_SOURCES.map((s) => [s, 0]));
  for (const [s, n] of Object.entries(bySource ?? {})) counts.set(s, Math.max(0, Number(n) || 0));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const order = [...counts.keys()];
  return [...counts.entries()]
    .map(([source, count]) => ({ source, count, share: total ? count / total : 0 }))
    .sort((a, b) => b.count - a.count || order.indexOf(a.source) - order.indexOf(b.source));
}

/** The satisfaction line's parts: average to one decimal, the satisfied share as a percentage; null without ratings. */
export function satisfactionFigures(s: Satisfaction | null | undefined): { average: string; rate: string; rated: number } | null {
  if (!s || s.rated <= 0 || s.average === null) return null;
  return { average: s.average.toFixed(1), rate: formatPercent(s.satisfied_rate), rated: s.rated };
}

/** The panel; a server without these figures leaves it saying none. */
export function renderIntakeStats(el: HTMLElement, stats: IncidentStats | null): void {
  if (!stats?.by_source && !stats?.satisfaction) {
    el.innerHTML = `<div class="empty">${esc(t('none'))}</div>`;
    return;
  }
  const rows = channelMix(stats.by_source);
  const widths = scaleBars(rows.map((r) => r.count), 100);
  const bars = rows
    .map(
      (r, n) => `<div class="mix-row" data-source="${esc(r.source)}" data-count="${r.count}" title="${esc(sourceLabel(r.source))} ${r.count} · ${formatPercent(r.share)}">
        <span class="k">${esc(sourceLabel(r.source))}</span><span class="bar"><i style="width:${widths[n]!.toFixed(1)}%;background:${SOURCE_COLOURS[r.source] ?? '#78909c'}"></i></span><span class="v">${r.count}</span></div>`,
    )
    .join('');
  const sat = satisfactionFigures(stats.satisfaction);
  const satHtml = sat
    ? `<span class="v" data-testid="satisfied-rate">${esc(sat.rate)}</span><span class="k">${esc(t('stats.satisfied_rate'))}</span>
       <span class="avg" data-testid="satisfaction-average" data-average="${esc(sat.average)}">★ ${esc(fillIn(t('stats.average'), { avg: sat.average }))}</span>
       <small>${esc(fillIn(t('stats.rated'), { n: sat.rated }))}</small>`
    : `<span class="empty" data-testid="no-ratings">${esc(t('stats.no_ratings'))}</span>`;
  el.innerHTML = `<div class="big"><span class="v" data-testid="citizen-today">${stats.citizen_today ?? 0}</span><span class="k">${esc(t('stats.citizen_today'))}</span></div>
    <div class="channel-mix" data-testid="channel-mix" aria-label="${esc(t('stats.channels'))}">${bars}</div>
    <div class="satisfaction${sat ? '' : ' none'}" data-testid="satisfaction"><span class="label">${esc(t('stats.satisfaction'))}</span>${satHtml}</div>`;
}
