// The layers panel (图层) over the map: a switch per layer group (巡查覆盖 and
// 电子围栏 among them; the cameras' with their offline count), the heat map's
// subject, and the tools' buttons (轨迹回放, 研判分析, 考核排名).

import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { HeatLayer } from './heat';
import { LAYER_GROUPS, type LayerGroup } from './mapLayers';

export interface LayersPanelState {
  visible: ReadonlySet<LayerGroup>;
  heatLayer: HeatLayer;
  analysisOpen: boolean;
  assessmentOpen: boolean;
}

const HEAT_LAYERS: readonly HeatLayer[] = ['staff', 'cameras', 'risk_sources', 'key_places'];

export function layersPanelHtml(s: LayersPanelState): string {
  const groups = LAYER_GROUPS.map(
    (g) =>
      `<label><input type="checkbox" data-layer="${g}" ${s.visible.has(g) ? 'checked' : ''}/> ${esc(t(`layer.${g}`))}${
        g === 'cameras' ? ' <small class="cam-health" data-testid="cameras-offline" hidden></small>' : ''
      }</label>`,
  ).join('');
  const heatSel = `<select data-heat-layer>${HEAT_LAYERS.map(
    (l) => `<option value="${l}" ${l === s.heatLayer ? 'selected' : ''}>${esc(t(`layer.${l}`))}</option>`,
  ).join('')}</select>`;
  return `<h3>${esc(t('panel.layers'))}</h3>${groups}<div class="heat-layer">${esc(t('layer.heatmap'))}: ${heatSel}</div>
      <button data-replay>${esc(t('replay.title'))}</button>
      <button data-analysis aria-pressed="${s.analysisOpen}" data-testid="analysis-toggle">${esc(t('analysis.title'))}</button>
      <button data-assessment aria-pressed="${s.assessmentOpen}" data-testid="assessment-toggle">${esc(t('assess.title'))}</button>`;
}

/** The count of offline cameras next to the cameras' switch (hidden while there are no cameras). */
export function showCameraCount(panel: HTMLElement, { total, offline }: { total: number; offline: number }): void {
  const el = panel.querySelector<HTMLElement>('[data-testid="cameras-offline"]');
  if (!el) return;
  el.hidden = total === 0;
  el.dataset.offline = String(offline);
  el.textContent = t('camera.offline_count').replace('{offline}', String(offline)).replace('{total}', String(total));
}
