// 网格风险研判 — a grid's risk as the server judged it (GET /api/risk/grids/{code}):
// score and level, the parts as a stacked bar, every factor (largest first)
// with its points and share, and the last 30 days as a sparkline.

import type { Api } from '../shared/api';
import { esc } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { GridRiskDetail, RiskFactor, RiskParts } from '../shared/types';
import { sparklineSvg, stackedBarHtml } from './charts';
import { PART_COLOURS, RISK_COLOURS } from './palette';
import { sharePercent } from './riskModel';
import { overlay } from './overlay';

addTranslations({
  zh: {
    'risk.panel': '网格风险研判',
    'risk.score': '风险分值',
    'risk.parts': '构成',
    'risk.part.risk_sources': '风险源',
    'risk.part.key_places': '重点场所',
    'risk.part.incidents': '事件',
    'risk.part.camera_alarms': '视频告警',
    'risk.factors': '风险因素',
    'risk.trend': '近30天趋势',
    'risk.points': '分值',
    'risk.share': '计入',
    'risk.repeats': '重复',
    'risk.no_factors': '无风险因素',
    'risk.loading': '读取中…',
    'risk.failed': '读取失败',
  },
  en: {
    'risk.panel': 'Grid risk',
    'risk.score': 'Score',
    'risk.parts': 'Made of',
    'risk.part.risk_sources': 'Risk sources',
    'risk.part.key_places': 'Key places',
    'risk.part.incidents': 'Incidents',
    'risk.part.camera_alarms': 'Camera alarms',
    'risk.factors': 'Factors',
    'risk.trend': 'Last 30 days',
    'risk.points': 'Points',
    'risk.share': 'Counted',
    'risk.repeats': 'repeats',
    'risk.no_factors': 'No risk factors',
    'risk.loading': 'Loading…',
    'risk.failed': 'Could not load',
  },
});

const PARTS: (keyof RiskParts)[] = ['risk_sources', 'key_places', 'incidents', 'camera_alarms'];
const KIND_PART: Record<RiskFactor['kind'], keyof RiskParts> = {
  risk_source: 'risk_sources',
  key_place: 'key_places',
  incident: 'incidents',
  camera_alarm: 'camera_alarms',
};
/** A glyph per kind (no emoji: a wall PC may have no colour-emoji font). */
const KIND_ICON: Record<RiskFactor['kind'], string> = { risk_source: '◆', key_place: '■', incident: '●', camera_alarm: '▲' };

const pts = (v: number) => (Math.round(v * 10) / 10).toString();

function factorRow(f: RiskFactor): string {
  const part = KIND_PART[f.kind];
  const sub = [
    f.category && f.category !== f.name && !/^\d+$/.test(f.category) ? f.category : '',
    f.level ? t(`risk.${f.level}`) : '',
    f.kind === 'incident' || f.kind === 'camera_alarm' ? f.id : '',
  ].filter(Boolean);
  const repeats = f.repeats !== undefined && (f.kind === 'incident' || f.kind === 'camera_alarm')
    ? `<small class="repeats">${esc(t('risk.repeats'))} ${f.repeats}</small>` : '';
  return `<tr data-testid="risk-factor" data-kind="${esc(f.kind)}" data-id="${esc(f.id)}">
    <td class="kind" style="color:${PART_COLOURS[part]}" title="${esc(t(`risk.part.${part}`))}">${KIND_ICON[f.kind]}<small>${esc(t(`risk.part.${part}`))}</small></td>
    <td class="name">${esc(f.name)}<small>${esc(sub.join(' · '))}</small></td>
    <td class="num">${pts(f.points)}${repeats}</td><td class="num share">${sharePercent(f.share)}</td></tr>`;
}

/** Under the sparkline: where its 30 days start, and today's score. */
function trendAxis(d: GridRiskDetail): string {
  const last = d.trend[d.trend.length - 1];
  if (!last) return '';
  const start = new Date(`${last.day}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 29);
  return `<div class="spark-axis"><span>${start.toISOString().slice(5, 10)}</span><span>${esc(last.day.slice(5))} · ${pts(last.score)}</span></div>`;
}

/** The panel's HTML for a grid's detail. */
export function riskPanelHtml(d: GridRiskDetail): string {
  const parts = PARTS.map((k) => ({ key: k, label: t(`risk.part.${k}`), value: d.parts[k] ?? 0, colour: PART_COLOURS[k] }));
  const partKeys = parts
    .map((p) => `<span data-part="${p.key}"><i style="background:${p.colour}"></i>${esc(p.label)} ${pts(p.value)}</span>`)
    .join('');
  const factors = d.factors.length
    ? `<table class="factors"><thead><tr><th></th><th></th><th>${esc(t('risk.points'))}</th><th>${esc(t('risk.share'))}</th></tr></thead>
       <tbody>${d.factors.map(factorRow).join('')}</tbody></table>`
    : `<div class="empty">${esc(t('risk.no_factors'))}</div>`;
  return `<button class="close" data-close>${esc(t('close'))}</button>
    <h2>${esc(t('risk.panel'))}</h2>
    <div class="grid-name">${esc(d.name)} <small>${esc(d.code)}</small></div>
    <div class="score-row"><span class="score" data-testid="risk-score">${pts(d.score)}</span><span class="k">${esc(t('risk.score'))}</span>
      <span class="badge level-${d.level}" data-testid="risk-level" data-level="${d.level}" style="background:${RISK_COLOURS[d.level]}">${esc(t(`risk.${d.level}`))}</span></div>
    <h3>${esc(t('risk.parts'))}</h3>${stackedBarHtml(parts)}<div class="legend parts">${partKeys}</div>
    <h3>${esc(t('risk.trend'))}</h3>${sparklineSvg(d.trend)}${trendAxis(d)}
    <h3>${esc(t('risk.factors'))} (${d.factors.length})</h3>${factors}`;
}

export class RiskPanel {
  readonly el: HTMLElement;
  /** The grid shown (null: closed). */
  code: string | null = null;
  detail: GridRiskDetail | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    parent: HTMLElement,
  ) {
    this.el = overlay(parent, 'risk-panel', true);
    this.el.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('[data-close]')) this.close();
    });
  }

  async open(code: string): Promise<void> {
    this.code = code;
    if (this.detail?.code !== code) {
      this.detail = null;
      this.el.innerHTML = `<button class="close" data-close>${esc(t('close'))}</button><h2>${esc(t('risk.panel'))}</h2><div class="empty">${esc(t('risk.loading'))}</div>`;
    }
    this.el.hidden = false;
    this.el.dataset.grid = code;
    await this.load();
  }

  close(): void {
    this.code = null;
    this.detail = null;
    this.el.hidden = true;
    delete this.el.dataset.grid;
  }

  /** A push changed the grid shown: read it again (once for a burst). */
  refreshIfOpen(codes: Iterable<string>): void {
    if (!this.code || this.timer) return;
    for (const c of codes) {
      if (c !== this.code) continue;
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.load();
      }, 300);
      return;
    }
  }

  render(): void {
    if (this.detail) this.el.innerHTML = riskPanelHtml(this.detail);
  }

  private async load(): Promise<void> {
    const code = this.code;
    if (!code) return;
    try {
      const d = await this.api.get<GridRiskDetail>(`/api/risk/grids/${encodeURIComponent(code)}`);
      if (code !== this.code) return;
      this.detail = d;
      this.render();
    } catch (e) {
      if (code !== this.code) return;
      this.el.innerHTML = `<button class="close" data-close>${esc(t('close'))}</button><h2>${esc(t('risk.panel'))}</h2><div class="error">${esc(t('risk.failed'))}: ${esc(e instanceof Error ? e.message : e)}</div>`;
    }
  }
}
