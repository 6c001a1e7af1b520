// 考核排名 — the ranking of the drilled-into area over the last 7/30/90 days
// (GET /api/assessment): a level switch (街镇/部门/网格员/网格/区县), a table of
// rank, name, on-time rate, closed, rework rate, average handling time,
// escalations and supervisions, and the same as a CSV download. The link
// carries the address; the click fetches it with the login's token (a plain
// link would go without it) and saves it under a readable name.

import type { Api } from '../shared/api';
import { saveLink } from '../shared/download';
import { errorHtml } from '../shared/errors';
import { esc, formatDateTime } from '../shared/format';
import { lang, t } from '../shared/i18n';
import type { Assessment, AssessmentLevel } from '../shared/types';
import { ASSESSMENT_COLUMNS, ASSESSMENT_LEVELS, assessmentPath, type AssessmentQuery, csvFileName, PERIODS, periodOf, rateClass } from './assessment';
import { fillIn } from './orgLabels';
import { overlay } from './overlay';

export interface AssessmentHost {
  areaName(code: string): string | null;
  /** Opened or closed (the toolbar's button shows which). */
  toggled(): void;
}

export class AssessmentView {
  readonly el: HTMLElement;
  open = false;
  level: AssessmentLevel = 'street';
  days: (typeof PERIODS)[number] = 30;
  data: Assessment | null = null;
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  private area: string | null = null;
  private query: AssessmentQuery | null = null;
  private error: unknown = null;
  private seq = 0;

  constructor(
    private readonly api: Api,
    parent: HTMLElement,
    private readonly host: AssessmentHost,
  ) {
    this.el = overlay(parent, 'assessment-panel', true);
    this.el.addEventListener('click', (ev) => void this.onClick(ev));
  }

  toggle(on = !this.open): void {
    this.open = on;
    this.el.hidden = !on;
    if (on) void this.load();
    this.render();
    this.host.toggled();
  }

  setScope(code: string): void {
    this.area = code;
    if (this.open) void this.load();
  }

  render(): void {
    if (!this.open) return;
    const name = this.area ? (this.host.areaName(this.area) ?? this.area) : '';
    const levels = ASSESSMENT_LEVELS.map(
      (l) => `<button data-level="${l}" class="${l === this.level ? 'on' : ''}" aria-pressed="${l === this.level}">${esc(t(`assess.level.${l}`))}</button>`,
    ).join('');
    const periods = PERIODS.map(
      (n) => `<button data-days="${n}" class="${n === this.days ? 'on' : ''}" aria-pressed="${n === this.days}">${esc(fillIn(t('assess.days'), { n }))}</button>`,
    ).join('');
    const csv = this.query ? `<a class="button csv" href="${esc(assessmentPath(this.query, true))}" download="${esc(csvFileName(this.query))}" data-csv data-testid="assessment-csv">⇩ ${esc(t('assess.csv'))}</a>` : '';
    this.el.innerHTML = `<div class="assessment-head"><h2>${esc(t('assess.title'))} · ${esc(name)}</h2>
      <div class="switch levels" data-testid="assessment-levels">${levels}</div><div class="switch">${periods}</div>${csv}
      <button class="close" data-close>${esc(t('close'))}</button></div>${this.bodyHtml()}`;
  }

  private bodyHtml(): string {
    if (this.error) return errorHtml(this.error, 'load');
    const d = this.data;
    if (!d) return `<div class="empty">${esc(t('assess.loading'))}</div>`;
    const period = `<div class="period">${esc(fillIn(t('assess.period'), { from: formatDateTime(d.from_ms), to: formatDateTime(d.to_ms) }))}</div>`;
    if (d.rows.length === 0) return `${period}<div class="empty" data-testid="assessment-empty">${esc(t('assess.none'))}</div>`;
    const l = lang();
    const head = ['assess.rank', 'assess.name', ...ASSESSMENT_COLUMNS.map((c) => c.key)].map((k) => `<th>${esc(t(k))}</th>`).join('');
    const rows = d.rows
      .map(
        (r) => `<tr data-key="${esc(r.key)}" class="rate-${rateClass(r.on_time_rate)}"><td class="rank">${r.rank}</td><td class="name" title="${esc(r.key)}">${esc(r.name)}</td>${ASSESSMENT_COLUMNS.map(
          (c) => `<td class="${c.key.slice(7)}">${esc(c.cell(r, l))}</td>`,
        ).join('')}</tr>`,
      )
      .join('');
    return `${period}<div class="assessment-table"><table data-testid="assessment-table"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  private async onClick(ev: Event): Promise<void> {
    const target = ev.target as HTMLElement;
    if (target.closest('[data-close]')) return this.toggle(false);
    const csv = target.closest<HTMLAnchorElement>('[data-csv]');
    if (csv) {
      ev.preventDefault();
      return this.download(csv);
    }
    const level = target.closest<HTMLElement>('[data-level]');
    if (level) this.level = level.dataset.level as AssessmentLevel;
    const days = target.closest<HTMLElement>('[data-days]');
    if (days) this.days = Number(days.dataset.days) as (typeof PERIODS)[number];
    if (level || days) {
      this.data = null;
      this.render();
      await this.load();
    }
  }

  private async load(): Promise<void> {
    if (!this.open || !this.area) return;
    const seq = ++this.seq;
    const q: AssessmentQuery = { level: this.level, area: this.area, ...periodOf(this.days, Date.now()) };
    this.query = q;
    try {
      const d = await this.api.get<Assessment>('/api/assessment', { level: q.level, area: q.area, from: q.from, to: q.to });
      if (seq !== this.seq) return;
      this.data = d;
      this.error = null;
      this.loads++;
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = e;
    }
    this.render();
  }

  /** The CSV, fetched with the login's token (shared/download.ts). */
  private download(a: HTMLAnchorElement): Promise<void> {
    return saveLink(this.api, a, 'assessment.csv');
  }
}
