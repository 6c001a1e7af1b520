// The grid risk legend (网格风险): the four colours with how many grids of the
// drilled-into area are at each level, from GET /api/risk/areas/{code}.
// Pushes only say a grid changed: the counts are read again, at most once a
// second or so (throttled), and at once when the drill-down moves.

import type { Api } from '../shared/api';
import { esc } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { AreaRisk } from '../shared/types';
import { RISK_COLOURS } from './palette';
import { legendRows } from './riskModel';
import { overlay } from './overlay';

addTranslations({
  zh: {
    'risk.legend': '网格风险',
    'risk.colour.1': '红',
    'risk.colour.2': '橙',
    'risk.colour.3': '黄',
    'risk.colour.4': '蓝',
    'risk.short.1': '重大',
    'risk.short.2': '较大',
    'risk.short.3': '一般',
    'risk.short.4': '低',
    'risk.grids_total': '共 {n} 个网格',
  },
  en: {
    'risk.legend': 'Grid risk',
    'risk.colour.1': 'Red',
    'risk.colour.2': 'Orange',
    'risk.colour.3': 'Yellow',
    'risk.colour.4': 'Blue',
    'risk.short.1': 'major',
    'risk.short.2': 'significant',
    'risk.short.3': 'general',
    'risk.short.4': 'low',
    'risk.grids_total': 'Grids: {n}',
  },
});

/** The legend's HTML for an area's roll-up (null: not read yet). */
export function legendHtml(area: AreaRisk | null): string {
  const rows = legendRows(area)
    .map(
      (r) => `<div class="risk-legend-row" data-level="${r.level}" data-colour="${r.colour}">
        <i style="background:${RISK_COLOURS[r.level]}"></i><span>${esc(t(`risk.colour.${r.level}`))} · ${esc(t(`risk.short.${r.level}`))}</span>
        <b data-count="${r.colour}">${area ? r.count : '—'}</b></div>`,
    )
    .join('');
  const total = area ? `<small>${esc(t('risk.grids_total').replace('{n}', String(area.grids)))}</small>` : '';
  return `<h3>${esc(t('risk.legend'))}${area ? ` · <span class="area">${esc(area.name)}</span>` : ''}</h3>${rows}${total}`;
}

export class RiskLegend {
  readonly el: HTMLElement;
  area: AreaRisk | null = null;
  private code: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** How many reads answered: tests wait on it. */
  loads = 0;

  constructor(
    private readonly api: Api,
    parent: HTMLElement,
  ) {
    this.el = overlay(parent, 'risk-legend', false);
    this.render();
  }

  /** The drill-down moved: read the new area's counts now. */
  setArea(code: string): void {
    this.code = code;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.load();
  }

  /** A grid changed: read the counts again soon (once for a burst of pushes). */
  refreshSoon(delayMs = 1000): void {
    if (this.timer || !this.code) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, delayMs);
  }

  show(on: boolean): void {
    this.el.hidden = !on;
  }

  render(): void {
    this.el.innerHTML = legendHtml(this.area);
    this.el.dataset.area = this.area?.code ?? '';
  }

  private async load(): Promise<void> {
    const code = this.code;
    if (!code) return;
    try {
      const r = await this.api.get<{ area: AreaRisk }>(`/api/risk/areas/${encodeURIComponent(code)}`);
      if (code !== this.code) return;
      this.area = r.area;
      this.loads++;
      this.render();
    } catch {
      // keep the last counts; the next push or drill reads them again
    }
  }
}
