// 巡查覆盖 on the big screen: while the layer is on, the drilled area's grids
// are read from GET /api/patrol/coverage (again every 30 s for today, and at
// once when the drill-down or the day changes) and written to the map as
// feature-state `patrol` on the areas source (mapLayers.ts shades
// `grid-patrol-fill` by it); the legend counts them; a grid's click opens a
// popup with its figures. A worker's day card (当日巡查) is kept here too.

import { type LngLat, type Map as MapLibreMap, Popup } from 'maplibre-gl';
import '../styles/patrol.css';
import type { Api } from '../shared/api';
import { saveLink } from '../shared/download';
import { localDate } from '../shared/format';
import type { GridPatrolDay, PatrolCoverage } from '../shared/types';
import { PatrolCard } from './patrolCard';
import { gridPopupHtml } from './patrolFigures';
import { PatrolLegend, type PatrolLegendState } from './patrolLegend';
import { addDays, coveragePath, PATROL_STATE, PatrolStates, type StateChanges } from './patrolModel';
import { featureOf } from './tileSources';

/** How often today's coverage is read again while the layer is on. */
export const REFRESH_MS = 30_000;

export interface PatrolHost {
  areaName(code: string): string | null;
}

export class PatrolLayer {
  readonly states = new PatrolStates();
  readonly legend: PatrolLegend;
  readonly card: PatrolCard;
  on = false;
  /** The last answer for the area and day shown. */
  data: PatrolCoverage | null = null;
  /** The area drilled into (`area=`). */
  area: string | null = null;
  /** The day asked for (null: today). */
  day: string | null = null;
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  private today = localDate(Date.now());
  private error: unknown = null;
  private byCode = new Map<string, GridPatrolDay>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private seq = 0;
  private popup: { code: string; popup: Popup } | null = null;

  constructor(
    private readonly api: Api,
    private readonly map: MapLibreMap,
    parent: HTMLElement,
    private readonly host: PatrolHost,
  ) {
    this.legend = new PatrolLegend(parent, {
      pickDay: (day) => this.setDay(day),
      stepDay: (n) => this.setDay(addDays(this.day ?? this.data?.day ?? this.today, n)),
      download: (a) => void saveLink(this.api, a, 'patrol-log.csv'),
    });
    this.card = new PatrolCard(api, map, parent);
  }

  /** The layer switched on (read now, then every half minute) or off (nothing read, the shading cleared). */
  show(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    this.legend.show(on);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (on) {
      this.timer = setInterval(() => {
        // A past day stays as it was read: only today moves.
        if (this.day === null) void this.load();
      }, REFRESH_MS);
      this.render();
      void this.load();
    } else {
      this.seq++;
      this.popup?.popup.remove();
      this.paint({ set: [], cleared: this.states.clear() });
    }
  }

  /**
   * The drill-down moved: its grids, read now. The grids' figures held stay
   * until the answer (a grid's day is the same whatever area it is read in):
   * a click that drills into a grid opens its popup with them.
   */
  setScope(code: string): void {
    if (code === this.area) return;
    this.area = code;
    this.data = null;
    this.error = null;
    if (this.on) {
      this.render();
      void this.load();
    }
  }

  /** A day picked in the legend (null, today or later: today, kept current). */
  setDay(day: string | null): void {
    this.day = day && day < this.today ? day : null;
    this.data = null;
    this.error = null;
    this.byCode.clear();
    // Never one day's shading under another day's legend.
    this.paint({ set: [], cleared: this.states.clear() });
    this.render();
    if (this.on) void this.load();
  }

  /** The language changed. */
  render(): void {
    this.legend.render(this.legendState());
    this.card.render();
    if (this.popup) this.popup.popup.setHTML(this.popupHtml(this.popup.code));
  }

  /** A grid clicked while the layer is on: its figures in a popup (kept current while it stays open). */
  openGrid(code: string, at: LngLat): void {
    this.popup?.popup.remove();
    const popup = new Popup({ className: 'dark-popup patrol', maxWidth: '24rem' })
      .setLngLat(at)
      .setHTML(this.popupHtml(code))
      .addTo(this.map);
    const open = { code, popup };
    popup.on('close', () => {
      if (this.popup === open) this.popup = null;
    });
    this.popup = open;
  }

  private popupHtml(code: string): string {
    const g = this.byCode.get(code) ?? null;
    return gridPopupHtml(code, g, { day: this.data?.day ?? this.day ?? this.today, pending: this.on && !this.data && !this.error });
  }

  private legendState(): PatrolLegendState {
    return {
      view: this.data,
      area: this.area,
      areaName: this.area ? (this.host.areaName(this.area) ?? this.area) : '',
      day: this.day,
      today: this.today,
      error: this.error,
    };
  }

  private async load(): Promise<void> {
    if (!this.on || !this.area) return;
    const seq = ++this.seq;
    const q = { day: this.day, area: this.area };
    try {
      const view = await this.api.get<PatrolCoverage>(coveragePath(q));
      if (seq !== this.seq) return;
      if (q.day === null) this.today = view.day;
      this.data = view;
      this.error = null;
      this.byCode = new Map(view.grids.map((g) => [g.code, g]));
      this.paint(this.states.replace(view.grids));
      this.loads++;
    } catch (e) {
      if (seq !== this.seq) return;
      // The last shading stays; the legend says why it is not current.
      this.error = e;
    }
    this.render();
  }

  private paint(c: StateChanges): void {
    if (!this.map.getSource('areas')) return;
    // On tiles the areas' features need their source-layer too (featureOf).
    for (const [code, status] of c.set) this.map.setFeatureState(featureOf(this.map, 'areas', code), { [PATROL_STATE]: status });
    for (const code of c.cleared) this.map.removeFeatureState(featureOf(this.map, 'areas', code), PATROL_STATE);
  }
}
