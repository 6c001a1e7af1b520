// 排班 (its own tab, /admin#roster): the shifts of the administrator's area
// (GET /api/roster) — grid by name and code, shift name, staff by name and
// id, days and times in words — with a search box and 下载 (the roster as
// the JSON file the import takes); and 导入排班: a JSON file checked here
// shift by shift first, then, asked first, sent with PUT /api/roster, which
// replaces every shift of the area. The server's counts are said on
// success, its own words on a refusal.

import { ApiError } from '../shared/api';
import { saveLink } from '../shared/download';
import { errorWithDetail } from '../shared/errors';
import { esc, localDate } from '../shared/format';
import { t } from '../shared/i18n';
import { daysText, ROSTER_PATH, type Shift, shiftsFrom, shiftTime } from '../shared/roster';
import type { AdminContext } from './accountForms';
import { fill } from './dialog';
import { renderListing } from './listing';
import { filterShifts, MAX_ROWS, readRosterFile, rosterFileName, savedText } from './roster';
import './rosterLabels';
import type { StaffEntry } from './staff';

export class RosterSection {
  private shifts: Shift[] | null = null;
  private error: unknown = null;
  private filter = '';
  private loaded = false;
  private busy = false;
  /** Names for the staff column; filled in when the staff have loaded. */
  private staff = new Map<string, StaffEntry>();

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('input', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name !== 'roster-q') return;
      this.filter = input.value;
      this.renderTable();
    });
    host.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.importFile(ev.target as HTMLFormElement);
    });
    host.addEventListener('click', (ev) => {
      const el = ev.target as HTMLElement;
      const a = el.closest<HTMLAnchorElement>('a[data-roster-download]');
      if (a) {
        ev.preventDefault();
        a.download = rosterFileName(this.areaName(), localDate(Date.now()));
        void saveLink(ctx.api, a, 'roster.json');
      } else if (el.closest('[data-refresh-roster]')) void this.loadShifts();
    });
  }

  /** Reads the roster (and the staff's names) the first time the tab shows. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    void this.ctx.staff().then((s) => {
      this.staff = s;
      this.renderTable();
    }, () => undefined);
    await this.loadShifts();
  }

  private async loadShifts(): Promise<void> {
    try {
      this.shifts = shiftsFrom(await this.ctx.api.get<unknown>(ROSTER_PATH));
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.renderTable();
  }

  /** The administrator's area by name (the city's for a city-wide one). */
  private areaName(): string | null {
    return this.ctx.areas.name(this.ctx.me.area) ?? this.ctx.areas.roots()[0]?.name ?? null;
  }

  render(): void {
    this.host.innerHTML = `<section class="card" data-testid="roster-section">
      <h2>${esc(t('roster.list'))}</h2>
      <p class="hint">${esc(t('roster.list_hint'))}</p>
      <div class="toolbar"><input name="roster-q" type="search" value="${esc(this.filter)}" placeholder="${esc(t('roster.filter'))}" aria-label="${esc(t('roster.filter'))}" data-testid="roster-filter" />
        <span class="count" data-testid="roster-count"></span>
        <button type="button" data-refresh-roster data-testid="refresh-roster">⟳ ${esc(t('roster.refresh'))}</button>
        <a class="button download" href="${ROSTER_PATH}" download="roster.json" data-roster-download data-testid="roster-download">⇩ ${esc(t('roster.download'))}</a></div>
      <div class="roster-list" data-testid="roster-list"></div></section>
    <section class="card" data-testid="roster-import-section">
      <h2>${esc(t('roster.import'))}</h2>
      <p class="hint">${esc(t('roster.import_hint'))}</p>
      <form class="roster-import" data-testid="roster-import">
        <label class="file">${esc(t('roster.file'))} <input type="file" name="roster-file" accept=".json,application/json" data-testid="roster-file" /></label>
        <div class="buttons"><button type="submit" class="primary" ${this.busy ? 'disabled' : ''} data-testid="roster-import-submit">⇪ ${esc(t('roster.import_ok'))}</button></div>
      </form>
      <div class="flash" data-testid="roster-import-flash" hidden></div></section>`;
    this.renderTable();
  }

  private renderTable(): void {
    const el = this.host.querySelector<HTMLElement>('.roster-list');
    const count = this.host.querySelector<HTMLElement>('[data-testid="roster-count"]');
    if (!el || !count) return;
    const names = { grid: (c: string) => this.ctx.areas.name(c), staff: (id: string) => this.staff.get(id)?.name ?? null };
    renderListing(el, count, {
      key: 'roster', all: this.shifts, error: this.error, maxRows: MAX_ROWS,
      shown: (all) => filterShifts(all, this.filter, names),
      table: (rows) => shiftsTableHtml(rows, names),
    });
  }


  /** 导入: the file checked here, the replacement asked first, then sent; the list is read again after a save. */
  private async importFile(form: HTMLFormElement): Promise<void> {
    if (this.busy) return;
    const input = form.querySelector<HTMLInputElement>('input[name="roster-file"]')!;
    const file = input.files?.[0];
    if (!file) return this.say(t('roster.no_file'), 'error');
    const read = readRosterFile(await file.text(), { isGrid: (c) => this.ctx.areas.byCode.get(c)?.level === 'grid' });
    if (!read.ok) {
      const items = read.problems.slice(0, 20).map((p) => `<li>${esc(fill(p.key, p.values))}</li>`).join('');
      const more = read.problems.length > 20 ? '<li>…</li>' : '';
      return this.say(`<p>${esc(fill('roster.file_refused', { file: file.name }))}</p><ul data-testid="roster-problems">${items}${more}</ul>`, 'error', undefined, true);
    }
    const question = fill(read.count ? 'roster.replace_confirm' : 'roster.clear_confirm', { file: file.name, n: read.count });
    if (!(await this.ctx.dialog.confirm(t('roster.replace_title'), question, t('roster.replace_ok'), true))) return;
    this.setBusy(form, true);
    try {
      const r = await this.ctx.api.put<{ saved: number; replaced: number }>(ROSTER_PATH, read.body);
      input.value = '';
      this.say(esc(savedText(r)), 'ok', undefined, true);
      await this.loadShifts();
    } catch (e) {
      this.say(esc(errorWithDetail(e, 'roster')), 'error', e, true);
    } finally {
      this.setBusy(form, false);
    }
  }

  private setBusy(form: HTMLFormElement, busy: boolean): void {
    this.busy = busy;
    const b = form.querySelector<HTMLButtonElement>('[type="submit"]');
    if (b) b.disabled = busy;
  }

  /** A sentence (or, `html`, a list of them) under the import form; a refusal keeps the server's answer on hover. */
  private say(text: string, kind: 'ok' | 'error', e?: unknown, html = false): void {
    const el = this.host.querySelector<HTMLElement>('[data-testid="roster-import-flash"]');
    if (!el) return;
    el.hidden = false;
    el.className = `flash ${kind}`;
    if (html) el.innerHTML = text;
    else el.textContent = text;
    if (kind === 'error') el.setAttribute('role', 'alert');
    else el.removeAttribute('role');
    if (e instanceof ApiError) {
      el.title = `${e.status} ${e.code}: ${e.message}`;
      el.dataset.status = String(e.status);
    } else {
      el.removeAttribute('title');
      delete el.dataset.status;
    }
  }
}

/** The shifts: grid (name, code), shift name, staff (name, id), days and time in words. */
export function shiftsTableHtml(
  list: readonly Shift[],
  names: { grid: (code: string) => string | null; staff: (id: string) => string | null },
): string {
  const head = ['roster.col.grid', 'roster.col.name', 'roster.col.staff', 'roster.col.days', 'roster.col.time'];
  const rows = list.map((s) => {
    const grid = names.grid(s.grid);
    const staff = s.staff
      .map((id) => {
        const name = names.staff(id);
        return `<span class="member" data-staff="${esc(id)}">${name ? `${esc(name)} <small>${esc(id)}</small>` : esc(id)}</span>`;
      })
      .join('');
    return `<tr data-grid="${esc(s.grid)}" data-start="${esc(s.start)}">
      <td class="grid">${grid ? `${esc(grid)} <small>${esc(s.grid)}</small>` : `<span class="username">${esc(s.grid)}</span>`}</td>
      <td class="name">${esc(s.name || '—')}</td><td class="staff">${staff}</td>
      <td class="days" data-days="${esc(s.days.join(','))}">${esc(daysText(s.days))}</td>
      <td class="time">${esc(shiftTime(s.start, s.end))}</td></tr>`;
  });
  return `<table class="accounts roster-table" data-testid="roster-table">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
