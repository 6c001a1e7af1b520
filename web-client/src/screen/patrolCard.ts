// 当日巡查 — a worker's day card (GET /api/patrol/staff/{id}): distance, time on
// patrol, fixes, cells walked, the home grid's coverage, incidents reported,
// the grids visited (a row each), and the day's track drawn on the map. A
// date input looks at an earlier day; closing clears the track.

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { errorWithDetail } from '../shared/errors';
import { esc, formatTimeOfDay, localDate } from '../shared/format';
import { type Lang, lang, t } from '../shared/i18n';
import type { PatrolGridShare, PatrolWorkerDay } from '../shared/types';
import { fillIn } from './orgLabels';
import { overlay } from './overlay';
import { coveragePercent, formatKm, formatPatrolTime } from './patrolFigures';
import './patrolLabels';
import { isDay, trackBounds, trackFeatures, workerDayPath } from './patrolModel';

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

function tile(key: string, label: string, value: string, attrs = ''): string {
  return `<div class="tile" data-figure="${key}"${attrs}><b data-testid="patrol-${key}">${esc(value)}</b><span>${esc(label)}</span></div>`;
}

function gridRow(g: PatrolGridShare, home: string, l: Lang): string {
  const mark = g.code === home ? ` <em>${esc(t('patrol.home', l))}</em>` : '';
  return `<tr data-grid="${esc(g.code)}"${g.code === home ? ' class="home"' : ''}>
    <td class="name">${esc(g.name ?? g.code)}${mark}<small>${esc(g.code)}</small></td>
    <td class="num">${g.visits}</td><td class="num">${esc(formatPatrolTime(g.time_s, l))}</td>
    <td class="num">${esc(formatKm(g.distance_m))}</td><td class="num">${g.cells}</td>
    <td class="when">${esc(formatTimeOfDay(g.first_ms))}–${esc(formatTimeOfDay(g.last_ms))}</td></tr>`;
}

/** The card's title: 当日巡查 · name (id). */
function title(name: string | null, id: string, l: Lang): string {
  return `<button class="close" data-close>${esc(t('close', l))}</button><h2>${esc(t('patrol.card', l))} · ${esc(name ?? id)} <small>${esc(id)}</small></h2>`;
}

/** The date input (the day shown, no later than today) and 定位轨迹. */
function dayControl(day: string, today: string, hasTrack: boolean, l: Lang): string {
  return `<div class="patrol-card-day"><label>${esc(t('patrol.day', l))} <input type="date" name="day" data-testid="patrol-card-day" value="${esc(day)}" max="${esc(today)}" /></label>
    ${hasTrack ? `<button data-fit>${esc(t('patrol.show_track', l))}</button>` : ''}</div>`;
}

/** The card's HTML for a worker's day. */
export function dayCardHtml(w: PatrolWorkerDay, today: string, l: Lang = lang()): string {
  const tiles = [
    tile('distance', t('patrol.distance', l), formatKm(w.distance_m), ` data-metres="${w.distance_m}"`),
    tile('time', t('patrol.time', l), formatPatrolTime(w.time_s, l), ` data-seconds="${w.time_s}"`),
    tile('fixes', t('patrol.fixes', l), String(w.fixes)),
    tile('cells', t('patrol.cells', l), String(w.cells)),
    tile('home-coverage', t('patrol.home_coverage', l), coveragePercent(w.home_coverage)),
    tile('incidents', t('patrol.incidents_found', l), fillIn(t('patrol.n_incidents', l), { n: w.incidents_found })),
  ].join('');
  const span = w.first_ms !== null ? `<div class="patrol-span">${esc(t('patrol.span', l))}: ${esc(formatTimeOfDay(w.first_ms))} – ${esc(formatTimeOfDay(w.last_ms))}</div>` : '';
  const head = `<tr>${['grid', 'visits', 'time', 'distance', 'cells', 'when'].map((c) => `<th>${esc(t(`patrol.col.${c}`, l))}</th>`).join('')}</tr>`;
  const grids = w.grids.length
    ? `<table class="patrol-grids" data-testid="patrol-card-grids"><thead>${head}</thead><tbody>${w.grids.map((g) => gridRow(g, w.home_grid, l)).join('')}</tbody></table>`
    : `<div class="empty" data-testid="patrol-card-empty">${esc(t('patrol.no_patrol', l))}</div>`;
  return `${title(w.name, w.staff_id, l)}${dayControl(w.day, today, w.track.length > 0, l)}
    <div class="patrol-tiles">${tiles}</div>${span}
    <h3>${esc(t('patrol.grids', l))} (${w.grids.length})</h3>${grids}`;
}

export class PatrolCard {
  readonly el: HTMLElement;
  /** The worker shown (null: closed). */
  staffId: string | null = null;
  /** The day asked for (null: today). */
  day: string | null = null;
  data: PatrolWorkerDay | null = null;
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  /** Today's date: the server's once a card for today has answered. */
  private today = localDate(Date.now());
  private error: unknown = null;
  private seq = 0;

  constructor(
    private readonly api: Api,
    private readonly map: MapLibreMap,
    parent: HTMLElement,
  ) {
    this.el = overlay(parent, 'patrol-card', true);
    this.el.addEventListener('click', (ev) => {
      const target = ev.target as HTMLElement;
      if (target.closest('[data-close]')) this.close();
      else if (target.closest('[data-fit]')) this.fitTrack();
    });
    this.el.addEventListener('change', (ev) => {
      const input = (ev.target as HTMLElement).closest<HTMLInputElement>('input[name="day"]');
      if (input && this.staffId && isDay(input.value)) void this.open(this.staffId, input.value < this.today ? input.value : null);
    });
  }

  /** Opens a worker's card for `day` (default today), and flies to their track. */
  async open(staffId: string, day: string | null = null): Promise<void> {
    this.staffId = staffId;
    this.day = day;
    this.data = null;
    this.error = null;
    this.el.hidden = false;
    this.el.dataset.staff = staffId;
    this.render();
    await this.load();
  }

  close(): void {
    this.seq++;
    this.staffId = null;
    this.data = null;
    this.el.hidden = true;
    this.el.innerHTML = '';
    delete this.el.dataset.staff;
    delete this.el.dataset.day;
    this.drawTrack();
  }

  render(): void {
    if (!this.staffId) return;
    const l = lang();
    if (this.data) this.el.innerHTML = dayCardHtml(this.data, this.today, l);
    else if (this.error) this.el.innerHTML = `${title(null, this.staffId, l)}${dayControl(this.day ?? this.today, this.today, false, l)}<p class="error" role="alert">${esc(errorWithDetail(this.error, 'load'))}</p>`;
    else this.el.innerHTML = `${title(null, this.staffId, l)}${dayControl(this.day ?? this.today, this.today, false, l)}<div class="empty">${esc(t('patrol.loading', l))}</div>`;
  }

  /** Fits the map to the day's track. */
  fitTrack(): void {
    const b = this.data ? trackBounds(this.data.track) : null;
    if (b) this.map.fitBounds(b, { padding: 120, maxZoom: 17, duration: 600 });
  }

  private async load(): Promise<void> {
    const id = this.staffId;
    if (!id) return;
    const seq = ++this.seq;
    try {
      const w = await this.api.get<PatrolWorkerDay>(workerDayPath(id, this.day));
      if (seq !== this.seq) return;
      if (this.day === null) this.today = w.day;
      this.data = w;
      this.loads++;
      this.el.dataset.day = w.day;
    } catch (e) {
      if (seq !== this.seq) return;
      this.data = null;
      this.error = e;
    }
    this.render();
    this.drawTrack();
    this.fitTrack();
  }

  private drawTrack(): void {
    const src = this.map.getSource('patrol_track') as GeoJSONSource | undefined;
    src?.setData(this.data ? trackFeatures(this.data.track) : EMPTY);
  }
}
