// 研判分析 — the incidents of the drilled-into area over 7, 30 or 90 days, from
// GET /api/risk/analysis: H3 hexagons and repeat hot spots on the map, a bar
// per day, the top grids (a click flies there and opens the grid's risk) and
// the top categories. Closed, its layers are hidden and nothing is read.

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { esc } from '../shared/format';
import { addTranslations, lang, t } from '../shared/i18n';
import type { CategoryNode } from '../shared/types';
import { addAnalysisLayers, type Analysis, type AnalysisCount, hotSpotFeatures, setAnalysisVisible } from './analysisMap';
import { barChartSvg } from './charts';
import { heatFeatures, heatResolution } from './heat';
import { overlay } from './overlay';

addTranslations({
  zh: {
    'analysis.title': '研判分析',
    'analysis.days': '{n} 天',
    'analysis.all_categories': '全部类别',
    'analysis.total': '事件 {n} 件',
    'analysis.by_day': '每日事件',
    'analysis.top_grids': '高发网格',
    'analysis.top_categories': '高发类别',
    'analysis.hot_spots': '重复高发点位 {n} 处（标记数字为发生天数）',
    'analysis.loading': '分析中…',
  },
  en: {
    'analysis.title': 'Analysis',
    'analysis.days': '{n} days',
    'analysis.all_categories': 'All categories',
    'analysis.total': '{n} incidents',
    'analysis.by_day': 'Incidents per day',
    'analysis.top_grids': 'Top grids',
    'analysis.top_categories': 'Top categories',
    'analysis.hot_spots': '{n} repeat hot spots (marked with the number of days)',
    'analysis.loading': 'Analysing…',
  },
});

export const WINDOWS = [7, 30, 90] as const;
const DAY_MS = 86_400_000;

export interface AnalysisHost {
  areaName(code: string): string | null;
  /** A top grid clicked: fly there and show its risk. */
  showGrid(code: string): void;
  /** Opened or closed (the toolbar's button shows which). */
  toggled(): void;
}

export class AnalysisView {
  readonly el: HTMLElement;
  open = false;
  days: (typeof WINDOWS)[number] = 30;
  category = '';
  data: Analysis | null = null;
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  private area: string | null = null;
  private resolution = 0;
  private seq = 0;
  private categories: CategoryNode[] = [];

  constructor(
    private readonly api: Api,
    private readonly map: MapLibreMap,
    parent: HTMLElement,
    private readonly host: AnalysisHost,
  ) {
    this.el = overlay(parent, 'analysis-panel', true);
    this.el.addEventListener('click', (ev) => this.onClick(ev));
    this.el.addEventListener('change', (ev) => {
      const sel = (ev.target as HTMLElement).closest<HTMLSelectElement>('select[data-category]');
      if (!sel) return;
      this.category = sel.value;
      void this.load();
    });
  }

  attach(): void {
    addAnalysisLayers(this.map);
  }

  toggle(on = !this.open): void {
    this.open = on;
    this.el.hidden = !on;
    setAnalysisVisible(this.map, on);
    if (on) {
      if (this.categories.length === 0) void this.loadCategories();
      void this.load();
    }
    this.render();
    this.host.toggled();
  }

  setScope(code: string): void {
    this.area = code;
    if (this.open) void this.load();
  }

  /** After a move: a zoom that wants other hexagons reads the analysis again. */
  onMove(): void {
    if (this.open && this.resolutionNow() !== this.resolution) void this.load();
  }

  render(): void {
    if (!this.open) return;
    const d = this.data;
    const name = this.area ? (this.host.areaName(this.area) ?? this.area) : '';
    const windows = WINDOWS.map(
      (n) => `<button data-days="${n}" class="${n === this.days ? 'on' : ''}" aria-pressed="${n === this.days}">${esc(t('analysis.days').replace('{n}', String(n)))}</button>`,
    ).join('');
    const options = this.categories
      .map((m) => `<optgroup label="${esc(this.catName(m))}"><option value="${esc(m.code)}">${esc(this.catName(m))}</option>${(m.children ?? [])
        .map((c) => `<option value="${esc(c.code)}">${esc(this.catName(c))}</option>`)
        .join('')}</optgroup>`)
      .join('');
    const select = `<select data-category><option value="">${esc(t('analysis.all_categories'))}</option>${options}</select>`;
    const body = d
      ? `<div class="analysis-body">
          <div class="chart"><h3>${esc(t('analysis.by_day'))} · <span data-testid="analysis-total">${esc(t('analysis.total').replace('{n}', String(d.total)))}</span></h3>${barChartSvg(d.by_day, 420, 96)}
            <div class="hot">${esc(t('analysis.hot_spots').replace('{n}', String(d.hot_spots.length)))}</div></div>
          <div class="top"><h3>${esc(t('analysis.top_grids'))}</h3><ol data-testid="top-grids">${this.topList(d.top_grids, 'grid')}</ol></div>
          <div class="top"><h3>${esc(t('analysis.top_categories'))}</h3><ol data-testid="top-categories">${this.topList(d.top_categories, 'category')}</ol></div>
        </div>`
      : `<div class="empty">${esc(t('analysis.loading'))}</div>`;
    this.el.innerHTML = `<div class="analysis-head"><h2>${esc(t('analysis.title'))} · ${esc(name)}</h2>
      <div class="windows">${windows}</div>${select}<button class="close" data-close>${esc(t('close'))}</button></div>${body}`;
    (this.el.querySelector('select[data-category]') as HTMLSelectElement).value = this.category;
  }

  private topList(rows: AnalysisCount[], kind: 'grid' | 'category'): string {
    if (rows.length === 0) return `<li class="empty">${esc(t('none'))}</li>`;
    return rows
      .map((r) => {
        const label = esc(kind === 'category' ? this.catNameOf(r) : (r.name ?? r.key));
        return kind === 'grid'
          ? `<li><button data-grid="${esc(r.key)}" title="${esc(r.key)}"><span>${label}</span><b>${r.count}</b></button></li>`
          : `<li data-category="${esc(r.key)}"><span>${label}</span><b>${r.count}</b></li>`;
      })
      .join('');
  }

  private catName(c: CategoryNode): string {
    return lang() === 'en' && c.name_en ? c.name_en : c.name;
  }

  private catNameOf(r: AnalysisCount): string {
    for (const m of this.categories) {
      if (m.code === r.key) return this.catName(m);
      const c = m.children?.find((x) => x.code === r.key);
      if (c) return this.catName(c);
    }
    return r.name ?? r.key;
  }

  private onClick(ev: Event): void {
    const target = ev.target as HTMLElement;
    if (target.closest('[data-close]')) return this.toggle(false);
    const win = target.closest<HTMLElement>('[data-days]');
    if (win) {
      this.days = Number(win.dataset.days) as (typeof WINDOWS)[number];
      this.render();
      void this.load();
      return;
    }
    const grid = target.closest<HTMLElement>('[data-grid]');
    if (grid?.dataset.grid) this.host.showGrid(grid.dataset.grid);
  }

  private resolutionNow(): number {
    return heatResolution(this.map.getZoom());
  }

  private async loadCategories(): Promise<void> {
    try {
      this.categories = (await this.api.get<{ categories: CategoryNode[] }>('/api/incidents/categories')).categories;
      this.render();
    } catch {
      // the filter offers all categories only
    }
  }

  private async load(): Promise<void> {
    if (!this.open || !this.area) return;
    const seq = ++this.seq;
    this.resolution = this.resolutionNow();
    const to = Date.now();
    try {
      const d = await this.api.get<Analysis>('/api/risk/analysis', {
        area: this.area,
        from: to - this.days * DAY_MS,
        to,
        resolution: this.resolution,
        ...(this.category ? { category: this.category } : {}),
      });
      if (seq !== this.seq || !this.open) return;
      this.data = d;
      const hot = hotSpotFeatures(d.hot_spots);
      (this.map.getSource('analysis_heat') as GeoJSONSource | undefined)?.setData(heatFeatures(d.heat));
      (this.map.getSource('analysis_hot') as GeoJSONSource | undefined)?.setData(hot.outlines);
      (this.map.getSource('analysis_hot_pts') as GeoJSONSource | undefined)?.setData(hot.markers);
      this.loads++;
      this.render();
    } catch (e) {
      if (seq !== this.seq) return;
      this.el.querySelector('.analysis-body, .empty')?.replaceWith(
        Object.assign(document.createElement('div'), { className: 'error', textContent: e instanceof Error ? e.message : String(e) }),
      );
    }
  }
}
