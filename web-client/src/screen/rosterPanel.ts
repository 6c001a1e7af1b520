// 排班 · 应到未到 (right column): who of the drilled area is due on duty now
// and who of them is missing, from GET /api/roster/due?area= — read when the
// drill-down moves and every 30 s. Hidden until the first answer, and for
// good for a login that may not read the roster (403) or a server without
// one (404); a failure of the moment keeps what was shown. A click on a
// person flies the map to them (their live dot, else their last position,
// else their grid).

import type { FitBoundsOptions, FlyToOptions, LngLatBoundsLike } from 'maplibre-gl';
import '../styles/roster.css';
import { type Api, ApiError } from '../shared/api';
import { onLangChange } from '../shared/i18n';
import { ROSTER_DUE_PATH } from '../shared/roster';
import type { BBox } from '../shared/types';
import { type DueView, rosterPanelHtml } from './rosterDue';

/** How often the area's roster is read again. */
export const POLL_MS = 30_000;

/** What a click needs of the map. */
export interface RosterMap {
  flyTo(o: FlyToOptions): unknown;
  fitBounds(b: LngLatBoundsLike, o?: FitBoundsOptions): unknown;
  getZoom(): number;
}

export interface RosterHost {
  /** A member's live position on the screen, if the subscription holds them. */
  position(staffId: string): { lon: number; lat: number } | null | undefined;
  gridBBox(code: string): BBox | null | undefined;
}

export class RosterPanel {
  /** The last answer for the area (null before one). */
  view: DueView | null = null;
  /** The area drilled into (`area=`). */
  area: string | null = null;
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  /** The server refused the roster to this login (403) or has none (404): hidden, not read again. */
  unavailable = false;
  /** Why the last read failed (for tests and debugging; the screen says nothing). */
  error: unknown = null;
  /** The server would not judge the area asked (400): nothing shown for it. */
  private refused = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly map: RosterMap,
    private readonly host: RosterHost,
  ) {
    el.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-staff]');
      if (b?.dataset.staff) void this.focus(b.dataset.staff, b.dataset.grid ?? '');
    });
    onLangChange(() => this.render());
    this.render();
  }

  /** The drill-down moved: read the new area's now. */
  setScope(code: string): void {
    if (code === this.area) return;
    this.area = code;
    this.view = null;
    void this.load();
  }

  /** Reads the area's roster now, then every 30 s. */
  async load(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.unavailable) return;
    const seq = ++this.seq;
    try {
      const view = await this.api.get<DueView>(ROSTER_DUE_PATH, { area: this.area });
      if (seq !== this.seq) return;
      this.view = view;
      this.error = null;
      this.refused = false;
      this.loads++;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = e;
      if (e instanceof ApiError && (e.status === 403 || e.status === 404)) this.unavailable = true;
      else if (e instanceof ApiError && e.status === 400) this.refused = true;
    }
    this.render();
    if (!this.unavailable) this.timer = setTimeout(() => void this.load(), POLL_MS);
  }

  /** Hidden until the first answer, for good once refused, for an area the server would not judge. */
  render(): void {
    this.el.hidden = this.unavailable || this.refused || this.loads === 0;
    this.el.innerHTML = this.el.hidden ? '' : rosterPanelHtml(this.view);
  }

  /** Flies to a member: the live dot, else where GET /api/staff/{id} last placed them, else their grid. */
  private async focus(staffId: string, grid: string): Promise<void> {
    let at = this.host.position(staffId);
    if (!at) {
      const s = await this.api.get<{ lon?: number | null; lat?: number | null }>(`/api/staff/${encodeURIComponent(staffId)}`).catch(() => null);
      if (typeof s?.lon === 'number' && typeof s.lat === 'number') at = { lon: s.lon, lat: s.lat };
    }
    if (at) return void this.map.flyTo({ center: [at.lon, at.lat], zoom: Math.max(this.map.getZoom(), 17) });
    const bbox = this.host.gridBBox(grid);
    if (bbox) this.map.fitBounds(bbox, { padding: 80, maxZoom: 17, duration: 800 });
  }
}
