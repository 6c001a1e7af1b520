// The patrol coverage legend (巡查覆盖): the drilled area and the day (a date
// input, today by default), how many of its grids are 已覆盖, 部分覆盖, 未巡查
// and 逾期未巡, a note while the server is still reading today back, and the
// day's 巡查台账 as a CSV download. It sits where the risk legend does: the
// two shadings take turns.

import { esc } from '../shared/format';
import { errorWithDetail } from '../shared/errors';
import { type Lang, lang, t } from '../shared/i18n';
import type { PatrolCoverage } from '../shared/types';
import { fillIn } from './orgLabels';
import { overlay } from './overlay';
import { PATROL_COLOURS } from './palette';
import { statusLabel } from './patrolFigures';
import './patrolLabels';
import { isDay, logCsvPath, logFileName, statusCounts } from './patrolModel';

export interface PatrolLegendState {
  view: PatrolCoverage | null;
  /** The area drilled into, and its name. */
  area: string | null;
  areaName: string;
  /** The day asked for (null: today). */
  day: string | null;
  /** Today's date, the server's once it has answered. */
  today: string;
  /** Why the last read failed (null: it did not). */
  error: unknown;
}

/** The day shown: the one asked for, else the one answered, else today. */
export function shownDay(s: Pick<PatrolLegendState, 'view' | 'day' | 'today'>): string {
  return s.day ?? s.view?.day ?? s.today;
}

/** The title and the day control (left alone while the date is being picked). */
export function patrolLegendHead(s: PatrolLegendState, l: Lang = lang()): string {
  const day = shownDay(s);
  const past = day < s.today;
  const back = past ? `<button data-today>${esc(t('patrol.today', l))}</button>` : `<small>${esc(t('patrol.today', l))}</small>`;
  const step = (n: -1 | 1, glyph: string, key: string, off: boolean) =>
    `<button data-day-step="${n}" title="${esc(t(key, l))}" aria-label="${esc(t(key, l))}"${off ? ' disabled' : ''}>${glyph}</button>`;
  return `<h3>${esc(t('patrol.legend', l))}${s.areaName ? ` · <span class="area">${esc(s.areaName)}</span>` : ''}</h3>
    <div class="patrol-day">${step(-1, '‹', 'patrol.prev_day', false)}<input type="date" name="patrol-day" data-testid="patrol-day" aria-label="${esc(t('patrol.day', l))}" value="${esc(day)}" max="${esc(s.today)}" />${step(1, '›', 'patrol.next_day', !past)}${back}</div>`;
}

/** The counts, the note, the error and the download. */
export function patrolLegendBody(s: PatrolLegendState, l: Lang = lang()): string {
  const v = s.view;
  const rows = statusCounts(v)
    .map(
      (r) => `<div class="patrol-legend-row" data-status="${r.status}"><i style="background:${PATROL_COLOURS[r.status]}"></i><span>${esc(statusLabel(r.status, l))}</span>
        <b data-count="${r.status}">${v ? r.count : '—'}</b></div>`,
    )
    .join('');
  const total = v ? `<small>${esc(fillIn(t('patrol.grids_total', l), { n: v.grids.length }))}</small>` : '';
  const note = v && !v.complete ? `<small class="incomplete" data-testid="patrol-incomplete">${esc(t('patrol.incomplete', l))}</small>` : '';
  const error = s.error ? `<p class="error" role="alert">${esc(errorWithDetail(s.error, 'load'))}</p>` : '';
  const csv = v
    ? `<a class="button csv" href="${esc(logCsvPath({ day: v.day, area: s.area }))}" download="${esc(logFileName(v.day))}" data-csv data-testid="patrol-csv">⇩ ${esc(t('patrol.csv', l))}</a>`
    : '';
  return `${rows}${total}${note}${error}${csv}`;
}

export interface PatrolLegendHost {
  /** A day picked (null: back to today). */
  pickDay(day: string | null): void;
  /** ‹ or ›: the day before or after the one shown. */
  stepDay(n: number): void;
  /** The CSV link clicked. */
  download(a: HTMLAnchorElement): void;
}

export class PatrolLegend {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;

  constructor(parent: HTMLElement, host: PatrolLegendHost) {
    this.el = overlay(parent, 'patrol-legend', true);
    this.head = document.createElement('div');
    this.body = document.createElement('div');
    this.body.className = 'patrol-legend-body';
    this.el.append(this.head, this.body);
    this.el.addEventListener('change', (ev) => {
      const input = (ev.target as HTMLElement).closest<HTMLInputElement>('input[name="patrol-day"]');
      if (input) host.pickDay(isDay(input.value) ? input.value : null);
    });
    this.el.addEventListener('click', (ev) => {
      const target = ev.target as HTMLElement;
      if (target.closest('[data-today]')) return host.pickDay(null);
      const step = target.closest<HTMLElement>('[data-day-step]');
      if (step) return host.stepDay(Number(step.dataset.dayStep));
      const csv = target.closest<HTMLAnchorElement>('[data-csv]');
      if (!csv) return;
      ev.preventDefault();
      host.download(csv);
    });
  }

  show(on: boolean): void {
    this.el.hidden = !on;
  }

  render(s: PatrolLegendState): void {
    // A date being picked keeps its input: a refresh every half minute must not close the picker.
    if (!this.head.contains(document.activeElement) || !this.head.firstChild) this.head.innerHTML = patrolLegendHead(s);
    this.body.innerHTML = patrolLegendBody(s);
    this.el.dataset.area = s.area ?? '';
    this.el.dataset.day = shownDay(s);
    this.el.dataset.complete = String(s.view?.complete ?? '');
  }
}
