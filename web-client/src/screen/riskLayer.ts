// The grid shading from the server's risk model (风险研判): the rows of the
// snapshot and the grid_risk pushes are kept by code and written to the map
// as feature-state `level` on the areas source (mapLayers.ts shades
// `grid-risk-fill` by it); the legend follows the drill-down; a grid's click
// opens its breakdown.

import type { Map as MapLibreMap } from 'maplibre-gl';
import '../styles/risk.css';
import type { Api } from '../shared/api';
import type { BBox, GridRow } from '../shared/types';
import type { AreaTree } from './areaTree';
import { RiskLegend } from './riskLegend';
import { bboxWithin, GridRiskStore } from './riskModel';
import { RiskPanel } from './riskPanel';
import { featureOf } from './tileSources';

export class RiskLayer {
  readonly store = new GridRiskStore();
  readonly legend: RiskLegend;
  readonly panel: RiskPanel;
  /** When the last grid_risk push was painted (Date.now()): for the tests. */
  lastPaint = 0;
  private attached = false;

  constructor(
    api: Api,
    private readonly map: MapLibreMap,
    parent: HTMLElement,
    private readonly tree: () => AreaTree | null,
  ) {
    this.legend = new RiskLegend(api, parent);
    this.panel = new RiskPanel(api, parent);
  }

  /** The areas source is on the map: paint what arrived before it. */
  attach(): void {
    this.attached = true;
    this.paint(this.store.byCode.keys());
  }

  /**
   * A snapshot's rows: a grid it covers (wholly inside its box, and in the
   * subscribed area if there is one) and leaves out has no risk.
   */
  applySnapshot(rows: GridRow[], bbox: BBox | undefined, area: string | null): void {
    const tree = this.tree();
    const covers = (code: string) => {
      const g = tree?.byCode.get(code);
      if (!g || !bbox || !bboxWithin(g.bbox, bbox)) return false;
      return !area || !!tree?.within(code, area);
    };
    this.paint(this.store.applySnapshot(rows, covers));
  }

  /** grid_risk: repaint the grids whose level changed, re-read the legend and an open panel soon. */
  applyPush(rows: GridRow[]): void {
    this.paint(this.store.apply(rows));
    this.lastPaint = Date.now();
    this.legend.refreshSoon();
    this.panel.refreshIfOpen(rows.map((r) => r.code));
  }

  setScope(code: string): void {
    this.legend.setArea(code);
  }

  /** The language changed. */
  render(): void {
    this.legend.render();
    this.panel.render();
  }

  openGrid(code: string): Promise<void> {
    return this.panel.open(code);
  }

  private paint(codes: Iterable<string>): void {
    if (!this.attached || !this.map.getSource('areas')) return;
    // On tiles the areas' features need their source-layer too (featureOf).
    for (const code of codes) this.map.setFeatureState(featureOf(this.map, 'areas', code), { level: this.store.levelOf(code) });
  }
}
